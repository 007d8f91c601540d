"""Load a file into validated series: parsed time index, regular steps, numeric columns.

One file gives one series, or several: long format with an id column (``--id``),
or wide format with several target columns. Each is sorted, de-duplicated,
resampled if asked, reindexed to its frequency and filled; every change is
counted in ``notes``. Nothing here imports TensorFlow: `forecast doctor` and the
start of `forecast train` use it before any model exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from .data_flags import DataOptions  # noqa: F401 - declared with its choices, where --help reads them
from .errors import ConfigError, DataError
from .frequency import infer_freq, is_trading_days
from .numbers import number_hint, read_numbers
from .reading import read_table, sentinel_mask
from .timeparse import find_time_column, time_index

WIDE_TARGET = "value"  # the target column's name inside each series of a wide, several-target file


@dataclass
class Series:
    """One or several regular time series ready for features and splitting.

    Attributes:
        frames: per series name, numeric columns (target first) on a sorted, duplicate-free
            ``DatetimeIndex``. One entry for a single series.
        time: name of the time column(s) in the source file.
        freq: pandas offset alias of one step (``"h"``, ``"D"``, ``"B"``, ``"MS"``...).
        dayfirst: whether dates were parsed day first.
        source: absolute path of the file read.
        notes: what loading changed (duplicates merged, gaps filled), for the user and bundle.json.
        filled: number of values filled, per column (over all series).
        id: the id column of a long file, ``"series"`` for several wide targets, else None.
        target: the target's column name in every frame.
    """

    frames: dict[str, pd.DataFrame]
    time: str
    freq: str
    dayfirst: bool
    source: str
    notes: list[str] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)
    id: str | None = None
    target: str | None = None
    filled_at: dict[str, pd.DatetimeIndex] = field(default_factory=dict)  # per series: rows filled

    @property
    def frame(self) -> pd.DataFrame:
        """The frame of a single series."""
        if len(self.frames) != 1:
            raise ConfigError(
                f"The data holds {len(self.frames)} series; this step works on one. Pick one with --series."
            )
        return next(iter(self.frames.values()))

    @property
    def is_panel(self) -> bool:
        return self.id is not None


def load_series(
    path: Path,
    columns: list[str],
    time: str | None = None,
    dayfirst: bool | None = None,
    freq: str | None = None,
    missing_hint: str = "Use --target/--features with one of them.",
    options: DataOptions | None = None,
    n_targets: int = 1,
) -> Series:
    """Read ``path`` and return the named numeric columns as regular series.

    Args:
        path: CSV or Parquet file.
        columns: numeric columns to keep: the ``n_targets`` targets first, then features.
        time, dayfirst, freq: shorthands for the same :class:`DataOptions` fields.
        missing_hint: what to tell the user when a column is missing.
        options: every data flag (overrides the shorthands).
        n_targets: how many of ``columns`` are targets; several make a wide panel.

    Raises:
        DataError: with a one-line explanation of what is wrong and how to fix it.
    """
    opts = options or DataOptions(time=time, dayfirst=dayfirst, freq=freq)
    return build_series(read_raw(path, opts), columns, opts, n_targets, missing_hint)


@dataclass
class RawTable:
    """A file read and its times parsed, before any column is chosen (see :func:`read_raw`)."""

    df: pd.DataFrame
    time_columns: list[str]
    index: pd.DatetimeIndex
    dayfirst: bool
    notes: list[str]
    path: Path

    @property
    def source(self) -> str:
        return self.path.name


def read_raw(path: Path, opts: DataOptions) -> RawTable:
    """Read the file and parse the time of each row."""
    path = Path(path)
    notes: list[str] = []
    df = read_table(path, opts.decimal, opts.thousands, opts.na_values, notes)
    names = find_time_column(df, opts.time, path.name)
    index, dayfirst_used, found = time_index(df, names, opts.dayfirst, opts.time_format)
    return RawTable(df, names, index, dayfirst_used, notes + found, path)


def build_series(
    raw: RawTable,
    columns: list[str],
    opts: DataOptions,
    n_targets: int = 1,
    missing_hint: str = "Use --target/--features with one of them.",
) -> Series:
    """The chosen columns of a read file as regular series (see :func:`load_series`)."""
    df, names, source = raw.df, raw.time_columns, raw.source
    notes = list(raw.notes)
    ignored = [c for c in df.columns if c not in (*names, *columns, opts.id)
               and not pd.api.types.is_numeric_dtype(df[c])]
    if ignored:
        notes.append(f"non-numeric columns ignored: {', '.join(ignored[:6])}")
    values = to_numeric(df, columns, source, missing_hint, notes)
    values = _drop_sentinels(values, opts.na_values, notes)
    values.index = raw.index
    ids = _ids(df, opts.id, source)
    targets, features = columns[:n_targets], columns[n_targets:]
    if ids is not None:
        if n_targets > 1:
            raise ConfigError("Give one --target with --id (several targets are for wide files).")
        split = {str(k): g for k, g in values.groupby(ids.to_numpy(), sort=True)}
        target = targets[0]
    elif n_targets > 1:
        split = {t: values[[t, *features]].rename(columns={t: WIDE_TARGET}) for t in targets}
        target = WIDE_TARGET
    else:
        split = {targets[0]: values}
        target = targets[0]
    frames, step, filled, filled_at = _regularise_all(split, opts, notes, source)
    label = ",".join(names)
    for frame in frames.values():
        frame.index.name = label
    panel_id = opts.id if ids is not None else ("series" if n_targets > 1 else None)
    return Series(frames, label, step, raw.dayfirst, str(raw.path.resolve()), notes, filled,
                  panel_id, target, filled_at)


def _ids(df: pd.DataFrame, id_col: str | None, source: str) -> pd.Series | None:
    if id_col is None:
        return None
    if id_col not in df.columns:
        raise DataError(f"Id column '{id_col}' not found in {source}. Columns: {', '.join(df.columns)}. "
                        "Use --id with one of them.")
    if df[id_col].isna().any():
        row = int(np.flatnonzero(df[id_col].isna().to_numpy())[0]) + 2
        raise DataError(f"Column '{id_col}' has an empty id on row {row}. Fill or remove that row.")
    return df[id_col].astype(str).str.strip()


def _drop_sentinels(values: pd.DataFrame, na_values: list[str], notes: list[str]) -> pd.DataFrame:
    for col in values.columns:
        mask = sentinel_mask(values[col], na_values)
        if mask.any():
            values.loc[mask, col] = np.nan
            notes.append(f"{int(mask.sum())} sentinel values ({', '.join(na_values)}) in {col} "
                         "treated as missing")
        if values[col].isna().all():
            raise DataError(f"Column '{col}' has no values once the --na-values are removed. "
                            "Choose another column.")
    return values


def _regularise_all(
    raw: dict[str, pd.DataFrame], opts: DataOptions, notes: list[str], source: str
) -> tuple[dict[str, pd.DataFrame], str, dict[str, int], dict[str, pd.DatetimeIndex]]:
    """Regularise every series on one shared frequency; notes name the series they concern."""
    several = len(raw) > 1
    per_series: dict[str, list[str]] = {}
    prepared = {}
    for name, frame in raw.items():
        label = f"Series '{name}'" if several else source
        prepared[name] = _sort_and_merge(frame, opts, per_series.setdefault(name, []), label)
    step = opts.freq or (to_offset(opts.resample).freqstr if opts.resample else _shared_freq(prepared))
    frames: dict[str, pd.DataFrame] = {}
    filled: dict[str, int] = {}
    filled_at: dict[str, pd.DatetimeIndex] = {}
    for name, frame in prepared.items():
        label = f"series '{name}'" if several else source
        frames[name], counts, filled_at[name] = _reindex_and_fill(frame, step, opts, per_series[name], label)
        per_series[name] += _dst_note(raw[name].index, frames[name].index, step)
        for col, n in counts.items():
            filled[col] = filled.get(col, 0) + n
    notes += _merge_notes(per_series) if several else per_series[next(iter(raw))]
    return frames, step, filled, filled_at


def _dst_note(raw: pd.DatetimeIndex, regular: pd.DatetimeIndex, step: str) -> list[str]:
    """Say so when the repeated and missing hours mostly fall in daylight-saving months."""
    if to_offset(step) != to_offset("h"):
        return []
    repeated = raw[raw.duplicated()]
    missing = regular.difference(raw)
    stamps = repeated.append(missing)
    on_change = int(stamps.month.isin([3, 4, 10, 11]).sum())
    if len(repeated) == 0 or len(missing) == 0 or on_change < 0.8 * len(stamps):
        return []
    return [f"{on_change} of the {len(repeated)} repeated and {len(missing)} missing hours fall in "
            "daylight-saving months (Mar/Apr, Oct/Nov): local clock time, repeats merged and gaps filled"]


def _merge_notes(per_series: dict[str, list[str]]) -> list[str]:
    """``{"A": [n], "B": [n]}`` -> ``["n (all 2 series)"]``; notes differing by series keep their names."""
    owners: dict[str, list[str]] = {}
    for name, notes in per_series.items():
        for note in notes:
            owners.setdefault(note, []).append(name)
    return [
        f"{note} (all {len(per_series)} series)" if len(names) == len(per_series) and len(names) > 1
        else f"{', '.join(names[:3])}{'...' if len(names) > 3 else ''}: {note}"
        for note, names in owners.items()
    ]


def _sort_and_merge(frame: pd.DataFrame, opts: DataOptions, notes: list[str], label: str) -> pd.DataFrame:
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index(kind="stable")
        notes.append("rows sorted by time")
    dup = int(frame.index.duplicated().sum())
    if dup:
        if opts.duplicates == "error":
            first = frame.index[frame.index.duplicated()][0]
            raise DataError(
                f"{label} has {dup} duplicate timestamps (first {first}). "
                "Use --duplicates mean|first|last to merge them."
            )
        frame = frame.groupby(level=0).agg(opts.duplicates)
        notes.append(f"{dup} duplicate timestamps merged ({opts.duplicates})")
    if opts.resample:
        before = len(frame)
        resampler = frame.resample(opts.resample)
        frame = resampler.sum(min_count=1) if opts.agg == "sum" else resampler.agg(opts.agg)
        notes.append(f"resampled to {opts.resample} ({opts.agg}): {before} rows -> {len(frame)}")
    if len(frame) < 3:
        raise DataError(f"{label} has only {len(frame)} distinct timestamps. Give a longer series.")
    return frame


def _shared_freq(frames: dict[str, pd.DataFrame]) -> str:
    found = {name: infer_freq(f.index) for name, f in frames.items()}
    common = pd.Series(list(found.values())).mode().iloc[0]
    odd = [n for n, f in found.items() if f != common]
    if odd:
        raise DataError(
            f"Series {', '.join(odd[:3])} have another frequency ({found[odd[0]]}) than the rest "
            f"({common}). Give --freq {common} or --resample {common}."
        )
    return common


def _reindex_and_fill(
    frame: pd.DataFrame, step: str, opts: DataOptions, notes: list[str], label: str
) -> tuple[pd.DataFrame, dict[str, int], pd.DatetimeIndex]:
    """Insert the missing steps of ``step`` (never for trading days) and fill them; also
    returns the timestamps of the rows filled."""
    if not is_trading_days(step):
        full = pd.date_range(frame.index[0], frame.index[-1], freq=step)
        off = frame.index.difference(full)
        if len(off):
            raise DataError(
                f"{label}: {len(off)} timestamps are off the {step} grid (e.g. {off[0]}). "
                f"Use --resample {step} to aggregate them, or another --freq."
            )
        missing = len(full) - len(frame)
        if missing:
            frame = frame.reindex(full)
            notes.append(f"{missing} missing time steps inserted")
            _note_gaps(frame, notes)
    counts = {c: int(frame[c].isna().sum()) for c in frame.columns}
    holes = pd.DatetimeIndex(frame.index[frame.isna().any(axis=1).to_numpy()])
    if not any(counts.values()):
        return frame, counts, holes
    _check_gaps(frame, opts, label)
    if opts.fill == "none":
        col = next(c for c, n in counts.items() if n)
        first = frame.index[frame[col].isna().to_numpy()][0]
        raise DataError(
            f"{label}: {col} has {counts[col]} missing values (first at {first}) and --fill none "
            "leaves them, but the model needs every value. Use --fill interpolate, ffill or zero."
        )
    if opts.fill == "interpolate":
        frame = frame.interpolate(method="linear", limit_direction="both")
        how = "linear interpolation"
    elif opts.fill == "ffill":
        frame = frame.ffill().bfill()
        how = "carrying the last value forward"
    else:
        frame = frame.fillna(0.0)
        how = "zeros"
    listed = ", ".join(f"{c}: {n}" for c, n in counts.items() if n)
    notes.append(f"values filled by {how} ({listed})")
    return frame, counts, holes


def gap_runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a boolean array as ``(start, length)``, in order."""
    padded = np.concatenate([[False], missing, [False]]).astype("int8")
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e - s)) for s, e in zip(edges[::2], edges[1::2])]


def _note_gaps(frame: pd.DataFrame, notes: list[str]) -> None:
    runs = gap_runs(frame.isna().all(axis=1).to_numpy())
    if runs:
        start, length = max(runs, key=lambda r: r[1])
        first = ", ".join(f"{frame.index[s]} ({n})" for s, n in runs[:3])
        notes.append(f"{len(runs)} gaps, the largest {length} steps from {frame.index[start]}; "
                     f"first: {first}")


def _check_gaps(frame: pd.DataFrame, opts: DataOptions, label: str) -> None:
    if opts.max_gap is None:
        return
    for col in frame.columns:
        for start, length in gap_runs(frame[col].isna().to_numpy()):
            if length > opts.max_gap:
                raise DataError(
                    f"{label}: {col} has a gap of {length} missing steps from {frame.index[start]} to "
                    f"{frame.index[start + length - 1]}, longer than --max-gap {opts.max_gap}. "
                    "Raise --max-gap, or fill or cut that part of the data."
                )


def to_numeric(
    df: pd.DataFrame,
    columns: list[str],
    source: str,
    missing_hint: str = "Use --target/--features with one of them.",
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """Convert the named columns to float, naming the first bad value when one is not a number.

    Text columns of numbers written one consistent way (``1.002,51``, ``1 002,51``,
    ``1,002.51``) are read as such, with a note naming the flags that say so.
    """
    out = {}
    for col in columns:
        if col not in df.columns:
            raise DataError(
                f"Column '{col}' not found in {source}. Columns: {', '.join(df.columns)}. "
                f"{missing_hint}"
            )
        values = pd.to_numeric(df[col], errors="coerce")
        bad = df[col][values.isna() & df[col].notna()]
        styled = read_numbers(df[col], col) if len(bad) else None
        if styled is not None:
            values, style = styled
            if notes is not None:
                notes.append(f"numbers in '{col}' written with a {style.label} (e.g. "
                             f"'{style.example(df[col])}'): read as such ({style.flags} says so)")
        elif len(bad):
            example = str(bad.iloc[0])
            raise DataError(
                f"Column '{col}' is not numeric (e.g. '{example}' on row {bad.index[0] + 2}). "
                f"{number_hint(example)}"
            )
        values = values.astype("float64")
        if not np.isfinite(values.dropna()).all():
            raise DataError(f"Column '{col}' holds infinite values. Remove or blank them.")
        if values.isna().all():
            raise DataError(f"Column '{col}' has no values (all empty). Choose another column.")
        out[col] = values
    return pd.DataFrame(out, index=df.index)
