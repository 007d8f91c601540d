"""Load a CSV into a validated series frame: parsed time index, regular steps, numeric columns.

Nothing here imports TensorFlow: `forecast doctor` and the start of `forecast train`
use it before any model exists.
"""

from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from .errors import DataError
from .frequency import infer_freq, is_trading_days

_TIME_NAMES = re.compile(
    r"^(date|time|datetime|timestamp|ds|month|period|day|week|year|dt|date_time|index)$",
    re.IGNORECASE,
)


@dataclass
class Series:
    """A regular time series ready for features and splitting.

    Attributes:
        frame: numeric columns on a sorted, duplicate-free ``DatetimeIndex``.
        time: name of the time column in the source file.
        source: absolute path of the file read.
        freq: pandas offset alias of one step (``"h"``, ``"D"``, ``"B"``, ``"MS"``...).
        dayfirst: whether dates were parsed day first.
        notes: what loading changed (duplicates merged, gaps filled), for the user and bundle.json.
        filled: number of values filled by interpolation, per column.
    """

    frame: pd.DataFrame
    time: str
    freq: str
    dayfirst: bool
    source: str
    notes: list[str] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)


def read_table(path: Path) -> pd.DataFrame:
    """Read a delimited text file with pandas, turning every parser failure into a DataError."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"File {path} not found. Check the path.")
    if path.is_dir():
        raise DataError(f"{path} is a directory, not a CSV file. Give the path of the file.")
    raw = _head_bytes(path)
    if not raw.strip():
        raise DataError(f"{path} is empty. Give a CSV with a header row and data rows.")
    if b"\x00" in raw:
        raise DataError(f"{path} looks binary, not a CSV text file. Give a CSV file.")
    try:
        head = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 3 or len(raw) < _HEAD:  # not a character cut at the edge
            raise DataError(f"{path} is not UTF-8 text (byte {exc.start}). Re-save it as UTF-8.") from None
        head = raw[: exc.start].decode("utf-8-sig")
    sep = _sniff_delimiter(head)
    header = next(csv.reader([head.splitlines()[0]], delimiter=sep))
    dupes = sorted({c for c in header if header.count(c) > 1 and c})
    if dupes:
        raise DataError(f"{path} has duplicate column names: {', '.join(dupes)}. Rename them.")
    try:
        df = pd.read_csv(path, sep=sep, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text. Re-save it as UTF-8.") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty. Give a CSV with a header row and data rows.") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise DataError(
            f"{path} has rows with a different number of fields than the header ({detail}). "
            "Fix those rows."
        ) from None
    if not isinstance(df.index, pd.RangeIndex):  # pandas made the first column an index
        raise DataError(
            f"{path} has rows with a different number of fields than the header (the first data row has "
            f"{len(df.columns) + df.index.nlevels}, header {len(df.columns)}). Fix those rows."
        )
    if df.empty:
        raise DataError(f"{path} has a header but no data rows. Add data rows.")
    df.columns = [str(c).strip() for c in df.columns]
    return df


_HEAD = 65536  # bytes read to sniff the delimiter and check the encoding


def _head_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_HEAD)


def _sniff_delimiter(text: str) -> str:
    lines = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(lines, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def find_time_column(df: pd.DataFrame, time: str | None, source: str) -> str:
    """Return the time column: the one given, else one named like time, else one that parses."""
    if time is not None:
        if time not in df.columns:
            raise DataError(
                f"Time column '{time}' not found in {source}. Columns: {', '.join(df.columns)}. "
                "Use --time."
            )
        return time
    for col in df.columns:
        if _TIME_NAMES.match(col) and _parse_rate(df[col]) > 0.9:
            return col
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]) and _parse_rate(df[col]) > 0.9:
            return col
    raise DataError(
        f"No time column found in {source} (columns: {', '.join(df.columns)}). "
        "Name it with --time."
    )


def _parse_rate(col: pd.Series) -> float:
    sample = col.dropna().astype(str).head(200)
    if sample.empty or sample.str.fullmatch(r"-?\d+(\.\d+)?").all():
        return 0.0  # plain numbers are values, not dates
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return float(parsed.notna().mean())


def parse_times(col: pd.Series, dayfirst: bool | None, name: str) -> tuple[pd.DatetimeIndex, bool]:
    """Parse a time column; detect day-first dates when ``dayfirst`` is None.

    The format is guessed from the first value (fast, exact parsing of the rest);
    when both orders parse, the one giving the more regular spacing wins, so
    ``01-02-2002`` followed by ``13-02-2002`` reads as day first. Times with UTC
    offsets are converted to UTC and the offset dropped.

    Returns:
        The parsed index and whether day first was used.
    """
    if col.isna().any():
        row = int(np.flatnonzero(col.isna().to_numpy())[0]) + 2
        raise DataError(
            f"Column '{name}' has an empty time on row {row}. Fill or remove that row."
        )
    text = col.astype(str).str.strip()
    candidates = [dayfirst] if dayfirst is not None else [False, True]
    results = []
    for first in candidates:
        exact_found = any(r[2] for r in results)  # a guessed format already parsed every value
        parsed = _parse(text, first, allow_mixed=not exact_found)
        if parsed is not None:
            index, fmt = parsed
            if fmt and "%d" in fmt and "%m" in fmt:
                first = fmt.index("%d") < fmt.index("%m")  # what the values themselves say
            results.append((index, first, fmt))
    if not results:
        bad = pd.to_datetime(text, errors="coerce", format="mixed").isna().to_numpy()
        example = text.iloc[int(np.flatnonzero(bad)[0])] if bad.any() else text.iloc[0]
        raise DataError(
            f"Column '{name}' has dates that cannot be parsed (e.g. '{example}'). "
            "Check the column, or name the right one with --time."
        )
    if len(results) == 2 and results[0][0].equals(results[1][0]):
        return results[0][:2]  # the order does not matter (e.g. ISO dates)
    best = min(results, key=lambda r: _irregularity(r[0]))
    return best[0], best[1]


def _parse(
    text: pd.Series, dayfirst: bool, allow_mixed: bool = True
) -> tuple[pd.DatetimeIndex, str | None] | None:
    """Parse with the format guessed from the first value; else (if allowed) value by value,
    which is slow on big files and skipped once another date order parsed exactly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fmt = guess_datetime_format(text.iloc[0], dayfirst=dayfirst)
    attempts: list[dict[str, Any]] = [{"format": fmt}] if fmt else []
    if allow_mixed:
        attempts += [{"format": "mixed", "dayfirst": dayfirst},
                     {"format": "mixed", "dayfirst": dayfirst, "utc": True}]
    for kwargs in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                parsed = pd.to_datetime(text, **kwargs)
        except (ValueError, TypeError, OverflowError):
            continue
        index = pd.DatetimeIndex(parsed)
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        return index.as_unit("ns"), kwargs["format"] if kwargs["format"] != "mixed" else None
    return None


def _irregularity(index: pd.DatetimeIndex) -> float:
    """Share of steps that differ from the median step, once sorted (0 = perfectly regular)."""
    d = np.diff(np.sort(index.asi8))
    return float(np.mean(d != np.median(d))) if d.size else 1.0


def to_numeric(
    df: pd.DataFrame,
    columns: list[str],
    source: str,
    missing_hint: str = "Use --target/--features with one of them.",
) -> pd.DataFrame:
    """Convert the named columns to float, naming the first bad value when one is not a number."""
    out = {}
    for col in columns:
        if col not in df.columns:
            raise DataError(
                f"Column '{col}' not found in {source}. Columns: {', '.join(df.columns)}. "
                f"{missing_hint}"
            )
        values = pd.to_numeric(df[col], errors="coerce")
        bad = df[col][values.isna() & df[col].notna()]
        if len(bad):
            raise DataError(
                f"Column '{col}' is not numeric (e.g. '{bad.iloc[0]}' on row {bad.index[0] + 2}). "
                "Choose a numeric column."
            )
        values = values.astype("float64")
        if not np.isfinite(values.dropna()).all():
            raise DataError(f"Column '{col}' holds infinite values. Remove or blank them.")
        if values.isna().all():
            raise DataError(f"Column '{col}' has no values (all empty). Choose another column.")
        out[col] = values
    return pd.DataFrame(out, index=df.index)


def load_series(
    path: Path,
    columns: list[str],
    time: str | None = None,
    dayfirst: bool | None = None,
    freq: str | None = None,
    missing_hint: str = "Use --target/--features with one of them.",
) -> Series:
    """Read ``path`` and return the named numeric columns as a regular series.

    Rows are sorted by time, duplicate timestamps averaged, and missing steps of
    the inferred frequency filled by linear interpolation (each counted in
    ``notes``). Trading-day data (weekdays only) keep their own rows: holidays
    are not invented.

    Args:
        path: CSV file.
        columns: numeric columns to keep (target first).
        time: time column, or None to detect it.
        dayfirst: parse dates day first; None detects it.
        freq: the series' frequency when already known (e.g. from a bundle).
        missing_hint: what to tell the user when a column is missing.

    Raises:
        DataError: with a one-line explanation of what is wrong and how to fix it.
    """
    source = Path(path).name
    df = read_table(Path(path))
    time = find_time_column(df, time, source)
    index, dayfirst_used = parse_times(df[time], dayfirst, time)
    values = to_numeric(df, columns, source, missing_hint)
    values.index = index
    notes: list[str] = []
    if not values.index.is_monotonic_increasing:
        values = values.sort_index(kind="stable")
        notes.append("rows sorted by time")
    dup = int(values.index.duplicated().sum())
    if dup:
        values = values.groupby(level=0).mean()
        notes.append(f"{dup} duplicate timestamps merged (mean)")
    if len(values) < 3:
        raise DataError(f"{source} has only {len(values)} distinct timestamps. Give a longer series.")
    freq = freq or infer_freq(values.index)
    if not is_trading_days(freq):
        full = pd.date_range(values.index[0], values.index[-1], freq=freq)
        missing = len(full.difference(values.index))
        if missing:
            values = values.reindex(values.index.union(full)).loc[full]
            notes.append(f"{missing} missing time steps inserted")
    filled = {c: int(values[c].isna().sum()) for c in values.columns}
    if any(filled.values()):
        values = values.interpolate(method="linear", limit_direction="both")
        counts = ", ".join(f"{c}: {n}" for c, n in filled.items() if n)
        notes.append(f"values filled by linear interpolation ({counts})")
    values.index.name = time
    return Series(values, time, freq, dayfirst_used, str(Path(path).resolve()), notes, filled)
