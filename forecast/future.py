"""Known-future columns (``--future``) at predict time: where their values come from, and the
check that they cover every forecast step.

A model trained with ``--future event`` reads ``event`` over its lookback and over the
horizon (each row carries the value ``horizon`` steps later; see :mod:`forecast.calendar`).
To forecast, it needs the values for every step of the trained horizon after the last
target value: from a separate file (``--future-data``, same time column and columns), or
from the rows after the last target value in the history file itself.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .data import RawTable, to_numeric
from .errors import DataError
from .frequency import future_index, infer_freq
from .timefmt import when

_SHOWN = 3  # steps named per column in an error; the rest are counted


def check_covered(
    last: pd.Timestamp, freq: str, horizon: int, columns: list[str], future: pd.DataFrame | None,
    series: str | None = None,
) -> pd.DataFrame:
    """The values of ``columns`` at the ``horizon`` steps after ``last``, or one error naming
    every column and step that lacks one (and ``series``, one of several).

    Args:
        last: the history's last timestamp.
        future: known-future values on a time index (may hold other steps too), or None.

    Returns:
        ``(horizon, len(columns))`` frame on the forecast steps.

    Raises:
        DataError: a column absent, or steps absent or blank.
    """
    steps = future_index(last, freq, horizon)
    where = (f"the {horizon} forecast steps {when(steps[0])} .. {when(steps[-1])}" if horizon > 1
             else f"the forecast step {when(steps[0])}") + (f" of series '{series}'" if series else "")
    fix = ("Give them with --future-data FILE (the time column and those columns), or as rows "
           "after the last target value in --data.")
    if future is None or not len(future):
        raise DataError(
            f"The model reads the known-future column(s) {', '.join(columns)} for {where}, but no "
            f"future values were given. {fix}"
        )
    absent = [c for c in columns if c not in future.columns]
    if absent:
        raise DataError(f"The future values lack the column(s) {', '.join(absent)} that the model "
                        f"reads for {where}. {fix}")
    unique = future[columns][~future.index.duplicated(keep="first")]
    given = unique.reindex(steps)  # (horizon, columns)
    missing = {c: steps[given[c].isna().to_numpy()] for c in columns}
    missing = {c: m for c, m in missing.items() if len(m)}
    if missing:
        parts = [
            f"{c} at {', '.join(when(t) for t in m[:_SHOWN])}"
            + (f" and {len(m) - _SHOWN} more" if len(m) > _SHOWN else "")
            for c, m in missing.items()
        ]
        count = int(given.isna().any(axis=1).sum())
        raise DataError(
            f"Future values are missing for {count} of {where} (the model needs every trained "
            f"step, even for a shorter --horizon): {'; '.join(parts)}. Fill them in the future "
            "data: a planned value, or your forecast of it."
        )
    return given


def frames_by_series(
    raw: RawTable, columns: list[str], freq: str, id_column: str | None
) -> dict[str, pd.DataFrame]:
    """The known-future values of a read file (``--future-data``), per series (``""`` for one
    series), on its time index, blanks kept (the coverage check names them).

    Raises:
        DataError: a column absent, or timestamps on another frequency than ``freq``.
    """
    hint = "The model was trained with these --future columns; give a file that has them."
    values = to_numeric(raw.df, columns, raw.source, hint)
    values.index = raw.index
    if id_column is None:
        groups = {"": values}
    else:
        if id_column not in raw.df.columns:
            raise DataError(f"The future values have no '{id_column}' column: the model forecasts several "
                            f"series, so each row names its series. Give the time column, '{id_column}' and "
                            f"{', '.join(columns)}.")
        ids = raw.df[id_column].astype(str).to_numpy()
        groups = {str(k): g for k, g in values.groupby(ids, sort=False)}
    out = {}
    for name, frame in groups.items():
        twice = frame.index.duplicated(keep=False)
        if twice.any():  # the same step given twice: the same values are one row, others a conflict
            clash = frame[twice].groupby(level=0).nunique(dropna=False).gt(1).any(axis=1)
            if clash.any():
                at = when(clash.index[clash.to_numpy()][0])
                raise DataError(f"{raw.source} gives {at}{f' of series {name!r}' if name else ''} twice with "
                                "different future values. Keep one row per step.")
        frame = frame[~frame.index.duplicated(keep="first")].sort_index()
        if len(frame) >= 3:
            found = infer_freq(pd.DatetimeIndex(frame.index))
            if pd.tseries.frequencies.to_offset(found) != pd.tseries.frequencies.to_offset(freq):
                raise DataError(
                    f"{raw.source} has frequency {found}, but the model was trained on {freq} "
                    f"data. Give the future values at {freq} steps, one row per forecast step."
                )
        out[name] = frame
    return out


def split_trailing(
    raw: RawTable, targets: list[str], id_column: str | None
) -> tuple[RawTable, RawTable | None]:
    """Split a history file into its history and the rows after each series' last target value
    (blank targets at the end: the known-future rows), or ``None`` when there are none."""
    df = raw.df.reset_index(drop=True)
    present = to_numeric(df, targets, raw.source).notna().any(axis=1).to_numpy()  # (rows,)
    times = pd.Series(raw.index, index=df.index)
    keys = df[id_column].astype(str) if id_column else pd.Series("", index=df.index)
    last = times[present].groupby(keys[present]).max()  # per series: its last target value's time
    ends = keys.map(last)  # NaT for a series with no target at all: left to the history's checks
    after = (times > ends).to_numpy() & ~present
    if not after.any():
        return raw, None
    index = pd.DatetimeIndex(raw.index)
    history = replace(raw, df=df[~after].reset_index(drop=True), index=index[~after])
    trailing = replace(raw, df=df[after].reset_index(drop=True), index=index[after])
    return history, trailing

