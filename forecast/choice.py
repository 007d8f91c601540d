"""Choose the forecast a user gets on validation windows: one member or a weighted mean.

The candidates are every member alone (the LSTM, AutoETS, AutoTheta, seasonal naive,
naive) and the equal-weight means of the best two and best three of them (FFORMA and
the M4 results: combinations chosen on validation are hard to beat). Each candidate
is scored by MASE on rolling-origin windows inside the training data (never the test
part); the lowest wins. A combination's quantiles are the weighted means of its
members' quantiles (Vincentization), so its levels never cross either.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .metrics import mae

MAX_COMBINED = 3  # mean of the best two and best three members are candidates


def combine(forecasts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The weighted mean of members' ``(n, horizon, q)`` forecasts."""
    total = sum(weights.values())
    return sum(w / total * forecasts[name] for name, w in weights.items() if w)  # type: ignore[return-value]


def choose(
    actual: np.ndarray, forecasts: dict[str, np.ndarray], median: int, scale: float
) -> dict[str, Any]:
    """Score every candidate on the validation windows and keep the best.

    Args:
        actual: ``(n, horizon)`` validation actuals.
        forecasts: each member's ``(n, horizon, q)`` forecasts of those windows.
        median: index of the 0.5 level on the last axis.
        scale: the MASE scale of the series.

    Returns:
        ``weights`` (member -> weight, summing to 1), ``label`` ("0.5 lstm + 0.5 auto_ets"),
        ``scores`` (candidate label -> validation MASE) and ``windows``.
    """
    single = {name: mae(actual, f[..., median]) / scale for name, f in forecasts.items()}
    ranked = sorted(single, key=lambda n: single[n])
    candidates: dict[str, dict[str, float]] = {name: {name: 1.0} for name in ranked}
    for k in range(2, min(MAX_COMBINED, len(ranked)) + 1):
        top = ranked[:k]
        candidates[label({n: 1.0 / k for n in top})] = {n: 1.0 / k for n in top}
    scores = {
        name: (single[name] if len(w) == 1 else mae(actual, combine(forecasts, w)[..., median]) / scale)
        for name, w in candidates.items()
    }
    best = min(scores, key=lambda n: scores[n])
    return {
        "weights": candidates[best],
        "label": label(candidates[best]),
        "scores": {n: round(float(s), 6) for n, s in sorted(scores.items(), key=lambda kv: kv[1])},
        "windows": int(len(actual)),
    }


def label(weights: dict[str, float]) -> str:
    """``{"lstm": 0.5, "auto_ets": 0.5}`` -> ``"0.5 lstm + 0.5 auto_ets"`` (``"lstm"`` alone)."""
    if len(weights) == 1:
        return next(iter(weights))
    return " + ".join(f"{w:.2g} {n}" for n, w in weights.items())
