"""The search space of `forecast tune`: lookback in whole seasons, units, layers, arch, dropout,\nlearning rate and batch size; the first trial is the settings given (the library defaults)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .config import TrainConfig
from .data import Series
from .errors import ConfigError, DataError
from .frequency import default_horizon, season_length

# alone (tracing the step) took 17-27 s on a busy 2-core machine; shorter shares scored 1-epoch nets
MIN_TRIAL_SECONDS = 10.0  # less than this cannot train and score one network
MAX_SEASONS = 8  # the longest lookback searched, in seasons


MAX_LOOKBACK = 336  # as for the automatic lookback: longer windows cost time and rarely help


BATCH_SIZES = (32, 64, 128, 256)


SEARCHED = ("lookback", "units", "layers", "arch", "dropout", "learning_rate", "batch_size")


def lookback_unit(series: Series, config: TrainConfig) -> tuple[int, int]:
    """The lookback step searched (one season, or one horizon without a season) and the most
    of them the data allows (at most 8, and half the training rows past one horizon).

    Raises:
        DataError: when even one season of lookback leaves no training window.
    """
    from .training import plan

    horizon = config.horizon or default_horizon(series.freq)
    season = config.season or season_length(series.freq)
    unit = season if season >= 2 else horizon
    rows = min(len(f) for f in series.frames.values())
    try:
        _, _, split = plan(rows, series.freq, replace(config, lookback=unit))
    except (DataError, ConfigError):  # plan's own message names --lookback, which tune does not take
        raise DataError(
            f"The series has {rows} rows: too few to search lookbacks of whole seasons (the "
            f"shortest is {unit} steps, plus horizon {horizon}, validation and test rows). Give a "
            "longer series, or a shorter --horizon or --season."
        ) from None
    most = min(MAX_SEASONS, (split.train_end - horizon) // 2 // unit, MAX_LOOKBACK // unit)
    return unit, max(1, most)


def search_space(seasons: int, defaults: dict[str, Any] | None = None) -> Any:
    """The KerasTuner hyperparameters: lookback in seasons, units, layers, arch, dropout,
    learning rate (log scale) and batch size; ``defaults`` (see :func:`default_values`) are the
    values of the first trial."""
    import keras_tuner as kt

    from .nets import ARCHS

    d = defaults or {}
    hp = kt.HyperParameters()
    if seasons > 1:
        hp.Int("seasons", 1, seasons, default=d.get("seasons"))
    else:
        hp.Fixed("seasons", 1)
    hp.Int("units", 8, 128, sampling="log", default=d.get("units"))
    hp.Int("layers", 1, 2, default=d.get("layers"))
    hp.Choice("arch", list(ARCHS), default=d.get("arch"))
    hp.Float("dropout", 0.0, 0.3, step=0.05, default=d.get("dropout"))
    hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=d.get("learning_rate"))
    hp.Choice("batch_size", list(BATCH_SIZES), default=d.get("batch_size"))
    return hp


def default_values(series: Series, config: TrainConfig, unit: int, seasons: int) -> dict[str, Any]:
    """``config``'s own settings (the library defaults from the CLI) as values of the space, the
    automatic lookback in whole seasons: the first trial, so the search never ends worse on
    validation than not searching."""
    from .nets import ARCHS
    from .schedule import batch_for
    from .training import plan

    rows = min(len(f) for f in series.frames.values())
    try:
        lookback = config.lookback or plan(rows, series.freq, replace(config, lookback=None))[1]
    except DataError:
        lookback = unit
    windows = sum(max(1, int(0.8 * len(f)) - lookback) for f in series.frames.values())
    batch = config.batch_size or batch_for(windows)  # the automatic batch train would take
    return {
        "seasons": min(max(1, round(lookback / unit)), seasons),
        "units": min(max(8, config.units), 128),
        "layers": min(max(1, config.layers), 2),
        "arch": config.arch if config.arch in ARCHS else "lstm",
        "dropout": min(max(0.0, round(config.dropout * 20) / 20), 0.3),
        "learning_rate": min(max(1e-4, config.learning_rate), 1e-2),
        "batch_size": min(BATCH_SIZES, key=lambda b: abs(b - batch)),
    }


def trial_params(values: dict[str, Any], unit: int) -> dict[str, Any]:
    """A trial's hyperparameter values -> TrainConfig fields."""
    return {
        "lookback": int(values["seasons"]) * unit,
        "units": min(max(8, int(values["units"])), 128),  # the log-scale Int can round past its ends
        "layers": int(values["layers"]),
        "arch": str(values["arch"]),
        "dropout": round(float(values["dropout"]), 4),
        "learning_rate": float(f"{float(values['learning_rate']):.3g}"),
        "batch_size": int(values["batch_size"]),
    }


def check_search(series: Series, config: TrainConfig, budget: float, trials: int) -> tuple[int, int]:
    """Refuse an impossible search before any work; returns :func:`lookback_unit`'s answer.

    Raises:
        ConfigError: a budget too short for one trial, or no trials.
        DataError: a series too short for one season of lookback.
    """
    if not math.isfinite(budget):  # inf passed this check and failed every trial's own
        raise ConfigError(f"--time-budget must be a finite number of seconds; got {budget:g}.")
    if not budget >= MIN_TRIAL_SECONDS:
        raise ConfigError(
            f"--time-budget {budget:g} s is too short for one trial (each needs at least "
            f"{MIN_TRIAL_SECONDS:g} s). Give --time-budget {MIN_TRIAL_SECONDS:g} or more."
        )
    if trials < 1:
        raise ConfigError(f"--trials must be at least 1; got {trials}.")
    return lookback_unit(series, config)
