"""A column of date text read: its format(s) found, the day/month order proven from the values
(day first only when proven), every value parsed. `timeparse` finds the column and calls it."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from .errors import FIRST_ROW, DataError, row_number
from .frequency import infer_freq


def parse_times(
    col: pd.Series, dayfirst: bool | None, name: str
) -> tuple[pd.DatetimeIndex, bool | None, list[str]]:
    """Parse a time column; decide the date order from the values when ``dayfirst`` is None.

    ISO dates (year first) are never read day first. Dates such as ``01/02/2020`` are read
    day first only when a value proves it (a first field above 12, every second field 12
    or less), or when ``dayfirst`` says so. When every value fits both orders, the order
    giving a regular series wins, month first on a tie. A column mixing several formats is
    read format by format; times with UTC offsets (even offsets changing at daylight
    saving) are converted to UTC.

    Returns:
        The parsed index (naive; UTC-aware where every time carried an offset, converted to UTC),
        whether day first was used, and notes saying what was decided.
    """
    text = _text(col).reset_index(drop=True)  # index = position; the file's line: row_number(text, index)
    text.attrs[FIRST_ROW] = row_number(col, 0)
    midnights = local_midnights(text, name)
    if midnights is not None:  # daily data exported as local midnights with offsets: the dates are the data
        index, first, notes = _parse_text(midnights, dayfirst, name)
        return index, first, [*notes, MIDNIGHTS_NOTE]
    late = _hour_24(text)
    if late is not None:  # hour-ending clocks: 24:00 is the next day's 00:00
        text = text.where(~late, text.str.replace(_HOUR_24, "00:00", regex=True))
        index, first, notes = _parse_text(text, dayfirst, name)
        index = index + pd.to_timedelta(late.to_numpy().astype("int64"), unit="D")
        return index, first, [*notes, f"{int(late.sum())} times at 24:00 read as 00:00 of the next day"]
    return _parse_text(text, dayfirst, name)


_HOUR_24 = r"(?<=[ T])24:00(?::00)?$"  # the hour 24, not the minute 24 of 17:24:00
_LOCAL_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$"


MIDNIGHTS_NOTE = ("times carry UTC offsets, every one at local midnight: read as those dates (daily data), "
                  "not moved to UTC")


def local_midnights(text: pd.Series, name: str) -> pd.Series | None:
    """The dates of ISO times that are all midnights with an offset (``2023-01-01T00:00:00+01:00``:
    a day, which in UTC is 23:00 the day before), else None. Where the first rows are such
    midnights and a later one is not, that row is refused: read in UTC, every day had moved."""
    if not text.head(50).str.match(_LOCAL_MIDNIGHT).all():
        return None
    found = text.str.extract(_LOCAL_MIDNIGHT, expand=False)
    if found.isna().any():
        at = int(np.flatnonzero(found.isna().to_numpy())[0])
        raise DataError(
            f"Column '{name}' holds dates at local midnight with UTC offsets (daily data), but row "
            f"{row_number(text, at)} ('{text.iloc[at]}') is not at midnight. Fix that row, or write every time "
            "in UTC."
        )
    return found


def _hour_24(text: pd.Series) -> pd.Series | None:
    """Which values end at 24:00 (hour-ending data: 01:00 .. 24:00), or None when the first
    rows have none (a whole column is searched only then)."""
    if not text.head(200).str.contains(_HOUR_24, regex=True).any():
        return None
    return text.str.contains(_HOUR_24, regex=True)


def _parse_text(text: pd.Series, dayfirst: bool | None, name: str) -> tuple[pd.DatetimeIndex, bool | None, list[str]]:
    """:func:`parse_times` on the column's text."""
    sample = _sample(text)
    shapes = _shape(sample)
    if shapes.nunique() == 1:  # the usual case: one format, checked on the whole column below
        reading = _read_group(text, dayfirst, name)
        if isinstance(reading, _Reading):
            return _finish([reading], [text.index], len(text), name, row_number(text, 0))
    shapes = _shape(text)
    groups = [text[shapes == s] for s in pd.unique(shapes)]
    if len(groups) > _MAX_FORMATS:
        examples = ", ".join(f"row {row_number(text, g.index[0])} '{g.iloc[0]}'" for g in groups[:3])
        raise DataError(f"Column '{name}' mixes {len(groups)} date formats (e.g. {examples}). "
                        "Write every date one way, or give --time-format.")
    readings = [_read_group(g, dayfirst, name) for g in groups]
    failed = [(g, r) for g, r in zip(groups, readings) if not isinstance(r, _Reading)]
    if failed:
        group, bad = failed[0]
        if len(groups) > 1 and not any(ch.isdigit() for ch in str(bad)):  # a word among dates
            raise DataError(
                f"Column '{name}' holds '{bad}' on row {_row_of(group, bad)}, which is not a date "
                "(a total or a note row?). Remove that row."
            )
        year = re.search(r"(?<!\d)(\d{4})(?!\d)", str(bad))
        if year and not 1678 <= int(year.group(1)) <= 2261:  # pandas' nanosecond times: 1677-09-21 .. 2262-04-11
            raise DataError(
                f"Column '{name}' has dates outside the years 1678-2261 that forecast can hold (e.g. '{bad}' on "
                f"row {_row_of(group, bad)}). Shift the years into that range (the steps stay the same)."
            )
        if len(groups) == 1:
            raise DataError(
                f"Column '{name}' has dates that cannot be parsed (e.g. '{bad}' on row "
                f"{_row_of(group, bad)}). Check the column, give --time-format, or name the right "
                "one with --time."
            )
        examples = " and ".join(f"row {row_number(text, g.index[0])} '{g.iloc[0]}'" for g in groups[:4])
        raise DataError(
            f"Column '{name}' mixes {len(groups)} date formats ({examples}); '{bad}' on row "
            f"{_row_of(group, bad)} cannot be read. Write every date one way, or give --time-format."
        )
    return _finish(readings, [g.index for g in groups], len(text), name,  # type: ignore[arg-type]
                   row_number(text, 0))


_MAX_FORMATS = 8  # more distinct date shapes than this: the column is not dates


@dataclass
class _Reading:
    """One format's parse: the times (UTC when offsets were given), the order and why."""

    index: pd.DatetimeIndex
    dayfirst: bool | None  # None: the format has no day/month ambiguity
    fmt: str | None
    why: str = ""  # how the order was decided
    aware: bool = False


def _sample(text: pd.Series) -> pd.Series:
    """Up to ~1,000 values from the start, the end and evenly between."""
    if len(text) <= 1000:
        return text
    step = max(1, len(text) // 400)
    return pd.concat([text.iloc[:300], text.iloc[::step], text.iloc[-300:]])


def _shape(text: pd.Series) -> pd.Series:
    """Each value's layout: letters -> ``a``, four digits -> ``Y``, other digit runs -> ``N``."""
    s = text.str.replace(r"[A-Za-z]+", "a", regex=True)
    s = s.str.replace(r"\d{4}", "Y", regex=True)
    return s.str.replace(r"\d+", "N", regex=True)


def _row_of(group: pd.Series, value: str) -> int:
    return row_number(group, int(group.index[(group == value).to_numpy()][0]))


def _candidates(values: list[str]) -> list[str]:
    """Formats the values may follow, month-first before day-first; never year-day-month."""
    found: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for value in values:
            for order in (False, True):
                fmt = guess_datetime_format(value, dayfirst=order)
                if fmt:
                    found.append(fmt)
                else:  # pandas guesses no two-digit year: guess on 31/12/2020, read %y
                    fmt = guess_datetime_format(_TWO_DIGIT_YEAR.sub(r"\g<1>20\g<2>", value), dayfirst=order)
                    if fmt and fmt.count("%Y") == 1 and _TWO_DIGIT_YEAR.match(value):
                        fmt = fmt.replace("%Y", "%y")
                        found.append(fmt)
                        if fmt[2:8:3] == fmt[5] * 2 and fmt[6:8] == "%y":  # or the year first: 20-12-31
                            found.append(f"%y{fmt[2]}%m{fmt[2]}%d{fmt[8:]}")
    out: list[str] = []
    for fmt in found:
        # "May" reads as a full month name, "Apr" as an abbreviation: try both spellings
        for spelled in dict.fromkeys((fmt, fmt.replace("%B", "%b"), fmt.replace("%b", "%B"))):
            for variant in (spelled, _swap(spelled)):
                if variant and variant not in out and not _year_day_month(variant):
                    out.append(variant)
    return sorted(out, key=lambda f: _day_first(f) is True)


# a day and month then a two-digit year (31/12/20, 12-31-20 13:00); never year-first 20/12/31,
# which pandas' own guess already covers when it can
_TWO_DIGIT_YEAR = re.compile(r"^(\d{1,2}[/.-]\d{1,2}[/.-])(\d{2})(?!\d)")


def _swap(fmt: str) -> str | None:
    if "%d" not in fmt or "%m" not in fmt:
        return None
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _day_first(fmt: str) -> bool | None:
    """Whether ``fmt`` puts the day before the month; None when the order is not in question."""
    if "%d" not in fmt or "%m" not in fmt or _year_first(fmt):
        return None
    return fmt.index("%d") < fmt.index("%m")


def _year_first(fmt: str) -> bool:
    year = min((fmt.find(c) for c in ("%Y", "%y") if c in fmt), default=-1)
    return year != -1 and year < fmt.find("%m") and year < fmt.find("%d")


def _year_day_month(fmt: str) -> bool:
    return _year_first(fmt) and fmt.index("%d") < fmt.index("%m")


def _check_one_order(text: pd.Series, formats: list[str], name: str) -> None:
    """Refuse a column where some dates can only be month first and others only day first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = [pd.to_datetime(text, format=f, errors="coerce").notna().to_numpy() for f in formats]
    only_month = np.flatnonzero(fits[0] & ~fits[1])
    only_day = np.flatnonzero(fits[1] & ~fits[0])
    if only_month.size and only_day.size:
        m, d = int(only_month[0]), int(only_day[0])
        raise DataError(
            f"Column '{name}' mixes date orders: '{text.iloc[m]}' on row {row_number(text, text.index[m])} can only be "
            f"month first, '{text.iloc[d]}' on row {row_number(text, text.index[d])} only day first. Fix those rows, "
            "or give --time-format."
        )


def _read_group(text: pd.Series, dayfirst: bool | None, name: str) -> _Reading | str:
    """Read values of one layout; on failure, the first value that could not be read."""
    every = _candidates(list(dict.fromkeys([text.iloc[0], text.iloc[len(text) // 2], text.iloc[-1]])))
    formats = [f for f in every if dayfirst is None or _day_first(f) in (None, dayfirst)]
    results = [r for r in (_exact(text, f) for f in formats) if r is not None]
    if not results and dayfirst is not None:
        other = [f for f in every if _day_first(f) is (not dayfirst)]
        if other and _exact(text, other[0]) is not None:
            bad = _first_bad(text, formats[0]) if formats else str(text.iloc[0])
            given, order = ("--dayfirst", "day") if dayfirst else ("--monthfirst", "month")
            raise DataError(
                f"Column '{name}' has dates that cannot be {order} first (e.g. '{bad}' on row "
                f"{_row_of(text, bad)}), but {given} says so (given, or recorded in the bundle). "
                f"Drop {given}, or fix the dates."
            )
    if not results:
        orders = [f for f in formats if _day_first(f) is not None]
        if dayfirst is None and len(orders) == 2:
            _check_one_order(text, orders, name)
        if formats:
            return _first_bad(text, formats[0])
        mixed = _mixed(text, dayfirst)
        return mixed if mixed is not None else str(text.iloc[0])
    if len(results) == 1:
        reading = results[0]
        if reading.dayfirst is not None and dayfirst is None:
            proof = np.flatnonzero(reading.index.day > 12)
            row = int(proof[0]) if proof.size else 0
            reading.why = (f"'{text.iloc[row]}' on row {row_number(text, text.index[row])} can only be "
                           f"{'day' if reading.dayfirst else 'month'} first")
        elif reading.dayfirst is not None:
            reading.why = "--dayfirst" if dayfirst else "--monthfirst"
        return reading
    if len(results) > 2 or any(_year_first(r.fmt or "") for r in results):  # two-digit years: which
        gaps = [_irregularity(r.index) for r in results]  # field is the year, the regular series says
        best = results[int(np.argmin(gaps))]
        if sorted(gaps)[0] == sorted(gaps)[1]:
            raise DataError(
                f"Column '{name}' has dates with two-digit years that read as well as "
                f"{' or '.join(str(r.fmt) for r in results)}. Give --time-format, or write four-digit years."
            )
        best.why = f"every date fits {len(results)} formats; only {best.fmt} gives a regular series"
        return best
    month, day = results[0], results[1]  # both orders read every value
    if month.index.equals(day.index):
        month.dayfirst = None
        return month
    day_gaps, month_gaps = _irregularity(day.index), _irregularity(month.index)
    if day_gaps == month_gaps:
        month.why = "every date fits both orders; give --dayfirst if they are day first"
        return month
    best = day if day_gaps < month_gaps else month
    best.why = (f"every date fits both orders; only {'day' if best.dayfirst else 'month'} first "
                "gives a regular series")
    return best


def _exact(text: pd.Series, fmt: str) -> _Reading | None:
    aware = "%z" in fmt
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(text, format=fmt, utc=aware)
    except (ValueError, TypeError, OverflowError):
        return None
    return _Reading(_naive(parsed), _day_first(fmt), fmt, aware=aware)


def _mixed(text: pd.Series, dayfirst: bool | None) -> _Reading | None:
    """Value by value (quarters like 2020Q1, month names...): slow, only when no format fits."""
    for utc in (False, True):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = pd.to_datetime(text, format="mixed", dayfirst=bool(dayfirst), utc=utc)
        except (ValueError, TypeError, OverflowError):
            continue
        index = pd.DatetimeIndex(parsed)
        return _Reading(_naive(parsed), None, None, aware=index.tz is not None)
    return None


def _naive(parsed: Any) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ns")


def _first_bad(text: pd.Series, fmt: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = pd.to_datetime(text, format=fmt, errors="coerce").isna().to_numpy()
    return str(text.iloc[int(np.flatnonzero(bad)[0])]) if bad.any() else str(text.iloc[0])


def _finish(
    readings: list[_Reading], rows: list[pd.Index], n: int, name: str, first_row: int = 2
) -> tuple[pd.DatetimeIndex, bool | None, list[str]]:
    """Join the readings of each format back in row order, with one note per decision
    (``first_row``: the file's line of position 0, for messages)."""
    aware = [r.aware for r in readings]
    if any(aware) and not all(aware):
        a = next(i for i, r in enumerate(readings) if r.aware)
        b = next(i for i, r in enumerate(readings) if not r.aware)
        raise DataError(
            f"Column '{name}' mixes times with and without UTC offsets (row {rows[a][0] + first_row} has one, "
            f"row {rows[b][0] + first_row} has none). Give every time an offset, or none."
        )
    if len(readings) == 1:
        index = readings[0].index
    else:
        values = np.empty(n, dtype="datetime64[ns]")
        for reading, where in zip(readings, rows):
            values[np.asarray(where)] = reading.index.to_numpy()
        index = pd.DatetimeIndex(values)
    notes = []
    if len(readings) > 1:
        shown = ", ".join(r.fmt or "free text" for r in readings)
        notes.append(f"column '{name}' mixes {len(readings)} date formats, each read by its own ({shown})")
    for reading in readings:
        if reading.dayfirst is not None and reading.why:
            order = "day first" if reading.dayfirst else "month first"
            notes.append(f"dates read {order} ({reading.fmt}): {reading.why}")
        elif reading.why:  # two-digit years read year first
            notes.append(f"dates read year first ({reading.fmt}): {reading.why}")
    if all(aware):
        notes.append("times carry UTC offsets: converted to UTC")
        index = index.tz_localize("UTC")  # marked, so outputs say UTC (forecast.data.read_raw)
    orders = {r.dayfirst for r in readings} - {None}  # None: no date had an order to decide
    dayfirst = True if True in orders else (False if orders else None)
    return index, dayfirst, notes


def _text(col: pd.Series) -> pd.Series:
    """The column as text, stripped only when its first or last values carry spaces
    (stripping a million strings costs a copy of each), quarters and ISO weeks as pandas reads them."""
    text = col.astype(str)
    ends = pd.concat([text.head(1000), text.tail(1000)])
    text = text.str.strip() if (ends.str.len() != ends.str.strip().str.len()).any() else text
    return periods_as_dates(text)


_QUARTER_LAST = r"(?P<y>\d{4})\s*[-/ ]?\s*[Qq](?P<q>[1-4])"  # 1990 Q1, 1990-Q1, 1990/q1, 1990Q1
_QUARTER_FIRST = r"[Qq](?P<q>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})"  # Q1 1990, Q1-1990
_ISO_WEEK = r"(?P<y>\d{4})-?W(?P<w>\d{2})"  # 2015-W01, 2015W01: the week's Monday


def periods_as_dates(text: pd.Series) -> pd.Series:
    """Quarters written any common way (``1990 Q1``, ``Q1 1990``) as ``1990Q1``, and ISO weeks
    (``2015-W01``) as their Monday's date; other text unchanged. Looked for only when the first
    values are such periods (a million ordinary dates cost no regex)."""
    head = text.head(50).str.strip()
    for pattern in (_QUARTER_LAST, _QUARTER_FIRST):
        if len(head) and head.str.fullmatch(pattern).all():
            parts = text.str.strip().str.extract(f"^{pattern}$")
            return (parts["y"] + "Q" + parts["q"]).where(parts["y"].notna(), text)
    if len(head) and head.str.fullmatch(_ISO_WEEK).all():
        from datetime import date

        parts = text.str.strip().str.extract(f"^{_ISO_WEEK}$")

        def monday(y: object, w: object) -> str | None:
            try:
                return date.fromisocalendar(int(str(y)), int(str(w)), 1).isoformat()
            except ValueError:  # week 54, week 00: left as written, refused with its row
                return None

        mondays = [monday(y, w) if isinstance(y, str) else None for y, w in zip(parts["y"], parts["w"])]
        return pd.Series(mondays, index=text.index, dtype=object).where(lambda m: m.notna(), text)
    return text


PERIOD_FIELDS = {"y": "{y}", "q": "{q}", "w": "{w:02d}"}  # a template's only fields


def period_template(text: pd.Series) -> str | None:
    """How a column of quarters or ISO weeks writes them (``1990 Q1`` -> ``{y} Q{q}``, ``2015-W01`` ->
    ``{y}-W{w:02d}``), so outputs write them the same way; None for other times."""
    values = text.dropna().astype(str).str.strip()
    if values.empty:
        return None
    for pattern in (_QUARTER_LAST, _QUARTER_FIRST, _ISO_WEEK):
        found = re.fullmatch(pattern, values.iloc[0])
        if found and values.head(50).str.fullmatch(pattern).all():
            out = values.iloc[0]
            for group in sorted(found.re.groupindex, key=found.start, reverse=True):  # from the right
                out = out[:found.start(group)] + PERIOD_FIELDS[group] + out[found.end(group):]
            return out
    return None


def month_day(index: pd.DatetimeIndex, known: int = 1) -> int:
    """The day of the month every time falls on, at midnight, where it is one day from the 2nd to
    the 28th (monthly readings on the 15th, quarterly ones on the 5th): such a series is read on
    month starts and written back on that day (see :func:`forecast.data.read_raw`). Else 1.
    Under three times tell only the ``known`` day (a bundle's, for a short --future-data file)."""
    times = index[~index.isna()]
    if not len(times) or (times != times.normalize()).any():
        return 1
    days = np.unique(times.day)
    if len(days) != 1 or not 2 <= days[0] <= 28 or (len(times) < 3 and days[0] != known):
        return 1
    return int(days[0])


def _irregularity(index: pd.DatetimeIndex) -> float:
    """Share of the inferred grid left empty once sorted (0 = every step present, 1 = no grid).

    Calendar-aware: monthly stamps (28 to 31 days apart) are perfectly regular.
    """
    stamps = index.unique().sort_values()
    if len(stamps) < 3:
        return 0.0
    stamps = stamps - pd.Timedelta(days=month_day(stamps) - 1)  # monthly on the 15th: on month starts
    steps = np.diff(stamps.asi8)
    if int(np.median(steps)) <= 0 or (stamps[-1] - stamps[0]).value / np.median(steps) > 20 * len(stamps):
        return 1.0
    try:
        freq = infer_freq(stamps)
        grid = pd.date_range(stamps[0], stamps[-1], freq=freq)
    except (DataError, ValueError):
        return 1.0
    on_grid = int(stamps.isin(grid).sum())
    return 1.0 - on_grid / max(len(grid), len(stamps))
