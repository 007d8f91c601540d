"""Public holidays as known-future inputs, from the ``holidays`` package.

A region is a country code (``US``), optionally with a subdivision (``US-CA``). The
features are read per calendar date, so every step of a day shares them:

- ``holiday``: 1 on a public holiday (observed days included), else 0; for steps
  longer than a day, the share of the step's days that are holidays;
- ``days_to_holiday`` / ``days_from_holiday`` (steps of a day or less): days until the
  next holiday and since the last one, capped at ``MAX_DAYS`` and divided by it, so the
  day before Thanksgiving and the Friday after are told apart from an ordinary day.

Like the calendar, these are written into each row shifted by the horizon (see
:mod:`forecast.calendar`), and the definition is recorded in bundle.json, so predict
rebuilds the same features from timestamps alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError

MAX_DAYS = 7  # a week either side: PJM load dips on the days around a holiday, not a month away
FLAG, DAYS_TO, DAYS_FROM = "holiday", "days_to_holiday", "days_from_holiday"


def parse_region(code: str) -> tuple[str, str | None]:
    """``"US"`` -> ``("US", None)``, ``"us-ca"`` -> ``("US", "CA")``, checked against the package.

    Raises:
        ConfigError: an unknown country or subdivision, naming the known ones.
    """
    import holidays

    country, dash, subdiv = str(code).strip().upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ConfigError(
            f"Unknown --holidays country '{code}'. Use an ISO 3166 country code such as US, GB, DE "
            "or FR, with an optional subdivision (US-CA): see holidays.list_supported_countries() "
            "for the codes the holidays package knows."
        )
    if dash and not subdiv.strip():  # "US-": a subdivision was meant and not given
        one = f"Give one (e.g. {country}-{supported[country][0]}) or" if supported[country] else "Give"
        raise ConfigError(f"--holidays '{code}' names no subdivision after '-'. {one} the country alone "
                          f"(--holidays {country}).")
    if subdiv and subdiv not in supported[country]:
        known = ", ".join(supported[country][:12]) or "none"
        raise ConfigError(
            f"Unknown --holidays subdivision '{subdiv}' of {country}. Known: {known}"
            f"{' ...' if len(supported[country]) > 12 else ''}. Or give the country alone "
            f"(--holidays {country})."
        )
    return country, subdiv or None


def spec(code: str, freq: str, resampled: bool = False) -> dict[str, Any]:
    """The holiday inputs for a region and frequency, as recorded in bundle.json.

    ``resampled``: the rows are periods ``--resample`` made, labelled as pandas labels them.
    """
    country, subdiv = parse_region(code)
    features = [FLAG, DAYS_TO, DAYS_FROM] if _step(freq) <= pd.Timedelta(days=1) else [FLAG]
    region = {"country": country, "subdiv": subdiv, "features": features, "max_days": MAX_DAYS}
    return {**region, "ending": True} if _ends_periods(freq, resampled) else region


def _ends_periods(freq: str, resampled: bool = False) -> bool:
    """Whether a row of ``freq`` is dated on the last day of the period it holds: month, quarter and
    year ends (ME, QE, YE, their business forms), whose holiday share is of the days up to the row.
    Other steps' rows start their period (MS, QS; a week in a file is read from its row on), except
    weeks ``--resample`` made: pandas labels ``W-SUN`` on the Sunday that ends the week it sums."""
    offset = pd.tseries.frequencies.to_offset(freq)
    ends = (pd.offsets.MonthEnd, pd.offsets.QuarterEnd, pd.offsets.YearEnd, pd.offsets.BusinessMonthEnd,
            pd.offsets.BQuarterEnd, pd.offsets.BYearEnd, pd.offsets.SemiMonthEnd)
    weeks = resampled and isinstance(offset, pd.offsets.Week) and offset.weekday is not None
    return isinstance(offset, ends) or weeks


def _step(freq: str) -> pd.Timedelta:
    """One step's length (a month as 28 days or more: only ``<= 1 day`` matters here)."""
    offset = pd.tseries.frequencies.to_offset(freq)
    try:
        return pd.Timedelta(offset)
    except ValueError:  # months, quarters, years, business days: calendar-dependent steps
        return pd.Timedelta(days=1) if offset.rule_code in ("B", "C") else pd.Timedelta(days=28)


def dates(region: dict[str, Any], first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """The region's holiday dates from ``first`` to ``last`` (inclusive, by date)."""
    import holidays

    years = range(first.year, last.year + 1)
    found = holidays.country_holidays(region["country"], subdiv=region["subdiv"], years=years)
    days = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in found)).as_unit("s")
    return days[(days >= first.normalize()) & (days <= last.normalize())]


def encode(index: pd.DatetimeIndex, region: dict[str, Any], freq: str) -> np.ndarray:
    """``(rows, len(region["features"]))`` float32 holiday features at each timestamp."""
    features = region["features"]
    if not len(index):
        return np.zeros((0, len(features)), "float32")
    cap = int(region.get("max_days", MAX_DAYS))
    step = _step(freq)
    index = pd.DatetimeIndex(index)
    index = (index.tz_localize(None) if index.tz is not None else index).as_unit("s")  # seconds: the
    # padding past a forecast step near 2262-04-11 (the last nanosecond date) must not overflow
    day = pd.Timedelta(days=1).as_unit("s")
    pad = pd.Timedelta(days=cap + 1).as_unit("s")
    after = index + pd.tseries.frequencies.to_offset(freq)  # (rows,) the next step: a quarter or a
    before = index - pd.tseries.frequencies.to_offset(freq)  # year reaches 92 or 366 days past its row
    first = min(index.min(), before.min()).normalize() - pad  # (or before it), not 28
    last = max(after.max().normalize(), index.max().normalize() + day) + pad
    days = pd.date_range(first, last, freq="D", unit="s")  # every date the features can look at
    flag = days.isin(dates(region, first, last)).astype("float64")  # (days,)
    position = ((index.normalize() - first) // day).to_numpy()  # (rows,) the date of each row
    out = []
    for name in features:
        if name == FLAG and step <= pd.Timedelta(days=1):
            out.append(flag[position])
        elif name == FLAG:  # the share of the step's days that are holidays: from the row's date to the
            total = np.concatenate([[0.0], np.cumsum(flag)])  # next row's, or for a row ending its
            if region.get("ending"):  # period (bundles record "ending"), the days after the row before it
                begin = ((before.normalize() - first) // day).to_numpy() + 1
                stop = position + 1
            else:
                begin, stop = position, ((after.normalize() - first) // day).to_numpy()
            width = np.maximum(stop - begin, 1)
            out.append((total[begin + width] - total[begin]) / width)
        else:
            out.append(_distance(flag, position, cap, forward=name == DAYS_TO) / cap)
    return np.stack(out, axis=1).astype("float32")


def _distance(flag: np.ndarray, position: np.ndarray, cap: int, forward: bool) -> np.ndarray:
    """Days from each date to the next (``forward``) or last holiday, at most ``cap``."""
    n = len(flag)
    at = np.arange(n)
    marked = np.where(flag > 0, at, -1 if not forward else n + cap)
    if forward:  # the nearest holiday on or after each date
        nearest = np.minimum.accumulate(marked[::-1])[::-1]
        gap = nearest - at
    else:  # the nearest on or before
        nearest = np.maximum.accumulate(marked)
        gap = np.where(nearest >= 0, at - nearest, cap)
    return np.minimum(gap, cap)[position].astype("float64")
