"""Geometry, split and the Keras training loop (early stopping, time budget, progress)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
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
EPOCH_WINDOWS = 16_384  # an epoch is at most this many (fresh random) windows: big data is
# checked against validation (early stopping, LR plateaus) every few seconds, not every few minutes
VAL_WINDOWS = 4_096  # early stopping reads an evenly spaced sample of at most this many windows
VAL_BATCH = 4_096  # validation in one batch: one compiled shape, one step
MIN_DELTA = 1e-4  # scaled-loss improvement that counts for early stopping and LR plateaus
STEPS_PER_EXECUTION = 8  # at most this many batches per call into the compiled step: less
# Python per batch (callbacks, the time budget and Ctrl-C are checked between calls)
XLA_WINDOWS = 8_192  # XLA compiles the CPU step for 5-15 s and then saves ~30% a window: it pays
# from about this many training windows (README sample, 2.9k windows: epoch 1 20 s with, 6 s without)


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
    from .config import _train_rows as train_rows

    return train_rows(rows, horizon, config.test_fraction, config.val_fraction)


def _test_rows(rows: int, horizon: int, config: TrainConfig) -> int:
    """Whole horizons, at least one; none when ``test_fraction`` is 0 (backtests test elsewhere)."""
    if config.test_fraction == 0:
        return 0
    return horizon * max(1, round(config.test_fraction * rows / horizon))


def _progress_callback(
    budget: float,
    report: Callable[[int, dict[str, float]], None] | None,
    stop: threading.Event | None,
    stopper: Any = None,
    epochs: int | None = None,
) -> Any:
    """A Keras callback: report each epoch (with an estimate of the seconds left), stop at
    the time budget, and stop after the current execution (``STEPS_PER_EXECUTION`` batches)
    once ``stop`` is set (Ctrl-C or SIGTERM)."""
    import keras

    class Progress(keras.callbacks.Callback):
        stopped_by_budget = False
        interrupted = False

        def on_train_begin(self, logs: Any = None) -> None:
            self.start = time.perf_counter()
            self.epochs_run = 0

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if stop is not None and stop.is_set():
                self.interrupted = True
                self.model.stop_training = True
            elif time.perf_counter() - self.start > budget:  # long epochs on big data
                self.stopped_by_budget = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.epochs_run += 1
            info = {k: float(v) for k, v in (logs or {}).items()}
            info["seconds"] = time.perf_counter() - self.start
            info["remaining"] = remaining(info["seconds"], self.epochs_run, epoch + 1)
            if report:
                report(epoch + 1, info)
            if info["seconds"] > budget:
                self.stopped_by_budget = True
                self.model.stop_training = True

    def remaining(seconds: float, run: int, epoch: int) -> float:
        """Seconds left if validation stops improving now: the epochs early stopping still
        waits (fewer at the epoch limit), at this run's pace, never past the budget."""
        wait = int(getattr(stopper, "wait", 0)) if stopper is not None else 0
        left = (stopper.patience - wait) if stopper is not None else (epochs or epoch) - epoch
        if epochs is not None:
            left = min(left, epochs - epoch)
        return float(max(0.0, min(budget - seconds, max(left, 0) * seconds / max(run, 1))))

    return Progress()


_LISTENER: contextvars.ContextVar[Callable[[int, dict[str, float]], None] | None] = (
    contextvars.ContextVar("forecast_training_listener", default=None)
)


@contextlib.contextmanager
def listening(report: Callable[[int, dict[str, float]], None]) -> Iterator[None]:
    """Inside, every training run without its own ``report`` reports its epochs to ``report``
    (how a command shows progress of training that a library function starts, e.g. backtest)."""
    token = _LISTENER.set(report)
    try:
        yield
    finally:
        _LISTENER.reset(token)


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
    report = report or _LISTENER.get()
    config = replace(config, batch_size=config.batch_size or batch_for(len(windows.train)))
    steps = epoch_steps(len(windows.train), config.batch_size)
    windows = replace(windows, validation=sample(windows.validation, VAL_WINDOWS))

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
                steps_per_execution=per_execution(steps),
                jit_compile=len(windows.train) >= XLA_WINDOWS,
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
        "val_windows": int(len(windows.validation)),  # the sample early stopping reads
        "batch_size": int(config.batch_size),
        "epoch_windows": int(steps * config.batch_size),
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


def batch_for(n_windows: int) -> int:
    """The batch size for ``n_windows`` training windows: a power of two near n / 48
    (about 48 steps per pass), between 32 and 512.

    On CPUs a window costs about the same at any batch size (README sample: ~0.7 ms at 64
    and at 256, with XLA), so small data keeps small batches (more updates per pass); big
    data gets big batches (less per-step overhead, and GPUs need them).
    """
    return int(2 ** np.clip(round(math.log2(max(n_windows, 1) / 48)), 5, 9))


def epoch_steps(n_windows: int, batch_size: int) -> int:
    """Steps of one epoch: every window once, or ``EPOCH_WINDOWS`` fresh random ones."""
    return max(1, math.ceil(min(n_windows, EPOCH_WINDOWS) / batch_size))


def per_execution(steps: int) -> int:
    """Batches per call of the compiled step: the largest divisor of an epoch's ``steps`` up to
    ``STEPS_PER_EXECUTION`` (Keras runs whole executions, so a divisor keeps epochs exact)."""
    return max(d for d in range(1, STEPS_PER_EXECUTION + 1) if steps % d == 0)


def sample(origins_: np.ndarray, most: int) -> np.ndarray:
    """At most ``most`` origins, evenly spaced over ``origins_`` (all of them when fewer)."""
    if len(origins_) <= most:
        return origins_
    return origins_[np.linspace(0, len(origins_) - 1, most).round().astype("int64")]


def _fit_keras(
    build: Callable[[], Any],
    windows: Windows,
    config: TrainConfig,
    report: Callable[[int, dict[str, float]], None] | None,
    stop: threading.Event | None,
    resume: Resume | None,
) -> Run:
    """One device: ``model.fit`` with early stopping, LR plateaus, NaN check and progress.

    The training windows stream endlessly, reshuffled on every pass, and an epoch is
    ``epoch_steps`` full batches of them: one shape for XLA to compile, and on big data an
    epoch (a validation check) every ``EPOCH_WINDOWS`` windows instead of every window.
    Validation is one pass over (a sample of) the validation windows in batches of
    ``VAL_BATCH``.
    """
    import keras
    import tensorflow as tf

    from .nets import compile_model

    windows = replace(windows, values=tf.constant(windows.values, dtype=tf.float32))  # one copy
    batch, steps = config.batch_size, epoch_steps(len(windows.train), config.batch_size)
    train_ds = windows.dataset("train", batch, True, config.seed, repeat=True)
    val_batch = min(VAL_BATCH, len(windows.validation))
    val_ds = windows.dataset("validation", val_batch, False, config.seed)
    if resume is None:
        model = build()
    else:
        model = resume.model
        compile_model(model, config.learning_rate, config.quantiles, per_execution(steps),
                      len(windows.train) >= XLA_WINDOWS)
        _restore_optimizer(model, resume.optimizer_state)
    first_epoch = resume.epochs_done if resume else 0
    epochs = max(config.epochs, first_epoch + 1)
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, min_delta=MIN_DELTA, restore_best_weights=True
    )
    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=max(1, config.patience // 3), min_lr=1e-5,
        min_delta=MIN_DELTA,
    )
    progress = _progress_callback(config.time_budget, report, stop, stopper, epochs)
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        initial_epoch=first_epoch,
        epochs=epochs,
        steps_per_epoch=steps,
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
