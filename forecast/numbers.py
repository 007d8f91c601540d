"""Numbers written as text: decimal commas, thousands separators, units.

pandas reads ``1234.5`` itself; a column it leaves as text may still hold numbers
written the European way (``1.002,51``, ``1 002,51``), with thousands commas
(``1,002.51``), or with a unit (``100.3 kWh``). :func:`read_numbers` reads the first
kinds when only one reading fits every value, and otherwise says which flag decides.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, row_number

_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space (French, Excel)


@dataclass(frozen=True)
class NumberStyle:
    """One way of writing numbers: the decimal mark and the thousands separator."""

    decimal: str
    thousands: str  # "" for none
    pattern: re.Pattern[str]

    @property
    def flags(self) -> str:
        """The `forecast train` flags that read this style."""
        if self.thousands in _SPACES and self.thousands:
            thousands = "' '"
        else:
            thousands = self.thousands
        out = f"--decimal {self.decimal}" if self.decimal != "." else ""
        if thousands:
            out += f" --thousands {thousands}"
        return out.strip()

    @property
    def label(self) -> str:
        mark = "decimal comma" if self.decimal == "," else "decimal point"
        if not self.thousands:
            return mark
        sep = "space" if self.thousands in _SPACES else f"'{self.thousands}'"
        return f"{mark} and {sep} thousands"

    def example(self, values: pd.Series) -> str:
        """A value that shows the style: one with a thousands separator if any, else the first."""
        text = values.dropna().astype(str).str.strip()
        marked = text[text.str.contains(r"\d\D\d{3}", regex=True)]
        return str((marked if len(marked) else text).iloc[0])

    def convert(self, text: pd.Series) -> pd.Series:
        out = text
        for sep in self.thousands:
            out = out.str.replace(sep, "", regex=False)
        if self.decimal != ".":
            out = out.str.replace(self.decimal, ".", regex=False)
        return pd.to_numeric(out, errors="coerce")


def number_style(decimal: str, thousands: str) -> NumberStyle:
    """The style ``--decimal`` and ``--thousands`` say (``thousands`` "" for none)."""
    d, t = re.escape(decimal), "[" + re.escape(thousands) + "]" if thousands else ""
    grouped = rf"\d{{1,3}}(?:{t}\d{{3}})+|" if thousands else ""
    return NumberStyle(decimal, thousands, re.compile(rf"^[-+]?(?:{grouped}\d+)(?:{d}\d+)?$"))


# in order of preference when several read every value to the same numbers
STYLES = (
    number_style(",", ""),
    number_style(",", "."),
    number_style(",", _SPACES),
    number_style(".", ","),
    number_style(".", _SPACES),
    number_style(".", "'"),
)
_UNIT = re.compile(r"^([-+]?[\d.,'\s\u00a0\u202f]*\d)\s*([^\d\s.,+-][^\d]*)$")
_PREFIX = re.compile(r"^([$€£¥])\s*([-+]?\d[\d.,'\s\u00a0\u202f]*)$")


def read_numbers(values: pd.Series, name: str) -> tuple[pd.Series, NumberStyle] | None:
    """Numbers written as text in one consistent style, as float64, with that style.

    Returns:
        None when the values are not numbers in any known style (the caller names a bad one).

    Raises:
        DataError: when the values carry a unit, or read two ways (``1,234``: 1.234 or 1234).
    """
    present = values.dropna()
    text = present.astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return None
    _refuse_units(text, name)
    fits = [s for s in STYLES if text.str.match(s.pattern).all()]
    if not fits:
        return None
    readings = [(s, s.convert(text)) for s in fits]
    first_style, first = readings[0]
    for style, other in readings[1:]:
        if not np.allclose(first.to_numpy(), other.to_numpy(), equal_nan=True):
            example = text[~np.isclose(first.to_numpy(), other.to_numpy())].iloc[0]
            raise DataError(
                f"Column '{name}' holds numbers like '{example}' that read two ways: "
                f"{first_style.flags} reads {first[text == example].iloc[0]:g}, {style.flags} reads "
                f"{other[text == example].iloc[0]:g}. Add the flags that match the file."
            )
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    out[first.index] = first.to_numpy(dtype="float64")
    return out, first_style


def thousandfold(values: pd.Series) -> tuple[float, float] | None:
    """A dotted value and a whole one when ``values`` (read with '.' as the decimal mark) look
    like whole numbers written with '.' thousands (``1.262`` beside ``864``), else None.

    The signature: every fraction (and whole number under 100: ``1.000`` reads 1) has at most
    three decimals and lies in [1, 1000), the other whole numbers lie in [100, 1000), and read as decimals the two kinds sit a thousandfold apart
    (median ratio under 1/10) while read as thousands they sit together (within 10x). A column
    of decimals (150, 152.5, 153.25) has its fractions beside its whole numbers, never there.
    """
    v = values.dropna().to_numpy(dtype="float64")
    whole = v[(v == np.round(v)) & (v >= 100)]
    frac = v[(v != np.round(v)) | (v < 100)]  # 1.000 reads as 1
    if min(len(frac), len(whole)) < max(3, 0.05 * len(v)):
        return None
    if not (np.all((frac >= 1) & (frac < 1000)) and np.allclose(frac * 1000, np.round(frac * 1000), atol=1e-6)
            and np.all(whole < 1000)):
        return None
    a, b = float(np.median(frac)), float(np.median(whole))
    return (float(frac[0]), float(whole[0])) if a < b / 10 and a * 1000 < 10 * b else None


def dotted_thousands(values: pd.Series) -> float | None:
    """A value of ``values`` (read with '.' as the decimal mark) when every one looks like a whole
    number of 1,000 or more written with '.' thousands (``10.856`` for 10856), else None.

    The signature: at least 20 values, all in [1, 1000) with at most three decimals, and at least
    nine in ten of them needing the third (whole numbers written with '.' thousands end in 0 one
    time in ten). Decimals written to one or two places never fit; decimals written to three
    places do, so the caller asks only where the file's ';' delimiter says a decimal-comma locale.
    """
    v = np.abs(values.dropna().to_numpy(dtype="float64"))
    if len(v) < 20 or not np.all((v >= 1) & (v < 1000)):
        return None
    thousandths = v * 1000
    if not np.allclose(thousandths, np.round(thousandths), atol=1e-6):
        return None
    third = np.round(thousandths) % 10 != 0
    return float(v[third][0]) if np.mean(third) >= 0.9 else None


FAR = 10.0  # a value beyond the 1st-99th percentile range by this many times its width is far out


def bulk(values: np.ndarray) -> tuple[float, float]:
    """Where the values lie but for their most extreme 5% on each side (at least one value each):
    order statistics, so that one huge value in 60 does not move them as a percentile would, and
    a mostly-zero series' few orders are outside the bulk rather than its width."""
    ordered = np.sort(values[np.isfinite(values)])
    k = max(1, math.ceil(0.05 * ordered.size))
    return float(ordered[k]), float(ordered[-k - 1])


def far_values(values: np.ndarray) -> np.ndarray:
    """Positions of the values far outside the rest: beyond their :func:`bulk` by :data:`FAR`
    times its width (a 1e9 typed into a series of 1,000-1,200, a value in other units). At most
    5% of the values on each side can be."""
    v = np.asarray(values, dtype="float64")
    if np.isfinite(v).sum() < 20:
        return np.zeros(0, dtype=int)
    low, high = bulk(v)
    width = high - low
    if width <= 0:  # mostly one value: a count of zeros with some orders is not "far"
        return np.zeros(0, dtype=int)
    return np.flatnonzero(np.isfinite(v) & ((v > high + FAR * width) | (v < low - FAR * width)))


def _refuse_units(text: pd.Series, name: str) -> None:
    """Numbers followed (or preceded) by the same unit: name it and ask to strip it."""
    sample = text.head(200)
    for pattern, unit_group in ((_UNIT, 2), (_PREFIX, 1)):
        found = sample.str.extract(pattern)
        units = found[unit_group - 1].dropna().str.strip()
        if len(units) > 0.5 * len(sample) and units.nunique() <= 3:
            unit = units.mode().iloc[0]
            row = row_number(text, int(units.index[0]))
            raise DataError(
                f"Column '{name}' holds numbers with a unit ('{text.loc[units.index[0]]}' on row {row}). "
                f"Strip '{unit}' from the values (put it in the column name, e.g. '{name} ({unit})')."
            )


def number_hint(example: str) -> str:
    """What probably fixes a number that no style reads."""
    text = example.strip()
    if re.fullmatch(r"[-+]?\d+,\d+", text):
        return "It looks like a decimal comma: add --decimal ,"
    if re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})*,\d+", text):
        return "It looks like 1.234,5: add --decimal , --thousands ."
    if re.fullmatch(r"[-+]?\d{1,3}([ \u00a0\u202f]\d{3})*,\d+", text):
        return "It looks like 1 234,5: add --decimal , --thousands ' '"
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        return "It looks like a thousands separator: add --thousands ,"
    if re.fullmatch(r"\(\s*[\d.,' ]+\s*\)", text):
        return ("It looks like a negative number in accounting parentheses: write it with a minus sign "
                "(-13.7); --na-values would drop every negative value.")
    if re.fullmatch(r"[\d.,' ]+-", text):
        return ("It looks like a negative number with its minus sign after it (13.7-, as SAP exports write "
                "it): put the sign first (-13.7); --na-values would drop every negative value.")
    return "Choose a numeric column, or mark such values missing with --na-values."
