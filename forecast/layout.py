"""Where each series sits for training: its rows, its split by time, its windows.

One model learns from every series at once (a global model). The scaled series
are stacked into one array; each window's origin is a row of that array, and no
window crosses from one series into the next. A single series is the case of one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import DataError
from .frequency import future_index, season_length
from .split import Split, plan
from .timefmt import listed
from .windows import origins

if TYPE_CHECKING:
    from .config import TrainConfig
    from .data import Series
    from .preprocessing import Preprocessor


@dataclass
class Layout:
    """The series kept for training, each with its time split, in one stacked array.

    Attributes:
        names: series names (one entry, the target, for a single series).
        frames: each series' frame.
        splits: each series' train / validation / test rows.
        horizon, lookback: the window geometry shared by every series.
        skipped: notes on series too short to train on (left out).
        panel: several series keyed by name (scalers per series).
        notes: what else the plan decided (series too short for a training window, read padded).
    """

    names: list[str]
    frames: list[pd.DataFrame]
    splits: list[Split]
    horizon: int
    lookback: int
    skipped: list[str]
    panel: bool
    notes: list[str] = field(default_factory=list)  # e.g. series read with padding

    @classmethod
    def plan(cls, series: Series, config: TrainConfig) -> Layout:
        """Choose one geometry for every series and split each by time.

        The lookback (when not given) is the one a single series allows, or for several series
        :func:`panel_lookback`; a panel's series shorter than it are read padded (a note says how
        many), and series too short for even one training row past a horizon are left out with a
        note, or fail when none is left.
        """
        items = list(series.frames.items())
        tried: dict[str, tuple[int, int, Split] | DataError] = {}
        for name, frame in items:
            try:
                tried[name] = plan(len(frame), series.freq, config)
            except DataError as exc:
                tried[name] = exc
        fits = [t for t in tried.values() if not isinstance(t, DataError)]
        if not fits:  # the longest series' reason: the one the fix has to reach
            longest = max(items, key=lambda kv: len(kv[1]))[0]
            if len(items) > 1:
                raise DataError(f"All {len(items)} series are too short; the longest, '{longest}': "
                                f"{tried[longest]}")
            raise tried[longest]
        horizon = fits[0][0]
        for _, frame in items:  # every forecast step must be a date pandas can hold
            future_index(frame.index[-1], series.freq, horizon)
        pad = series.is_panel and config.lookback is None  # short series read padded, not left out
        if pad:
            lookback = panel_lookback(sorted(t[1] for t in fits), config.season or season_length(series.freq))
        else:
            lookback = min(t[1] for t in fits)
        fixed = replace(config, lookback=lookback)
        names, frames, splits, skipped, padded = [], [], [], [], 0
        for name, frame in items:
            split, short = _split(len(frame), series.freq, fixed, pad)
            if split is None:
                skipped.append(f"'{name}' ({len(frame)} rows)")
                continue
            padded += short
            names.append(name)
            frames.append(frame)
            splits.append(split)
        if skipped:  # one note, however many
            shown = listed(skipped)
            window = "lookback 1" if pad else f"lookback {lookback}"
            skipped = [f"{len(skipped)} series left out, too few rows for {window} + horizon {horizon} + "
                       f"validation + test: {shown}"]
        notes = []
        if padded:
            notes.append(f"{padded} series too short for a training window of lookback {lookback} (set by nine "
                         "in ten of the series) before their validation and test rows: each trains no windows "
                         "of its own and is forecast by what the others taught (its first value repeated "
                         "before its start where it is shorter than the lookback)")
        return cls(names, frames, splits, horizon, lookback, skipped, series.is_panel, notes)

    def key(self, i: int) -> str | None:
        """The scaler key of series ``i`` (None for a single series)."""
        return self.names[i] if self.panel else None

    def fit(self, pre: Preprocessor) -> None:
        """Fit the scaler(s) on each series' training part only: no leakage."""
        for i, (frame, split) in enumerate(zip(self.frames, self.splits)):
            pre.fit(frame.iloc[: split.train_end], self.key(i))

    def transform(self, pre: Preprocessor) -> list[np.ndarray]:
        """Each series scaled (with its calendar inputs)."""
        return [pre.transform(frame, self.key(i)) for i, frame in enumerate(self.frames)]

    def starts(self) -> np.ndarray:
        """The first row of each series in the stacked array."""
        return np.cumsum([0] + [len(f) for f in self.frames[:-1]]).astype("int64")

    def origins(self, part: str) -> np.ndarray:
        """Stacked-array origins of every ``"train"`` or ``"validation"`` window of every series."""
        out = []
        for start, split in zip(self.starts(), self.splits):
            first, end = (0, split.train_end) if part == "train" else (split.train_end, split.val_end)
            out.append(origins(first, end, self.lookback, self.horizon) + start)
        return np.concatenate(out) if out else np.zeros(0, "int64")


def _split(rows: int, freq: str, config: TrainConfig, pad: bool) -> tuple[Split | None, bool]:
    """A series' split at ``config.lookback``, and whether it is shorter than that lookback. With
    ``pad`` such a series keeps its split (no training windows of its own; its later windows are
    read with its first row repeated before it, ``Forecaster._lstm_windows``). None: too short
    even so."""
    for lookback in (config.lookback, 1) if pad else (config.lookback,):
        try:
            return plan(rows, freq, replace(config, lookback=lookback))[2], lookback != config.lookback
        except DataError:
            continue
    return None, False


def panel_lookback(lookbacks: list[int], season: int) -> int:
    """One lookback for many series, from the lookbacks each allows alone (ascending): the one nine
    in ten of them allow, at least a season where the longest allow it, not the shortest's: one
    short series would otherwise cut every series' window (a panel of quarterly series of 31-120
    rows: lookback 3, shorter than the season, so no seasonal base for any of them)."""
    return min(max(lookbacks[len(lookbacks) // 10], season), lookbacks[-1])
