"""Calibrating quantile intervals on the validation part (a split-conformal scale factor).

Quantile regression trained on one period is often too wide or too narrow on the
next. One factor ``c`` scales every level's distance from the median so that the
outer interval covers its nominal share of the validation actuals; ``c > 0``
keeps the levels ordered, so quantiles still never cross.
"""

from __future__ import annotations

import math

import numpy as np

_EPS = 1e-12
SCALE_RANGE = (0.2, 5.0)  # a factor outside this says the model is broken, not miscalibrated


def fit_interval_scale(actual: np.ndarray, quantiles: np.ndarray, levels: list[float]) -> float:
    """The factor that makes ``[lowest, highest]`` cover ``highest - lowest`` of ``actual``.

    Args:
        actual: ``(windows, horizon)``.
        quantiles: ``(windows, horizon, q)`` forecasts at ascending ``levels`` (0.5 included).
    """
    med = quantiles[..., levels.index(0.5)]
    below = np.maximum(med - quantiles[..., 0], _EPS)
    above = np.maximum(quantiles[..., -1] - med, _EPS)
    need = np.where(actual < med, (med - actual) / below, (actual - med) / above)
    nominal = levels[-1] - levels[0]
    factor = window_quantile(need, nominal)
    if not ranks(need.shape[0], nominal):  # too few windows to say the intervals are too wide
        factor = max(factor, 1.0)
    return float(np.clip(factor, *SCALE_RANGE))


def ranks(windows: int, coverage: float) -> bool:
    """Whether ``windows`` validation windows have a conformal rank at ``coverage``:
    ``ceil((n + 1) coverage) <= n``, i.e. at least 4 windows for 80%, 9 for 90%.

    With fewer, split-conformal's interval is unbounded, and the largest score seen is only
    a floor on the factor: it may widen the models' own intervals, never narrow them. One
    validation window (an 89-quarter series backtested over 32 quarters) whose errors all
    happened to be small shrank the interval to 0.2x and 80% intervals covered 12.5% of the
    test values; the members' own covered 34-81% there (bench/ACCURACY.md).
    """
    return windows > 0 and math.ceil((windows + 1) * coverage - 1e-9) <= windows


def window_quantile(scores: np.ndarray, coverage: float) -> float:
    """The split-conformal rank taken over windows, not over all ``(windows, horizon)`` scores.

    Rolling origins one step apart share most of their errors, so a horizon of scores per
    window is not a horizon of independent ones: the level is the conformal rank of ``n``
    windows, ``ceil((n + 1) coverage) / n`` (the largest score when that passes 1). With
    13 validation windows (a monthly series) that is the 0.92 quantile, with 60 the 0.82:
    on the short shared sets 80% coverage rose from 0.67 to 0.79 (airline), 0.66 to 0.69
    (ausbeer) and 0.75 to 0.83 (monthly-milk), and no set passed 0.90 that was below it
    (bench/ACCURACY.md).
    """
    n = scores.shape[0]
    if n == 0:
        return float("inf")
    level = min(1.0, float(np.ceil((n + 1) * coverage)) / n)
    ordered = np.sort(scores.ravel())
    return float(ordered[max(1, int(np.ceil(level * ordered.size - 1e-9))) - 1])  # no interpolation


def apply_interval_scale(quantiles: np.ndarray, levels: list[float], scale: float) -> np.ndarray:
    """Stretch ``(..., q)`` quantiles around their median by ``scale``."""
    med = quantiles[..., levels.index(0.5)][..., None]
    return med + scale * (quantiles - med)
