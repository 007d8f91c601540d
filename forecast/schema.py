"""The typed schema of bundle.json, checked on every load before any field is used.

A bundle may come from someone else, or be damaged on disk. Every field a command
reads is checked here for its type, its range and its agreement with the others
(``preprocessor.horizon`` with ``config.horizon``, the scaler's length with the
columns, the weights' shapes with the architecture), so a bad bundle fails with
one line naming the field: ``bundle.json: preprocessor.horizon must be >= 1, found -5``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import BundleError
from .jsonchecks import _FIX, _fail, _int, _kind, _num, _numbers, _obj, _str, _strs, _time
from .schema_choice import _selection


def validate(meta: Any) -> dict[str, Any]:
    """Check bundle.json's content; returns it unchanged.

    Raises:
        BundleError: naming the first field that is missing, of the wrong type, out of
            range, or in contradiction with another.
    """
    if not isinstance(meta, dict):
        raise BundleError(f"bundle.json must hold an object, found {_kind(meta)}. {_FIX}")
    quantiles = _quantiles(meta)
    _config(_obj(meta, "config", ""), quantiles)
    pre = _preprocessor(_obj(meta, "preprocessor", ""))
    config = meta["config"]
    for key in ("lookback", "horizon"):
        if config[key] is not None and config[key] != pre[key]:
            raise _fail(f"preprocessor.{key}", f"equal to config.{key} ({config[key]})", pre[key])
    _interval(meta, quantiles)
    _data(_obj(meta, "data", ""))
    _training(_obj(meta, "training", ""))
    _metrics(meta)
    _selection(meta)
    history = meta.get("history", {})
    if not isinstance(history, dict) or not all(
        isinstance(v, list) and all(isinstance(x, (int, float)) for x in v) for v in history.values()
    ):
        raise _fail("history", "an object of lists of numbers", history)
    files = meta.get("files", {})
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and "/" not in k and "\\" not in k
        and k not in ("", ".", "..")
        for k, v in files.items()
    ):
        raise _fail("files", "an object of file names and sha256 digests", files)
    return meta


def _quantiles(meta: dict[str, Any]) -> list[float] | None:
    if "quantiles" not in meta:
        raise _fail("quantiles", "a list of levels or null", "nothing (field missing)")
    q = meta["quantiles"]
    if q is None:
        return None
    ok = (isinstance(q, list) and len(q) >= 2 and 0.5 in q
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1 for v in q)
          and all(a < b for a, b in zip(q, q[1:])))
    if not ok:
        raise _fail("quantiles", "ascending levels between 0 and 1 including 0.5, or null", q)
    return [float(v) for v in q]


def _config(c: dict[str, Any], quantiles: list[float] | None) -> None:
    from .config import ANCHORS, BACKENDS, MAX_ENSEMBLE, MAX_LAYERS, MAX_SEED, MAX_UNITS, MODELS
    from .nets import ARCHS

    w = "config."
    _str(c, "target", w)
    _strs(c, "features", w)
    if "future" in c:
        _strs(c, "future", w)
    _str(c, "holidays", w, optional=True)
    _str(c, "arch", w, ARCHS)
    _int(c, "units", w, 1, MAX_UNITS)
    _int(c, "layers", w, 1, MAX_LAYERS)
    if "ensemble" in c:  # absent in bundles before ensembles: one network
        _int(c, "ensemble", w, 1, MAX_ENSEMBLE, optional=True)
    _int(c, "lookback", w, 1, optional=True)
    _int(c, "horizon", w, 1, optional=True)
    _int(c, "epochs", w, 1)
    _int(c, "batch_size", w, 1, optional=True)
    _int(c, "season", w, 1, optional=True)
    if "model" in c:
        _str(c, "model", w, MODELS)
    _int(c, "seed", w, 0, MAX_SEED)
    _num(c, "dropout", w, lambda v: 0 <= v < 1, "a number in [0, 1)")
    _num(c, "learning_rate", w, lambda v: 0 < v <= 1, "a number in (0, 1]")
    _str(c, "anchor", w, ANCHORS)
    _str(c, "backend", w, BACKENDS, optional=True)  # None: KERAS_BACKEND (older bundles: absent)
    if c.get("quantiles") != quantiles:
        raise _fail("config.quantiles", f"equal to quantiles ({quantiles})", c.get("quantiles"))


def _preprocessor(p: dict[str, Any]) -> dict[str, Any]:
    from .calendar import _CYCLES

    w = "preprocessor."
    _str(p, "target", w)
    features = _strs(p, "features", w)
    _int(p, "lookback", w, 1)
    _int(p, "horizon", w, 1)
    anchor = _str(p, "anchor", w, ("last", "season", "none"))
    season = _int(p, "season", w, 1, optional=True)
    if anchor == "season" and (season is None or season > p["lookback"]):
        raise _fail(f"{w}season", f"between 1 and the lookback ({p['lookback']}) for the seasonal anchor",
                    season)
    calendar = _strs(p, "calendar", w)
    unknown = [c for c in calendar if c not in _CYCLES]
    if unknown:
        raise _fail(f"{w}calendar", f"cycles among {', '.join(_CYCLES)}", unknown)
    _str(p, "freq", w, optional=True)
    if not isinstance(p.get("relative", False), bool):
        raise _fail(f"{w}relative", "true or false", p.get("relative"))
    future = _strs(p, "future", w) if "future" in p else []
    _holidays(p.get("holidays"), f"{w}holidays")
    width = 1 + len(features) + len(future)
    scaler = _obj(p, "scaler", w)
    _numbers(scaler.get("mean"), f"{w}scaler.mean", width)
    _numbers(scaler.get("scale"), f"{w}scaler.scale", width, positive=True)
    per_series = p.get("series_scalers", {})
    if not isinstance(per_series, dict):
        raise _fail(f"{w}series_scalers", "an object", per_series)
    for name, s in per_series.items():
        if not isinstance(s, dict):
            raise _fail(f"{w}series_scalers.{name}", "an object", s)
        _numbers(s.get("mean"), f"{w}series_scalers.{name}.mean", width)
        _numbers(s.get("scale"), f"{w}series_scalers.{name}.scale", width, positive=True)
    return p


def _holidays(h: Any, where: str) -> None:
    """The public-holiday inputs: null, or a region with features among the known ones."""
    from .holiday import DAYS_FROM, DAYS_TO, FLAG

    if h is None:
        return
    if not isinstance(h, dict):
        raise _fail(where, "an object or null", h)
    _str(h, "country", f"{where}.")
    _str(h, "subdiv", f"{where}.", optional=True)
    _int(h, "max_days", f"{where}.", 1, 366)
    features = _strs(h, "features", f"{where}.")
    if not features or any(f not in (FLAG, DAYS_TO, DAYS_FROM) for f in features):
        raise _fail(f"{where}.features", f"names among {FLAG}, {DAYS_TO}, {DAYS_FROM}", features)


def _interval(meta: dict[str, Any], quantiles: list[float] | None) -> None:
    from .intervals import SCALE_RANGE

    low, high = SCALE_RANGE
    _num(meta, "interval_scale", "", lambda v: low <= v <= high, f"a number in [{low}, {high}]")
    interval = meta.get("interval")
    if quantiles is None:
        if interval is not None:
            raise _fail("interval", "null for a point forecast (quantiles null)", interval)
        return
    if not isinstance(interval, dict) or interval.get("lower") != quantiles[0] or interval.get(
        "upper"
    ) != quantiles[-1]:
        raise _fail("interval", f"lower {quantiles[0]} and upper {quantiles[-1]} (the outer quantiles)",
                    interval)
    _num(interval, "coverage", "interval.", lambda v: 0 < v < 1, "a number in (0, 1)")


def _data(d: dict[str, Any]) -> None:
    import pandas as pd

    w = "data."
    _str(d, "time", w)
    freq = _str(d, "freq", w)
    try:
        pd.tseries.frequencies.to_offset(freq)
    except (TypeError, ValueError):
        raise _fail(f"{w}freq", "a pandas frequency such as h, D or MS", freq) from None
    _int(d, "season", w, 1)
    _str(d, "source", w)
    _str(d, "id", w, optional=True)
    _strs(d, "series", w)
    _strs(d, "notes", w)
    if not isinstance(d.get("dayfirst"), (bool, type(None))):
        raise _fail(f"{w}dayfirst", "true, false or null", d.get("dayfirst"))
    _time(d.get("start"), f"{w}start")
    _time(d.get("end"), f"{w}end")
    split = _obj(d, "split", w)
    for key in ("rows", "train_rows", "val_rows", "test_rows"):
        _int(split, key, f"{w}split.")
    if split["train_rows"] + split["val_rows"] + split["test_rows"] != split["rows"]:
        raise _fail(f"{w}split", "parts adding up to rows", split)
    times = _obj(d, "split_times", w)
    for key, pair in times.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise _fail(f"{w}split_times.{key}", "[start, end]", pair)
        for value in pair:
            _time(value, f"{w}split_times.{key}")
    _int(d, "longest_run", w, 0, optional=True)


def _training(t: dict[str, Any]) -> None:
    w = "training."
    _int(t, "epochs", w, 0)
    _int(t, "best_epoch", w, 0)
    _int(t, "parameters", w, 0)
    _num(t, "seconds", w, lambda v: v >= 0, "a number >= 0")
    _str(t, "stopped_by", w)
    _int(t, "patch", w, 1, optional=True)  # rows per recurrent step (older bundles: absent, 1)
    from .config import BACKENDS

    _str(t, "backend", w, BACKENDS, optional=True)  # the backend it trained on (older bundles: absent)


def _metrics(meta: dict[str, Any]) -> None:
    metrics = meta.get("metrics")
    if not isinstance(metrics, dict):
        raise _fail("metrics", "an object", metrics)
    if metrics:
        for name in ("model", "naive", "seasonal_naive"):
            m = _obj(metrics, name, "metrics.")
            for key, value in m.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise _fail(f"metrics.{name}.{key}", "a number", value)
            _num(m, "mase", f"metrics.{name}.", lambda v: not math.isnan(v), "a number")
    per_series = meta.get("metrics_per_series", {})
    if not isinstance(per_series, dict) or not all(
        isinstance(m, dict) and all(isinstance(m.get(k), dict) and isinstance(m[k].get("mase"), (int, float))
                                    for k in ("model", "naive", "seasonal_naive"))
        for m in per_series.values()
    ):
        raise _fail("metrics_per_series", "an object of per-series metrics", per_series)


def expected_shapes(meta: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The shape of every array in weights.npz that the bundle's settings imply."""
    from .calendar import feature_names

    c, p = meta["config"], meta["preprocessor"]
    units, layers, arch = c["units"], c["layers"], c["arch"]
    n_in = (1 + len(p["features"]) + len(p.get("future", [])) + len(feature_names(p["calendar"]))
            + len((p.get("holidays") or {}).get("features", [])))  # (lookback, n_in) windows
    horizon, q = p["horizon"], len(meta["quantiles"] or [])
    patch = meta.get("training", {}).get("patch") or 1  # rows side by side (older bundles: 1)
    one = _network_shapes(arch, units, layers, n_in * patch, horizon, q)
    members = int(c.get("ensemble") or 1)  # bundles before ensembles hold one network
    return {f"{f'm{k}_' if k else ''}{name}": shape for k in range(members) for name, shape in one.items()}


def _network_shapes(
    arch: str, units: int, layers: int, n_in: int, horizon: int, q: int
) -> dict[str, tuple[int, ...]]:
    """The weight shapes of one network of the ensemble (unprefixed layer names)."""
    shapes: dict[str, tuple[int, ...]] = {}
    width = n_in
    for i in range(layers):
        if arch == "attention" and i == layers - 1:
            shapes.update({f"lstm_{i}/0": (width, 4 * units), f"lstm_{i}/1": (units, 4 * units),
                           f"lstm_{i}/2": (4 * units,)})
            width = 2 * units
        elif arch == "bilstm":
            for j in (0, 3):
                shapes.update({f"bidirectional_{i}/{j}": (width, 4 * units),
                               f"bidirectional_{i}/{j + 1}": (units, 4 * units),
                               f"bidirectional_{i}/{j + 2}": (4 * units,)})
            width = 2 * units
        elif arch == "gru":
            shapes.update({f"gru_{i}/0": (width, 3 * units), f"gru_{i}/1": (units, 3 * units),
                           f"gru_{i}/2": (2, 3 * units)})
            width = units
        else:
            shapes.update({f"lstm_{i}/0": (width, 4 * units), f"lstm_{i}/1": (units, 4 * units),
                           f"lstm_{i}/2": (4 * units,)})
            width = units
    if q:
        shapes.update({"quantile_base/0": (width, horizon), "quantile_base/1": (horizon,),
                       "quantile_steps/0": (width, horizon * (q - 1)),
                       "quantile_steps/1": (horizon * (q - 1),), "quantile_cumsum/0": (q, q)})
    else:
        shapes.update({"horizon/0": (width, horizon), "horizon/1": (horizon,)})
    return shapes


def check_weights(meta: dict[str, Any], arrays: dict[str, np.ndarray], file: str = "weights.npz") -> None:
    """Refuse weights whose names, shapes or values do not fit the bundle's settings.

    Raises:
        BundleError: naming the first array that is missing, extra, misshapen or not finite.
    """
    expected = expected_shapes(meta)
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    c = meta["config"]
    what = f"{c['arch']} x {c['layers']} layer(s) of {c['units']} units"
    if missing or extra:
        names = ", ".join((missing or extra)[:4])
        raise BundleError(
            f"{file} does not fit bundle.json ({what}): {'missing' if missing else 'unexpected'} "
            f"array(s) {names}. The weights belong to another model; {_FIX}"
        )
    for name, shape in expected.items():
        array = arrays[name]
        if tuple(array.shape) != shape:
            raise BundleError(
                f"{file} does not fit bundle.json ({what}): {name} has shape {tuple(array.shape)}, "
                f"expected {shape}. The weights belong to another model; {_FIX}"
            )
        if array.dtype.kind not in "fiu" or not np.isfinite(array).all():
            raise BundleError(f"{file}: {name} holds values that are not finite numbers. {_FIX}")


