"""Calendar features: known-future inputs computed from timestamps alone.

Which cycles are worth encoding follows from the frequency: hour of day and day of
week for intraday data, day of week and day of year for daily data, month of year
for monthly and quarterly data. Each cycle is a sin/cos pair in [-1, 1] (no scaling
needed, and 23:00 sits next to 00:00).

The network reads windows of past rows, so a known-future input is written into
the window *shifted by the horizon*: the row at time ``t`` carries the calendar of
``t + horizon`` steps. The last ``horizon`` rows of every window thus hold the
calendar of the steps being forecast, with no change to the network's shape.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from .frequency import future_index, nominal_step

CYCLES = {
    "hour": (lambda i: i.hour + i.minute / 60.0, 24.0),
    "day_of_week": (lambda i: i.day_of_week.astype("float64"), 7.0),
    "day_of_year": (lambda i: (i.day_of_year - 1).astype("float64"), 365.25),
    "month": (lambda i: (i.month - 1).astype("float64"), 12.0),
}


def cycles_for(freq: str) -> list[str]:
    """The calendar cycles that vary within a series of this frequency."""
    offset = to_offset(freq)
    code = offset.rule_code
    if code in ("B", "C"):
        return ["day_of_week", "day_of_year"]
    if code.startswith(("M", "Q", "BM", "BQ")):
        return ["month"]
    if code.startswith("W"):
        return ["day_of_year"]
    if code.startswith(("Y", "A")):
        return []
    step = nominal_step(freq)  # other calendar steps (semi-month SMS/SME): their mean length
    if step < pd.Timedelta(days=1):
        return ["hour", "day_of_week"]
    if step == pd.Timedelta(days=1):
        return ["day_of_week", "day_of_year"]
    return ["day_of_year"] if step < pd.Timedelta(days=60) else []


def feature_names(cycles: list[str]) -> list[str]:
    """Column names of the encoded cycles: ``hour_sin, hour_cos, ...``."""
    return [f"{c}_{f}" for c in cycles for f in ("sin", "cos")]


def encode(index: pd.DatetimeIndex, cycles: list[str]) -> np.ndarray:
    """``(rows, 2 * len(cycles))`` float32 sin/cos of each cycle at each timestamp."""
    out = []
    for name in cycles:
        position, period = CYCLES[name]
        angle = 2 * np.pi * np.asarray(position(index), dtype="float64") / period
        out += [np.sin(angle), np.cos(angle)]
    return np.stack(out, axis=1).astype("float32") if out else np.zeros((len(index), 0), "float32")


def ahead(index: pd.DatetimeIndex, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The timestamp ``horizon`` steps after each row: the step whose known-future inputs
    (calendar, holidays, ``--future`` columns) that row carries (rows past the end use future stamps)."""
    return index.append(future_index(index[-1], freq, horizon))[horizon:]


def shifted(index: pd.DatetimeIndex, cycles: list[str], freq: str, horizon: int) -> np.ndarray:
    """The calendar of ``horizon`` steps after each row (rows past the end use future stamps)."""
    if not cycles:
        return np.zeros((len(index), 0), "float32")
    return encode(ahead(index, freq, horizon), cycles)
