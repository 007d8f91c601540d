"""Find and parse the time of each row: one column or several, text dates or epoch numbers.

Dates are ISO, day first or month first (detected), or follow ``--time-format``;
epoch seconds/milliseconds are recognised in numeric time columns; times with UTC
offsets are converted to UTC (and the note says so). Naive local times stay naive:
their daylight-saving repeats and skips are handled as duplicates and gaps.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from .errors import DataError

_TIME_NAMES = re.compile(
    r"^(date|time|datetime|timestamp|ds|month|period|day|week|year|dt|date_time|index)$",
    re.IGNORECASE,
)
_UNITS = ("year", "month", "day", "hour", "minute", "second")
EPOCH_FORMATS = {"epoch": "s", "epoch_s": "s", "epoch_ms": "ms", "epoch_us": "us", "epoch_ns": "ns"}


def find_time_column(df: pd.DataFrame, time: str | None, source: str) -> list[str]:
    """The time column(s): those given (``"year,month,day"`` names several), else one named
    like time, else one whose text parses as dates."""
    if time is not None:
        names = [t.strip() for t in time.split(",") if t.strip()]
        missing = [t for t in names if t not in df.columns]
        if missing or not names:
            raise DataError(
                f"Time column '{', '.join(missing) or time}' not found in {source}. "
                f"Columns: {', '.join(df.columns)}. Use --time."
            )
        return names
    for col in df.columns:
        if _TIME_NAMES.match(col) and (_parse_rate(df[col]) > 0.9 or _epoch_unit(df[col])):
            return [col]
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]) and _parse_rate(df[col]) > 0.9:
            return [col]
    raise DataError(
        f"No time column found in {source} (columns: {', '.join(df.columns)}). "
        "Name it with --time."
    )


def _parse_rate(col: pd.Series) -> float:
    sample = col.dropna().astype(str).head(200)
    if sample.empty or sample.str.fullmatch(r"-?\d+(\.\d+)?").all():
        return 0.0  # plain numbers are values, not dates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return float(parsed.notna().mean())


def _epoch_unit(col: pd.Series) -> str | None:
    """``"s"`` or ``"ms"`` when a numeric column looks like Unix time (years 1973..2286)."""
    if not pd.api.types.is_numeric_dtype(col) or col.isna().all():
        return None
    values = col.dropna().to_numpy(dtype="float64")
    for unit, low, high in (("s", 1e8, 1e10), ("ms", 1e11, 1e13)):
        if ((values >= low) & (values < high)).all():
            return unit
    return None


def time_index(
    df: pd.DataFrame,
    names: list[str],
    dayfirst: bool | None,
    time_format: str | None = None,
) -> tuple[pd.DatetimeIndex, bool, list[str]]:
    """Parse the rows' times from the column(s) ``names``.

    Returns:
        The index, whether day first was used, and notes on what was assumed.
    """
    label = ",".join(names)
    notes: list[str] = []
    for name in names:
        if df[name].isna().any():
            row = int(np.flatnonzero(df[name].isna().to_numpy())[0]) + 2
            raise DataError(f"Column '{name}' has an empty time on row {row}. Fill or remove that row.")
    if len(names) > 1:
        return _from_parts(df, names), False, [f"time assembled from columns {label}"]
    col = df[names[0]]
    unit = EPOCH_FORMATS.get((time_format or "").lower()) or (
        _epoch_unit(col) if time_format is None else None
    )
    if unit:
        try:
            index = pd.DatetimeIndex(pd.to_datetime(pd.to_numeric(col), unit=unit))
        except (ValueError, TypeError, OverflowError):
            raise DataError(
                f"Column '{label}' is not numeric epoch time. Drop --time-format or give a strftime "
                "format like %Y-%m-%d."
            ) from None
        return index.as_unit("ns"), False, [f"time read as Unix epoch ({unit}), UTC"]
    if time_format:
        try:
            index = pd.DatetimeIndex(pd.to_datetime(col.astype(str).str.strip(), format=time_format))
        except (ValueError, TypeError) as exc:
            reason = str(exc).splitlines()[0].split(". You might")[0].rstrip(".")
            raise DataError(
                f"Column '{label}' does not match --time-format '{time_format}' ({reason}). "
                "Fix the format (strftime codes, e.g. %d.%m.%Y %H:%M)."
            ) from None
        return _to_utc(index, notes), "%d" in time_format and time_format.find("%d") < time_format.find("%m"), notes
    index, first = parse_times(col, dayfirst, label)
    return _to_utc(index, notes), first, notes


def _to_utc(index: pd.DatetimeIndex, notes: list[str]) -> pd.DatetimeIndex:
    if index.tz is not None:
        notes.append(f"times carry UTC offsets ({index.tz}): converted to UTC")
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ns")


def _from_parts(df: pd.DataFrame, names: list[str]) -> pd.DatetimeIndex:
    """Time split over columns: numeric parts (year, month, day, hour...) or text parts joined."""
    parts = df[names]
    units = [n.strip().lower() for n in names]
    numeric = all(pd.api.types.is_numeric_dtype(parts[n]) for n in names)
    try:
        if numeric:
            if not set(units) <= set(_UNITS):
                units = list(_UNITS[: len(names)])  # by position: year, month, day, hour...
            frame = parts.set_axis(units, axis=1)
            if "day" not in frame:
                frame = frame.assign(day=1)
            if "month" not in frame:
                frame = frame.assign(month=1)
            index = pd.DatetimeIndex(pd.to_datetime(frame))
        else:
            text = parts.astype(str).agg(" ".join, axis=1)
            index, _ = parse_times(text, None, ",".join(names))
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"Columns {', '.join(names)} do not form dates ({exc}). Give them in order year, month, "
            "day[, hour, minute, second], or date and time."
        ) from None
    return index.as_unit("ns")


def parse_times(col: pd.Series, dayfirst: bool | None, name: str) -> tuple[pd.DatetimeIndex, bool]:
    """Parse a time column; detect day-first dates when ``dayfirst`` is None.

    The format is guessed from the first value (fast, exact parsing of the rest);
    when both orders parse, the one giving the more regular spacing wins, so
    ``01-02-2002`` followed by ``13-02-2002`` reads as day first.

    Returns:
        The parsed index (tz-aware when the text has offsets) and whether day first was used.
    """
    text = _text(col)
    candidates = [dayfirst] if dayfirst is not None else [False, True]
    results = []
    for first in candidates:
        exact_found = any(r[2] for r in results)  # a guessed format already parsed every value
        parsed = _parse(text, first, allow_mixed=not exact_found)
        if parsed is not None:
            index, fmt = parsed
            if fmt and "%d" in fmt and "%m" in fmt:
                first = fmt.index("%d") < fmt.index("%m")  # what the values themselves say
            results.append((index, first, fmt))
    if not results:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            bad = pd.to_datetime(text, errors="coerce", format="mixed").isna().to_numpy()
        example = text.iloc[int(np.flatnonzero(bad)[0])] if bad.any() else text.iloc[0]
        raise DataError(
            f"Column '{name}' has dates that cannot be parsed (e.g. '{example}'). "
            "Check the column, give --time-format, or name the right one with --time."
        )
    if len(results) == 2 and results[0][0].equals(results[1][0]):
        return results[0][:2]  # the order does not matter (e.g. ISO dates)
    best = min(results, key=lambda r: _irregularity(r[0]))
    return best[0], best[1]


def _text(col: pd.Series) -> pd.Series:
    """The column as text, stripped only when its first or last values carry spaces
    (stripping a million strings costs a copy of each)."""
    text = col.astype(str)
    ends = pd.concat([text.head(1000), text.tail(1000)])
    return text.str.strip() if (ends.str.len() != ends.str.strip().str.len()).any() else text


def _parse(
    text: pd.Series, dayfirst: bool, allow_mixed: bool = True
) -> tuple[pd.DatetimeIndex, str | None] | None:
    """Parse with the format guessed from the first value; else (if allowed) value by value,
    which is slow on big files and skipped once another date order parsed exactly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fmt = guess_datetime_format(text.iloc[0], dayfirst=dayfirst)
    attempts: list[dict[str, Any]] = [{"format": fmt}] if fmt else []
    if allow_mixed:
        attempts += [{"format": "mixed", "dayfirst": dayfirst},
                     {"format": "mixed", "dayfirst": dayfirst, "utc": True}]
    for kwargs in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                parsed = pd.to_datetime(text, **kwargs)
        except (ValueError, TypeError, OverflowError):
            continue
        index = pd.DatetimeIndex(parsed)
        if index.tz is None:
            index = index.as_unit("ns")
        return index, kwargs["format"] if kwargs["format"] != "mixed" else None
    return None


def _irregularity(index: pd.DatetimeIndex) -> float:
    """Share of steps that differ from the median step, once sorted (0 = perfectly regular)."""
    d = np.diff(np.sort(index.asi8))
    return float(np.mean(d != np.median(d))) if d.size else 1.0
