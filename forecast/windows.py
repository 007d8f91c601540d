"""Sliding windows gathered lazily by index: never an ``(n_windows, lookback, F)`` copy.

A window is named by its *origin* ``o``, the row of its first target step:
inputs are rows ``[o - lookback, o)``, targets are the target column (0) of rows
``[o, o + horizon)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def origins(first: int, end: int, lookback: int, horizon: int, stride: int = 1) -> np.ndarray:
    """Origins of every window whose targets lie in rows ``[first, end)`` and inputs exist.

    Returns:
        int64 array of origins, ascending, ``stride`` apart.
    """
    start = max(first, lookback)
    stop = end - horizon  # last valid origin
    if stop < start:
        return np.zeros(0, dtype="int64")
    return np.arange(start, stop + 1, stride, dtype="int64")


def gather(
    values: np.ndarray, origins_: np.ndarray, lookback: int, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Copy out the windows at ``origins_`` only.

    Args:
        values: scaled array ``(rows, n_features)``.
    Returns:
        ``x`` ``(n, lookback, n_features)`` and ``y`` ``(n, horizon)`` (target column, scaled;
        rows past the end are NaN so a forecast from the last row needs no future).
    """
    offsets_x = np.arange(-lookback, 0)
    x = values[origins_[:, None] + offsets_x]  # (n, lookback, F)
    rows = origins_[:, None] + np.arange(horizon)  # (n, horizon)
    padded = np.concatenate([values[:, 0], np.full(horizon, np.nan, dtype=values.dtype)])
    y = padded[rows]
    return x, y


def dataset(
    values: np.ndarray,
    origins_: np.ndarray,
    lookback: int,
    horizon: int,
    batch_size: int,
    encode: Callable[[Any, Any], Any],
    shuffle: bool,
    seed: int,
    inputs: Callable[[Any], Any] | None = None,
    repeat: bool = False,
) -> Any:
    """A tf.data pipeline that gathers each batch of windows from ``values`` by index.

    Only the array ``(rows, F)`` and the origins live in memory; each batch is
    gathered on the fly as ``x (batch, lookback, F)``, ``y (batch, horizon)``. Pass a
    tensor as ``values`` to share one copy between several pipelines. ``inputs`` maps
    each batch of windows to what the network reads (``encode`` sees the windows as gathered).
    ``repeat``: stream the windows endlessly, reshuffled on each pass, in full batches only
    (one batch shape: XLA compiles the step once); the caller says how many steps an epoch is.
    """
    import tensorflow as tf

    table = values if tf.is_tensor(values) else tf.constant(values, dtype=tf.float32)  # (rows, F)
    offsets_x = tf.range(-lookback, 0, dtype=tf.int64)
    offsets_y = tf.range(horizon, dtype=tf.int64)
    ds = tf.data.Dataset.from_tensor_slices(origins_.astype("int64"))
    if shuffle:
        ds = ds.shuffle(len(origins_), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=repeat)

    def to_xy(o: Any) -> tuple[Any, Any]:
        x = tf.gather(table, o[:, None] + offsets_x)  # (batch, lookback, F)
        y = tf.gather(table[:, 0], o[:, None] + offsets_y)  # (batch, horizon)
        return (inputs(x) if inputs else x), encode(y, x)

    return ds.map(to_xy, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def py_dataset(
    values: np.ndarray,
    origins_: np.ndarray,
    lookback: int,
    horizon: int,
    batch_size: int,
    encode: Callable[[Any, Any], Any],
    shuffle: bool,
    seed: int,
    inputs: Callable[[Any], Any] | None = None,
    repeat: bool = False,
) -> Any:
    """The same batches as :func:`dataset` as a ``keras.utils.PyDataset`` (any backend, no tf.data).

    Each batch is gathered in NumPy from ``values`` ``(rows, F)`` by origin:
    ``x (batch, lookback, F)``, ``y (batch, horizon)``. With ``repeat`` the stream is endless
    (``num_batches`` None: the caller says how many steps an epoch is), in full batches only
    (one shape: the compiled step is traced once), each pass over the origins in a new order
    drawn from ``seed``; without it, one pass in order, the last batch partial.
    """
    import keras

    table = np.asarray(values, dtype="float32")  # (rows, F)
    origins_ = np.asarray(origins_, dtype="int64")
    n = len(origins_)
    offsets_x, offsets_y = np.arange(-lookback, 0), np.arange(horizon)

    class WindowBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()  # one worker, in this process: batches are gathered in order
            self.orders: dict[int, np.ndarray] = {}
            self.served = 0  # batches served so far: where the endless stream continues

        @property
        def num_batches(self) -> int | None:
            return None if repeat else -(-n // batch_size)

        def __len__(self) -> int:
            return self.num_batches or 0

        def order(self, epoch: int) -> np.ndarray:
            """Pass ``epoch``'s order of the origins (kept for the passes still being read)."""
            if epoch not in self.orders:
                rng = np.random.default_rng([seed, epoch])
                self.orders = {k: v for k, v in self.orders.items() if k >= epoch - 1}
                self.orders[epoch] = rng.permutation(n) if shuffle else np.arange(n)
            return self.orders[epoch]

        def __getitem__(self, index: int) -> tuple[Any, Any]:
            if repeat:  # the stream's next batch_size positions, across pass boundaries
                start, self.served = self.served * batch_size, self.served + 1
                pos = np.arange(start, start + batch_size)
                picked = np.concatenate([self.order(int(e)) for e in np.unique(pos // n)])
                chosen = origins_[picked[pos - (pos[0] // n) * n]]
            else:
                chosen = origins_[self.order(0)[index * batch_size : (index + 1) * batch_size]]
            x = table[chosen[:, None] + offsets_x]  # (batch, lookback, F)
            y = table[chosen[:, None] + offsets_y, 0]  # (batch, horizon): inside the array
            return (inputs(x) if inputs else x), encode(y, x)

    return WindowBatches()


@dataclass(frozen=True)
class Windows:
    """What training reads: the scaled array, the origins of its training and validation
    windows, their geometry, and how gathered windows become the network's inputs and targets.

    Attributes:
        values: scaled array ``(rows, F)`` (series stacked), or a tensor shared by pipelines.
        train, validation: window origins in ``values``.
        encode: scaled targets ``(batch, horizon)`` and windows -> network targets.
        inputs: windows -> the network's inputs (see ``Preprocessor.encode_inputs``).
    """

    values: Any
    train: np.ndarray
    validation: np.ndarray
    lookback: int
    horizon: int
    encode: Callable[[Any, Any], Any]
    inputs: Callable[[Any], Any] | None = None

    def dataset(
        self, part: str, batch_size: int, shuffle: bool, seed: int, repeat: bool = False
    ) -> Any:
        """The ``"train"`` or ``"validation"`` windows: a tf.data pipeline (:func:`dataset`) on
        the TensorFlow backend, where it is faster, else a PyDataset (:func:`py_dataset`)."""
        import keras

        origins_ = self.train if part == "train" else self.validation
        if keras.backend.backend() != "tensorflow":
            return py_dataset(self.values, origins_, self.lookback, self.horizon, batch_size,
                              self.encode, shuffle, seed, self.inputs, repeat)
        return dataset(self.values, origins_, self.lookback, self.horizon, batch_size, self.encode,
                       shuffle, seed, self.inputs, repeat)
