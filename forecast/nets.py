"""Keras architectures: the LSTM and its family, all with direct multi-horizon output.

Every recurrent layer keeps the cuDNN conditions (tanh/sigmoid, no
``recurrent_dropout``, ``unroll=False``, ``use_bias=True``) so GPUs run the fast kernel.
No Lambda or custom layers: bundles load with ``safe_mode=True``. The output layer
computes in float32 even under mixed precision (see :func:`precision`). The output layer
starts at zero weights: before the first step the network forecasts exactly its base
(the preprocessor's anchor: last value or season) and learns a correction to it, which
takes fewer steps than learning the level from random outputs.

A long lookback is read in *patches*: the recurrence runs at most ``MAX_STEPS`` steps, each
over ``patch`` consecutive rows side by side (``(lookback, F)`` -> ``(lookback / patch,
patch x F)``, a ``Reshape``; the oldest ``lookback % patch`` rows are cropped). An LSTM's
cost is its sequential steps, so a 336-row lookback in patches of 2 trains ~2x faster per
window and reads the same rows (bench/SPEED.md).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from .config import ARCHS  # noqa: F401 - the choices are declared once, in config

_START_SPREAD = 0.1  # scaled units between quantile levels before training (learnt from step 1)
ENSEMBLE_STEPS = 100_000  # training windows x lookback below which 3 networks train side by side
ENSEMBLE_SMALL = 3


def ensemble_for(train_windows: int, lookback: int) -> int:
    """Networks in the default ensemble: 3 where an epoch is cheap (training windows x lookback
    below :data:`ENSEMBLE_STEPS`: the short monthly and quarterly sets, a few seconds each) and
    one seed can go astray, else 1: the networks run one after the other on a CPU, so three
    cost three times (us_gasoline, 917 windows x 336 steps: 34 s -> 97 s of training)."""
    return ENSEMBLE_SMALL if train_windows * lookback < ENSEMBLE_STEPS else 1

MAX_STEPS = 168  # recurrent steps at most: longer lookbacks are read in patches of rows. A week
# of hours stays row by row (ETTh1 backtest in patches of 2: MASE 0.53-0.54 on 3 seeds, rows
# 0.49); the README sample's 336 half-hours go in pairs: 2.3x faster, MASE 0.223 (bench/SPEED.md)


def patch_for(lookback: int) -> int:
    """Rows per recurrent step for ``lookback``: 1 up to ``MAX_STEPS`` rows, else the fewest
    rows that keep the recurrence (``lookback // patch`` steps) within ``MAX_STEPS``."""
    return max(1, lookback // (MAX_STEPS + 1) + 1)


def build_model(
    lookback: int,
    n_features: int,
    horizon: int,
    units: int = 64,
    layers: int = 1,
    arch: str = "lstm",
    dropout: float = 0.0,
    learning_rate: float = 1e-3,
    quantiles: list[float] | None = None,
    steps_per_execution: int = 1,
    jit_compile: bool = True,
    ensemble: int = 1,
    patch: int = 1,
) -> Any:
    """Build and compile a regressor ``(batch, lookback, n_features) -> (batch, horizon[, q])``.

    Args:
        quantiles: ascending levels; the model then outputs ``(batch, horizon, q)`` trained
            with the pinball loss, non-crossing by construction (see :func:`_quantile_head`).
            None: a point forecast ``(batch, horizon)`` trained with MAE.
        arch: ``lstm`` (stacked when ``layers`` > 1), ``gru``, ``bilstm`` (reads the window
            both ways) or ``attention`` (attention of the last hidden state over all of them).
        dropout: applied between layers and before the head, never inside the recurrence.
        steps_per_execution: batches per call of the compiled training step (see ``compile``).
        jit_compile: let the CPU training step be compiled with XLA (see ``compile_model``).
        ensemble: independent networks side by side on the same input (seeded apart by their
            own initial weights), each trained on its own loss; the output gains a members
            axis, ``(batch, ensemble, horizon[, q])``, whose median is the forecast
            (:func:`forecast.numpy_net.ensemble_median`). Branch 0 keeps the plain layer
            names; branch ``k`` prefixes them with ``m{k}_``.
        patch: rows per recurrent step (see :func:`patch_for`); 1 reads the window row by row.
            Every network of an ensemble reads the same patches.
    """
    import keras
    from keras import layers as kl

    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(ARCHS)}; got '{arch}'")
    inputs = keras.Input((lookback, n_features), name="window")  # (batch, lookback, F)
    x = inputs
    if patch > 1:
        cut = lookback % patch  # the oldest rows that do not fill a patch
        if cut:
            x = kl.Cropping1D((cut, 0), name="crop")(x)
        # (batch, lookback // patch, patch * F): consecutive rows side by side
        x = kl.Reshape(((lookback - cut) // patch, patch * n_features), name="patches")(x)
    if ensemble == 1:
        outputs = _network(x, horizon, units, layers, arch, dropout, quantiles)
    else:  # each branch (batch, horizon[, q]) -> (batch, 1, horizon[, q]), stacked on axis 1
        branches = [_network(x, horizon, units, layers, arch, dropout, quantiles, f"m{k}_" if k else "")
                    for k in range(ensemble)]
        outputs = kl.Concatenate(axis=1, name="ensemble", dtype="float32")(
            [kl.Reshape((1, *b.shape[1:]))(b) for b in branches]
        )
    model = keras.Model(inputs, outputs, name=f"forecast_{arch}")
    compile_model(model, learning_rate, quantiles, steps_per_execution, jit_compile)
    return model


def _network(
    inputs: Any, horizon: int, units: int, layers: int, arch: str, dropout: float,
    quantiles: list[float] | None, prefix: str = "",
) -> Any:
    """One network of the family on ``inputs``: ``(batch, horizon[, q])``, its layers named
    with ``prefix`` (empty for the first, so single networks keep their names)."""
    from keras import layers as kl

    rnn = kl.GRU if arch == "gru" else kl.LSTM
    x = inputs
    for i in range(layers):
        last = i == layers - 1
        if arch == "attention" and last:
            seq, h, _ = kl.LSTM(units, return_sequences=True, return_state=True, name=f"{prefix}lstm_{i}")(x)
            query = kl.Reshape((1, units))(h)  # (batch, 1, units)
            context = kl.Flatten()(kl.Attention(name=f"{prefix}attention")([query, seq]))  # (batch, units)
            x = kl.Concatenate()([h, context])  # (batch, 2 units)
            break
        layer = rnn(units, return_sequences=not last, name=f"{prefix}{'gru' if arch == 'gru' else 'lstm'}_{i}")
        x = kl.Bidirectional(layer, name=f"{prefix}bidirectional_{i}")(x) if arch == "bilstm" else layer(x)
        if dropout and not last:
            x = kl.Dropout(dropout)(x)
    if dropout:
        x = kl.Dropout(dropout)(x)
    if quantiles:
        median_at = quantiles.index(0.5) if 0.5 in quantiles else None
        outputs = _quantile_head(x, horizon, len(quantiles), median_at, prefix)  # (batch, horizon, q)
    else:
        # zero weights: the untrained network forecasts exactly its base (see module docstring)
        outputs = kl.Dense(horizon, name=f"{prefix}horizon", dtype="float32", kernel_initializer="zeros")(x)
    return outputs


def patch_of(model: Any) -> int:
    """Rows per recurrent step of a built ``model`` (1 when it reads row by row)."""
    names = [layer.name for layer in model.layers]
    if "patches" not in names:
        return 1
    return int(model.get_layer("patches").target_shape[-1]) // int(model.inputs[0].shape[-1])


@contextlib.contextmanager
def precision(mixed: bool) -> Iterator[None]:
    """Build models inside with the ``mixed_float16`` policy (when ``mixed``), then go back.

    Layers keep float32 weights and compute in float16 (GPU tensor cores); the output
    layer computes in float32, and ``compile`` wraps Adam in a loss-scale optimizer.
    The previous global policy is restored on exit, so later models are unaffected.
    """
    import keras

    if not mixed:
        yield
        return
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def compile_model(
    model: Any,
    learning_rate: float,
    quantiles: list[float] | None,
    steps_per_execution: int = 1,
    jit_compile: bool = True,
) -> None:
    """Adam with gradient clipping; pinball loss for quantile outputs, MAE otherwise.

    On the CPU the training step asks for XLA when ``jit_compile``: 1.3-1.9x the throughput
    (bench/speed.py) for a compile of 5-15 s, so small data goes without (see
    ``training.XLA_WINDOWS``). Keras turns XLA off while TF op determinism is on
    (``deterministic=True``). On GPUs the cuDNN kernels are left to Keras. On JAX the step is
    always compiled (XLA: without it JAX runs op by op); on PyTorch it is not (``torch.compile``
    is Keras' "auto" choice there, off), and PyTorch runs one batch per call.
    """
    import keras

    members = len(model.output.shape) == (4 if quantiles else 3)  # an ensemble's members axis
    loss: Any = pinball_loss(quantiles) if quantiles or members else "mae"
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        jit: Any = jit_compile and not tf.config.list_physical_devices("GPU")
    else:
        jit = "auto"
    with warnings.catch_warnings():
        # Keras falls back to no XLA, with a warning, for layers XLA cannot compile
        warnings.filterwarnings("ignore", message=".*doesn't support `jit_compile=True`.*")
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=1.0),
            loss=loss,
            jit_compile=jit,
            steps_per_execution=1 if backend == "torch" else steps_per_execution,
        )


def _quantile_head(x: Any, horizon: int, n_q: int, median_at: int | None = None, prefix: str = "") -> Any:
    """Quantiles that cannot cross: the lowest level plus cumulative non-negative increments.

    ``base (batch, horizon, 1)`` and ``softplus`` increments ``(batch, horizon, q-1)`` are
    concatenated into ``v`` and multiplied by a fixed matrix ``T`` (``T[0, :] = 1``,
    ``T[i, j] = 1`` for ``1 <= i <= j``): level ``j`` = base + sum of the first ``j``
    increments, so each level is at least the one below, for any weights and inputs.
    """
    import numpy as np
    from keras import initializers
    from keras import layers as kl

    # zero kernels: at the start every window gets the base forecast as its median and
    # increments of _START_SPREAD between levels (median = base + median_at x spread)
    below = median_at if median_at is not None else (n_q - 1) // 2
    start = initializers.Constant(-below * _START_SPREAD)
    base = kl.Dense(horizon, name=f"{prefix}quantile_base", kernel_initializer="zeros", bias_initializer=start)(x)
    base = kl.Reshape((horizon, 1))(base)
    inverse_softplus = float(np.log(np.expm1(_START_SPREAD)))
    steps = kl.Dense(horizon * (n_q - 1), name=f"{prefix}quantile_steps", kernel_initializer="zeros",
                     bias_initializer=initializers.Constant(inverse_softplus))(x)
    steps = kl.Activation("softplus")(kl.Reshape((horizon, n_q - 1))(steps))
    v = kl.Concatenate(axis=-1)([base, steps])  # (batch, horizon, q)
    cumulative = kl.Dense(
        n_q, use_bias=False, trainable=False, name=f"{prefix}quantile_cumsum", dtype="float32"
    )
    out = cumulative(v)
    t = np.triu(np.ones((n_q, n_q), dtype="float32"))
    t[0, :] = 1.0
    t[1:, 0] = 0.0
    cumulative.set_weights([t])
    return out


def pinball_loss(quantiles: list[float] | None) -> Any:
    """Mean pinball (quantile) loss of ``(batch, [members,] horizon, q)`` outputs for ``(batch,
    horizon)`` targets; MAE for point outputs (``quantiles`` None) with a members axis."""
    from keras import ops

    per_window = window_loss(quantiles)

    def pinball(y_true: Any, y_pred: Any) -> Any:
        return ops.mean(per_window(y_true, y_pred))  # windows weigh alike: the mean of all

    return pinball


def window_loss(quantiles: list[float] | None) -> Any:
    """The training loss of each window: ``(batch, horizon)`` targets -> ``(batch,)``.

    Pinball averaged over horizon and levels for quantile outputs, MAE otherwise; the
    mean over windows is the compiled loss. Custom training loops (forecast.distribute)
    sum it and divide by the global batch size.
    """
    from keras import ops

    def aligned(y_true: Any, y_pred: Any) -> tuple[Any, tuple[int, ...]]:
        """``y_true`` broadcastable to ``y_pred`` (an ensemble adds a members axis after the
        batch): each member is scored on its own, the mean of their losses is trained."""
        rank = len(y_pred.shape)
        y = ops.expand_dims(y_true, -1) if quantiles else y_true  # (batch, horizon[, 1])
        if rank == len(y.shape) + 1:
            y = ops.expand_dims(y, 1)  # (batch, 1, horizon[, 1])
        return y, tuple(range(1, rank))

    if not quantiles:
        def mae(y_true: Any, y_pred: Any) -> Any:
            y, axes = aligned(y_true, y_pred)
            return ops.mean(ops.abs(y - y_pred), axis=axes)

        return mae
    levels = ops.convert_to_tensor(quantiles, dtype="float32")

    def pinball(y_true: Any, y_pred: Any) -> Any:
        y, axes = aligned(y_true, y_pred)
        err = y - y_pred  # (batch, [members,] horizon, q)
        return ops.mean(ops.maximum(levels * err, (levels - 1.0) * err), axis=axes)

    return pinball
