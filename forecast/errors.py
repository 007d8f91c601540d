"""The exceptions the library raises for user mistakes.

The CLI catches :class:`ForecastError` once and prints its message as a single
``Error: ...`` line; any other exception escaping to the user is a bug.
"""

from __future__ import annotations


class ForecastError(Exception):
    """Base class: a problem the user can fix; the message says how."""


class DataError(ForecastError):
    """The input data cannot be used as given (missing column, bad dates, too short...)."""


class ConfigError(ForecastError):
    """The settings contradict each other or the data (e.g. horizon longer than trained)."""


class BundleError(ForecastError):
    """A model bundle is missing, incomplete, tampered with, or already exists."""


class TrainingError(ForecastError):
    """Training could not produce a usable model (e.g. the loss became NaN)."""


FIRST_ROW = "first_row"  # a frame's attrs key: the file's line number of its first data row


def row_number(obj: object, position: int) -> int:
    """The file's line number of the data row at ``position`` (0-based) of a frame or column
    read by :func:`forecast.reading.read_table`: after the header line, and after a title or
    comment lines the reading skipped (``attrs["first_row"]``; 2 when it has none)."""
    attrs = getattr(obj, "attrs", {}) or {}
    return int(position) + int(attrs.get(FIRST_ROW, 2))
