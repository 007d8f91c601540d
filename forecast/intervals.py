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
    n = need.size
    level = min(1.0, np.ceil((n + 1) * nominal) / n)  # finite-sample conformal level
    return float(np.clip(np.quantile(need, level), *SCALE_RANGE))


def apply_interval_scale(quantiles: np.ndarray, levels: list[float], scale: float) -> np.ndarray:
    """Stretch ``(..., q)`` quantiles around their median by ``scale``."""
    med = quantiles[..., levels.index(0.5)][..., None]
    return med + scale * (quantiles - med)
