"""Keras architectures: the LSTM and its family, all with direct multi-horizon output.

Every recurrent layer keeps the cuDNN conditions (tanh/sigmoid, no
``recurrent_dropout``, ``unroll=False``, ``use_bias=True``) so GPUs run the fast kernel.
No Lambda or custom layers: bundles load with ``safe_mode=True``.
"""

from __future__ import annotations

from typing import Any

ARCHS = ("lstm", "gru", "bilstm", "attention")


def build_model(
    lookback: int,
    n_features: int,
    horizon: int,
    units: int = 64,
    layers: int = 1,
    arch: str = "lstm",
    dropout: float = 0.0,
    learning_rate: float = 1e-3,
) -> Any:
    """Build and compile a regressor ``(batch, lookback, n_features) -> (batch, horizon)``.

    Args:
        arch: ``lstm`` (stacked when ``layers`` > 1), ``gru``, ``bilstm`` (reads the window
            both ways) or ``attention`` (attention of the last hidden state over all of them).
        dropout: applied between layers and before the head, never inside the recurrence.
    """
    import keras
    from keras import layers as kl

    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(ARCHS)}; got '{arch}'")
    inputs = keras.Input((lookback, n_features), name="window")  # (batch, lookback, F)
    x = inputs
    rnn = kl.GRU if arch == "gru" else kl.LSTM
    for i in range(layers):
        last = i == layers - 1
        if arch == "attention" and last:
            seq, h, _ = kl.LSTM(units, return_sequences=True, return_state=True, name=f"lstm_{i}")(x)
            query = kl.Reshape((1, units))(h)  # (batch, 1, units)
            context = kl.Flatten()(kl.Attention(name="attention")([query, seq]))  # (batch, units)
            x = kl.Concatenate()([h, context])  # (batch, 2 units)
            break
        layer = rnn(units, return_sequences=not last, name=f"{'gru' if arch == 'gru' else 'lstm'}_{i}")
        x = kl.Bidirectional(layer, name=f"bidirectional_{i}")(x) if arch == "bilstm" else layer(x)
        if dropout and not last:
            x = kl.Dropout(dropout)(x)
    if dropout:
        x = kl.Dropout(dropout)(x)
    outputs = kl.Dense(horizon, name="horizon")(x)  # (batch, horizon)
    model = keras.Model(inputs, outputs, name=f"forecast_{arch}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=1.0),
        loss="mae",
    )
    return model
