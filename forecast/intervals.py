"""Calibrating quantile intervals on the validation part (a split-conformal scale factor).

Quantile regression trained on one period is often too wide or too narrow on the
next. One factor ``c`` scales every level's distance from the median so that the
outer interval covers its nominal share of the validation actuals; ``c > 0``
keeps the levels ordered, so quantiles still never cross.
"""

from __future__ import annotations

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
    return float(np.clip(window_quantile(need, nominal), *SCALE_RANGE))


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
