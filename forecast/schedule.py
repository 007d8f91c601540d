"""The training schedule shared by the single-device loop and the distributed one.

How many windows an epoch reads, the batch size, the validation sample, early-stopping
thresholds, progress and interruption, the optimizer checkpoint. :mod:`forecast.training`
(``model.fit``) and :mod:`forecast.distribute` (a custom loop) both take their decisions
from here, so the two paths stop, report and resume alike.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConfigError, TrainingError

_LISTENER: contextvars.ContextVar[Callable[[int, dict[str, float]], None] | None] = (
    contextvars.ContextVar("forecast_training_listener", default=None)
)


EPOCH_WINDOWS = 16_384  # an epoch is at most this many (fresh random) windows: big data is
# checked against validation (early stopping, LR plateaus) every few seconds, not every few minutes


VAL_WINDOWS = 4_096  # early stopping reads an evenly spaced sample of at most this many windows


VAL_BATCH = 4_096  # validation in one batch: one compiled shape, one step


MIN_DELTA = 1e-4  # scaled-loss improvement that counts for early stopping and LR plateaus


STEPS_PER_EXECUTION = 8  # at most this many batches per call into the compiled step: less
# Python per batch (callbacks, the time budget and Ctrl-C are checked between calls)


XLA_WINDOWS = 8_192  # XLA compiles the CPU step for 5-15 s and then saves ~30% a window: it pays
# from about this many training windows (README sample, 2.9k windows: epoch 1 20 s with, 6 s without)


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


def schedule_callbacks(config: Any, resume: Resume | None = None) -> tuple[Any, Any]:
    """The schedule both training loops follow: early stopping on the validation loss with the
    best weights restored, and the learning rate halved when it stalls (``patience // 3``).
    ``model.fit`` runs them; the distributed loop drives the same objects by hand.

    Resumed, early stopping starts from the earlier run's best epoch and its weights (those the
    bundle holds): a fresh one would keep the last epoch's weights though an earlier was better."""
    import keras

    class Stopper(keras.callbacks.EarlyStopping):
        def on_train_begin(self, logs: Any = None) -> None:
            super().on_train_begin(logs)
            losses = (resume.history.get("val_loss") or []) if resume else []
            if losses and np.all(np.isfinite(losses)):
                self.best, self.best_epoch = float(np.min(losses)), int(np.argmin(losses))
                self.best_weights = self.model.get_weights()

    stopper = Stopper(
        monitor="val_loss", patience=config.patience, min_delta=MIN_DELTA, restore_best_weights=True
    )
    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=max(1, config.patience // 3), min_lr=1e-5,
        min_delta=MIN_DELTA,
    )
    return stopper, plateau


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


def optimizer_state(model: Any) -> list[np.ndarray]:
    """The optimizer's variables (step count, learning rate, moments) as plain arrays."""
    from keras import ops

    return [np.asarray(ops.convert_to_numpy(v)) for v in model.optimizer.variables]


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
