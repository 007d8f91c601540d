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
from .data import Series, written
from .errors import ConfigError, DataError
from .evaluation import score_windows
from .frequency import default_horizon, season_length
from .metrics import mase_scale, skill
from .timefmt import listed


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
        for quantiles pinball and coverage), ``per_step_mae`` (several series: ``per_step_mase``), ``persistence``, ``training``.
    """
    from .forecaster import Forecaster

    horizon = config.horizon or default_horizon(series.freq)
    season = season or config.season or season_length(series.freq)
    if series.is_panel:
        if refit:
            raise ConfigError("--refit backtests one series; drop --refit to backtest several series.")
        return backtest_panel(series, config, windows, season, fold_done)
    rows = len(series.frame)
    start = rows - windows * horizon
    if start <= 0:
        raise DataError(
            f"{windows} windows of {horizon} steps need more than {windows * horizon} rows; the "
            f"series has {rows}. Use fewer --windows or a shorter --horizon."
        )
    config = replace(config, horizon=horizon, test_fraction=0.0, season=season)
    _check_training_rows(start, rows, windows, horizon, series.freq, config)
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
        # true history only; the --future columns' true values for the window's steps (see known_note)
        ahead = series.frame.iloc[origin : origin + horizon]
        values = fitted.preprocessor_.transform(series.frame.iloc[: origin], future=ahead)
        each = fitted.member_windows(values, np.array([origin]))  # member -> (1, horizon, q)
        forecasts.append(fitted.finish(fitted._combine(each))[0])
        for name, f in each.items():
            members.setdefault(name, []).append(f[0])
        if fold_done:
            fold_done(k + 1)
    raw = np.stack(forecasts)  # (windows, horizon[, q])
    point = fitted.point(raw)
    scale = mase_scale(target[:start], season)
    # member -> (windows, horizon, q); with --refit a member may fail to fit in some folds (AutoCES
    # refused as unstable): it is scored only where it forecast every window
    each = {name: np.stack(f) for name, f in members.items() if len(f) == windows}
    partial = sorted(set(members) - set(each))
    models, _ = score_windows(fitted, actual, raw, each, target, origins, season, scale)
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
            "test_start": written(index[start], series),  # times as the file wrote them
            "test_end": written(index[-1], series),
            "origins": [written(index[o], series) for o in origins],
            "mase_scale": scale,
        },
        "models": models,
        "per_step_mae": np.mean(np.abs(actual - point), axis=0).tolist(),
        "forecasts": point.tolist(),  # (windows, horizon), the median with quantiles
        "skill": skill(models["model"]["mase"], models[best]["mase"]),
        "best_baseline": best,
        "persistence": persistence(target, origins, point),
        "interval": fitted.interval(),
        "choice": fitted.choice_,
        "notes": fitted.notes_ + known_note(fitted.preprocessor_) + (
            [f"{', '.join(partial)} not scored: it could not be fitted in every fold"] if partial else []),
        "training": {"seconds": round(seconds, 2), "fits": windows if refit else 1,
                     "lstm_seconds": round(float(fitted.training_["seconds"]), 2),
                     "epochs": fitted.training_.get("epochs"), "config": config.to_dict()},
    }


def known_note(pre: Any) -> list[str]:
    """What the backtest assumed about the known-future inputs (a line, or none)."""
    notes = []
    if pre.future:
        notes.append(
            f"known-future column(s) {', '.join(pre.future)}: each window read their TRUE values for its "
            "steps, as a user with perfect forecasts of them; real forecasts (weather) are less exact, "
            "so expect a larger error in use"
        )
    if pre.holidays:
        region = "-".join(p for p in (pre.holidays["country"], pre.holidays["subdiv"]) if p)
        notes.append(f"public holidays of {region} read for each window's steps (known in advance)")
    return notes


def _left_out_note(left_out: list[str], total: int, windows: int, horizon: int) -> list[str]:
    """The series the scores leave out (too short for the windows plus a training window), named."""
    if not left_out:
        return []
    names = listed(left_out)
    return [f"{len(left_out)} of {total} series left out, too short for {windows} windows x {horizon} "
            f"steps after their training rows ({names}): the scores are means over the other "
            f"{total - len(left_out)}; fewer --windows or a shorter --horizon keeps more"]


REPEATS_NAIVE = 0.9  # the flag needs an error at least this share of naive's


def persistence(target: np.ndarray, origins: np.ndarray, point: np.ndarray) -> dict[str, Any]:
    """Does the forecast track the actuals shifted back by ``k`` steps better than unshifted,
    while doing little better than repeating the last value?

    A model that mostly repeats recent values has its lowest error against the actuals
    shifted by one or more steps. So has a good forecast of a smooth trend that falls a
    little behind it (an 89-quarter population series: 6x better than naive, best shift
    1), so the flag also asks for an error at least :data:`REPEATS_NAIVE` of naive's.

    Returns:
        ``mae_by_shift`` (shift 0 .. horizon), ``best_shift``, ``vs_naive`` (MAE / naive's)
        and ``repeats_recent_values``.
    """
    maes, naive = shift_errors(target, origins, point)
    return persistence_of(maes, naive)


def shift_errors(target: np.ndarray, origins: np.ndarray, point: np.ndarray) -> tuple[np.ndarray, float]:
    """The forecast's MAE against the actuals shifted back 0 .. horizon steps, and naive's MAE."""
    horizon = point.shape[1]
    steps = origins[:, None] + np.arange(horizon)  # (windows, horizon) rows forecast
    maes = np.array([np.mean(np.abs(point - target[steps - k])) for k in range(horizon + 1)])
    return maes, float(np.mean(np.abs(target[steps] - baselines.naive(target, origins, horizon))))


def persistence_of(maes: np.ndarray, naive: float) -> dict[str, Any]:
    """:func:`persistence`'s verdict from the errors by shift and naive's error."""
    best = int(np.argmin(maes))
    ratio = float(maes[0]) / naive if naive > 0 else 1.0
    return {"mae_by_shift": [float(m) for m in maes], "best_shift": best, "vs_naive": round(ratio, 4),
            "repeats_recent_values": best > 0 and ratio >= REPEATS_NAIVE}


def _check_training_rows(start: int, rows: int, windows: int, horizon: int, freq: str, config: TrainConfig) -> None:
    """The rows before the first test window must train a model: else name the most windows
    that leave enough (the split's own message would speak of those rows as "the series")."""
    if _trains(start, freq, config):
        return
    fits = [w for w in range(windows - 1, 0, -1) if _trains(rows - w * horizon, freq, config)]
    raise DataError(
        f"{windows} windows of {horizon} steps leave {start} of the {rows} rows before the first window, "
        f"too few to train on. Use {f'at most {fits[0]}' if fits else 'fewer'} --windows, or a shorter --horizon."
    )


def _trains(rows: int, freq: str, config: TrainConfig) -> bool:
    """Whether ``rows`` rows hold a split and a training window (:func:`forecast.split.plan`)."""
    from .split import plan

    try:
        plan(rows, freq, config)
    except DataError:
        return False
    return True


def backtest_panel(
    series: Series,
    config: TrainConfig,
    windows: int,
    season: int,
    fold_done: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The protocol on several series: each series' last ``windows * horizon`` rows are its test
    region; one global model is trained on every series' rows before its own test region and
    forecasts each window from that series' true history. Every metric is the mean over the
    series of that series' own score (MASE scaled by its own training part); so is the persistence
    check (each series' errors by shift over its scale). ``protocol.origins`` names each series'
    window starts, the times of its ``forecasts``.
    """
    from .forecaster import Forecaster

    horizon = config.horizon or default_horizon(series.freq)
    config = replace(config, horizon=horizon, test_fraction=0.0, season=season)
    test = windows * horizon
    kept = {k: f for k, f in series.frames.items() if len(f) > test}
    if not kept:
        raise DataError(
            f"{windows} windows of {horizon} steps need more than {test} rows in a series; the "
            "longest is shorter. Use fewer --windows or a shorter --horizon."
        )
    history = replace(series, frames={k: f.iloc[: len(f) - test] for k, f in kept.items()})
    began = time.perf_counter()
    fitted = Forecaster(config).fit(history)
    seconds = time.perf_counter() - began
    scores: dict[str, dict[str, list[dict[str, float]]]] = {}
    per_series, per_step, forecasts, times = {}, [], {}, {}
    shifted, naive_mae = [], []  # each series' errors by shift and naive's, over its scale
    names = fitted.data_["series"] or list(kept)
    for done, name in enumerate(names, 1):
        frame = kept[name]
        target = frame[fitted.preprocessor_.target].to_numpy(dtype="float64")
        start = len(frame) - test
        origins = start + horizon * np.arange(windows)
        actual = target[origins[:, None] + np.arange(horizon)]
        values = fitted.preprocessor_.transform(frame, name)  # windows read only rows before origins
        each = fitted.member_windows(values, origins, name)
        raw = fitted.finish(fitted._combine(each))
        point = fitted.point(raw)
        scale = mase_scale(target[:start], season)
        rows, _ = score_windows(fitted, actual, raw, each, target, origins, season, scale)
        if fitted.quantiles:
            rows["model"]["pinball"] /= scale  # scale-free, so that series average
        for model, m in rows.items():
            scores.setdefault(model, []).append(m)  # type: ignore[arg-type]
        per_series[name] = {k: round(v["mase"], 6) for k, v in rows.items()}
        per_step.append(np.mean(np.abs(actual - point), axis=0) / scale)
        forecasts[name] = point.tolist()
        times[name] = [written(frame.index[o], series) for o in origins]
        maes, naive = shift_errors(target, origins, point)
        shifted.append(maes / scale)
        naive_mae.append(naive / scale)
        if fold_done:
            fold_done(done)
    models = {
        model: {key: float(np.mean([m[key] for m in ms])) for key in ms[0] if all(key in m for m in ms)}
        for model, ms in scores.items()
    }
    for model, ms in scores.items():
        models[model]["median_mase"] = float(np.median([m["mase"] for m in ms]))
    best = min(("naive", "seasonal_naive", "drift"), key=lambda m: models[m]["mase"])
    left_out = sorted(set(series.frames) - set(names))
    return {
        "protocol": {
            "windows": windows, "horizon": horizon, "season": season, "refit": False,
            "series": len(names), "left_out": left_out,
            "test_start": written(min(kept[n].index[len(kept[n]) - test] for n in names), series),
            "test_end": written(max(kept[n].index[-1] for n in names), series),
            "mase_scale": "each series' in-sample seasonal-naive MAE",
            "origins": times,  # each series' window starts, the rows of its forecasts
        },
        "models": models,
        "per_series": per_series,
        "per_step_mase": np.mean(per_step, axis=0).tolist(),  # each series' MAE over its scale: comparable
        "forecasts": forecasts,
        "skill": skill(models["model"]["mase"], models[best]["mase"]),
        "best_baseline": best,
        "persistence": persistence_of(np.mean(shifted, axis=0), float(np.mean(naive_mae))),  # scale-free means
        "interval": fitted.interval(),
        "choice": fitted.choice_,
        "notes": _left_out_note(left_out, len(series.frames), windows, horizon)
        + fitted.notes_ + known_note(fitted.preprocessor_),
        "training": {"seconds": round(seconds, 2), "fits": 1,
                     "lstm_seconds": round(float(fitted.training_["seconds"]), 2),
                     "epochs": fitted.training_.get("epochs"), "config": config.to_dict()},
    }
