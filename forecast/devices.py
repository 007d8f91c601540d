"""The Keras backend (TensorFlow, JAX or PyTorch), imported quietly, and the device it trains on.

The backend follows ``KERAS_BACKEND`` (TensorFlow when unset), or ``--backend``, which
:func:`use_backend` turns into ``KERAS_BACKEND`` before Keras is first imported. TensorFlow is
imported only when it is the backend: the other two never run a TensorFlow op here.
"""

from __future__ import annotations

import contextlib
import importlib.util
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


PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}  # backend -> module
NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def use_backend(backend: str | None = None, device: str = "auto") -> str:
    """Choose the Keras backend (and, for JAX and PyTorch, the CPU) before Keras is imported.

    Args:
        backend: ``tensorflow``, ``jax`` or ``torch``; None keeps ``KERAS_BACKEND`` (tensorflow).
        device: ``cpu`` hides accelerators from JAX and PyTorch from the start.

    Returns:
        The backend's name.

    Raises:
        ConfigError: an unknown backend, one that is not installed (naming the extra to
            install), or another backend than the one this process already runs.
    """
    from .config import BACKENDS
    from .errors import ConfigError

    name = backend or os.environ.get("KERAS_BACKEND") or "tensorflow"
    source = f"--backend {name}" if backend else f"KERAS_BACKEND={name}"
    if name not in BACKENDS:
        flag = "--backend" if backend else "KERAS_BACKEND"
        raise ConfigError(f"Unknown {flag} '{name}'. Choose from {', '.join(BACKENDS)}.")
    if importlib.util.find_spec(PACKAGES[name]) is None:
        extra = "" if name == "tensorflow" else f"[{name}]"
        raise ConfigError(
            f"{source} needs {NAMES[name]}, which is not installed. Install it with "
            f'pip install -e ".{extra}"' + (" (or pip install tensorflow)" if not extra else "")
            + ", or choose another backend."
        )
    if "keras" in sys.modules:
        running = sys.modules["keras"].backend.backend()
        if running != name:
            raise ConfigError(
                f"{source}: Keras already runs on {running} in this process; the backend is "
                "chosen before Keras starts. Start a new process."
            )
        return name
    os.environ["KERAS_BACKEND"] = name
    if device == "cpu" and name != "tensorflow":  # read once, when the backend starts
        variable = "JAX_PLATFORMS" if name == "jax" else "KERAS_TORCH_DEVICE"
        os.environ.setdefault(variable, "cpu")
    return name


def check_distribute(distribute: str, backend: str) -> None:
    """Refuse a tf.distribute strategy on another backend than TensorFlow (a ConfigError)."""
    from .errors import ConfigError

    if distribute != "none" and backend != "tensorflow":
        raise ConfigError(
            f"--distribute {distribute} needs the TensorFlow backend (tf.distribute); this run "
            f"uses {backend}. Use --backend tensorflow, or --distribute none."
        )


def import_keras(backend: str | None = None, device: str = "auto") -> Any:
    """Import Keras on its backend (see :func:`use_backend`) without start-up noise; on the
    TensorFlow backend TensorFlow is imported too (quietly), on the others it never is."""
    name = use_backend(backend, device)
    if name == "tensorflow":
        import_tensorflow()
    elif "keras" not in sys.modules:
        with _stderr_silenced():
            import keras  # noqa: F401
    return sys.modules["keras"]


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
    """Where training runs: the backend, the device, the precision and the distribution strategy."""

    device: str  # "GPU" or "CPU" (a TPU counts as "GPU": an accelerator)
    description: str  # one line for people, e.g. "CPU (2 cores), mirrored over 2 replicas"
    mixed_precision: bool  # float16 compute actually used
    strategy: Any = None  # a tf.distribute strategy, or None for plain model.fit
    replicas: int = 1
    chief: bool = True  # writes the bundle (always, unless a non-chief multi-worker worker)
    notes: list[str] = field(default_factory=list)
    backend: str = "tensorflow"  # the Keras backend: tensorflow | jax | torch

    def to_dict(self) -> dict[str, Any]:
        """What the training summary (bundle.json) records."""
        return {
            "backend": self.backend,
            "device": self.description,
            "precision": "mixed_float16" if self.mixed_precision else "float32",
            "replicas": self.replicas,
            "device_notes": list(self.notes),
        }

    def summary(self) -> str:
        """"backend JAX 0.8.1, device CPU (2 cores), precision float32": what train prints first."""
        module = sys.modules.get(PACKAGES[self.backend])  # imported by place()
        version = getattr(module, "__version__", "")
        return (f"backend {NAMES[self.backend]} {version}, device {self.description}, "
                f"precision {self.to_dict()['precision']}")


def place(
    device: str = "auto", mixed_precision: bool = False, distribute: str = "none",
    backend: str | None = None,
) -> Placement:
    """Choose the device, the precision and the strategy; call before any TensorFlow op.

    Args:
        device: ``auto`` (a GPU when the backend sees one), ``cpu`` (GPUs hidden) or ``gpu``.
        mixed_precision: float16 compute; needs a GPU (with ``auto`` on a CPU: float32, noted).
        distribute: ``none``, ``mirrored`` or ``multi-worker`` (see :mod:`forecast.distribute`);
            tf.distribute needs the TensorFlow backend.
        backend: the Keras backend (see :func:`use_backend`); None: ``KERAS_BACKEND``.

    Raises:
        ConfigError: ``gpu`` without a GPU, ``--mixed-precision`` with ``--device cpu``, a
            device change after the backend started, a strategy on another backend than
            TensorFlow, or a missing or broken ``TF_CONFIG``.
    """
    from .errors import ConfigError

    name = use_backend(backend, device)
    if device == "cpu" and mixed_precision:
        raise ConfigError(
            "--mixed-precision needs a GPU, but --device cpu hides them; drop one of the two flags."
        )
    check_distribute(distribute, name)
    import_keras(name, device)
    accelerators, text = (_tensorflow_devices(device) if name == "tensorflow"
                          else _jax_devices(device) if name == "jax" else _torch_devices(device))
    if device == "gpu" and not accelerators:
        raise ConfigError(
            f"--device gpu: {NAMES[name]} sees no GPU (driver, CUDA or a CPU-only "
            f"{PACKAGES[name]} package). "
            + ("Install forecast[gpu]" if name == "tensorflow"
               else f"Install {NAMES[name]}'s GPU wheels (see README)")
            + " / use --device auto."
        )
    notes = []
    mixed = mixed_precision and accelerators
    if mixed_precision and not accelerators:
        notes.append("--mixed-precision needs a GPU: trained in float32 on the CPU")
    if mixed:
        text += ", mixed float16"
    elif notes:
        text += " in float32 (--mixed-precision needs a GPU)"
    strategy, chief = None, True
    if distribute != "none":
        from .distribute import make_strategy, worker_role

        strategy = make_strategy(distribute)
        replicas = int(strategy.num_replicas_in_sync)
        if distribute == "multi-worker":
            role, chief = worker_role()
            text += f", multi-worker over {replicas} replicas, this process: {role}"
        else:
            text += f", mirrored over {replicas} replica{'s' if replicas > 1 else ''}"
    return Placement(
        "GPU" if accelerators else "CPU", text, mixed, strategy,
        int(strategy.num_replicas_in_sync) if strategy else 1, chief, notes, name,
    )


def _tensorflow_devices(device: str) -> tuple[bool, str]:
    from .errors import ConfigError

    tf = import_tensorflow()
    if device == "cpu":
        try:
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:
            raise ConfigError(
                "--device cpu must be chosen before TensorFlow starts; start a new process."
            ) from None
    gpus = tf.config.get_visible_devices("GPU")
    return bool(gpus), _describe(gpus)


def _jax_devices(device: str) -> tuple[bool, str]:
    import jax

    found = [d for d in jax.devices() if d.platform != "cpu"]
    _refuse_late_cpu(device, found, "JAX_PLATFORMS=cpu")
    if not found:
        return False, _describe([])
    kind = "TPU" if found[0].platform == "tpu" else "GPU"
    return True, f"{kind} ({len(found)}: {', '.join(sorted({d.device_kind for d in found}))})"


def _torch_devices(device: str) -> tuple[bool, str]:
    import torch

    chosen = os.environ.get("KERAS_TORCH_DEVICE") or (
        "mps" if torch.backends.mps.is_available()
        else "cuda" if torch.cuda.is_available() else "cpu")  # Keras' own order
    on = not chosen.startswith("cpu")
    _refuse_late_cpu(device, [chosen] if on else [], "KERAS_TORCH_DEVICE=cpu")
    if chosen.startswith("cuda"):
        n = torch.cuda.device_count()
        return True, f"GPU ({n}: {torch.cuda.get_device_name(0)})"
    if on:
        return True, f"GPU ({chosen})"
    return False, _describe([])


def _refuse_late_cpu(device: str, accelerators: list[Any], variable: str) -> None:
    from .errors import ConfigError

    if device == "cpu" and accelerators:
        raise ConfigError(
            f"--device cpu must be chosen before Keras starts (or set {variable}); "
            "start a new process."
        )


def describe_device(config: Any = None) -> str:
    """A short description: the GPUs TensorFlow sees, or the CPU; with a TrainConfig, the
    backend, device and precision that training with it will use (see :func:`place`)."""
    if config is not None:
        return place(config.device, config.mixed_precision, config.distribute,
                     config.backend).summary()
    tf = import_tensorflow()
    return _describe(tf.config.list_physical_devices("GPU"))


def _describe(gpus: list[Any]) -> str:
    if gpus:
        return f"GPU ({len(gpus)}: {', '.join(g.name for g in gpus)})"
    return f"CPU ({os.cpu_count()} cores)"
