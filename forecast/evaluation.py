"""Score the test part: the model against naive and seasonal-naive forecasts on the same windows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import baselines
from .metrics import coverage, mase_scale, pinball, score_all
from .windows import origins

SCORED_MEMBERS = ("lstm", "auto_ets", "auto_theta", "auto_ces")  # scored beside the chosen forecast

if TYPE_CHECKING:
    from .split import Split

Forecaster = Any  # a fitted forecast.forecaster.Forecaster (not imported: evaluation is used by it)


def holdout_frame(holdout: dict[str, Any]) -> pd.DataFrame:
    """One row per test step: [series,] origin, time, step, actual, forecast, [lower, upper], baselines."""
    if "parts" in holdout:  # several series: one block each, named in the first column
        return pd.concat(
            [holdout_frame(part).assign(series=name) for name, part in holdout["parts"].items()]
        ).pipe(lambda f: f[["series", *f.columns[:-1]]])
    series = holdout["series"]
    o, actual = holdout["origins"], holdout["actual"]
    horizon = actual.shape[1]
    rows = (o[:, None] + np.arange(horizon)).ravel()
    columns: dict[str, Any] = {
        "origin": np.repeat(series.index[o], horizon),
        series.index.name or "time": series.index[rows],
        "step": np.tile(np.arange(1, horizon + 1), len(o)),
        "actual": actual.ravel(),
        "forecast": holdout["forecasts"]["model"].ravel(),
    }
    if holdout.get("quantiles") is not None:
        columns["lower"] = holdout["quantiles"][..., 0].ravel()
        columns["upper"] = holdout["quantiles"][..., -1].ravel()
    columns["naive"] = holdout["forecasts"]["naive"].ravel()
    columns["seasonal_naive"] = holdout["forecasts"]["seasonal_naive"].ravel()
    return pd.DataFrame(columns)


def _interval_label(interval: dict[str, float] | None) -> str | None:
    if not interval:
        return None
    return f"{interval['coverage']:.0%} interval ({interval['lower']:g} to {interval['upper']:g})"


def evaluate_holdout(
    forecaster: Forecaster,
    frame: pd.DataFrame,
    values: np.ndarray,
    split: Split,
    series: str | None = None,
) -> dict[str, Any]:
    """Forecast the test part in consecutive, non-overlapping windows from the true history.

    Returns:
        ``metrics`` (per model: mae, rmse, mase), ``windows``, and the arrays behind them
        (``origins``, ``actual``, ``forecasts`` per model, each ``(windows, horizon)``) for plots.
    """
    pre = forecaster.preprocessor_
    season = forecaster.data_["season"]
    horizon = pre.horizon
    o = origins(split.val_end, split.rows, 0, horizon, stride=horizon)  # short series: padded
    target = frame[pre.target].to_numpy(dtype="float64")
    actual = target[o[:, None] + np.arange(horizon)]  # (windows, horizon)
    members = forecaster.member_windows(values, o, series)  # each (windows, horizon, q)
    raw = forecaster.finish(forecaster._combine(members))  # the chosen forecast (windows, horizon[, q])
    scale = mase_scale(target[: split.train_end], season)
    metrics, forecasts = score_windows(forecaster, actual, raw, members, target, o, season, scale)
    return {
        "quantiles": raw if forecaster.quantiles else None,
        "interval_label": _interval_label(forecaster.interval()),
        "metrics": metrics,
        "windows": int(len(o)),
        "season": season,
        "origins": o,
        "actual": actual,
        "forecasts": forecasts,
        "series": frame[pre.target],
    }


def score_windows(
    forecaster: Any, actual: np.ndarray, raw: np.ndarray, members: dict[str, np.ndarray],
    target: np.ndarray, origins: np.ndarray, season: int, scale: float,
) -> tuple[dict[str, dict[str, float]], dict[str, np.ndarray]]:
    """The one scoring of forecast windows, for the test part and the backtest alike: the chosen
    forecast, each member, and the baselines (naive, seasonal naive, drift), each by the same
    metrics (MAE, RMSE, sMAPE, MASE; pinball and coverage where there are quantiles).

    Args:
        actual: the true values ``(windows, horizon)``.
        raw: the chosen forecast ``(windows, horizon[, q])``, interval-scaled.
        members: each member's own forecasts ``(windows, horizon, q)``.
        target: the whole series (the baselines read the rows before each origin).
        scale: MASE's denominator (the in-sample seasonal-naive MAE).

    Returns:
        ``metrics`` per model, and the point ``forecasts`` ``(windows, horizon)`` per model.
    """
    horizon = actual.shape[1]
    levels = forecaster.levels
    median = levels.index(0.5)
    floor = getattr(forecaster, "floor_", None)  # each member's row is what --model would give: floored too
    members = members if floor is None else {name: np.maximum(f, floor) for name, f in members.items()}
    forecasts = {
        "model": forecaster.point(raw),
        **{name: f[..., median] for name, f in members.items() if name in SCORED_MEMBERS},
        "naive": baselines.naive(target, origins, horizon),
        "seasonal_naive": baselines.seasonal_naive(target, origins, horizon, season),
        "drift": baselines.drift(target, origins, horizon),
    }
    metrics = {name: score_all(actual, f, scale) for name, f in forecasts.items()}
    for name, f in members.items():  # a member's raw (uncalibrated) interval
        if name in SCORED_MEMBERS and len(levels) > 1:
            metrics[name]["coverage"] = coverage(actual, f[..., 0], f[..., -1])
    if forecaster.quantiles:
        metrics["model"]["pinball"] = pinball(actual, raw, forecaster.quantiles)
        metrics["model"]["coverage"] = coverage(actual, raw[..., 0], raw[..., -1])
    return metrics, forecasts


def combine_holdouts(results: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """Several series' test parts as one: each metric averaged over the series (MASE is
    scale-free, so its mean is comparable across series); plots show the first series.

    A member that failed to fit a series (AutoCES on a constant one) is averaged over the
    series it forecast, as the backtest does."""
    models = dict.fromkeys(model for r in results for model in r["metrics"])
    metrics = {}
    for model in models:
        scored = [r["metrics"][model] for r in results if model in r["metrics"]]
        metrics[model] = {
            key: float(np.mean([m[key] for m in scored]))
            for key in scored[0]
            if all(key in m for m in scored)
        }
    return {
        **results[0],
        "metrics": metrics,
        "windows": int(sum(r["windows"] for r in results)),
        "per_series": {n: r["metrics"] for n, r in zip(names, results)},
        "parts": dict(zip(names, results)),
    }
