"""Choose the forecast a user gets on validation windows: one member or a weighted mean.

The candidates are every member alone (the LSTM, AutoETS, AutoTheta, AutoCES, seasonal
naive, naive) and the equal-weight means of the best two and best three of them (FFORMA
and the M4 results: combinations chosen on validation are hard to beat). Each candidate
is scored by MASE on rolling-origin windows inside the training data (never the test
part); the lowest wins, unless naive or seasonal naive is within a hair of it (then it is
kept), or validation is too short to tell members apart (then the mean of the best
three). A combination's quantiles are the weighted means of its members' quantiles
(Vincentization), so its levels never cross either.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .metrics import EXACT_MASE, mae
from .timefmt import count

MAX_COMBINED = 3  # mean of the best two and best three members are candidates
SIMPLE_MARGIN = 0.03  # naive or seasonal naive within 3% of the best validation MASE is kept:
# on a random walk every model scores within noise of naive (aapl: AutoCES 1.9% better on
# validation, 6% worse on the test windows), and "do nothing" is the one that cannot drift
SHORT_HORIZONS = 3  # validation shorter than this many horizons: the mean of the best three
# members, not the single best (13 monthly windows one step apart are two horizons of data;
# on the six short shared sets the mean of the best three scored geo-mean 0.94 of the best
# statistical peer's MASE where the pick of the best candidate scored 1.00; bench/ACCURACY.md)
FAR = 2.0  # ... of those three, only members within twice the best one's validation MASE: a member
# twice as bad is not a tie that noise could have ordered, and a third of its error is added to
# the mean (a stuck sensor's constant last stretch: naive 0.000, the mean with LSTM and seasonal
# naive 2.495)


def combine(forecasts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The weighted mean of members' ``(n, horizon, q)`` forecasts."""
    total = sum(weights.values())
    return sum(w / total * forecasts[name] for name, w in weights.items() if w)  # type: ignore[return-value]


def choose(
    actual: np.ndarray, forecasts: dict[str, np.ndarray], median: int, scale: float,
    short: bool = False,
) -> dict[str, Any]:
    """Score every candidate on the validation windows and keep the best.

    Two rules guard the pick against validation noise: naive or seasonal naive is kept
    when within :data:`SIMPLE_MARGIN` of the best score, and a ``short`` validation part
    (fewer than :data:`SHORT_HORIZONS` horizons of rows) takes the mean of the best three.

    Args:
        actual: ``(n, horizon)`` validation actuals.
        forecasts: each member's ``(n, horizon, q)`` forecasts of those windows.
        median: index of the 0.5 level on the last axis.
        scale: the MASE scale of the series.
        short: the validation part spans fewer than ``SHORT_HORIZONS`` horizons.

    Returns:
        ``weights`` (member -> weight, summing to 1), ``label`` ("0.5 lstm + 0.5 auto_ets"),
        ``scores`` (candidate label -> validation MASE), ``windows`` and ``why`` (the rule
        that picked it, in words).
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
    best, why = min(scores, key=lambda n: scores[n]), "lowest validation MASE"
    close = [n for n in ranked[:MAX_COMBINED] if single[n] <= FAR * single[ranked[0]]]
    if short and len(ranked) >= MAX_COMBINED and len(close) > 1:
        best = label({n: 1.0 / len(close) for n in close})
        why = (f"validation under {SHORT_HORIZONS} horizons: the mean of the best "
               f"{'three' if len(close) == MAX_COMBINED else 'two (the third over twice their error)'}, not one pick")
    elif short and len(ranked) >= MAX_COMBINED:
        best, why = ranked[0], f"validation under {SHORT_HORIZONS} horizons, but the others score over twice its error"
    else:
        simple = [n for n in ("naive", "seasonal_naive") if n in scores]
        kept = [n for n in simple if scores[n] <= scores[best] * (1 + SIMPLE_MARGIN)]
        if kept and best not in kept:
            best, why = min(kept, key=lambda n: scores[n]), f"within {SIMPLE_MARGIN:.0%} of the best: kept"
    return {
        "weights": candidates[best],
        "label": label(candidates[best]),
        "scores": {n: round(float(s), 6) for n, s in sorted(scores.items(), key=lambda kv: kv[1])},
        "windows": int(len(actual)),
        "why": why,
    }


def label(weights: dict[str, float]) -> str:
    """``{"lstm": 0.5, "auto_ets": 0.5}`` -> ``"0.5 lstm + 0.5 auto_ets"`` (``"lstm"`` alone)."""
    if len(weights) == 1:
        return next(iter(weights))
    return " + ".join(f"{w:.2g} {n}" for n, w in weights.items())


def describe(choice: dict[str, Any]) -> str:
    """The choice in one line: ``"forecast = 0.5 lstm + 0.5 auto_ets, validation MASE 0.71 vs
    lstm 0.78 / auto_ets 0.80 ... (60 windows)"``, with the rule that picked it where that is
    not simply the lowest score (so a mean scored above its best member reads as meant)."""
    scores = choice.get("scores", {})
    if not scores:
        return f"forecast = {choice['label']}"
    others = " / ".join(f"{n} {v:.3f}" for n, v in scores.items() if n != choice["label"] and " + " not in n)
    why = f"; {choice['why']}" if choice.get("why") and choice["why"] != "lowest validation MASE" else ""
    return (f"forecast = {choice['label']}, validation MASE {scores.get(choice['label'], float('nan')):.3f} "
            f"vs {others} ({count(choice.get('windows', 0), 'window')}{why})")


def verdict(metrics: dict[str, dict[str, float]], label: str, forced: bool = False) -> tuple[str, str]:
    """The test part's verdict on the forecast against naive and seasonal naive: ``("good" |
    "simple" | "bad", sentence)``. ``"simple"`` when the forecast *is* one of them (no model beat
    it on validation, or ``forced`` with --model), so a tie with itself is not read as a loss."""
    model = metrics["model"]["mase"]
    best = min(metrics["naive"]["mase"], metrics["seasonal_naive"]["mase"])
    if label in ("naive", "seasonal_naive"):
        why = "as --model asks" if forced else "no model beat it on the validation windows"
        return "simple", (f"The forecast is {label.replace('_', ' ')} itself: {why} (test MASE {model:.3f}).")
    if model < best:
        return "good", f"The model beats both baselines: MASE {model:.3f} vs {best:.3f}."
    if model < EXACT_MASE:  # a baseline exact on a noise-free series, the model within rounding of it: no loss to warn of
        return "good", f"The model is as exact as the best baseline: MASE {model:.3f} vs {best:.3f}."
    return "bad", (f"The model does not beat the best baseline on the test part: MASE {model:.3f} vs "
                   f"{best:.3f}; a simple forecast serves better here.")
