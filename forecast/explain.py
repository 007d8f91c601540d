"""Open the box: LSTM gates recomputed from the weights, feature importance, attention weights.

The gates are recomputed in NumPy from the trained weights, step by step, with
Keras's equations (gate order input, forget, cell candidate, output):

    z_t = x_t W + h_{t-1} U + b                  # (units * 4,)
    i_t, f_t, g_t, o_t = sigmoid, sigmoid, tanh, sigmoid of the four parts of z_t
    c_t = f_t * c_{t-1} + i_t * g_t              # the cell state
    h_t = o_t * tanh(c_t)                        # the hidden state
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import timefmt
from .jsonchecks import plain_json
from .numpy_net import lstm_states, patches


def lstm_steps(x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> dict[str, np.ndarray]:
    """Run one LSTM layer over ``x`` ``(time, inputs)`` and keep every gate.

    Returns:
        ``input``, ``forget``, ``output`` gates, the cell ``candidate``, ``cell`` state and
        ``hidden`` state, each ``(time, units)``.
    """
    states = lstm_states(np.asarray(x, dtype="float64")[None], kernel, recurrent, bias, keep_gates=True)
    return {name: value[0] for name, value in states.items()}


def recurrent_layers(model: Any) -> list[Any]:
    """The model's LSTM layers in order (the forward direction of a Bidirectional one); of an
    ensemble, those of its first network (the others' names start ``m1_``, ``m2_``...)."""
    import re

    found = []
    for layer in model.layers:
        if re.match(r"m\d+_", layer.name):
            continue
        inner = getattr(layer, "forward_layer", layer)
        if inner.__class__.__name__ == "LSTM":
            found.append(inner)
    return found


def gates(model: Any, window: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Gate activations of every stacked LSTM layer for one scaled window ``(lookback, F)``,
    one per recurrent step (a step per row, or per patch of rows: ``nets.patch_for``).

    Layers after the first read the hidden states of the one before (dropout is off at
    inference). For ``bilstm`` only the forward direction is stacked like this, so only
    the first layer's forward gates are exact there; the others are returned for LSTM and
    attention models.
    """
    layers = recurrent_layers(model)
    out = []
    x = np.asarray(window, dtype="float64")
    bidirectional = any(layer.__class__.__name__ == "Bidirectional" for layer in model.layers)
    for k, layer in enumerate(layers):
        if bidirectional and k > 0:
            break
        kernel, recurrent, bias = (np.asarray(w, dtype="float64") for w in layer.get_weights())
        if k == 0:  # a long lookback is read in patches of rows (nets.patch_for)
            x = patches(x[None], kernel.shape[0])[0]  # (steps, patch F)
        steps = lstm_steps(x, kernel, recurrent, bias)
        out.append(steps)
        x = steps["hidden"]
    return out


def attention_weights(model: Any, window: np.ndarray) -> np.ndarray | None:
    """Weights ``(steps,)`` the attention layer puts on each encoder state (one per row, or per
    patch of rows), or None.

    The query is the encoder's last hidden state, the keys (and values) its hidden
    states at every step; the weights are the softmax of their dot products, as in
    Keras ``Attention`` with its defaults (dot scores, no scale).
    """
    if "attention" not in [layer.name for layer in model.layers]:
        return None
    states = gates(model, window)[-1]["hidden"]  # (lookback, units): the encoder's states
    scores = states @ states[-1]  # (lookback,)
    weights = np.exp(scores - scores.max())
    return weights / weights.sum()


def permutation_importance(
    predict: Any, x: np.ndarray, actual: np.ndarray, names: list[str], segments: int = 4, seed: int = 0
) -> dict[str, dict[str, float]]:
    """How much the test MAE grows when one input is shuffled across windows.

    Args:
        predict: maps windows ``(n, lookback, F)`` to point forecasts ``(n, horizon)``.
        x: scaled test windows ``(n, lookback, F)``; actual: ``(n, horizon)``.
        names: the F feature names.
        segments: the lookback is also cut into this many parts, most recent first.

    Returns:
        ``{"features": {name: MAE increase}, "lookback": {"steps a..b back": increase}, "base_mae": ...}``
    """
    rng = np.random.default_rng(seed)
    base = float(np.mean(np.abs(predict(x) - actual)))

    def shuffled(mask: tuple[Any, ...]) -> float:
        x2 = x.copy()
        order = rng.permutation(len(x))
        x2[mask] = x[order][mask]
        return float(np.mean(np.abs(predict(x2) - actual))) - base

    lookback = x.shape[1]
    features = {name: shuffled((slice(None), slice(None), j)) for j, name in enumerate(names)}
    # from the end backwards, at most one part a step (a lookback of 2 in 4 parts had empty "steps 2-1 back")
    edges = np.linspace(lookback, 0, min(segments, lookback) + 1).round().astype(int)
    parts = {}
    for newest, oldest in zip(edges[:-1], edges[1:]):
        first, last = lookback - newest + 1, lookback - oldest
        label = f"steps {first}-{last} back" if last > first else f"step {first} back"
        parts[label] = shuffled((slice(None), slice(oldest, newest), slice(None)))
    return {"base_mae": base, "features": features, "lookback": parts}


WIDER = 4  # windows importance is measured on where the test part holds one


def explain_bundle(
    bundle: Path, data: Path | None = None, at: str | None = None, series: str | None = None
) -> dict[str, Any]:
    """Explain a bundle and add the pictures (and ``explain.json``) to it, report included.

    Args:
        bundle: the bundle directory.
        data: history CSV (default: the training CSV).
        at: end of the explained window (default: the last row).
        series: the series of a several-series bundle to explain (default: the first one long
            enough for a window and a test part).

    Returns:
        ``window_end``, ``importance``, ``attention`` (or None), ``files`` written, ``notes``.
    """
    import json

    import pandas as pd

    from . import bundle as bundles
    from .dateformats import periods_as_dates
    from .errors import DataError
    from .explain_plots import attention_plot, cell_edges, gates_plot, importance_plot
    from .forecaster import Forecaster
    from .nets import patch_of
    from .predicting import as_written, load_histories
    from .report import render
    from .windows import gather, origins

    forecaster = Forecaster.load(bundle, engine="keras")  # the gates read the Keras layers
    pre = forecaster.preprocessor_
    histories = load_histories(forecaster, data, series)
    name, frame = _series_to_explain(forecaster, histories, series)
    notes: list[str] = []

    def said(row: int) -> str:  # a row's time as the history file wrote it (2019 Q4, not 2019-10-01)
        return timefmt.when(as_written(frame.iloc[row : row + 1], histories).index[0])

    if name is not None:
        notes.append(f"series '{name}' explained" + (" (--series picks another)" if series is None else ""))
    if not forecaster.reads_network(name):
        notes.append(f"this explains the {forecaster.config.arch} network; the bundle's forecast is "
                     f"{forecaster.choice_['label']}, which does not read it")
    end = len(frame) - 1
    if at is not None:
        try:
            when = pd.Timestamp(periods_as_dates(pd.Series([str(at)])).iloc[0])  # 2019 Q3, 2015-W02 as written
            end = int(frame.index.searchsorted(when, side="right")) - 1
        except (pd.errors.OutOfBoundsDatetime, OverflowError):
            raise DataError(
                f"--at {at} lies outside the dates pandas can hold ({pd.Timestamp.min:%Y-%m-%d} .. "
                f"{pd.Timestamp.max:%Y-%m-%d}). Give a time within the data."
            ) from None
        except (ValueError, TypeError):
            raise DataError(f"--at '{at}' is not a time. Give one like 2018-06-01 12:00.") from None
        if when > frame.index[-1]:
            raise DataError(
                f"--at {at} is after the last row of the data ({said(len(frame) - 1)}); nothing ends "
                "there to explain. Give a time up to the last row, or leave --at out."
            )
    last_known = len(frame) - 1 - (pre.horizon if pre.future else 0)  # the --future values end there
    if end > last_known:
        if at is not None:
            raise DataError(
                f"--at {at}: the window would read the known-future column(s) {', '.join(pre.future)} "
                f"after the last row of the data. Give a time at least {pre.horizon} steps before the end "
                f"(up to {said(last_known)})."
            )
        end = last_known
    if end + 1 < pre.lookback:
        raise DataError(
            f"--at {at} leaves {end + 1} rows of history; the window needs {pre.lookback}. Pick a later time."
        )
    values = pre.transform(frame, name)  # (rows, F)
    window = values[end + 1 - pre.lookback : end + 1]  # (lookback, F)
    times = frame.index[end + 1 - pre.lookback : end + 1]
    writers: dict[str, Any] = {}
    seen = pre.encode_inputs(window[None])[0]  # what the network reads
    layers = gates(forecaster.model_, seen)
    patch = patch_of(forecaster.model_)
    cut = pre.lookback % patch  # rows before the first patch (cropped)
    if layers:
        history = frame[pre.target].iloc[end + 1 - pre.lookback : end + 1]
        edges = cell_edges(times)[cut::patch]  # a recurrent step spans its patch of rows
        writers["gates.png"] = lambda p: gates_plot(history, layers[0], p, edges)
    else:
        notes.append(f"the {forecaster.config.arch} architecture has no LSTM layer: no gate heatmaps")
    test_rows = int(forecaster.data_["split"]["test_rows"]) or pre.horizon
    o = origins(max(pre.lookback, len(frame) - test_rows), len(frame), pre.lookback, pre.horizon, stride=pre.horizon)
    if len(o) < 2:  # shuffling an input across one window changes nothing (every importance +0): the last
        wider = origins(len(frame) - WIDER * pre.horizon, len(frame), pre.lookback, pre.horizon,  # windows,
                        stride=pre.horizon)  # some of them trained on
        if len(wider) < 2:
            raise DataError(f"{data.name if data is not None else 'The training file'} holds "
                            f"{timefmt.count(len(wider), 'window')} of {pre.horizon} steps after the "
                            f"{pre.lookback}-row lookback; permutation importance shuffles each input across "
                            f"windows and needs at least 2. Give --data with at least "
                            f"{pre.lookback + 2 * pre.horizon} rows.")
        notes.append(f"the test part holds {timefmt.count(len(o), 'window')}: importance is measured on the last "
                     f"{len(wider)} windows, which the network may have trained on")
        o = wider
    x, _ = gather(values, o, pre.lookback, pre.horizon)  # (windows, lookback, F)
    actual = frame[pre.target].to_numpy()[o[:, None] + np.arange(pre.horizon)]
    importance = permutation_importance(
        lambda w: forecaster.point(forecaster.forward(w, name)), x, actual, pre.input_names
    )
    writers["importance.png"] = lambda p: importance_plot(importance, p)
    weights = attention_weights(forecaster.model_, seen)
    if weights is not None:
        steps = times[cut + patch - 1 :: patch]  # each step at its patch's last row
        writers["attention.png"] = lambda p: attention_plot(steps, weights, p)
    summary = {
        "series": name,
        "window_end": str(frame.index[end]),
        "importance": importance,
        "attention": None if weights is None else weights.tolist(),
        "notes": notes,
    }
    writers["explain.json"] = lambda p: p.write_text(json.dumps(plain_json(summary), indent=2, allow_nan=False))
    meta = bundles.read_meta(bundle)
    report = "report.html updated" if (bundle / "report.html").exists() else "report.html written"  # --no-report: new
    writers["report.html"] = lambda p: p.write_text(render(p.parent, meta), encoding="utf-8")
    bundles.update(bundle, writers)
    return {**summary, "files": [n for n in writers if n != "report.html"],
            "window_end_written": said(end), "report": report}


def _series_to_explain(forecaster: Any, history: Any, series: str | None) -> tuple[str | None, Any]:
    """The series name (None for a one-series bundle) and its history frame: the one asked for,
    else the first whose rows hold a window and the test part's windows after it."""
    if not forecaster.data_.get("series"):
        return None, history.frame
    if series is not None:
        return series, history.frames[series]
    pre = forecaster.preprocessor_
    frames = history.frames
    name = next((n for n, f in frames.items() if len(f) >= 2 * pre.lookback + pre.horizon), next(iter(frames)))
    return name, frames[name]
