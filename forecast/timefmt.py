"""Timestamps, counts and lists as people write them."""

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


def span(delta: Any) -> str:
    """A duration as people say it: ``"1 day"``, ``"31 days"``, ``"2 hours"``, ``"30 minutes"``."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            return count(seconds // size, unit)
    return count(seconds, "second")


def listed(names: list[str], shown: int = 5) -> str:
    """``"a, b, c"``; a long list cut as ``"a, b, c, d, e and 995 more"``."""
    head = ", ".join(str(n) for n in names[:shown])
    return head + (f" and {len(names) - shown} more" if len(names) > shown else "")
