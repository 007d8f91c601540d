"""Read a table from disk: CSV (delimiter sniffed, BOM, decimal comma, thousands) or Parquet.

Every parser failure becomes a one-line DataError that names the problem and the fix.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError

_HEAD = 65536  # bytes read to sniff the delimiter and check the encoding
PARQUET = (".parquet", ".pq")


def read_table(
    path: Path,
    decimal: str = ".",
    thousands: str | None = None,
    na_values: list[str] | None = None,
) -> pd.DataFrame:
    """Read ``path`` into a frame with stripped string column names.

    Args:
        decimal: the decimal mark of numbers in a CSV ("," for 1,5).
        thousands: the thousands separator in a CSV, if any ("," for 1,234.5).
        na_values: extra values meaning "missing": text ones (``n/a``) here; numeric ones
            (``-9999``) as numbers once the columns are converted, so they can be counted.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"File {path} not found. Check the path.")
    if path.is_dir():
        raise DataError(f"{path} is a directory, not a CSV file. Give the path of the file.")
    if path.suffix.lower() in PARQUET:
        return _read_parquet(path)
    raw = _head_bytes(path)
    if not raw.strip():
        raise DataError(f"{path} is empty. Give a CSV with a header row and data rows.")
    if raw[:4] == b"PAR1":
        return _read_parquet(path)
    if b"\x00" in raw:
        raise DataError(f"{path} looks binary, not a CSV text file. Give a CSV file.")
    try:
        head = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 3 or len(raw) < _HEAD:  # not a character cut at the edge
            raise DataError(f"{path} is not UTF-8 text (byte {exc.start}). Re-save it as UTF-8.") from None
        head = raw[: exc.start].decode("utf-8-sig")
    sep = sniff_delimiter(head, exclude=decimal if decimal != "." else "")
    header = next(csv.reader([head.splitlines()[0]], delimiter=sep))
    dupes = sorted({c.strip() for c in header if header.count(c) > 1 and c})
    if dupes:
        raise DataError(f"{path} has duplicate column names: {', '.join(dupes)}. Rename them.")
    try:
        df = pd.read_csv(
            path, sep=sep, encoding="utf-8-sig", decimal=decimal, thousands=thousands,
            na_values=[v for v in (na_values or []) if not _is_number(v)] or None,
        )
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
    return _finish(df, path)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except ImportError:
        raise DataError("Reading Parquet needs pyarrow. Install it: pip install pyarrow.") from None
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise DataError(f"{path} is not a readable Parquet file ({type(exc).__name__}). "
                        "Give a CSV or a valid Parquet file.") from None
    if isinstance(df.index, pd.DatetimeIndex) or df.index.name is not None:
        df = df.reset_index()  # a time index written by pandas becomes a column again
    return _finish(df, path)


def _finish(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    if df.empty:
        raise DataError(f"{path} has a header but no data rows. Add data rows.")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _head_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_HEAD)


def sniff_delimiter(text: str, exclude: str = "") -> str:
    """The delimiter of the first lines: ``,``, ``;``, tab or ``|`` (``,`` when unsure)."""
    lines = "\n".join(text.splitlines()[:20])
    delimiters = "".join(d for d in ",;\t|" if d not in exclude)
    try:
        return csv.Sniffer().sniff(lines, delimiters=delimiters).delimiter
    except csv.Error:
        return ";" if exclude == "," else ","


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sentinel_mask(values: pd.Series, na_values: list[str]) -> np.ndarray:
    """Where a numeric column equals one of the numeric ``na_values`` (e.g. -9999)."""
    numbers = []
    for v in na_values:
        try:
            numbers.append(float(v))
        except ValueError:
            continue
    if not numbers:
        return np.zeros(len(values), dtype=bool)
    return np.isin(values.to_numpy(dtype="float64"), numbers)
