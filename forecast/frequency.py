"""Frequency inference and what follows from a frequency: season length, horizon, future stamps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from .errors import DataError
from .timefmt import when

_TRADING = "B"


def infer_freq(index: pd.DatetimeIndex) -> str:
    """Infer the step of a sorted, duplicate-free index, robust to a few gaps.

    ``pd.infer_freq`` needs a perfect index; real files have gaps (DST, missing
    days, holidays), so fall back to the most common step, read on the calendar:
    28..31 days is monthly (start or end), 89..92 quarterly, 365/366 yearly, 7 days
    weekly on the weekday of the rows. Daily data with no weekend rows is
    trading-day data (``"B"``).
    """
    index = index.as_unit("ns")  # pandas may parse to s/ms/us; steps below are in ns
    if len(index) >= 3:
        exact = _exact_freq(index)
        if exact is not None:
            return _anchored(exact, index)
    steps = np.diff(index.asi8)
    if steps.size == 0:
        raise DataError("The series has a single timestamp; give at least a few rows.")
    values, counts = np.unique(steps, return_counts=True)
    step = pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")
    day = pd.Timedelta(days=1)
    if step == day and len(index) > 10 and not (index.day_of_week >= 5).any():
        return _TRADING
    if pd.Timedelta(days=27) <= step <= pd.Timedelta(days=31):
        return "MS" if (index.day == 1).mean() > 0.9 else "ME"
    if pd.Timedelta(days=89) <= step <= pd.Timedelta(days=92):
        return _anchored("QS" if (index.day == 1).mean() > 0.9 else "QE", index)
    if pd.Timedelta(days=365) <= step <= pd.Timedelta(days=366):
        return _anchored("YS" if (index.day == 1).mean() > 0.9 else "YE", index)
    if step == 7 * day and index.normalize().equals(index) and index.day_of_week.nunique() == 1:
        return f"W-{_DAYS[index[0].day_of_week]}"
    if step % day == pd.Timedelta(0):
        return f"{step // day}D" if step > day else "D"
    return _normalise(to_offset(step).freqstr)


_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_ROUND_STEPS = ("1s", "2s", "5s", "10s", "15s", "30s", "1min", "2min", "5min", "10min", "15min", "20min",
                "30min", "1h", "2h", "3h", "4h", "6h", "8h", "12h", "D")


def resample_rule(step: str, index: pd.DatetimeIndex) -> str:
    """The grid to aggregate a slightly irregular index onto, for advice (``--resample``): a
    step of 5-9 days is weekly, ending on the rows' most common weekday (Friday data with
    holiday Thursdays: W-FRI); a step under a day is the nearest round one (601 s: 10min)."""
    try:
        delta = pd.Timedelta(to_offset(step))
    except (TypeError, ValueError):  # calendar steps (MS, QS-JAN...) are already the grid
        return step
    if pd.Timedelta(days=5) <= delta <= pd.Timedelta(days=9):
        return f"W-{_DAYS[int(pd.Series(index.day_of_week).mode().iloc[0])]}"
    if delta < pd.Timedelta(days=1):
        return min(_ROUND_STEPS, key=lambda r: abs(np.log(pd.Timedelta(to_offset(r)) / delta)))
    return step


def _anchored(alias: str, index: pd.DatetimeIndex) -> str:
    """Quarters and years anchored on the months of the rows, written one way:
    quarter starts as QS-JAN/FEB/MAR, quarter ends as QE-DEC/JAN/FEB, years by their month."""
    base = alias.split("-")[0]
    month = int(index[0].month)
    if base in ("QS", "BQS"):
        return f"{base}-{_MONTHS[(month - 1) % 3]}"
    if base in ("QE", "BQE"):
        return f"{base}-{_MONTHS[(month - 1) % 3 + 9]}"
    if base in ("YS", "BYS"):
        return f"{base}-{_MONTHS[month - 1]}"
    if base in ("YE", "BYE"):
        return f"{base}-{_MONTHS[month - 1]}"
    return alias


def _exact_freq(index: pd.DatetimeIndex) -> str | None:
    """``pd.infer_freq`` as an alias string, on pandas 2 and 3 alike."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            found = pd.infer_freq(index)
    except (KeyError, pd.errors.OptionError):  # pandas 2 has no such option
        found = pd.infer_freq(index)
    return None if found is None else to_offset(found).freqstr


def _normalise(alias: str) -> str:
    return to_offset(alias).freqstr


def is_trading_days(freq: str) -> bool:
    """Business-day steps: consecutive trading days, never reindexed with invented holidays."""
    return to_offset(freq).rule_code in ("B", "C")


def season_length(freq: str) -> int:
    """Seasonal period M in steps: one day of intraday steps (48 half-hourly, 24 hourly,
    144 ten-minute), a week of days (7 daily, 5 business-daily), a year of longer steps
    (52 weekly, 12 monthly, 4 quarterly, 1 yearly)."""
    offset = to_offset(freq)
    name = offset.rule_code.split("-")[0]
    if name in ("B", "C"):
        return 5
    if name.startswith("W"):
        return 52
    if name in ("MS", "ME", "M", "BMS", "BME", "BM", "CBMS", "CBME", "SMS", "SME"):
        return 24 if name.startswith("S") else 12
    if name.startswith(("Q", "BQ")):
        return 4
    if name.startswith(("Y", "A", "BY", "BA")):
        return 1
    try:
        step = pd.Timedelta(offset)
    except (ValueError, TypeError):
        return 1
    day = pd.Timedelta(days=1)
    if step < day and (day % step) == pd.Timedelta(0):
        return int(day / step)  # one day: 24 hourly, 48 half-hourly, 144 ten-minute
    if step == day:
        return 7
    if step == 7 * day:
        return 52
    return 1


def default_horizon(freq: str) -> int:
    """A useful horizon when none is given: one day ahead for intraday data, two weeks daily..."""
    name = to_offset(freq).rule_code
    if name in ("B", "C"):
        return 5
    m = season_length(freq)
    # daily two weeks, weekly a quarter and quarterly two years (as in the M4 competition)
    return {7: 14, 1: 4, 52: 13, 4: 8}.get(m, m)


def nominal_step(freq: str) -> pd.Timedelta:
    """A step's length; for calendar steps (months, semi-months, quarters, business days), which
    have no fixed one, their mean over a year of them."""
    offset = to_offset(freq)
    try:
        return pd.Timedelta(offset)
    except (TypeError, ValueError):
        span = pd.date_range("2001-01-01", periods=25, freq=offset)
        return (span[-1] - span[0]) / 24


def future_index(last: pd.Timestamp, freq: str, periods: int) -> pd.DatetimeIndex:
    """The ``periods`` timestamps after ``last`` at the series' frequency (weekdays for ``"B"``).

    Raises:
        DataError: a step past 2262-04-11, the last date pandas can hold.
    """
    try:
        return pd.date_range(last, periods=periods + 1, freq=freq)[1:]
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise DataError(
            f"{periods} steps of {freq} after {when(last)} pass {pd.Timestamp.max:%Y-%m-%d}, the last date pandas "
            "can hold. Give a shorter --horizon, or times that end earlier."
        ) from None
