"""Geometry, split and the Keras training loop (early stopping, time budget, progress)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import TrainConfig
from .errors import ConfigError, DataError
from .frequency import default_horizon, season_length
from .windows import origins

MAX_AUTO_LOOKBACK = 336  # two weeks of hours; longer windows cost time and rarely help an LSTM


@dataclass(frozen=True)
class Split:
    """Row boundaries: train ``[0, train_end)``, validation ``[train_end, val_end)``, test after."""

    rows: int
    train_end: int
    val_end: int

    def to_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "train_rows": self.train_end,
            "val_rows": self.val_end - self.train_end,
            "test_rows": self.rows - self.val_end,
        }


def plan(rows: int, freq: str, config: TrainConfig) -> tuple[int, int, Split]:
    """Choose horizon and lookback (when not given) and split ``rows`` by time.

    The test part is a whole number of horizons (at least one); validation is at
    least one horizon; the training part must hold at least one full window.

    Raises:
        DataError: when the series is too short for the requested geometry.
    """
    horizon = config.horizon or default_horizon(freq)
    season = season_length(freq)
    train_end = _train_rows(rows, horizon, config)
    test = _test_rows(rows, horizon, config)
    val = rows - test - train_end
    if config.lookback is not None:
        lookback = config.lookback
    else:
        lookback = min(max(4 * horizon, 7 * season), MAX_AUTO_LOOKBACK)
        lookback = max(1, min(lookback, (train_end - horizon) // 2))
    if train_end - lookback - horizon + 1 < 1:
        need = next(
            n for n in range(rows + 1, rows + 100 * (lookback + horizon) + 1000)
            if _train_rows(n, horizon, config) - lookback - horizon + 1 >= 1
        )
        raise DataError(
            f"The series has {rows} rows, too few for lookback {lookback} + horizon {horizon} "
            f"+ validation {val} + test {test} rows ({need} rows needed). "
            "Use a smaller --lookback or --horizon, or give a longer series."
        )
    return horizon, lookback, Split(rows, train_end, train_end + val)


def _train_rows(rows: int, horizon: int, config: TrainConfig) -> int:
    """Rows left for training once test (whole horizons) and validation are cut off the end."""
    val = max(horizon, round(config.val_fraction * rows))
    return rows - _test_rows(rows, horizon, config) - val


def _test_rows(rows: int, horizon: int, config: TrainConfig) -> int:
    """Whole horizons, at least one; none when ``test_fraction`` is 0 (backtests test elsewhere)."""
    if config.test_fraction == 0:
        return 0
    return horizon * max(1, round(config.test_fraction * rows / horizon))


def _progress_callback(budget: float, report: Callable[[int, dict[str, float]], None] | None) -> Any:
    """A Keras callback that reports each epoch and stops once ``budget`` seconds are spent."""
    import keras

    class Progress(keras.callbacks.Callback):
        stopped_by_budget = False

        def on_train_begin(self, logs: Any = None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            info = {k: float(v) for k, v in (logs or {}).items()}
            info["seconds"] = time.perf_counter() - self.start
            if report:
                report(epoch + 1, info)
            if info["seconds"] > budget:
                self.stopped_by_budget = True
                self.model.stop_training = True

    return Progress()


def fit_model(
    values: np.ndarray,
    split: Split,
    lookback: int,
    horizon: int,
    config: TrainConfig,
    encode: Callable[[Any, Any], Any],
    report: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[Any, dict[str, list[float]], dict[str, Any]]:
    """Train a network on the scaled array with early stopping on the validation part.

    Args:
        values: scaled array ``(rows, n_features)``, target in column 0.
        encode: maps scaled targets ``(batch, horizon)`` and inputs to network targets.
        report: called after each epoch with ``(epoch, logs)``.

    Returns:
        The model with its best weights, the history, and a summary (epochs, seconds, why it stopped).
    """
    import keras
    import tensorflow as tf

    from .nets import build_model
    from .windows import dataset

    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    train_o = origins(0, split.train_end, lookback, horizon)
    val_o = origins(split.train_end, split.val_end, lookback, horizon)
    if len(val_o) == 0:
        raise ConfigError("The validation part holds no window; use a smaller --lookback.")
    train_ds = dataset(values, train_o, lookback, horizon, config.batch_size, encode, True, config.seed)
    val_ds = dataset(values, val_o, lookback, horizon, 512, encode, False, config.seed)
    model = build_model(
        lookback,
        values.shape[1],
        horizon,
        units=config.units,
        layers=config.layers,
        arch=config.arch,
        dropout=config.dropout,
        learning_rate=config.learning_rate,
        quantiles=config.quantiles,
    )
    progress = _progress_callback(config.time_budget, report)
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, restore_best_weights=True
    )
    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=max(1, config.patience // 2), min_lr=1e-5
    )
    start = time.perf_counter()
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        callbacks=[stopper, plateau, progress],
        shuffle=False,  # the tf.data pipeline shuffles the window origins itself
        verbose=0,
    )
    seconds = time.perf_counter() - start
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    epochs = len(hist.get("loss", []))
    reason = "time budget" if progress.stopped_by_budget else (
        "early stopping" if stopper.stopped_epoch > 0 else "epoch limit"
    )
    summary = {
        "epochs": epochs,
        "best_epoch": int(stopper.best_epoch) + 1,
        "seconds": round(seconds, 2),
        "stopped_by": reason,
        "train_windows": int(len(train_o)),
        "val_windows": int(len(val_o)),
        "parameters": int(model.count_params()),
    }
    return model, hist, summary
