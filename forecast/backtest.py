"""The backtest protocol of DESIGN.md: W non-overlapping test windows of H steps at the end.

The model is trained once on the rows before the test region (or, with
``refit``, once per fold on every row before that fold's origin, scaler refit
each time) and forecasts each window from the true history up to its origin.
The same windows score the naive, seasonal-naive and drift baselines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from . import baselines
from .config import TrainConfig
from .data import Series
from .errors import ConfigError, DataError
from .frequency import default_horizon, season_length
from .metrics import coverage, mase_scale, pinball, score_all


def backtest(
    series: Series,
    config: TrainConfig,
    windows: int,
    season: int | None = None,
    refit: bool = False,
    fold_done: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run the protocol and return the JSON-ready result.

    Args:
        series: the whole series; its last ``windows * horizon`` rows are the test region.
        config: training settings (``test_fraction`` is ignored: the test region is the folds).
        windows: number of folds W.
        season: seasonal period M (default: from the frequency).
        refit: retrain per fold on an expanding window instead of once.
        fold_done: called with the fold number after each fold.

    Returns:
        ``protocol``, ``models`` (model and baselines: mae, rmse, smape, mape, mase, and
        for quantiles pinball and coverage), ``per_step_mae``, ``persistence``, ``training``.
    """
    from .forecaster import Forecaster

    if series.is_panel:
        raise ConfigError(
            f"forecast backtest scores one series; the data holds {len(series.frames)}. "
            "Backtest one target without --id (or one column of a wide file)."
        )
    horizon = config.horizon or default_horizon(series.freq)
    season = season or config.season or season_length(series.freq)
    rows = len(series.frame)
    start = rows - windows * horizon
    if start <= 0:
        raise DataError(
            f"{windows} windows of {horizon} steps need more than {windows * horizon} rows; the "
            f"series has {rows}. Use fewer --windows or a shorter --horizon."
        )
    config = replace(config, horizon=horizon, test_fraction=0.0, season=season)
    origins = start + horizon * np.arange(windows)  # (windows,)
    target = series.frame[series.target or config.target].to_numpy(dtype="float64")
    actual = target[origins[:, None] + np.arange(horizon)]  # (windows, horizon)

    forecasts, members, seconds, fitted = [], {}, 0.0, None
    for k, origin in enumerate(origins):
        if fitted is None or refit:
            cut = int(start if not refit else origin)
            history = replace(series, frames={k: f.iloc[:cut] for k, f in series.frames.items()})  # nothing after the origin
            began = time.perf_counter()
            fitted = Forecaster(config).fit(history)
            seconds += time.perf_counter() - began
        values = fitted.preprocessor_.transform(series.frame.iloc[: origin])  # true history only
        each = fitted.member_windows(values, np.array([origin]))  # member -> (1, horizon, q)
        forecasts.append(fitted.finish(fitted._combine(each))[0])
        for name, f in each.items():
            members.setdefault(name, []).append(f[0])
        if fold_done:
            fold_done(k + 1)
    raw = np.stack(forecasts)  # (windows, horizon[, q])
    point = fitted.point(raw)
    median = fitted.levels.index(0.5)

    scale = mase_scale(target[:start], season)
    models = {
        "model": score_all(actual, point, scale),
        **{name: _score_member(actual, np.stack(f), scale, fitted.levels, median)
           for name, f in members.items() if name in ("lstm", "auto_ets", "auto_theta")},
        "naive": score_all(actual, baselines.naive(target, origins, horizon), scale),
        "seasonal_naive": score_all(
            actual, baselines.seasonal_naive(target, origins, horizon, season), scale
        ),
        "drift": score_all(actual, baselines.drift(target, origins, horizon), scale),
    }
    if fitted.quantiles:
        models["model"]["pinball"] = pinball(actual, raw, fitted.quantiles)
        models["model"]["coverage"] = coverage(actual, raw[..., 0], raw[..., -1])
    best = min(("naive", "seasonal_naive", "drift"), key=lambda m: models[m]["mase"])
    index = series.frame.index
    return {
        "protocol": {
            "windows": windows,
            "horizon": horizon,
            "season": season,
            "refit": refit,
            "rows": rows,
            "train_rows": start,
            "test_start": str(index[start]),
            "test_end": str(index[-1]),
            "origins": [str(index[o]) for o in origins],
            "mase_scale": scale,
        },
        "models": models,
        "per_step_mae": np.mean(np.abs(actual - point), axis=0).tolist(),
        "forecasts": point.tolist(),  # (windows, horizon), the median with quantiles
        "skill": 1.0 - models["model"]["mase"] / models[best]["mase"],
        "best_baseline": best,
        "persistence": persistence(target, origins, point),
        "interval": fitted.interval(),
        "choice": fitted.choice_,
        "training": {"seconds": round(seconds, 2), "fits": windows if refit else 1,
                     "lstm_seconds": round(float(fitted.training_["seconds"]), 2),
                     "epochs": fitted.training_.get("epochs"), "config": config.to_dict()},
    }


def _score_member(
    actual: np.ndarray, f: np.ndarray, scale: float, levels: list[float], median: int
) -> dict[str, float]:
    """A member's own scores: its median, and its raw (uncalibrated) interval's coverage."""
    out = score_all(actual, f[..., median], scale)
    if len(levels) > 1:
        out["coverage"] = coverage(actual, f[..., 0], f[..., -1])
    return out


def persistence(target: np.ndarray, origins: np.ndarray, point: np.ndarray) -> dict[str, Any]:
    """Does the forecast track the actuals shifted back by ``k`` steps better than unshifted?

    A model that mostly repeats recent values has its lowest error against the
    actuals shifted by one or more steps.

    Returns:
        ``mae_by_shift`` (shift 0 .. horizon), ``best_shift`` and ``repeats_recent_values``.
    """
    horizon = point.shape[1]
    steps = origins[:, None] + np.arange(horizon)  # (windows, horizon) rows forecast
    maes = [float(np.mean(np.abs(point - target[steps - k]))) for k in range(horizon + 1)]
    best = int(np.argmin(maes))
    return {"mae_by_shift": maes, "best_shift": best, "repeats_recent_values": best > 0}
