"""Load a file into validated series: parsed time index, regular steps, numeric columns.

One file gives one series, or several: long format with an id column (``--id``),
or wide format with several target columns. Each is sorted, de-duplicated,
resampled if asked, reindexed to its frequency and filled; every change is
counted in ``notes``. Nothing here imports TensorFlow: `forecast doctor` and the
start of `forecast train` use it before any model exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data_flags import DataOptions  # noqa: F401 - declared with its choices, where --help reads them
from .dateformats import month_day
from .errors import ConfigError, DataError, row_number
from .frequency import nominal_step
from .numbers import (
    STYLES,
    bulk,
    dotted_thousands,
    far_values,
    number_hint,
    read_numbers,
    thousandfold,
)
from .reading import SEPARATOR, read_table, sentinel_mask
from .regular import regularise_all
from .timefmt import listed, when
from .timeparse import find_time_column, time_index, written_as_periods, written_as_years

WIDE_TARGET = "value"  # the target column's name inside each series of a wide, several-target file


@dataclass
class Series:
    """One or several regular time series ready for features and splitting.

    Attributes:
        frames: per series name, numeric columns (target first) on a sorted, duplicate-free
            ``DatetimeIndex``. One entry for a single series.
        time: name of the time column(s) in the source file.
        freq: pandas offset alias of one step (``"h"``, ``"D"``, ``"B"``, ``"MS"``...).
        dayfirst: whether dates were parsed day first (None: they had no day/month order to
            decide, as ISO dates, so a new file of the same series may be written either way).
        source: absolute path of the file read.
        notes: what loading changed (duplicates merged, gaps filled), for the user and bundle.json.
        years: the time column holds whole years, so outputs write years too.
        utc: the times carried UTC offsets and are in UTC, so outputs mark them +00:00.
        filled: number of values filled, per column (over all series).
        id: the id column of a long file, ``"series"`` for several wide targets, else None.
        target: the target's column name in every frame.
    """

    frames: dict[str, pd.DataFrame]
    time: str
    freq: str
    dayfirst: bool | None
    source: str
    notes: list[str] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)
    id: str | None = None
    target: str | None = None
    filled_at: dict[str, pd.DatetimeIndex] = field(default_factory=dict)  # per series: rows filled
    years: bool = False  # the time column holds whole years (1990, 1991...): outputs write years
    utc: bool = False  # the times carried UTC offsets, converted to UTC: outputs write +00:00
    day: int = 1  # every time fell on this day of its month (the 15th): read on month starts, outputs
    # are written on this day again
    periods: str | None = None  # quarters or ISO weeks written as the file did ("{y} Q{q}"), else None
    future: dict[str, pd.DataFrame] = field(default_factory=dict)  # per series: known-future values
    # after its last row (--future columns, for predict: see forecast.future)
    dropped: list[str] = field(default_factory=list)  # notes on what the file has and the series do not:
    # series with no values, blank target rows at a series' ends, repeated timestamps merged (predict
    # and detect print these)
    empty: dict[str, str] = field(default_factory=dict)  # series of the file left out: the column
    # with no values
    untrained: list[str] = field(default_factory=list)  # series of the file a several-series model
    # was not trained on (left out as too short): predict skips them with a note

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
    missing_hint: str = "Use --target, --features or --future with one of them.",
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
    if isinstance(columns, str):  # one name, or a comma list, as the CLI takes it ("yx" loaded y and x)
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    if not columns:
        raise ConfigError("Give the columns to read, the target first: load_series(path, ['demand']).")
    opts = options or DataOptions(time=time, dayfirst=dayfirst, freq=freq)
    return build_series(read_raw(path, opts), columns, opts, n_targets, missing_hint)


@dataclass
class RawTable:
    """A file read and its times parsed, before any column is chosen (see :func:`read_raw`)."""

    df: pd.DataFrame
    time_columns: list[str]
    index: pd.DatetimeIndex
    dayfirst: bool | None
    notes: list[str]
    path: Path
    years: bool = False  # the time column holds whole years
    utc: bool = False  # the times carried UTC offsets and were converted to UTC
    day: int = 1  # every time fell on this day of its month: read on month starts (see read_raw)
    periods: str | None = None  # how the file wrote quarters or ISO weeks ("{y} Q{q}")

    @property
    def source(self) -> str:
        return self.path.name


def read_raw(path: Path, opts: DataOptions, day: int = 1) -> RawTable:
    """Read the file and parse the time of each row (``day``: the day of the month a bundle's
    dates fell on, which a file of one or two rows cannot show, see :func:`month_day`)."""
    path = Path(path)
    notes: list[str] = []
    df = read_table(path, opts.decimal, opts.thousands, opts.na_values, notes, (opts.id,) if opts.id else ())
    names = find_time_column(df, opts.time, path.name)
    index, dayfirst_used, found = time_index(df, names, opts.dayfirst, opts.time_format)
    utc = index.tz is not None  # times with offsets, converted: the rest of the work is in naive UTC
    index = index.tz_localize(None) if utc else index
    day = month_day(index, day) if opts.resample is None else 1
    if day > 1:  # monthly (quarterly...) readings on the 15th: on the month-start grid, written back on the 15th
        index = index - pd.Timedelta(days=day - 1)
        found.append(f"every date is day {day} of its month: read as months (dated on day {day} again in outputs)")
    return RawTable(df, names, index, dayfirst_used, notes + found, path,
                    written_as_years(df, names, opts.time_format), utc, day,
                    written_as_periods(df, names, opts.time_format) if opts.resample is None else None)


def build_series(
    raw: RawTable,
    columns: list[str],
    opts: DataOptions,
    n_targets: int = 1,
    missing_hint: str = "Use --target, --features or --future with one of them.",
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
    if opts.id and opts.id in names:
        raise ConfigError(f"--id names '{opts.id}', the time column. --id is the column naming each series "
                          "(a store, a sensor); leave it out for one series.")
    ids = _ids(df, opts.id, source)
    if ids is not None and len(ids) >= 4 and ids.nunique() > len(ids) / 2:
        raise DataError(f"--id column '{opts.id}' has {ids.nunique()} different values in {len(ids)} rows: most "
                        "series would have one row. Give --id the column naming each series (a store, a "
                        "sensor), or leave it out for one series.")
    _note_far_values(values, df, notes, ids)
    values.index = raw.index
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
    dropped: list[str] = []
    empty: dict[str, str] = {}
    if len(split) > 1:
        split = _drop_empty(split, [target, *features], dropped, empty)
        notes.extend(dropped)
    if raw.utc and opts.resample and nominal_step(opts.resample) >= pd.Timedelta(days=1):
        notes.append(f"--resample {opts.resample} aggregates days in UTC, where the times' offsets (or Unix time) "
                     "put them, not local days (which start hours off); for local days, write local times "
                     "without offsets")
    said = len(notes)
    try:
        frames, step, filled, filled_at = regularise_all(split, opts, notes, source, target, dropped)
    except (DataError, ConfigError) as exc:
        raise type(exc)(_as_file_wrote(str(exc), raw)) from None
    notes[said:] = [_as_file_wrote(note, raw) for note in notes[said:]]
    dropped[:] = [_as_file_wrote(note, raw) for note in dropped]
    label = ",".join(names)
    for frame in frames.values():
        frame.index.name = label
    panel_id = opts.id if ids is not None else ("series" if n_targets > 1 else None)
    return Series(frames, label, step, raw.dayfirst, str(raw.path.resolve()), notes, filled,
                  panel_id, target, filled_at, years=raw.years, utc=raw.utc, day=raw.day, periods=raw.periods, dropped=dropped,
                  empty=empty)


_STAMP = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?! ?\d)")  # a date on its own: regularising's notes print times so


def _as_file_wrote(text: str, raw: RawTable) -> str:
    """The dates in a note or error of regularising, as the file wrote its times: its work reads
    quarters and months dated on the 15th on month starts (``2007-06-01`` is the file's
    ``2007-06-15``, ``2000-04-01`` its ``2000 Q2``); other files' times are left as they are."""
    if raw.day == 1 and not raw.periods and not raw.years:
        return text
    return _STAMP.sub(lambda found: written(found.group(0), raw), text)


def _drop_empty(
    split: dict[str, pd.DataFrame], columns: list[str], notes: list[str], empty: dict[str, str]
) -> dict[str, pd.DataFrame]:
    """Several series: those with a column holding no value at all (nothing to fill it from)
    are left out with a note, and named in ``empty`` with that column; a column empty in every
    series is refused before this."""
    found = {name: next(c for c in columns if not frame[c].notna().any())
             for name, frame in split.items() if not frame[columns].notna().any().all()}
    if not found or len(found) == len(split):
        return split
    for name, column in found.items():
        notes.append(f"series '{name}' left out: its {column} column has no values")
    empty.update(found)
    return {name: frame for name, frame in split.items() if name not in found}


def _ids(df: pd.DataFrame, id_col: str | None, source: str) -> pd.Series | None:
    if id_col is None:
        return None
    if id_col not in df.columns:
        raise DataError(f"Id column '{id_col}' not found in {source}. Columns: {listed(list(df.columns), 20)}. "
                        "Use --id with one of them.")
    raw = df[id_col].astype(str)
    ids = raw.str.strip()
    blank = df[id_col].isna().to_numpy() | (ids == "").to_numpy()  # "  " too: it was stored as an empty id
    if blank.any():
        row = row_number(df, int(np.flatnonzero(blank)[0]))
        raise DataError(f"Column '{id_col}' has an empty id on row {row}. Fill or remove that row.")
    merged = ids[ids.map(raw.groupby(ids).nunique()) > 1]  # spaces were all that told two ids apart
    if len(merged):
        shown = sorted(raw[ids == merged.iloc[0]].unique())
        raise DataError(f"Column '{id_col}' has ids that differ only by spaces: "
                        f"{', '.join(repr(v) for v in shown)}. Write each series' id one way.")
    return ids


def _note_far_values(values: pd.DataFrame, df: pd.DataFrame, notes: list[str], ids: pd.Series | None) -> None:
    """A note on values far outside the rest of their column (numbers.far_values), each series
    of a panel against its own (a store 1000x the others is not far): one 1e9 in a series near
    1,100 had the forecast in the millions and an interval up to 7.6e8, unremarked."""
    groups = [np.arange(len(values))] if ids is None else [
        np.asarray(rows) for rows in pd.RangeIndex(len(values)).groupby(ids.to_numpy()).values()]
    for col in values.columns:
        column = values[col].to_numpy(dtype="float64")
        found = [(rows, rows[far_values(column[rows])]) for rows in groups]
        found = [(rows, far) for rows, far in found if len(far)]
        if not found:
            continue
        rows, far = min(found, key=lambda f: f[1][0])  # the series of the first far value in the file
        low, high = bulk(column[rows])
        total = sum(len(f) for _, f in found)
        notes.append(f"column '{col}' has {total} value{'s' if total > 1 else ''} far outside the "
                     f"rest{' of its series' if ids is not None else ''}: {column[far[0]]:g} on row "
                     f"{row_number(df, int(far[0]))} (most lie in {low:g} .. {high:g}); if it is a typo or in "
                     "other units, fix or blank it")


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


def to_numeric(
    df: pd.DataFrame,
    columns: list[str],
    source: str,
    missing_hint: str = "Use --target, --features or --future with one of them.",
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """Convert the named columns to float, naming the first bad value when one is not a number.

    Text columns of numbers written one consistent way (``1.002,51``, ``1 002,51``,
    ``1,002.51``) are read as such, with a note naming the flags that say so.
    """
    out = {}
    for col in columns:
        if col not in df.columns:
            commas = [str(c) for c in df.columns if "," in str(c) and col in [p.strip() for p in str(c).split(",")]]
            raise DataError(
                f"Column '{col}' not found in {source}. Columns: "
                f"{listed([repr(str(c)) if ',' in str(c) else str(c) for c in df.columns], 20)}. "
                + (f"The column '{commas[0]}' holds a comma, which separates names in --target, --features "
                   "and --future: rename it in the file." if commas else missing_hint)
            )
        if df[col].dtype == object and df[col].astype(str).str.contains("\u2212", regex=False).any():
            df[col] = df[col].map(lambda v: v.replace("\u2212", "-") if isinstance(v, str) else v)  # Word's
            # and PDFs' minus sign
            if notes is not None:
                notes.append(f"'{col}' writes minus signs as '\u2212' (U+2212): read as '-'")
        values = pd.to_numeric(df[col], errors="coerce")
        bad = df[col][values.isna() & df[col].notna()]
        styled = read_numbers(df[col], col) if len(bad) else None
        if styled is not None:
            values, style = styled
            if notes is not None:
                notes.append(f"numbers in '{col}' written with a {style.label} (e.g. "
                             f"'{style.example(df[col])}'): read as such ({style.flags} says so)")
        elif len(bad):  # name a value no style reads ('-' among 98,673 and 108,122), not a number beside it
            text = bad.astype(str).str.strip()
            unread = ~np.logical_or.reduce([text.str.match(style.pattern).to_numpy() for style in STYLES])
            at = bad.index[int(np.argmax(unread))] if unread.any() else bad.index[0]
            example = str(bad[at])
            raise DataError(
                f"Column '{col}' is not numeric (e.g. '{example}' on row {row_number(df, at)}). "
                f"{number_hint(example)}"
            )
        values = values.astype("float64")
        apart = thousandfold(values) if styled is None else None
        if apart:
            raise DataError(
                f"Column '{col}' holds numbers a thousandfold apart ({apart[0]:g} beside {apart[1]:g}): "
                f"its '.' is a thousands separator ({apart[0]:g} is {apart[0] * 1000:g}). "
                "Add --decimal , --thousands . to read them so."
            )
        dotted = dotted_thousands(values) if styled is None and df.attrs.get(SEPARATOR) == ";" else None
        if dotted is not None and notes is not None:
            notes.append(f"every value of '{col}' has three digits after '.' in a ';'-separated file: if '.' "
                         f"separates thousands there ({dotted:g} meaning {dotted * 1000:g}), add --decimal , "
                         "--thousands . to read them so")
        if not np.isfinite(values.dropna()).all():
            raise DataError(f"Column '{col}' holds infinite values. Remove or blank them.")
        if values.isna().all():
            raise DataError(f"Column '{col}' has no values (all empty). Choose another column.")
        out[col] = values
    return pd.DataFrame(out, index=df.index)


def time_style(source: Series | Mapping[str, Any]) -> tuple[bool, bool, int, str | None]:
    """How a file wrote its times, as :func:`times_as_written` takes it: (years, utc, day of the month,
    periods), from a :class:`Series` or from a bundle's ``data`` (bundles without a field read the default)."""
    get = source.get if isinstance(source, Mapping) else lambda key: getattr(source, key, None)
    return bool(get("years")), bool(get("utc")), int(get("day") or 1), get("periods")


def written(stamp: Any, source: Series | Mapping[str, Any]) -> str:
    """One time, as text, as the file of ``source`` wrote its times: ``2019 Q4``, ``2019-12-15``, ``2019``,
    ``2019-12-01`` (the work inside reads quarters and day-15 months on month starts)."""
    return when(times_as_written(pd.DatetimeIndex([pd.Timestamp(stamp)]), *time_style(source))[0])


def times_as_written(times: pd.DatetimeIndex, years: bool = False, utc: bool = False, day: int = 1,
                     periods: str | None = None) -> pd.Index:
    """Times as the history file wrote them: whole years (``2021``) where it held years, UTC times
    marked ``+00:00`` where it held times with offsets (converted to UTC on reading), dates on the
    day of the month every date fell on (read on month starts), quarters and ISO weeks in the
    file's style (``2021 Q3``, ``2015-W02``), else as they are (``2021-01-01``)."""
    times = pd.DatetimeIndex(times) + pd.Timedelta(days=day - 1)
    if years:
        return pd.Index(times.year, name=times.name)
    if periods:
        weeks = times.isocalendar()
        first = weeks["year"] if "{w" in periods else times.year
        return pd.Index([periods.format(y=y, q=q, w=w) for y, q, w in zip(first, times.quarter, weeks["week"])],
                        name=times.name)
    return times.tz_localize("UTC") if utc else times
