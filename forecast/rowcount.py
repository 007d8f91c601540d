"""How many rows a split leaves for training, and how many a geometry needs: arithmetic only,
shared by the options' checks (:mod:`forecast.config`) and the split (:mod:`forecast.split`)."""

from __future__ import annotations

import math


def train_rows(rows: int, horizon: int, test_fraction: float, val_fraction: float) -> int:
    """Rows left for training once test (whole horizons) and validation are cut off the end."""
    test = 0 if test_fraction == 0 else horizon * max(1, round(test_fraction * rows / horizon))
    # two horizons of validation where the series allows: its windows also choose the forecast
    val = max(2 * horizon if rows >= 8 * horizon else horizon, round(val_fraction * rows))
    return rows - test - val


def rows_needed(
    lookback: int, horizon: int, test_fraction: float, val_fraction: float, start: int = 1
) -> int:
    """The fewest rows (from ``start`` on) whose split leaves one training window, by arithmetic.

    The split's rounding makes the training rows only roughly increasing, so the answer is
    bracketed by two bounds that differ by about a horizon: an exact scan between them when
    that is short, else the upper bound (rows that surely suffice).
    """
    want = lookback + horizon  # training rows for one window
    keep = 1.0 - test_fraction - val_fraction
    tests = 1 if test_fraction else 0
    low = max(start, want + (1 + tests) * horizon, math.floor((want - horizon / 2 - 1) / keep))
    high = max(low, math.ceil((want + 3 * horizon + 1) / keep))
    if high - low > 100_000:
        return high
    return next(
        (n for n in range(low, high + 1)
         if train_rows(n, horizon, test_fraction, val_fraction) >= want),
        high,
    )
