"""Training over several devices or machines: ``--distribute mirrored`` and ``multi-worker``.

``model.fit`` fails under ``MultiWorkerMirroredStrategy`` in Keras 3 (keras-team/keras#20585),
so both strategies share one custom loop: a ``tf.function`` step run with ``strategy.run``
over ``strategy.experimental_distribute_dataset``, the same Keras model and optimizer made
inside ``strategy.scope()``, and the callbacks of the ``model.fit`` path: the same
EarlyStopping and ReduceLROnPlateau objects (``schedule.schedule_callbacks``) driven by hand
through a ``CallbackList``; the NaN check, the time budget and the stop event in the loop.

Workers of a cluster must take every decision together or one waits forever for the
others: each step all-reduces, with the losses, a flag "some worker wants to stop", so a
stop (Ctrl-C, SIGTERM, time budget) takes effect on all of them after the same batch, at
most one batch later than with ``model.fit``. Losses, validation and the early stopping that
follows from them are computed from all-reduced sums, hence identical on every worker.

Importing this module does not import TensorFlow (``worker_role`` serves the CLI).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .config import TrainConfig
from .errors import ConfigError
from .windows import Windows

_STRATEGIES: dict[str, Any] = {}  # kept per process: MultiWorkerMirroredStrategy is made once
TF_CONFIG_EXAMPLE = (
    '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}'
)


def _cluster() -> tuple[dict[str, list[str]], str, int]:
    """The cluster, this task's type and index, from ``TF_CONFIG``.

    Raises:
        ConfigError: ``TF_CONFIG`` missing, not JSON, or naming a task outside the cluster.
    """
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        raise ConfigError(
            "--distribute multi-worker needs TF_CONFIG naming the cluster and this worker, "
            f"e.g. TF_CONFIG='{TF_CONFIG_EXAMPLE}'."
        )
    try:
        spec = json.loads(text)
        cluster = {k: list(v) for k, v in spec["cluster"].items()}
        kind, index = str(spec["task"]["type"]), int(spec["task"].get("index", 0))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(
            f"TF_CONFIG is not a cluster description like '{TF_CONFIG_EXAMPLE}'."
        ) from None
    if kind not in ("chief", "worker") or not 0 <= index < len(cluster.get(kind, [])):
        raise ConfigError(
            f"TF_CONFIG's task {kind} {index} is not a chief or worker of its cluster "
            f"({', '.join(f'{k}: {len(v)}' for k, v in cluster.items())}); "
            "fix task.type/task.index."
        )
    return cluster, kind, index


def worker_role() -> tuple[str, bool]:
    """This process's role in the ``TF_CONFIG`` cluster, and whether it is the chief.

    The chief is the task of type ``chief``, or worker 0 when the cluster has no chief;
    only the chief writes the bundle.

    Returns:
        e.g. ``("worker 1 of 2", False)``.
    """
    cluster, kind, index = _cluster()
    chief = kind == "chief" or (index == 0 and "chief" not in cluster)
    return f"{kind} {index} of {len(cluster[kind])}{' (chief)' if chief else ''}", chief


def is_chief(distribute: str) -> bool:
    """Whether this process writes the bundle: always, except a non-chief multi-worker task."""
    return distribute != "multi-worker" or worker_role()[1]


def make_strategy(kind: str) -> Any:
    """The process's ``mirrored`` or ``multi-worker`` strategy, made once and kept.

    ``mirrored`` spans every visible GPU, or with none every logical CPU device (one,
    unless configured otherwise: then a single replica). ``multi-worker`` reads
    ``TF_CONFIG`` and must be made before any other TensorFlow op.
    """
    import tensorflow as tf

    if kind not in _STRATEGIES:
        if kind == "multi-worker":
            _cluster()  # a one-line error rather than TensorFlow's
            _STRATEGIES[kind] = tf.distribute.MultiWorkerMirroredStrategy()
        elif kind == "mirrored":
            devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
            _STRATEGIES[kind] = tf.distribute.MirroredStrategy([d.name for d in devices])
        else:
            raise ConfigError(
                f"Unknown --distribute '{kind}'. Choose from none, mirrored, multi-worker."
            )
    return _STRATEGIES[kind]


def fit_distributed(
    strategy: Any,
    build: Callable[[], Any],
    windows: Windows,
    config: TrainConfig,
    report: Callable[[int, dict[str, float]], None] | None = None,
    stop: threading.Event | None = None,
    resume: Any = None,
) -> Any:
    """Train with ``strategy`` as :func:`forecast.training.fit_model` trains with ``model.fit``.

    Each replica takes ``batch_size`` windows of a global batch of ``batch_size`` x replicas;
    its loss is summed over windows and divided by the global batch size, so the all-reduced
    gradient is that of the mean loss. Gradient clipping (Adam's ``clipnorm``) applies to each
    replica's part before the all-reduce.

    Args:
        build: makes and compiles the model (called inside ``strategy.scope()``, and once
            more outside it for the returned copy).
        resume: a :class:`forecast.training.Resume` to continue from.

    Returns:
        A :class:`forecast.training.Run`; its model is an ordinary (undistributed) copy with
        the best weights and the optimizer state, ready to save, evaluate or resume.

    Raises:
        TrainingError: when the loss becomes NaN or infinite.
    """
    import keras
    import tensorflow as tf

    from .nets import window_loss
    from .schedule import (
        VAL_BATCH,
        Run,
        _restore_optimizer,
        epoch_steps,
        nan_error,
        optimizer_state,
        schedule_callbacks,
    )

    replicas = int(strategy.num_replicas_in_sync)
    global_batch = config.batch_size * replicas
    options = tf.data.Options()  # every worker reads all windows and keeps its share of each batch
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA

    def distributed(part: str, batch: int, shuffle: bool) -> Any:
        ds = windows.dataset(part, batch, shuffle, config.seed, repeat=shuffle)
        return strategy.experimental_distribute_dataset(ds.with_options(options))

    # endless, reshuffled windows, as model.fit reads them; same seed: same order on every worker
    train_batches = iter(distributed("train", global_batch, True))
    steps = epoch_steps(len(windows.train), global_batch)
    val_ds = distributed("validation", min(VAL_BATCH, len(windows.validation)) * replicas, False)
    with strategy.scope():
        model = build()
        if resume is not None:
            try:
                model.set_weights(resume.model.get_weights())
            except ValueError:
                raise ConfigError(
                    "The bundle's weights do not fit this model; --resume needs the same "
                    "architecture flags as the first run (or train without --resume)."
                ) from None
            _restore_optimizer(model, resume.optimizer_state)
        else:
            model.optimizer.build(model.trainable_variables)
    optimizer, per_window = model.optimizer, window_loss(config.quantiles)
    total_sum = tf.distribute.ReduceOp.SUM

    def train_replica(x: Any, y: Any, flag: Any) -> Any:
        with tf.GradientTape() as tape:
            losses = per_window(y, tf.cast(model(x, training=True), tf.float32))  # (batch,)
            total = tf.reduce_sum(losses)
            scaled = optimizer.scale_loss(total / global_batch)  # loss scaling: mixed precision
        grads = tape.gradient(scaled, model.trainable_variables)
        # Keras all-reduces (sums) the replicas' gradients here, then applies them on each
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        stats = tf.stack([total, tf.cast(tf.shape(y)[0], tf.float32), flag])
        return tf.distribute.get_replica_context().all_reduce(total_sum, stats)

    def val_replica(x: Any, y: Any) -> Any:
        losses = per_window(y, tf.cast(model(x, training=False), tf.float32))
        stats = tf.stack([tf.reduce_sum(losses), tf.cast(tf.shape(y)[0], tf.float32)])
        return tf.distribute.get_replica_context().all_reduce(total_sum, stats)

    def agree_replica(flag: Any) -> Any:
        # identity: a tensor made on the replica's device (an input alone has no destination)
        return tf.distribute.get_replica_context().all_reduce(total_sum, tf.identity(flag))

    def first(result: Any) -> np.ndarray:
        return strategy.experimental_local_results(result)[0].numpy()

    # reduce_retracing: the last, partial batch has another shape
    train_step = tf.function(
        lambda b, f: strategy.run(train_replica, args=(*b, f)), reduce_retracing=True
    )
    val_step = tf.function(lambda b: strategy.run(val_replica, args=b), reduce_retracing=True)
    agree_fn = tf.function(lambda f: strategy.run(agree_replica, args=(f,)))

    start = time.perf_counter()

    def wanted() -> str | None:
        """Why this worker wants to stop now, if it does."""
        if stop is not None and stop.is_set():
            return "interrupt"
        return "time budget" if time.perf_counter() - start > config.time_budget else None

    def flag(reason: str | None) -> Any:
        return tf.constant(1.0 if reason else 0.0)

    first_epoch = resume.epochs_done if resume else 0
    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "learning_rate": []}
    # the callbacks of the model.fit path, the same objects, driven by hand
    stopper, plateau = schedule_callbacks(config, resume)
    callbacks = keras.callbacks.CallbackList([stopper, plateau], model=model)
    callbacks.on_train_begin()
    halted: str | None = None
    for epoch in range(first_epoch, max(config.epochs, first_epoch + 1)):
        loss_sum = count = 0.0
        for _ in range(steps):
            batch = next(train_batches)
            reason = wanted()
            total, n, stops = first(train_step(batch, flag(reason)))
            if not np.isfinite(total):
                raise nan_error(epoch + 1, config.learning_rate)
            loss_sum, count = loss_sum + total, count + n
            if stops > 0:  # every worker sees the same sum: all leave after this batch
                halted = reason or "interrupt"  # another worker's Ctrl-C, SIGTERM or budget
                break
        v_sum = v_count = 0.0
        for batch in val_ds:
            s, n = first(val_step(batch))
            v_sum, v_count = v_sum + s, v_count + n
        logs = {
            "loss": float(loss_sum / max(count, 1.0)),
            "val_loss": float(v_sum / max(v_count, 1.0)),
            "learning_rate": float(np.asarray(optimizer.learning_rate)),
        }
        for key, value in logs.items():
            history[key].append(value)
        # the same losses on every worker, so the same decisions
        callbacks.on_epoch_end(epoch, dict(logs))
        seconds = time.perf_counter() - start
        run = epoch + 1 - first_epoch
        left = min(config.patience - stopper.wait, config.epochs - epoch - 1)  # if no improvement comes
        estimate = min(config.time_budget - seconds, max(left, 0) * seconds / run)
        info = {**logs, "seconds": seconds, "remaining": max(0.0, estimate)}
        if report:
            report(epoch + 1, info)
        if halted is None and first(agree_fn(flag(wanted()))) > 0:
            halted = wanted() or "interrupt"
        if halted or stopper.stopped_epoch:
            break
    callbacks.on_train_end()  # the best weights back
    plain = build()  # outside the strategy: saves, predicts and resumes like any model
    plain.set_weights(model.get_weights())
    _restore_optimizer(plain, optimizer_state(model))
    stopped_by = halted or ("early stopping" if stopper.stopped_epoch > 0 else "epoch limit")
    return Run(plain, history, stopped_by, int(stopper.best_epoch))
