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
