"""Checks of one value in bundle.json (a number in range, a string among choices...): each
failure is one BundleError naming the field, what was expected and what was found."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .errors import BundleError

_FIX = "Retrain the bundle or get an intact copy."


def _fail(where: str, expected: str, found: Any) -> BundleError:
    shown = repr(found)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return BundleError(f"bundle.json: {where} must be {expected}, found {shown}. {_FIX}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


def _obj(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = doc.get(key)
    if not isinstance(value, dict):
        raise _fail(f"{where}{key}", "an object", value if key in doc else "nothing (field missing)")
    return value


def _int(doc: dict[str, Any], key: str, where: str, low: int = 0, high: int | None = None,
         optional: bool = False) -> int | None:
    value = doc.get(key)
    if value is None and optional:
        return None
    name = f"{where}{key}"
    if key not in doc:
        raise _fail(name, "a whole number", "nothing (field missing)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(name, "a whole number", value)
    if value < low:
        raise _fail(name, f">= {low}", value)
    if high is not None and value > high:
        raise _fail(name, f"<= {high}", value)
    return value


def _num(doc: dict[str, Any], key: str, where: str, test: Callable[[float], bool] = math.isfinite,
         expected: str = "a finite number") -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not test(float(value)):
        raise _fail(f"{where}{key}", expected, value if key in doc else "nothing (field missing)")
    return float(value)


def _str(doc: dict[str, Any], key: str, where: str, choices: tuple[str, ...] | None = None,
         optional: bool = False) -> str | None:
    value = doc.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (choices is not None and value not in choices):
        expected = f"one of {', '.join(choices)}" if choices else "a string"
        raise _fail(f"{where}{key}", expected, value if key in doc else "nothing (field missing)")
    return value


def _strs(doc: dict[str, Any], key: str, where: str) -> list[str]:
    value = doc.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(f"{where}{key}", "a list of strings", value if key in doc else "nothing (field missing)")
    return value


def _bool(doc: dict[str, Any], key: str, where: str) -> bool:
    value = doc.get(key)
    if not isinstance(value, bool):
        raise _fail(f"{where}{key}", "true or false", value if key in doc else "nothing (field missing)")
    return value


def _numbers(value: Any, where: str, length: int, positive: bool = False) -> None:
    ok = (isinstance(value, list) and len(value) == length
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                  and (v > 0 or not positive) for v in value))
    if not ok:
        sign = "positive " if positive else ""
        raise _fail(where, f"a list of {length} finite {sign}number(s) (one per column)", value)


def _time(value: Any, where: str) -> None:
    import pandas as pd

    try:
        pd.Timestamp(value)
        if not isinstance(value, str):
            raise TypeError
    except (TypeError, ValueError, OverflowError):
        raise _fail(where, "a timestamp like 2024-01-01 00:00:00", value) from None
