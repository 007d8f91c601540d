"""Read a table from disk: CSV (delimiter sniffed, BOM, decimal comma, thousands) or Parquet.

Every parser failure becomes a one-line DataError that names the problem and the fix.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES  # pandas' own missing-value words

from .errors import FIRST_ROW, DataError
from .numbers import number_style

SEPARATOR = "separator"  # a read frame's attrs key: the delimiter its file was read with

_HEAD = 65536  # bytes read to sniff the delimiter and check the encoding
PARQUET = (".parquet", ".pq")


def check_file(path: Path | str) -> Path:
    """The data file's path, refused in one line when it is missing or a folder (before any other
    check, so a missing file is named before, say, an --out that already exists)."""
    path = Path(path)
    if str(path) == "-":
        raise DataError("Data from standard input ('-') is not read: save it to a file and give its path.")
    if not path.exists():
        raise DataError(f"File {path} not found. Check the path.")
    if path.is_dir():
        raise DataError(f"{path} is a directory, not a CSV file. Give the path of the file.")
    if not path.is_file():  # a pipe (mkfifo, <(...), /dev/stdin): read more than once, it would hang or be empty
        raise DataError(f"{path} is a pipe or device, not a file: the data is read more than once. Save it to a "
                        "file first (e.g. zcat data.csv.gz > data.csv) and give that.")
    return path


def read_table(
    path: Path,
    decimal: str = ".",
    thousands: str | None = None,
    na_values: list[str] | None = None,
    notes: list[str] | None = None,
    text: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Read ``path`` into a frame with stripped string column names.

    Text may be UTF-8 (with or without BOM), UTF-16 (LE or BE with a BOM, as Excel's
    "Unicode text" export writes it) or, failing UTF-8, Windows-1252/Latin-1 (noted);
    the separator (comma, semicolon, tab or pipe) is sniffed from the first lines.

    Args:
        decimal: the decimal mark of numbers in a CSV ("," for 1,5).
        thousands: the thousands separator in a CSV, if any ("," for 1,234.5).
        na_values: extra values meaning "missing": text ones (``n/a``) here; numeric ones
            (``-9999``) as numbers once the columns are converted, so they can be counted.
        notes: a list that gets what was assumed (encoding), for the user.
        text: columns kept as text even where every value looks like a number (a series id:
            read as numbers, '007' became 7 and '1' and '01' one series).
    """
    found = notes if notes is not None else []
    path = check_file(path)
    if path.suffix.lower() in PARQUET:
        return _read_parquet(path)
    raw = _head_bytes(path)
    if not raw.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise DataError(f"{path} is empty. Give a CSV with a header row and data rows.")
    if raw[:4] == b"PAR1":
        return _read_parquet(path)
    if re.match(rb"\s*(<!doctype html|<html)", raw[:200].lstrip(b"\xef\xbb\xbf"), re.IGNORECASE):
        raise DataError(f"{path} is a web page (HTML), not a CSV: a download that needed a login, or the page "
                        "around the file? Download the CSV itself.")
    encoding, head = _decode_head(path, raw)
    if encoding.startswith("utf-16"):
        found.append(f"{path.name} is UTF-16 text: read as such")
    lines = head.splitlines()
    skip = 0  # a preamble of '#' comment lines (and blank ones) above the header: skipped
    while skip < len(lines) - 1 and (lines[skip].lstrip().startswith("#") or not lines[skip].strip()):
        skip += 1
    if skip and any(line.lstrip().startswith("#") for line in lines[:skip]):
        head = "\n".join(lines[skip:])
        found.append(f"{skip} comment lines above the header skipped")
    else:
        skip = 0
    hint = re.fullmatch(r'"?sep=(.)"?', head.splitlines()[0].strip()) if head.strip() else None
    if hint:  # Excel's separator line above the header ("sep=;"): it says the delimiter
        head = "\n".join(head.splitlines()[1:])
        skip += 1
        found.append(f"the first line ('sep={hint.group(1)}', Excel's delimiter line) skipped")
    sep = hint.group(1) if hint else sniff_delimiter(head, exclude=decimal if decimal != "." else "")
    title = None if hint else _title(head, sep, decimal if decimal != "." else "")
    if title is not None:  # "Sales report 2021" above the header, as spreadsheets export it
        head, sep = title
        skip += 1
        found.append(f"the first line ('{lines[skip - 1].strip()[:40]}') has no delimiter: read as a title "
                     "above the header and skipped")
    first = head.splitlines()[0]
    if len(raw) == _HEAD and len(head.splitlines()) == 1:  # a header longer than the head (12,000 columns):
        first = _line(path, encoding, skip)  # its last name was cut, and "duplicated" a real one
    header = next(csv.reader([first], delimiter=sep))
    names = [unicodedata.normalize("NFC", c).strip() for c in header]  # as the frame's columns will be
    dupes = sorted({c for c in names if names.count(c) > 1 and c})
    if dupes:
        spaced = " (names differing only by spaces are the same)" if len(set(header)) == len(header) else ""
        raise DataError(f"{path} has duplicate column names: {', '.join(dupes)}{spaced}. Rename them.")
    if names.count("") > 1 and len([c for c in header if c.strip() == "" and c]) > 0:  # blank cells of spaces
        raise DataError(f"{path} has {names.count('')} blank column names. Name those columns, or delete them.")
    if len(header) > 1 and all(_is_number(c) or _is_date(c) for c in header):
        raise DataError(f"{path.name} seems to have no header row: its first row ('{first.strip()[:60]}') holds "
                        "dates and numbers. Add a header line naming the columns, such as date,value.")
    styled = decimal != "." or bool(thousands)  # numbers written as the flags say, read below
    as_text = {c: str for c in header if unicodedata.normalize("NFC", c).strip() in text}
    missing = [v for v in (na_values or []) if not _is_number(v)]
    kwargs: dict = dict(sep=sep, skiprows=skip or None, na_values=missing or None,
                        dtype=str if styled else (as_text or None))
    if as_text:  # an id is missing only when empty: 'NA' is Namibia, 'None' a product line
        kwargs.update(keep_default_na=False, na_values={  # keyed as pandas names the columns
            name: [""] if c in as_text else [*STR_NA_VALUES, *missing]
            for i, c in enumerate(header) for name in (c, f"Unnamed: {i}")})
    try:
        try:
            df = pd.read_csv(path, encoding=encoding, **kwargs)
        except UnicodeDecodeError:
            if encoding != "utf-8-sig":
                raise DataError(f"{path} is not {encoding} text throughout. Re-save it as UTF-8.") from None
            encoding = _legacy(path)  # a Latin-1 character after the first 64 KiB
            df = pd.read_csv(path, encoding=encoding, **kwargs)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty. Give a CSV with a header row and data rows.") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise DataError(
            f"{path} has rows with a different number of fields than the header ({detail}). "
            "Fix those rows."
        ) from None
    if encoding in ("cp1252", "latin-1"):
        found.append(f"{path.name} is not UTF-8: read as {'Windows-1252' if encoding == 'cp1252' else 'Latin-1'}"
                     "; re-save it as UTF-8 if characters look wrong")
    if not isinstance(df.index, pd.RangeIndex):  # pandas made the first column an index
        raise DataError(
            f"{path} has rows with a different number of fields than the header (the first data row has "
            f"{len(df.columns) + df.index.nlevels}, header {len(df.columns)}). Fix those rows."
        )
    df.attrs[FIRST_ROW] = skip + 2  # the header is line skip + 1: error messages name file lines
    df.attrs[SEPARATOR] = sep  # a ';' file is most often a decimal-comma locale's (numbers.dotted_thousands)
    if styled:
        df = _numbers_in_style(df, decimal, thousands or "", tuple(as_text))
    blank = df.isna().all(axis=1).to_numpy()
    if len(df) and blank[-1]:  # rows of empty fields after the data (",,", as spreadsheets write)
        kept = len(blank) - int(np.argmin(blank[::-1])) if not blank.all() else 0
        found.append(f"{len(df) - kept} empty rows at the end of the file skipped")
        df = df.iloc[:kept]
    return _finish(df, path)


def _title(head: str, sep: str, exclude: str) -> tuple[str, str] | None:
    """The head without its first line, and its delimiter, when that line holds no delimiter
    and every line below it holds the same one (a title above the header); else None."""
    lines = [line for line in head.splitlines() if line.strip()]
    if len(lines) < 3 or sep in lines[0]:
        return None
    rest = "\n".join(head.splitlines()[head.splitlines().index(lines[0]) + 1:])
    below = sniff_delimiter(rest, exclude=exclude)
    if below in lines[0] or not all(below in line for line in lines[1:30]):
        return None
    return rest, below


def _numbers_in_style(df: pd.DataFrame, decimal: str, thousands: str, text: tuple[str, ...] = ()) -> pd.DataFrame:
    """Columns whose every value is a number written with ``decimal`` and ``thousands`` as
    numbers; the others stay text. pandas' own ``thousands=`` reads any digits and dots as a
    number, so the dates of a German file (01.01.2020, with --thousands .) became 1012020."""
    style = number_style(decimal, thousands)
    for col in df.columns:
        written = df[col].dropna().str.strip()
        if col in text or written.empty or not written.str.match(style.pattern).all():
            continue
        values = style.convert(df[col].str.strip())
        whole = not written.str.contains(decimal, regex=False).any() and values.notna().all()
        df[col] = values.astype("int64") if whole else values
    return df


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
    df.columns = [unicodedata.normalize("NFC", str(c)).strip() for c in df.columns]  # macOS tools write
    # é as e + a combining accent (NFD): the name a keyboard types is the composed one
    return df


def _decode_head(path: Path, raw: bytes) -> tuple[str, str]:
    """The encoding to read ``path`` with, and its first 64 KiB as text."""
    for magic, kind, tool in ((b"\x1f\x8b", "gzip-compressed", "gunzip"),
                              (b"PK\x03\x04", "a zip archive or an Excel workbook", "unzip, or save the sheet as CSV"),
                              (b"BZh", "bzip2-compressed", "bunzip2"), (b"\xfd7zXZ", "xz-compressed", "unxz")):
        if raw.startswith(magic) and (magic != b"BZh" or raw[3:4].isdigit()):
            raise DataError(f"{path} is {kind}, not a CSV text file. Extract it first ({tool}), then give the CSV.")
    if raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):  # before UTF-16: its BOM starts the same
        raise DataError(f"{path} is UTF-32 text, which is not read. Re-save it as UTF-8 (or UTF-16).")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16", raw[: len(raw) - len(raw) % 2].decode("utf-16", errors="ignore")
    if b"\x00" in raw:
        even, odd = raw[0::2], raw[1::2]
        for zeros, other, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
            if zeros.count(0) > 0.9 * len(zeros) and other.count(0) < 0.1 * len(other):
                return name, raw[: len(raw) - len(raw) % 2].decode(name, errors="ignore")
        raise DataError(f"{path} looks binary, not a CSV text file. Give a CSV file "
                        "(UTF-8, or UTF-16 with a BOM).")
    try:
        return "utf-8-sig", raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3 and len(raw) == _HEAD:  # a character cut at the edge
            return "utf-8-sig", raw[: exc.start].decode("utf-8-sig")
    legacy = _legacy(path)
    return legacy, raw.decode(legacy, errors="replace")


def _legacy(path: Path) -> str:
    """Windows-1252 when it decodes the whole file (it leaves five bytes undefined), else Latin-1."""
    try:
        path.read_bytes().decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _line(path: Path, encoding: str, skip: int) -> str:
    """The whole line after ``skip`` lines."""
    with open(path, encoding=encoding, newline="") as fh:
        for _ in range(skip):
            fh.readline()
        return fh.readline().rstrip("\r\n")


def _is_date(text: str) -> bool:
    """A header name that is a date or time (``2023-01-01``, ``01/02/2023 10:00``): a data row."""
    text = text.strip()
    if not re.search(r"\d", text) or not re.fullmatch(r"[\d\s:./TZ+-]+", text):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.to_datetime(text, errors="coerce") is not pd.NaT


def _head_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_HEAD)


def sniff_delimiter(text: str, exclude: str = "") -> str:
    """The delimiter of the first lines: ``,``, ``;``, tab or ``|`` (``,`` when unsure).

    The one that splits the header and every following line into the same number of
    fields (more than one) wins; on a tie, the most fields, then tab, ``;``, ``|``, ``,``
    (``1,5`` inside a semicolon file is a decimal comma, not a separator).
    """
    lines = [line for line in text.splitlines() if line.strip()][:30]
    if len(lines) > 2:
        lines = lines[:-1]  # the last line may be cut at the edge of the head
    best: tuple[int, int, str] | None = None
    for rank, delimiter in enumerate("\t;|,"):
        if delimiter in exclude or not lines:
            continue
        counts = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        if len(counts) == 1 and (fields := counts.pop()) > 1:
            if best is None or (fields, -rank) > (best[0], best[1]):
                best = (fields, -rank, delimiter)
    if best is not None:
        return best[2]
    for delimiter in exclude if lines else "":  # the decimal mark, quoted in a comma file ("98,67"): no other splits
        counts = {len(row) for row in csv.reader(lines, delimiter=delimiter)} if delimiter in "\t;|," else set()
        if len(counts) == 1 and counts.pop() > 1:
            return delimiter
    delimiters = "".join(d for d in ",;\t|" if d not in exclude)
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=delimiters).delimiter
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
