"""Importing TensorFlow quietly, and which device it trains on."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: TensorFlow's C++ start-up lines ignore its log level."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow() -> Any:
    """Import TensorFlow and Keras without their start-up noise on the terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _stderr_silenced():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()  # CUDA probing prints too
    return tf


@dataclass
class Placement:
    """Where training runs: the device, the precision and the distribution strategy."""

    device: str  # "GPU" or "CPU"
    description: str  # one line for people, e.g. "CPU (2 cores), mirrored over 2 replicas"
    mixed_precision: bool  # float16 compute actually used
    strategy: Any = None  # a tf.distribute strategy, or None for plain model.fit
    replicas: int = 1
    chief: bool = True  # writes the bundle (always, unless a non-chief multi-worker worker)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """What the training summary (bundle.json) records."""
        return {
            "device": self.description,
            "precision": "mixed_float16" if self.mixed_precision else "float32",
            "replicas": self.replicas,
            "device_notes": list(self.notes),
        }


def place(
    device: str = "auto", mixed_precision: bool = False, distribute: str = "none"
) -> Placement:
    """Choose the device, the precision and the strategy; call before any TensorFlow op.

    Args:
        device: ``auto`` (a GPU when TensorFlow sees one), ``cpu`` (GPUs hidden) or ``gpu``.
        mixed_precision: float16 compute; needs a GPU (with ``auto`` on a CPU: float32, noted).
        distribute: ``none``, ``mirrored`` or ``multi-worker`` (see :mod:`forecast.distribute`).

    Raises:
        ConfigError: ``gpu`` without a GPU, ``--mixed-precision`` with ``--device cpu``, a
            device change after TensorFlow started, or a missing or broken ``TF_CONFIG``.
    """
    from .distribute import make_strategy, worker_role
    from .errors import ConfigError

    tf = import_tensorflow()
    if device == "cpu" and mixed_precision:
        raise ConfigError(
            "--mixed-precision needs a GPU, but --device cpu hides them; drop one of the two flags."
        )
    if device == "cpu":
        try:
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:
            raise ConfigError(
                "--device cpu must be chosen before TensorFlow starts; start a new process."
            ) from None
    gpus = tf.config.get_visible_devices("GPU")
    if device == "gpu" and not gpus:
        raise ConfigError(
            "--device gpu: TensorFlow sees no GPU (driver, CUDA or the CPU-only tensorflow "
            "package). Install forecast[gpu] / use --device auto."
        )
    notes = []
    mixed = mixed_precision and bool(gpus)
    if mixed_precision and not gpus:
        notes.append("--mixed-precision needs a GPU: trained in float32 on the CPU")
    text = _describe(gpus)
    if mixed:
        text += ", mixed float16"
    elif notes:
        text += " in float32 (--mixed-precision needs a GPU)"
    strategy, chief = None, True
    if distribute != "none":
        strategy = make_strategy(distribute)
        replicas = int(strategy.num_replicas_in_sync)
        if distribute == "multi-worker":
            role, chief = worker_role()
            text += f", multi-worker over {replicas} replicas, this process: {role}"
        else:
            text += f", mirrored over {replicas} replica{'s' if replicas > 1 else ''}"
    return Placement(
        "GPU" if gpus else "CPU", text, mixed, strategy,
        int(strategy.num_replicas_in_sync) if strategy else 1, chief, notes,
    )


def describe_device(config: Any = None) -> str:
    """A short description: the GPUs TensorFlow sees, or the CPU; with a TrainConfig, the
    device, precision and strategy that training with it will use (see :func:`place`)."""
    if config is not None:
        return place(config.device, config.mixed_precision, config.distribute).description
    tf = import_tensorflow()
    return _describe(tf.config.list_physical_devices("GPU"))


def _describe(gpus: list[Any]) -> str:
    if gpus:
        return f"GPU ({len(gpus)}: {', '.join(g.name for g in gpus)})"
    return f"CPU ({os.cpu_count()} cores)"
