"""The Keras training loop: build, fit with early stopping and the time budget, keep the best.

The schedule (epoch size, batch, validation sample, progress) is :mod:`forecast.schedule`;
the split and geometry are :mod:`forecast.split` (both re-exported here).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from .config import TrainConfig
from .errors import ConfigError
from .schedule import (  # noqa: F401 - re-exported: the training vocabulary in one place
    _LISTENER,
    EPOCH_WINDOWS,
    MIN_DELTA,
    STEPS_PER_EXECUTION,
    VAL_BATCH,
    VAL_WINDOWS,
    XLA_WINDOWS,
    Resume,
    Run,
    _progress_callback,
    _restore_optimizer,
    batch_for,
    epoch_steps,
    interruptible,
    listening,
    nan_error,
    optimizer_state,
    per_execution,
    sample,
    schedule_callbacks,
)
from .split import MAX_AUTO_LOOKBACK, Split, plan  # noqa: F401 - re-exported
from .windows import Windows


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
    from .devices import place
    from .nets import build_model, patch_for, patch_of, precision
    from .seeding import set_determinism, set_seed

    # first: the backend starts here unless it runs already, and a multi-worker strategy
    # must exist before any other TensorFlow op
    placement = place(config.device, config.mixed_precision, config.distribute, config.backend)
    set_seed(config.seed, placement.backend)
    set_determinism(placement.backend, config.deterministic)
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
                ensemble=config.ensemble or 1,
                patch=patch_for(windows.lookback),
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
        "patch": patch_of(run.model),  # rows per recurrent step (nets.patch_for)
        "distribute": config.distribute,
        **placement.to_dict(),
    }
    return run.model, hist, summary


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

    from .nets import compile_model

    if keras.backend.backend() == "tensorflow":  # one tensor shared by both tf.data pipelines
        import tensorflow as tf

        windows = replace(windows, values=tf.constant(windows.values, dtype=tf.float32))
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
    stopper, plateau = schedule_callbacks(config, resume)
    progress = _progress_callback(config.time_budget, report, stop, stopper, epochs)
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        initial_epoch=first_epoch,
        epochs=epochs,
        steps_per_epoch=steps,
        callbacks=[keras.callbacks.TerminateOnNaN(), stopper, plateau, progress],
        shuffle=False,  # the pipeline (tf.data or PyDataset) shuffles the window origins itself
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

