"""The base forecast the network corrects: the last value, or the value one season back.

"Do nothing" must never be worse than the better of naive and seasonal naive: the
network's output starts at zero (see :mod:`forecast.nets`), so its first forecast is
the base. ``auto`` picks the base whose multi-step errors are lower on the training
part of every series (the same rolling windows the network trains on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import baselines
from .errors import ConfigError
from .windows import origins

if TYPE_CHECKING:
    from .layout import Layout

MAX_ORIGINS = 2000  # per series: enough to rank two bases


def check_anchor(anchor: str, layout: Layout, season: int) -> None:
    """``--anchor season`` reads last season's value from the window: refused when the window is
    shorter than a season (`forecast doctor` runs the same check). The advice says whether the
    data holds a lookback of a season at this horizon (one training window before validation)."""
    lookback, horizon = layout.lookback, layout.horizon
    if anchor != "season" or season <= 1 or lookback >= season:
        return
    room = max(split.train_end for split in layout.splits) - horizon  # the longest lookback the data holds
    fix = (f"Give --lookback {season}" if room >= season else
           f"The longest series holds a lookback of at most {max(room, 0)} at --horizon {horizon}: give a "
           "shorter --horizon or a longer series")
    raise ConfigError(f"--anchor season needs a lookback of at least the season ({season}); the "
                      f"lookback is {lookback}. {fix}, or a shorter --season, or --anchor auto.")


def season_note(anchor: str, train_rows: int, lookback: int, season: int) -> str | None:
    """The one note, shared by `forecast doctor` and training, on a season the data is short
    for: the training part holds under two seasons (seasonal naive and the statistical members
    cannot learn one), and/or the window is shorter than the season (``--anchor auto`` then
    takes the last value as the network's base). None when neither holds."""
    if season <= 1:
        return None
    short_window = lookback < season and anchor in ("auto", "last")
    if train_rows < 2 * season:
        base = (f" and the lookback {lookback} is shorter: the network's base is the last value,"
                if short_window else ":")
        return (f"season {season} is more than half the {train_rows} training rows{base} seasonal naive and "
                "the statistical members see under two seasons, too few to learn one (a longer series, or --season)")
    if short_window and anchor == "auto":
        return (f"season {season} is longer than the lookback {lookback}: the network's base is the last "
                "value, not last season's (give a longer series or --lookback)")
    return None


def choose_anchor(anchor: str, layout: Layout, target: str, season: int) -> tuple[str, str | None]:
    """Resolve ``auto`` to ``last`` or ``season``; returns the anchor and a note (or None)."""
    lookback, horizon = layout.lookback, layout.horizon
    check_anchor(anchor, layout, season)
    if anchor == "auto" and season > 1 and lookback < season:
        return "last", season_note(anchor, layout.splits[0].train_end, lookback, season)
    if anchor != "auto":
        return anchor, None
    if season <= 1:
        return "last", None
    err = {"last": 0.0, "season": 0.0}
    for frame, split in zip(layout.frames, layout.splits):
        y = frame[target].to_numpy(dtype="float64")
        o = origins(0, split.train_end, lookback, horizon)
        if not len(o):
            continue
        o = o[np.unique(np.linspace(0, len(o) - 1, min(len(o), MAX_ORIGINS)).astype(int))]
        actual = y[o[:, None] + np.arange(horizon)]
        scale = float(np.mean(np.abs(np.diff(y[: split.train_end])))) or 1.0
        err["last"] += float(np.mean(np.abs(actual - baselines.naive(y, o, horizon)))) / scale
        err["season"] += float(
            np.mean(np.abs(actual - baselines.seasonal_naive(y, o, horizon, season)))
        ) / scale
    return ("season" if err["season"] < err["last"] else "last"), None
