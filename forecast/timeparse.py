"""Find and parse the time of each row: one column or several, text dates or epoch numbers.

Dates are ISO (never read day first), day first or month first (decided by the values:
a first field above 12 proves day first; else the order giving a regular series, month
first on a tie; the decision is noted once), or follow ``--time-format``. A column mixing
formats is read format by format. Epoch seconds/milliseconds, years and ``%Y%m%d``
(``%Y%m``, ``%Y%m%d%H``...) numbers are recognised in numeric time columns; times with UTC offsets, even offsets
changing at daylight saving, are converted to UTC (and the note says so). Naive local
times stay naive: their daylight-saving repeats and skips are handled as duplicates and gaps.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from .dateformats import (
    MIDNIGHTS_NOTE,
    local_midnights,
    parse_times,
    period_template,
    periods_as_dates,
)
from .errors import FIRST_ROW, DataError, row_number
from .numbers import STYLES
from .timefmt import listed

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
                f"Columns: {listed(list(df.columns), 20)}. Use --time."
            )
        return names
    constant = []  # a report date or 'as of' date, one for every row, is not the time of each row
    for col in df.columns:
        if _clock(df[col]):
            continue  # times of day alone (17:24:00) are not dates: they join a date column below
        if _TIME_NAMES.match(col) and (_parse_rate(df[col]) > 0.5 or _epoch_unit(df[col])
                                       or _years(df[col]) or _compact_format(df[col])):
            if len(df) > 2 and df[col].nunique() == 1:
                constant.append(col)
                continue
            return _with_clock(df, col)
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]) and not _clock(df[col]) and _parse_rate(df[col]) > 0.9:
            if len(df) > 2 and df[col].nunique() == 1:
                constant.append(col)
                continue
            return _with_clock(df, col)
    if constant:
        return _with_clock(df, constant[0])
    for col in df.columns:  # times of day and no date: one day's rows (read as today's)
        if _clock(df[col]):
            _check_one_day(df[col], col)
            return [col]
    for col in df.columns:
        if _TIME_NAMES.match(col) and _excel_days(df[col]):
            raise DataError(
                f"Column '{col}' holds numbers like {df[col].dropna().iloc[0]:g}, not dates: Excel's "
                f"serial days? Add --time {col} --time-format excel, or format the column as dates."
            )
    for col in df.columns:  # Unix times in a column not named like a time (ts, t): not read unasked
        unit = _epoch_unit(df[col]) if df[col].is_monotonic_increasing or df[col].is_monotonic_decreasing else None
        if unit:
            raise DataError(
                f"No time column found in {source}, but column '{col}' holds numbers like {df[col].dropna().iloc[0]:.0f}: "
                f"Unix time in {'seconds' if unit == 's' else 'milliseconds'}? Add --time {col} --time-format "
                f"{'epoch' if unit == 's' else 'epoch_ms'}."
            )
    for col in df.columns:  # named like a time, or written as ISO dates, and unreadable: why (dates past 2261,
        if (not pd.api.types.is_numeric_dtype(df[col]) and df[col].notna().any()  # FY2020), not "none found"
                and (_TIME_NAMES.match(col) or _iso_dates(df[col]))):
            parse_times(df[col], None, col)  # raises naming the value and the row
    raise DataError(
        f"No time column found in {source} (columns: {listed(list(df.columns), 20)}). "
        "Name it with --time, or add a column of dates or times (one per row, e.g. 2024-01-31)."
    )


EXCEL_ORIGIN = "1899-12-30"  # Excel's day 0 (its 1900 date system, leap-year bug included)


def _excel_days(col: pd.Series) -> bool:
    """Numbers that read as Excel serial days of 1955-2119 (20,000 to 80,000)."""
    values = pd.to_numeric(col, errors="coerce").dropna()
    return pd.api.types.is_numeric_dtype(col) and len(values) > 0 and bool(values.between(20_000, 80_000).all())


_CLOCK_TEXT = r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"  # 7:00, 17:24:00, 17:24:00.5
_HOUR_NAMES = re.compile(r"^(hour|hr|hh|he|hour_of_day|hour_ending|hourending|hour ending|time|heure|stunde)$",
                         re.IGNORECASE)


def _clock(col: pd.Series) -> bool:
    """Text times of day (``17:24:00``) with no date."""
    sample = col.dropna().astype(str).str.strip().head(200)
    return not pd.api.types.is_numeric_dtype(col) and not sample.empty and bool(
        sample.str.fullmatch(_CLOCK_TEXT).all())


def _check_one_day(col: pd.Series, name: str) -> None:
    """Times of day alone are one day's rows: refuse a column whose times go both forward and
    back (the clock restarting at midnight), which folded three days into one, averaged."""
    seconds = pd.to_timedelta(col.dropna().astype(str).str.strip().map(
        lambda t: t if t.count(":") == 2 else f"{t}:00"), errors="coerce").dt.total_seconds().to_numpy()
    steps = np.diff(seconds[np.isfinite(seconds)])
    if (steps > 0).any() and (steps < 0).any():
        forward = (steps > 0).sum() >= (steps < 0).sum()  # newest first: the clock turns forward instead
        back = int(np.flatnonzero(steps < 0 if forward else steps > 0)[0]) + 1
        raise DataError(
            f"Column '{name}' holds times of day without dates, and they turn back at row "
            f"{row_number(col.dropna(), back)} ({str(col.dropna().iloc[back]).strip()}): the file spans several "
            "days. Add the dates (a date column, then --time date,time), or give each row its date and time."
        )


def _with_clock(df: pd.DataFrame, date: str) -> list[str]:
    """``[date]``, or ``[date, clock]`` where the dates repeat within a day and another column
    holds the time of day: text times (Date;Time as in UCI's household power file) or whole
    hours 0-24 in a column named like an hour (``HE`` 1-24: hour-ending, as grid operators write)."""
    dates = df[date]
    if dates.duplicated().sum() < len(dates) // 2:  # each date (or datetime) on about one row
        return [date]
    for col in df.columns:
        values = df[col].dropna()
        if col == date or values.empty:
            continue
        hours = (pd.api.types.is_numeric_dtype(values) and bool(_HOUR_NAMES.match(str(col).strip()))
                 and _whole_hours(values))
        if hours or _clock(df[col]):
            return [date, col]
    return [date]


def _iso_dates(col: pd.Series) -> bool:
    """Text written as ISO dates (1500-01-01, 2300-06-01 12:00) in nine rows of ten, whether or not
    pandas can hold them."""
    sample = col.dropna().astype(str).head(200).str.strip()
    return bool(len(sample)) and sample.str.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}([ T][\d:.]+)?").mean() > 0.9


def _parse_rate(col: pd.Series) -> float:
    sample = periods_as_dates(col.dropna().astype(str).head(200))
    if sample.empty or sample.str.fullmatch(r"-?\d+(\.\d+)?").all():
        return 0.0  # plain numbers are values, not dates
    if any(sample.str.strip().str.match(style.pattern).all() for style in STYLES):
        return 0.0  # so are 1.002,51 and 1 002,51 (which dateutil would read as years)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed", utc=True)
    return float(parsed.notna().mean())


def _years(col: pd.Series) -> bool:
    """Whole numbers 1000..2999, not all one: a column of years (1990, 1991...; repeated for each
    series of a panel). Only asked of a column named like a time, or given as one."""
    if not pd.api.types.is_numeric_dtype(col) or col.isna().any() or len(col) < 2:
        return False
    values = col.to_numpy(dtype="float64")
    return bool((values == np.round(values)).all() and (values >= 1000).all() and (values < 3000).all()
                and len(np.unique(values)) > 1)


_COMPACT = {6: "%Y%m", 8: "%Y%m%d", 10: "%Y%m%d%H", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}  # by digits


def _compact_format(col: pd.Series) -> str | None:
    """The format of whole numbers such as 20240131 or 2024013123 (hours, as weather files write
    them): dates written ``%Y%m%d`` (``%Y%m``, or with the hour, minute, second) that pandas read as
    numbers, every one of the same length and a valid date. Ten and twelve digits are also Unix
    seconds and milliseconds, but a series of those almost never reads as dates throughout."""
    if not pd.api.types.is_numeric_dtype(col) or col.isna().any() or len(col) < 2:
        return None
    values = col.to_numpy(dtype="float64")
    if not ((values == np.round(values)).all() and (values >= 100001).all() and (values < 3e13).all()):
        return None
    text = col.astype("int64").astype(str)
    fmt = _COMPACT.get(int(text.str.len().max())) if text.str.len().nunique() == 1 else None
    if fmt is None or not text.str[0].isin(["1", "2"]).all():
        return None
    return fmt if bool(pd.to_datetime(text, format=fmt, errors="coerce").notna().all()) else None


def _epoch_unit(col: pd.Series) -> str | None:
    """``"s"`` or ``"ms"`` when a numeric column looks like Unix time (years 1973..2286)."""
    if not pd.api.types.is_numeric_dtype(col) or col.isna().all():
        return None
    values = col.dropna().to_numpy(dtype="float64")
    for unit, low, high in (("s", 1e8, 1e10), ("ms", 1e11, 1e13)):
        if ((values >= low) & (values < high)).all():
            return unit
    return None


def written_as_periods(df: pd.DataFrame, names: list[str], time_format: str | None = None) -> str | None:
    """How a time column of quarters or ISO weeks writes them (see
    :func:`forecast.dateformats.period_template`): outputs write them so too."""
    if len(names) != 1 or time_format is not None or pd.api.types.is_numeric_dtype(df[names[0]]):
        return None
    return period_template(df[names[0]])


def written_as_years(df: pd.DataFrame, names: list[str], time_format: str | None = None) -> bool:
    """Whether the time is a column of whole years (1990, 1991...), read or given as ``%Y``:
    outputs then write years too, not ``1991-01-01``."""
    if len(names) != 1:
        return False
    return time_format == "%Y" or (time_format is None and _years(df[names[0]]))


def time_index(
    df: pd.DataFrame,
    names: list[str],
    dayfirst: bool | None,
    time_format: str | None = None,
) -> tuple[pd.DatetimeIndex, bool | None, list[str]]:
    """Parse the rows' times from the column(s) ``names``.

    Returns:
        The index, whether day first was used, and notes on what was assumed.
    """
    try:
        return _time_index(df, names, dayfirst, time_format)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise DataError(
            f"Column '{','.join(names)}' holds times outside {pd.Timestamp.min:%Y-%m-%d} .. "
            f"{pd.Timestamp.max:%Y-%m-%d}, the range pandas can hold (e.g. years before 1678). Give times within "
            "that range (a series of whole years can be shifted by whole centuries)."
        ) from None


def _time_index(
    df: pd.DataFrame,
    names: list[str],
    dayfirst: bool | None,
    time_format: str | None = None,
) -> tuple[pd.DatetimeIndex, bool | None, list[str]]:
    label = ",".join(names)
    notes: list[str] = []
    for name in names:
        if df[name].isna().any():
            row = row_number(df, int(np.flatnonzero(df[name].isna().to_numpy())[0]))
            raise DataError(f"Column '{name}' has an empty time on row {row}. Fill or remove that row.")
    if len(names) > 1:
        return _from_parts(df, names), False, [f"time assembled from columns {label}"]
    col = df[names[0]]
    unit = EPOCH_FORMATS.get((time_format or "").lower()) or (
        _epoch_unit(col) if time_format is None else None
    )
    compact = _compact_format(col) if time_format is None else None
    if compact:
        index = pd.DatetimeIndex(pd.to_datetime(col.astype("int64").astype(str), format=compact))
        return index.as_unit("ns"), False, [f"column '{label}' read as dates written {compact}"]
    if time_format is None and _years(col):
        index = pd.DatetimeIndex(pd.to_datetime(col.astype("int64").astype(str), format="%Y"))
        return index.as_unit("ns"), False, [f"column '{label}' read as years"]
    if unit:
        try:
            index = pd.DatetimeIndex(pd.to_datetime(pd.to_numeric(col), unit=unit, utc=True))  # outputs +00:00
        except (ValueError, TypeError, OverflowError):
            raise DataError(
                f"Column '{label}' is not numeric epoch time. Drop --time-format or give a strftime "
                "format like %Y-%m-%d."
            ) from None
        return index.as_unit("ns"), False, [f"time read as Unix epoch ({unit}), UTC"]
    if (time_format or "").lower() == "excel":
        values = pd.to_numeric(col, errors="coerce")
        if values.isna().any():
            bad = col[values.isna()].iloc[0]
            raise DataError(f"Column '{label}' holds '{bad}', not an Excel serial day. Drop --time-format excel.")
        index = pd.DatetimeIndex(pd.to_datetime(values, unit="D", origin=EXCEL_ORIGIN))
        return index.as_unit("ns").round("s"), None, [f"time read as Excel serial days (day 0 {EXCEL_ORIGIN})"]
    if time_format:
        text = col.astype(str).str.strip()
        if "%z" in time_format:  # daily dates at local midnight, read as without --time-format
            by_position = text.reset_index(drop=True)
            by_position.attrs[FIRST_ROW] = row_number(col, 0)  # the file's line numbers in messages
            midnights = local_midnights(by_position, label)
        else:
            midnights = None
        if midnights is not None:  # daily dates at local midnight: their dates, as without --time-format
            index = pd.DatetimeIndex(pd.to_datetime(midnights, format="%Y-%m-%d"))
            return index.as_unit("ns"), False, [MIDNIGHTS_NOTE]
        try:
            index = pd.DatetimeIndex(pd.to_datetime(text, format=time_format, utc="%z" in time_format))
        except (ValueError, TypeError, OverflowError) as exc:
            reason = str(exc).splitlines()[0].split(". You might")[0].rstrip(".")
            raise DataError(
                f"Column '{label}' does not match --time-format '{time_format}' ({reason}). "
                "Fix the format (strftime codes, e.g. %d.%m.%Y %H:%M)."
            ) from None
        return _to_utc(index, notes), "%d" in time_format and time_format.find("%d") < time_format.find("%m"), notes
    index, first, found = parse_times(col, dayfirst, label)
    return index, first, notes + found


def _to_utc(index: pd.DatetimeIndex, notes: list[str]) -> pd.DatetimeIndex:
    if index.tz is not None:
        notes.append(f"times carry UTC offsets ({index.tz}): converted to UTC")
        index = index.tz_convert("UTC")  # kept marked, so outputs say UTC (forecast.data.read_raw)
    return index.as_unit("ns")


def _as_clock(col: pd.Series) -> pd.Series:
    """Whole hours 0-24 as ``07:00`` (24:00 is the next day's midnight); other columns as text."""
    if pd.api.types.is_numeric_dtype(col) and _whole_hours(col):
        return col.astype("int64").map("{:02d}:00".format)
    return col.astype(str)


def _impossible_row(frame: pd.DataFrame, names: list[str], df: pd.DataFrame) -> None:
    """Refuse, naming the row, parts that are each numbers but together no date (2023-02-30): pandas
    said "at position 59", its own count, and the fix was to reorder columns already in order."""
    bounds = {"year": (1678, 2261), "month": (1, 12), "day": (1, 31)}
    if not all(frame[unit].between(*bounds[unit]).all() for unit in bounds if unit in frame):
        return  # parts out of their ranges (columns in another order): the caller's message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            made = pd.to_datetime(frame, errors="coerce")
        except (ValueError, TypeError, OverflowError):
            return  # not one row: the caller's message
    bad = np.flatnonzero(made.isna().to_numpy() & frame.notna().all(axis=1).to_numpy())
    if len(bad) and len(bad) < len(frame):
        row = frame.iloc[bad[0]]
        said = ", ".join(f"{unit} {row[unit]:g}" for unit in frame.columns if unit in _UNITS)
        raise DataError(f"Columns {', '.join(names)} give no date on row {row_number(df, int(bad[0]))} ({said}). "
                        "Fix or remove that row.")


def _whole_hours(col: pd.Series) -> bool:
    values = col.dropna().to_numpy(dtype="float64")
    return bool(len(values) and ((values == np.round(values)) & (values >= 0) & (values <= 24)).all())


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
            _impossible_row(frame, names, df)
            index = pd.DatetimeIndex(pd.to_datetime(frame))
        else:  # a date and a time of day; whole hours (0-24, hour-ending 1-24) written as clocks
            text = pd.DataFrame({n: _as_clock(parts[n]) for n in names}).agg(" ".join, axis=1)
            index, _, _ = parse_times(text, None, ",".join(names))
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"Columns {', '.join(names)} do not form dates ({str(exc).splitlines()[0].split('. You might')[0]}). "
            "Give them in order year, month, "
            "day[, hour, minute, second], or date and time."
        ) from None
    return index.as_unit("ns")


