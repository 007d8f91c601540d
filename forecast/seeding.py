"""Seeds and op determinism, set the same way on every Keras backend before a network is built."""

from __future__ import annotations

import sys

from .devices import import_tensorflow


def set_seed(seed: int, backend: str) -> None:
    """Seed Python, NumPy, Keras and the backend (``keras.utils.set_random_seed``).

    Keras seeds TensorFlow too whenever it is installed, importing it (~5 s and start-up
    noise) on any backend; on JAX and PyTorch the import is refused for that one call, so
    TensorFlow never starts there.
    """
    import keras

    if backend == "tensorflow" or "tensorflow" in sys.modules:
        keras.utils.set_random_seed(seed)
        return
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # "import tensorflow" fails
    try:
        keras.utils.set_random_seed(seed)
    finally:
        del sys.modules["tensorflow"]


def set_determinism(backend: str, on: bool) -> None:
    """Deterministic ops on or off (process-wide) where the backend has a switch.

    TensorFlow: op determinism (Keras compiles with XLA only when it is off). PyTorch:
    deterministic algorithms. JAX on CPUs is deterministic as it is.
    """
    if backend == "torch":
        import torch

        torch.use_deterministic_algorithms(on, warn_only=True)
        return
    if backend != "tensorflow":
        return
    tf = import_tensorflow()
    if on:
        tf.config.experimental.enable_op_determinism()
        return
    from tensorflow.python.framework import config as tf_config  # no public switch-off

    disable = getattr(tf_config, "disable_op_determinism", None)
    if disable is not None:
        disable()
