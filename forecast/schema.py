"""The typed schema of bundle.json, checked on every load before any field is used.

A bundle may come from someone else, or be damaged on disk. Every field a command
reads is checked here for its type, its range and its agreement with the others
(``preprocessor.horizon`` with ``config.horizon``, the scaler's length with the
columns, the weights' shapes with the architecture), so a bad bundle fails with
one line naming the field: ``bundle.json: preprocessor.horizon must be >= 1, found -5``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import BundleError
from .jsonchecks import (
    FIX,
    bad_field,
    check_bool,
    check_int,
    check_num,
    check_numbers,
    check_obj,
    check_str,
    check_strs,
    check_time,
    kind_of,
)
from .schema_choice import check_selection

_SEP = r"[ A-Za-z/._-]*"  # what may stand between a period's fields: no comma, quote or line break
PERIODS = {"Q": re.compile(rf"{_SEP}(\{{y\}}{_SEP}\{{q\}}|\{{q\}}{_SEP}\{{y\}}){_SEP}"),  # data.periods: a year
           "W": re.compile(rf"{_SEP}\{{y\}}{_SEP}\{{w:02d\}}{_SEP}")}  # and a quarter (or an ISO week) of a
# quarterly (weekly) series, and no other field (forecast.data.times_as_written formats it)


def validate(meta: Any) -> dict[str, Any]:
    """Check bundle.json's content; returns it unchanged.

    Raises:
        BundleError: naming the first field that is missing, of the wrong type, out of
            range, or in contradiction with another.
    """
    if not isinstance(meta, dict):
        raise BundleError(f"bundle.json must hold an object, found {kind_of(meta)}. {FIX}")
    quantiles = _quantiles(meta)
    _config(check_obj(meta, "config", ""), quantiles)
    pre = _preprocessor(check_obj(meta, "preprocessor", ""))
    config = meta["config"]
    for key in ("lookback", "horizon"):
        if config[key] is not None and config[key] != pre[key]:
            raise bad_field(f"preprocessor.{key}", f"equal to config.{key} ({config[key]})", pre[key])
    _interval(meta, quantiles)
    _data(check_obj(meta, "data", ""))
    _agree(config, pre, meta["data"])
    _training(check_obj(meta, "training", ""))
    _metrics(meta)
    check_selection(meta)
    history = meta.get("history", {})
    if not isinstance(history, dict) or not all(
        isinstance(v, list) and all(isinstance(x, (int, float)) for x in v) for v in history.values()
    ):
        raise bad_field("history", "an object of lists of numbers", history)
    if len({len(v) for v in history.values()}) > 1:  # one entry an epoch: --resume trained, then failed to save
        raise bad_field("history", "lists of one length (one value an epoch)",
                        {k: f"{len(v)} values" for k, v in history.items()})
    files = meta.get("files", {})
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and "/" not in k and "\\" not in k
        and k not in ("", ".", "..")
        for k, v in files.items()
    ):
        raise bad_field("files", "an object of file names and sha256 digests", files)
    return meta


def _agree(config: dict[str, Any], pre: dict[str, Any], data: dict[str, Any]) -> None:
    """The column and frequency the network reads are the ones it was trained on: an edited
    preprocessor.target or .freq passed every type check and failed inside predict."""
    from .data import WIDE_TARGET

    target = WIDE_TARGET if "," in config["target"] else config["target"]  # a wide file's series' column
    if pre["target"] != target:
        raise bad_field("preprocessor.target", f"equal to the target trained on ({target})", pre["target"])
    if pre.get("freq") is not None and pre["freq"] != data["freq"]:
        raise bad_field("preprocessor.freq", f"equal to data.freq ({data['freq']})", pre["freq"])


def _quantiles(meta: dict[str, Any]) -> list[float] | None:
    if "quantiles" not in meta:
        raise bad_field("quantiles", "a list of levels or null", "nothing (field missing)")
    q = meta["quantiles"]
    if q is None:
        return None
    ok = (isinstance(q, list) and len(q) >= 2 and 0.5 in q
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1 for v in q)
          and all(a < b for a, b in zip(q, q[1:])))
    if not ok:
        raise bad_field("quantiles", "ascending levels between 0 and 1 including 0.5, or null", q)
    return [float(v) for v in q]


def _config(c: dict[str, Any], quantiles: list[float] | None) -> None:
    from .config import (
        ANCHORS,
        BACKENDS,
        FLOORS,
        MAX_ENSEMBLE,
        MAX_LAYERS,
        MAX_SEED,
        MAX_UNITS,
        MODELS,
    )
    from .nets import ARCHS

    w = "config."
    check_str(c, "target", w)
    check_strs(c, "features", w)
    if "future" in c:
        check_strs(c, "future", w)
    check_str(c, "holidays", w, optional=True)
    check_str(c, "arch", w, ARCHS)
    check_int(c, "units", w, 1, MAX_UNITS)
    check_int(c, "layers", w, 1, MAX_LAYERS)
    if "ensemble" in c:  # absent in bundles before ensembles: one network
        check_int(c, "ensemble", w, 1, MAX_ENSEMBLE, optional=True)
    check_int(c, "lookback", w, 1, optional=True)
    check_int(c, "horizon", w, 1, optional=True)
    check_int(c, "epochs", w, 1)
    check_int(c, "batch_size", w, 1, optional=True)
    check_int(c, "season", w, 1, optional=True)
    if "model" in c:
        check_str(c, "model", w, MODELS)
    check_int(c, "seed", w, 0, MAX_SEED)
    check_num(c, "dropout", w, lambda v: 0 <= v < 1, "a number in [0, 1)")
    check_num(c, "learning_rate", w, lambda v: 0 < v <= 1, "a number in (0, 1]")
    check_str(c, "anchor", w, ANCHORS)
    if "floor" in c:  # absent in bundles before --floor: none
        check_str(c, "floor", w, FLOORS)
    check_str(c, "backend", w, BACKENDS, optional=True)  # None: KERAS_BACKEND (older bundles: absent)
    if c.get("quantiles") != quantiles:
        raise bad_field("config.quantiles", f"equal to quantiles ({quantiles})", c.get("quantiles"))


def _preprocessor(p: dict[str, Any]) -> dict[str, Any]:
    from .calendar import CYCLES

    w = "preprocessor."
    check_str(p, "target", w)
    features = check_strs(p, "features", w)
    check_int(p, "lookback", w, 1)
    check_int(p, "horizon", w, 1)
    anchor = check_str(p, "anchor", w, ("last", "season", "none"))
    season = check_int(p, "season", w, 1, optional=True)
    if anchor == "season" and (season is None or season > p["lookback"]):
        raise bad_field(f"{w}season", f"between 1 and the lookback ({p['lookback']}) for the seasonal anchor",
                    season)
    calendar = check_strs(p, "calendar", w)
    unknown = [c for c in calendar if c not in CYCLES]
    if unknown:
        raise bad_field(f"{w}calendar", f"cycles among {', '.join(CYCLES)}", unknown)
    check_str(p, "freq", w, optional=True)
    for flag in ("relative", "window_scale"):
        if not isinstance(p.get(flag, False), bool):
            raise bad_field(f"{w}{flag}", "true or false", p.get(flag))
    future = check_strs(p, "future", w) if "future" in p else []
    _holidays(p.get("holidays"), f"{w}holidays")
    width = 1 + len(features) + len(future)
    scaler = check_obj(p, "scaler", w)
    check_numbers(scaler.get("mean"), f"{w}scaler.mean", width)
    check_numbers(scaler.get("scale"), f"{w}scaler.scale", width, positive=True)
    per_series = p.get("series_scalers", {})
    if not isinstance(per_series, dict):
        raise bad_field(f"{w}series_scalers", "an object", per_series)
    for name, s in per_series.items():
        if not isinstance(s, dict):
            raise bad_field(f"{w}series_scalers.{name}", "an object", s)
        check_numbers(s.get("mean"), f"{w}series_scalers.{name}.mean", width)
        check_numbers(s.get("scale"), f"{w}series_scalers.{name}.scale", width, positive=True)
    return p


def _holidays(h: Any, where: str) -> None:
    """The public-holiday inputs: null, or a region with features among the known ones."""
    from .holiday import DAYS_FROM, DAYS_TO, FLAG

    if h is None:
        return
    if not isinstance(h, dict):
        raise bad_field(where, "an object or null", h)
    check_str(h, "country", f"{where}.")
    check_str(h, "subdiv", f"{where}.", optional=True)
    check_int(h, "max_days", f"{where}.", 1, 366)
    if "ending" in h:  # rows dated on their period's last day (bundles before it: absent, read from the row on)
        check_bool(h, "ending", f"{where}.")
    features = check_strs(h, "features", f"{where}.")
    if not features or any(f not in (FLAG, DAYS_TO, DAYS_FROM) for f in features):
        raise bad_field(f"{where}.features", f"names among {FLAG}, {DAYS_TO}, {DAYS_FROM}", features)


def _interval(meta: dict[str, Any], quantiles: list[float] | None) -> None:
    from .intervals import SCALE_RANGE

    low, high = SCALE_RANGE
    check_num(meta, "interval_scale", "", lambda v: low <= v <= high, f"a number in [{low}, {high}]")
    if meta.get("floor") is not None:  # absent in bundles saved before --floor: no floor
        check_num(meta, "floor", "", lambda v: v == 0, "0 or null")
    interval = meta.get("interval")
    if quantiles is None:
        if interval is not None:
            raise bad_field("interval", "null for a point forecast (quantiles null)", interval)
        return
    if not isinstance(interval, dict) or interval.get("lower") != quantiles[0] or interval.get(
        "upper"
    ) != quantiles[-1]:
        raise bad_field("interval", f"lower {quantiles[0]} and upper {quantiles[-1]} (the outer quantiles)",
                    interval)
    check_num(interval, "coverage", "interval.", lambda v: 0 < v < 1, "a number in (0, 1)")


def _data(d: dict[str, Any]) -> None:
    import pandas as pd

    w = "data."
    check_str(d, "time", w)
    freq = check_str(d, "freq", w)
    try:
        pd.tseries.frequencies.to_offset(freq)
    except (TypeError, ValueError):
        raise bad_field(f"{w}freq", "a pandas frequency such as h, D or MS", freq) from None
    check_int(d, "season", w, 1)
    check_str(d, "source", w)
    check_str(d, "id", w, optional=True)
    check_strs(d, "series", w)
    if d["series"] and not (d.get("id") or "").strip():  # several series: forecasts are written by this column
        raise bad_field(f"{w}id", "the column naming the series", d.get("id"))
    if len(set(d["series"])) < len(d["series"]):
        raise bad_field(f"{w}series", "names each given once", d["series"])
    check_strs(d, "notes", w)
    if "fit_notes" in d:  # older bundles kept them in notes
        check_strs(d, "fit_notes", w)
    if not isinstance(d.get("dayfirst"), (bool, type(None))):
        raise bad_field(f"{w}dayfirst", "true, false or null", d.get("dayfirst"))
    for flag in ("years", "utc"):
        if not isinstance(d.get(flag, False), bool):  # older bundles have none
            raise bad_field(f"{w}{flag}", "true or false", d.get(flag))
    check_int(d, "day", w, 1, 28, optional=True)  # older bundles have none
    periods = check_str(d, "periods", w, optional=True)
    pattern = PERIODS.get(str(d.get("freq", ""))[:1])
    if periods is not None and (pattern is None or not pattern.fullmatch(periods)):
        raise bad_field(f"{w}periods", "a template like '{y} Q{q}' of a quarterly series, or '{y}-W{w:02d}' of "
                        "a weekly one", periods)
    check_time(d.get("start"), f"{w}start")
    check_time(d.get("end"), f"{w}end")
    split = check_obj(d, "split", w)
    for key in ("rows", "train_rows", "val_rows", "test_rows"):
        check_int(split, key, f"{w}split.")
    if split["train_rows"] + split["val_rows"] + split["test_rows"] != split["rows"]:
        raise bad_field(f"{w}split", "parts adding up to rows", split)
    times = check_obj(d, "split_times", w)
    for key, pair in times.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise bad_field(f"{w}split_times.{key}", "[start, end]", pair)
        for value in pair:
            check_time(value, f"{w}split_times.{key}")
    check_int(d, "longest_run", w, 0, optional=True)


def _training(t: dict[str, Any]) -> None:
    w = "training."
    check_int(t, "epochs", w, 0)
    check_int(t, "best_epoch", w, 0)
    check_int(t, "parameters", w, 0)
    check_num(t, "seconds", w, lambda v: v >= 0, "a number >= 0")
    check_str(t, "stopped_by", w)
    check_int(t, "patch", w, 1, optional=True)  # rows per recurrent step (older bundles: absent, 1)
    from .config import BACKENDS

    check_str(t, "backend", w, BACKENDS, optional=True)  # the backend it trained on (older bundles: absent)


def _metrics(meta: dict[str, Any]) -> None:
    metrics = meta.get("metrics")
    if not isinstance(metrics, dict):
        raise bad_field("metrics", "an object", metrics)
    if metrics:
        for name in ("model", "naive", "seasonal_naive"):
            m = check_obj(metrics, name, "metrics.")
            for key, value in m.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise bad_field(f"metrics.{name}.{key}", "a number", value)
            check_num(m, "mase", f"metrics.{name}.", lambda v: not math.isnan(v), "a number")
    per_series = meta.get("metrics_per_series", {})
    if not isinstance(per_series, dict) or not all(
        isinstance(m, dict) and all(isinstance(m.get(k), dict) and isinstance(m[k].get("mase"), (int, float))
                                    for k in ("model", "naive", "seasonal_naive"))
        for m in per_series.values()
    ):
        raise bad_field("metrics_per_series", "an object of per-series metrics", per_series)
