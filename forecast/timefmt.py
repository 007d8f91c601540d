"""Timestamps and counts as people write them."""

from __future__ import annotations

from typing import Any


def when(stamp: Any) -> str:
    """A timestamp without a midnight time part or seconds: 2016-12-30, 2016-12-30 13:00."""
    text = str(stamp)
    if len(text) == 19 and text.endswith("00:00:00"):
        return text[:10]
    return text[:16] if len(text) == 19 and text.endswith(":00") else text


def count(n: int, noun: str) -> str:
    """``"1 window"``, ``"2 windows"``: a count and its noun, plural unless one."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
