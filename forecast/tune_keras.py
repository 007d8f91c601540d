"""The KerasTuner side of `forecast tune` (:mod:`forecast.tune`): the oracle that tries the
defaults first, and the tuner whose trial is one :class:`~forecast.forecaster.Forecaster` fit
under its share of the time budget, scored by the LSTM's validation MASE."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .config import TrainConfig
from .data import Series
from .errors import ConfigError, DataError
from .tune_space import MIN_TRIAL_SECONDS, trial_params

OBJECTIVE = "val_mase"  # the LSTM's MASE on the validation windows (lower is better)
MIN_TRIAL_TRAINING = 30.0  # a trial trains at least this long (or what is left): the first epoch


def oracle_class() -> type:
    import keras_tuner as kt

    class DefaultsFirst(kt.oracles.BayesianOptimizationOracle):
        """Bayesian optimisation whose first trial is the space's defaults (the settings
        `forecast train` would use), then random points, then the Gaussian process."""

        def populate_space(self, trial_id: str) -> dict[str, Any]:
            if not self.trials:
                return {"status": "RUNNING", "values": self.hyperparameters.copy().values}
            return super().populate_space(trial_id)  # type: ignore[no-any-return]

    return DefaultsFirst


class SearchStop(Exception):
    """Raised before a trial when the budget or the trial count is spent."""


def tuner_class() -> type:
    import keras_tuner as kt

    class _Interrupted(kt.errors.FatalError):
        """Ctrl-C during a trial: the trial stays open and runs again on the next search."""

    class _UserError(kt.errors.FatalError):
        """A ConfigError or DataError in a trial: the settings, not the trial, are wrong."""

    class ForecastTuner(kt.Tuner):
        """A KerasTuner tuner whose trial is one Forecaster fit (not a bare Keras model)."""

        Interrupted = _Interrupted
        UserError = _UserError

        def setup(self, series: Series, config: TrainConfig, unit: int, budget: float, trials: int,
                  stop: threading.Event | None, update: Callable[[dict[str, Any]], None]) -> None:
            self.series, self.config, self.unit = series, config, unit
            self.trials_wanted, self.stop, self.update = trials, stop, update
            self.deadline = time.monotonic() + budget
            self.overhead = 0.0  # a trial's seconds besides training (members, scoring): learnt
            self.best: tuple[float, str, Any] | None = None  # (score, trial id, forecaster)
            self.started = 0  # trials started in this run

        def left(self) -> float:
            return self.deadline - time.monotonic()

        def to_start(self) -> int:
            """Trials still to start in this search (a reopened trial counts as one)."""
            return self.trials_wanted - len(self.oracle.end_order)

        def pre_create_trial(self) -> None:
            if self.to_start() <= 0:
                raise SearchStop("trials")
            if self.started and self.left() - self.overhead < MIN_TRIAL_SECONDS:  # too little left to train
                raise SearchStop("time budget")  # one more (the first runs: check_search asked for enough)
            self.started += 1

        def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
            from .forecaster import Forecaster

            params = trial_params(trial.hyperparameters.values, self.unit)
            # its share of what is left, but no less than MIN_TRIAL_TRAINING: fewer, useful trials
            share = self.left() / max(1, self.to_start()) - self.overhead
            floor = min(MIN_TRIAL_TRAINING, self.left() - self.overhead)
            config = replace(self.config, **params, time_budget=max(MIN_TRIAL_SECONDS / 2, share, floor))
            self.update({"trial": trial.trial_id, "params": params, "status": "running",
                         "time_budget": round(config.time_budget, 1)})
            began = time.monotonic()
            try:
                forecaster = Forecaster(config).fit(replace(self.series, notes=list(self.series.notes)),
                                                    stop=self.stop)
            except (ConfigError, DataError) as exc:  # every trial would fail alike: stop here
                raise _UserError(exc) from exc
            seconds = time.monotonic() - began
            if forecaster.training_.get("interrupted") or (self.stop is not None and self.stop.is_set()):
                raise _Interrupted("interrupted")
            score = float(forecaster.choice_["scores"].get("lstm", math.nan))
            self.overhead = max(0.0, seconds - float(forecaster.training_["seconds"]))
            if math.isfinite(score) and (self.best is None or score < self.best[0]):
                self.best = (score, trial.trial_id, forecaster)
            return {OBJECTIVE: score, "seconds": round(seconds, 2),
                    "epochs": float(forecaster.training_["epochs"]),
                    "time_budget": round(config.time_budget, 2)}

        def on_trial_end(self, trial: Any) -> None:
            super().on_trial_end(trial)
            self.update(trial_row(self.oracle.trials[trial.trial_id], self.unit))

    return ForecastTuner


def trial_row(trial: Any, unit: int) -> dict[str, Any]:
    """One KerasTuner trial as a plain row (params, score, seconds, epochs, status)."""
    def metric(name: str) -> float | None:
        if not trial.metrics.exists(name):
            return None
        value = trial.metrics.get_last_value(name)
        return None if value is None or not math.isfinite(value) else float(value)

    status = str(trial.status)
    score = metric(OBJECTIVE) if status == "COMPLETED" else None
    return {
        "trial": trial.trial_id,
        "params": trial_params(trial.hyperparameters.values, unit) if trial.hyperparameters.values else {},
        "score": None if score is None else round(score, 6),
        "seconds": metric("seconds"),
        "epochs": None if metric("epochs") is None else int(metric("epochs") or 0),
        "time_budget": metric("time_budget"),
        "status": status.lower(),
        "message": (trial.message or "").strip().splitlines()[-1][:200] if status == "FAILED" else "",
    }
