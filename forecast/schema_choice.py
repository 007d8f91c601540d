"""bundle.json's choice and statistical members checked: weights, validation scores, and each
member's parameters (`schema.validate` calls it)."""

from __future__ import annotations

import math
from typing import Any

from .config import CES_PARAMS
from .jsonchecks import bad_field, check_int, check_num, check_obj, check_str


def check_selection(meta: dict[str, Any]) -> None:
    """The statistical members, the choice and the shrink (absent in bundles of before them)."""
    from .members import MEMBERS

    check_int(meta, "season", "", 1, optional=True)
    if "lstm_shrink" in meta:
        check_num(meta, "lstm_shrink", "", lambda v: 0 <= v <= 1, "a number in [0, 1]")
    members = meta.get("members", {})
    if not isinstance(members, dict):
        raise bad_field("members", "an object", members)
    for key, group in members.items():
        where = f"members.{key}."
        if not isinstance(group, dict):
            raise bad_field(f"members.{key}", "an object", group)
        for name, m in group.items():
            if name not in MEMBERS or not isinstance(m, dict) or m.get("name") != name:
                raise bad_field(f"{where}{name}", f"a member among {', '.join(MEMBERS)}", m)
            check_int(m, "season", f"{where}{name}.", 1)
            check_int(m, "start", f"{where}{name}.", 0)
            check_int(m, "rows", f"{where}{name}.", 1, optional=True)
            check_num(m, "sigma", f"{where}{name}.", lambda v: math.isfinite(v) and v >= 0, "a number >= 0")
            _member_params(m.get("params"), f"{where}{name}.params", name)
    cache = meta.get("member_cache", {})
    horizon = meta["preprocessor"]["horizon"]
    levels = len(meta["quantiles"]) if meta.get("quantiles") else 1
    if not isinstance(cache, dict):
        raise bad_field("member_cache", "an object", cache)
    for key, entry in cache.items():
        where = f"member_cache.{key}"
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            raise bad_field(where, "an object with a digest", entry)
        forecasts = check_obj(entry, "forecasts", f"{where}.")
        for name, f in forecasts.items():
            ok = (name in MEMBERS and isinstance(f, list) and len(f) == horizon and all(
                isinstance(row, list) and len(row) == levels
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in row)
                for row in f))
            if not ok:
                raise bad_field(f"{where}.forecasts.{name}", f"{horizon} rows of {levels} finite numbers", f)
    choice = meta.get("choice")
    if choice is None:
        return
    if not isinstance(choice, dict):
        raise bad_field("choice", "an object", choice)
    weights = check_obj(choice, "weights", "choice.")
    known = ("lstm", *MEMBERS)
    if not weights or not all(
        n in known and isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1
        for n, v in weights.items()
    ):
        raise bad_field("choice.weights", f"weights in (0, 1] of members among {', '.join(known)}", weights)
    stat = set(weights) - {"lstm", "naive", "seasonal_naive"}
    if stat and not members:  # emptied: predict fell back to the LSTM alone without a word
        raise bad_field("members", f"the chosen members {', '.join(sorted(stat))}", {})
    for key, group in members.items():
        missing = stat - set(group)
        if missing:
            raise bad_field(f"members.{key}", f"the chosen members {', '.join(sorted(stat))}", sorted(group))
    check_str(choice, "label", "choice.")
    check_str(choice, "why", "choice.", optional=True)  # the rule that picked it (absent before it)


def _member_params(params: Any, where: str, name: str) -> None:
    if not isinstance(params, dict):
        raise bad_field(where, "an object", params)
    if "unit" in params:  # absent in bundles from before it (1.0)
        check_num(params, "unit", f"{where}.", lambda v: math.isfinite(v) and v > 0, "a number > 0")
    if name == "auto_ets":
        check_int(params, "m", f"{where}.", 1)
        check_int(params, "n_params", f"{where}.", 0)
        comp = params.get("components")
        if not (isinstance(comp, str) and len(comp) == 4 and comp[0] in "AM" and comp[1] in "NAM"
                and comp[2] in "NAM" and comp[3] in "ND"):
            raise bad_field(f"{where}.components", "ETS components such as 'AAAN'", comp)
        par = params.get("par")
        if not (isinstance(par, list) and len(par) >= 5 and all(_number_or_nan(v) for v in par)):
            raise bad_field(f"{where}.par", "a list of numbers", par)
    elif name == "auto_theta":
        check_int(params, "m", f"{where}.", 1)
        check_str(params, "modeltype", f"{where}.", ("STM", "OTM", "DSTM", "DOTM"))
        par = check_obj(params, "par", f"{where}.")
        for key in ("initial_smoothed", "alpha", "theta"):
            check_num(par, key, f"{where}.par.")
    elif name == "auto_ces":
        check_int(params, "m", f"{where}.", 1)
        check_str(params, "seasontype", f"{where}.", ("N", "S", "P", "F"))
        par = check_obj(params, "par", f"{where}.")
        for key in CES_PARAMS:  # NaN: a parameter its season type does not use
            if key not in par or not _number_or_nan(par[key]):
                raise bad_field(f"{where}.par.{key}", "a number", par.get(key, "nothing (field missing)"))


def _number_or_nan(v: Any) -> bool:
    """A finite number, or null or NaN (statsforecast's mark of a parameter a model does not
    use: null in bundle.json since bundles hold standard JSON, NaN in older ones)."""
    return v is None or isinstance(v, (int, float)) and not isinstance(v, bool) and (math.isfinite(v) or v != v)
