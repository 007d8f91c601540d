"""Checks of one value in bundle.json (a number in range, a string among choices...): each
failure is one BundleError naming the field, what was expected and what was found."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .errors import BundleError

FIX = "Retrain the bundle or get an intact copy."


def plain_json(value: Any) -> Any:
    """``value`` with every NaN or infinite float as ``None``: standard JSON (``null``), which
    every reader parses (Python's bare ``NaN`` is not JSON; jq and browsers refuse it).
    statsforecast marks a parameter a model does not use with NaN; its readers take null back."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    return value


def bad_field(where: str, expected: str, found: Any) -> BundleError:
    shown = repr(found)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return BundleError(f"bundle.json: {where} must be {expected}, found {shown}. {FIX}")


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


def check_obj(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = doc.get(key)
    if not isinstance(value, dict):
        raise bad_field(f"{where}{key}", "an object", value if key in doc else "nothing (field missing)")
    return value


def check_int(doc: dict[str, Any], key: str, where: str, low: int = 0, high: int | None = None,
         optional: bool = False) -> int | None:
    value = doc.get(key)
    if value is None and optional:
        return None
    name = f"{where}{key}"
    if key not in doc:
        raise bad_field(name, "a whole number", "nothing (field missing)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_field(name, "a whole number", value)
    if value < low:
        raise bad_field(name, f">= {low}", value)
    if high is not None and value > high:
        raise bad_field(name, f"<= {high}", value)
    return value


def check_num(doc: dict[str, Any], key: str, where: str, test: Callable[[float], bool] = math.isfinite,
         expected: str = "a finite number") -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not test(float(value)):
        raise bad_field(f"{where}{key}", expected, value if key in doc else "nothing (field missing)")
    return float(value)


def check_str(doc: dict[str, Any], key: str, where: str, choices: tuple[str, ...] | None = None,
         optional: bool = False) -> str | None:
    value = doc.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (choices is not None and value not in choices):
        expected = f"one of {', '.join(choices)}" if choices else "a string"
        raise bad_field(f"{where}{key}", expected, value if key in doc else "nothing (field missing)")
    return value


def check_strs(doc: dict[str, Any], key: str, where: str) -> list[str]:
    value = doc.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_field(f"{where}{key}", "a list of strings", value if key in doc else "nothing (field missing)")
    return value


def check_bool(doc: dict[str, Any], key: str, where: str) -> bool:
    value = doc.get(key)
    if not isinstance(value, bool):
        raise bad_field(f"{where}{key}", "true or false", value if key in doc else "nothing (field missing)")
    return value


def check_numbers(value: Any, where: str, length: int, positive: bool = False) -> None:
    ok = (isinstance(value, list) and len(value) == length
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                  and (v > 0 or not positive) for v in value))
    if not ok:
        sign = "positive " if positive else ""
        raise bad_field(where, f"a list of {length} finite {sign}number(s) (one per column)", value)


def check_time(value: Any, where: str) -> None:
    import pandas as pd

    try:
        pd.Timestamp(value)
        if not isinstance(value, str):
            raise TypeError
    except (TypeError, ValueError, OverflowError):
        raise bad_field(where, "a timestamp like 2024-01-01 00:00:00", value) from None
