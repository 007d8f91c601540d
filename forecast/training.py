"""Geometry, split and the Keras training loop (early stopping, time budget, progress)."""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .config import TrainConfig
from .errors import ConfigError, DataError, TrainingError
from .frequency import default_horizon, season_length
from .windows import Windows

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
        from .config import rows_needed  # arithmetic: a search would hang on --horizon 1e9

        need = rows_needed(lookback, horizon, config.test_fraction, config.val_fraction, start=rows + 1)
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


def _progress_callback(
    budget: float,
    report: Callable[[int, dict[str, float]], None] | None,
    stop: threading.Event | None,
) -> Any:
    """A Keras callback: report each epoch, stop at the time budget, and stop after the
    current batch once ``stop`` is set (Ctrl-C or SIGTERM)."""
    import keras

    class Progress(keras.callbacks.Callback):
        stopped_by_budget = False
        interrupted = False

        def on_train_begin(self, logs: Any = None) -> None:
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if stop is not None and stop.is_set():
                self.interrupted = True
                self.model.stop_training = True
            elif time.perf_counter() - self.start > budget:  # long epochs on big data
                self.stopped_by_budget = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            info = {k: float(v) for k, v in (logs or {}).items()}
            info["seconds"] = time.perf_counter() - self.start
            if report:
                report(epoch + 1, info)
            if info["seconds"] > budget:
                self.stopped_by_budget = True
                self.model.stop_training = True

    return Progress()


@contextlib.contextmanager
def interruptible() -> Iterator[threading.Event]:
    """While inside, Ctrl-C and SIGTERM set the yielded event instead of killing the process;
    a second Ctrl-C raises KeyboardInterrupt at once. Outside the main thread: no handlers."""
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, frame: Any) -> None:
        if event.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield event
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@dataclass
class Resume:
    """Where an earlier, interrupted or finished, training run left off."""

    model: Any  # the Keras model with the weights to continue from
    optimizer_state: list[np.ndarray]  # the optimizer's variables, in order
    history: dict[str, list[float]]  # per-epoch logs so far
    epochs_done: int


@dataclass
class Run:
    """What one training loop hands back: the model with its best weights and this run's logs."""

    model: Any
    history: dict[str, list[float]]  # per-epoch logs of this run (not of the resumed one)
    stopped_by: str  # "interrupt", "time budget", "early stopping" or "epoch limit"
    best_epoch: int  # counted from 0, resumed or not


def fit_model(
    windows: Windows,
    config: TrainConfig,
    report: Callable[[int, dict[str, float]], None] | None = None,
    stop: threading.Event | None = None,
    resume: Resume | None = None,
) -> tuple[Any, dict[str, list[float]], dict[str, Any]]:
    """Train a network on the scaled array with early stopping on the validation part.

    Runs ``model.fit`` on one device, or the loop of :mod:`forecast.distribute` with
    ``config.distribute`` set; ``config.device`` and ``config.mixed_precision`` choose the
    device and the precision (see :func:`forecast.devices.place`).

    Args:
        windows: the scaled array, the training and validation windows and their encoding.
        report: called after each epoch with ``(epoch, logs)``.
        stop: when set (e.g. by :func:`interruptible`), training ends after the current batch.
        resume: continue an earlier run: its weights, optimizer state and epoch count.

    Returns:
        The model with its best weights, the history, and a summary (epochs, seconds, why it
        stopped, whether it was interrupted, the device and precision).

    Raises:
        TrainingError: when the loss becomes NaN or infinite.
        ConfigError: a device, precision or cluster that cannot be had (see ``place``).
    """
    import keras
    import tensorflow as tf

    from .devices import place
    from .nets import build_model, precision

    # first: a multi-worker strategy must exist before any other TensorFlow op
    placement = place(config.device, config.mixed_precision, config.distribute)
    keras.utils.set_random_seed(config.seed)
    _set_determinism(tf, config.deterministic)
    if len(windows.validation) == 0:
        raise ConfigError("The validation part holds no window; use a smaller --lookback.")

    def build() -> Any:
        with precision(placement.mixed_precision):
            return build_model(
                windows.lookback,
                windows.values.shape[1],
                windows.horizon,
                units=config.units,
                layers=config.layers,
                arch=config.arch,
                dropout=config.dropout,
                learning_rate=config.learning_rate,
                quantiles=config.quantiles,
            )

    first_epoch = resume.epochs_done if resume else 0
    loop = _fit_keras
    if placement.strategy is not None:
        from .distribute import fit_distributed

        loop = functools.partial(fit_distributed, placement.strategy)
    start = time.perf_counter()
    run = loop(build, windows, config, report, stop, resume)
    seconds = time.perf_counter() - start
    losses = run.history.get("loss", [])
    if not losses or not np.all(np.isfinite(losses)):
        raise nan_error(first_epoch + len(losses), config.learning_rate)
    hist = {k: (resume.history.get(k, []) if resume else []) + v for k, v in run.history.items()}
    summary = {
        "epochs": len(hist["loss"]),
        "best_epoch": int(run.best_epoch) + 1,
        "seconds": round(seconds, 2),
        "stopped_by": run.stopped_by,
        "interrupted": run.stopped_by == "interrupt",
        "resumed_from_epoch": first_epoch if resume else None,
        "train_windows": int(len(windows.train)),
        "val_windows": int(len(windows.validation)),
        "parameters": int(run.model.count_params()),
        "distribute": config.distribute,
        **placement.to_dict(),
    }
    return run.model, hist, summary


def nan_error(epoch: int, learning_rate: float) -> TrainingError:
    """The error for a loss that became NaN or infinite at ``epoch`` (counted from 1)."""
    return TrainingError(
        f"The training loss became non-finite (NaN or infinite) at epoch {epoch}. Lower "
        f"--learning-rate (e.g. {learning_rate / 10:g}), and check the data for extreme values "
        "or sentinels such as -9999."
    )


def _fit_keras(
    build: Callable[[], Any],
    windows: Windows,
    config: TrainConfig,
    report: Callable[[int, dict[str, float]], None] | None,
    stop: threading.Event | None,
    resume: Resume | None,
) -> Run:
    """One device: ``model.fit`` with early stopping, LR plateaus, NaN check and progress."""
    import keras
    import tensorflow as tf

    from .nets import compile_model

    windows = replace(windows, values=tf.constant(windows.values, dtype=tf.float32))  # one copy for both
    train_ds = windows.dataset("train", config.batch_size, True, config.seed)
    val_ds = windows.dataset("validation", 512, False, config.seed)
    if resume is None:
        model = build()
    else:
        model = resume.model
        compile_model(model, config.learning_rate, config.quantiles)
        _restore_optimizer(model, resume.optimizer_state)
    first_epoch = resume.epochs_done if resume else 0
    progress = _progress_callback(config.time_budget, report, stop)
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, restore_best_weights=True
    )
    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=max(1, config.patience // 2), min_lr=1e-5
    )
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        initial_epoch=first_epoch,
        epochs=max(config.epochs, first_epoch + 1),
        callbacks=[keras.callbacks.TerminateOnNaN(), stopper, plateau, progress],
        shuffle=False,  # the tf.data pipeline shuffles the window origins itself
        verbose=0,
    )
    reason = (
        "interrupt" if progress.interrupted
        else "time budget" if progress.stopped_by_budget
        else "early stopping" if stopper.stopped_epoch > 0
        else "epoch limit"
    )
    new = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return Run(model, new, reason, int(stopper.best_epoch))


def _set_determinism(tf: Any, on: bool) -> None:
    """TF op determinism on or off (process-wide). Keras compiles with XLA only when it is off."""
    if on:
        tf.config.experimental.enable_op_determinism()
        return
    from tensorflow.python.framework import config as tf_config  # no public switch-off

    disable = getattr(tf_config, "disable_op_determinism", None)
    if disable is not None:
        disable()


def optimizer_state(model: Any) -> list[np.ndarray]:
    """The optimizer's variables (step count, learning rate, moments) as plain arrays."""
    return [np.asarray(v.numpy()) for v in model.optimizer.variables]


def _restore_optimizer(model: Any, state: list[np.ndarray]) -> None:
    model.optimizer.build(model.trainable_variables)
    variables = model.optimizer.variables
    if len(variables) != len(state) or any(
        tuple(v.shape) != a.shape for v, a in zip(variables, state)
    ):
        raise ConfigError(
            "The bundle's optimizer state does not fit this model; --resume needs the same "
            "architecture flags as the first run (or train without --resume)."
        )
    for variable, value in zip(variables, state):
        variable.assign(value)
