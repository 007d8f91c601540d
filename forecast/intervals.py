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
    return float(np.clip(conformal_quantile(need.ravel(), nominal), *SCALE_RANGE))


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The split-conformal threshold: the ``ceil((n + 1) * coverage)``-th smallest of ``n`` scores.

    A new exchangeable score falls at or below it with probability at least ``coverage``;
    an interpolated quantile (NumPy's default) can sit below that order statistic and lose
    the guarantee. With too few scores for the rank (``k > n``) the threshold is infinite.
    """
    n = scores.size
    k = int(np.ceil((n + 1) * coverage))
    if n == 0 or k > n:
        return float("inf")
    return float(np.sort(scores)[max(k, 1) - 1])  # the k-th order statistic (1-based)


def apply_interval_scale(quantiles: np.ndarray, levels: list[float], scale: float) -> np.ndarray:
    """Stretch ``(..., q)`` quantiles around their median by ``scale``."""
    med = quantiles[..., levels.index(0.5)][..., None]
    return med + scale * (quantiles - med)
