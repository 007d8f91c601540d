"""Simple forecasts every model must beat, computed on the same windows."""

from __future__ import annotations

import numpy as np


def naive(series: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last observed value: ``(windows, horizon)``."""
    last = np.asarray(series)[origins - 1]
    return np.repeat(last[:, None], horizon, axis=1)


def drift(series: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The last value plus the average step of the history so far: ``(windows, horizon)``."""
    series = np.asarray(series, dtype="float64")
    last = series[origins - 1]
    slope = (last - series[0]) / np.maximum(origins - 1, 1)
    return last[:, None] + slope[:, None] * np.arange(1, horizon + 1)[None, :]


def seasonal_naive(series: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Repeat the last observed season: step ``h`` copies ``y[o + h - season * ceil((h+1)/season)]``.

    Origins closer than ``season`` rows to the start fall back to the naive forecast.
    """
    series = np.asarray(series)
    h = np.arange(horizon)
    back = season * ((h // season) + 1)  # how far back each step looks
    rows = origins[:, None] + h[None, :] - back[None, :]  # (windows, horizon)
    fallback = np.repeat((origins - 1)[:, None], horizon, axis=1)
    rows = np.where(rows >= 0, rows, fallback)
    return series[rows]
