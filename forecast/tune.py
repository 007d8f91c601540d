"""Hyperparameter search with KerasTuner under a time budget.

Each trial is one ordinary :class:`~forecast.forecaster.Forecaster` fitted with the
settings a trial proposes; its score is the LSTM's MASE on the rolling-origin
validation windows inside the training data (``choice_["scores"]["lstm"]``). The
test part is cut off as in ``forecast train`` and never reaches the search.

The oracle is KerasTuner's Bayesian optimisation (a Gaussian process over the trial
scores, proposing where the expected improvement is highest): a trial costs tens of
seconds to minutes, so only a handful fit in a budget, and a model of the scores
spends them better than random search. Hyperband would need many cheap, partial
trials and a resumable training step per bracket, which the time budget rarely allows.

The search lives in a KerasTuner project folder beside the bundle (``<out>.tuner``):
running the same search again continues it (a trial cut short by Ctrl-C is run again).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .config import TrainConfig
from .data import Series
from .errors import ConfigError, DataError
from .tune_space import (
    BATCH_SIZES,
    MIN_TRIAL_SECONDS,
    SEARCHED,
    check_search,
    default_values,
    search_space,
    trial_params,
)

OBJECTIVE = "val_mase"  # the LSTM's MASE on the validation windows (lower is better)
MIN_TRIAL_TRAINING = 30.0  # a trial trains at least this long (or what is left): the first epoch
INITIAL_POINTS = 3  # the defaults and 2 random trials, then the Gaussian process proposes


@dataclass
class Tuning:
    """What a search found.

    Attributes:
        forecaster: the best configuration, fitted (None when no trial completed).
        trials: every trial of the project, this run's and earlier runs': ``trial``,
            ``params`` (TrainConfig fields), ``score`` (validation MASE), ``seconds``,
            ``epochs``, ``status``, ``run`` (which run of the search).
        best: the best completed trial (a row of ``trials``), or None.
        stopped_by: ``"trials"``, ``"time budget"`` or ``"interrupt"``.
        seconds: wall-clock seconds of this run.
    """

    forecaster: Any
    trials: list[dict[str, Any]]
    best: dict[str, Any] | None
    stopped_by: str
    seconds: float
    space: dict[str, Any] = field(default_factory=dict)
    budget: float = 0.0

    def info(self) -> dict[str, Any]:
        """The ``tuning`` entry of bundle.json."""
        return {
            "oracle": "bayesian optimisation (keras_tuner.oracles.BayesianOptimizationOracle)",
            "objective": "validation MASE of the LSTM on rolling-origin windows of the training data",
            "time_budget": self.budget,
            "stopped_by": self.stopped_by,
            "seconds": round(self.seconds, 2),
            "space": self.space,
            "best": self.best,
            "trials": self.trials,
        }


def project_dir(out: Path) -> Path:
    """Where the search of the bundle ``out`` keeps its trials: ``<out>.tuner`` beside it."""
    out = Path(out)
    return out.parent / f"{out.name}.tuner"


def _oracle_class() -> type:
    import keras_tuner as kt

    class DefaultsFirst(kt.oracles.BayesianOptimizationOracle):
        """Bayesian optimisation whose first trial is the space's defaults (the settings
        `forecast train` would use), then random points, then the Gaussian process."""

        def populate_space(self, trial_id: str) -> dict[str, Any]:
            if not self.trials:
                return {"status": "RUNNING", "values": self.hyperparameters.copy().values}
            return super().populate_space(trial_id)  # type: ignore[no-any-return]

    return DefaultsFirst


class _Stop(Exception):
    """Raised before a trial when the budget or the trial count is spent."""


def _tuner_class() -> type:
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

        def left(self) -> float:
            return self.deadline - time.monotonic()

        def to_start(self) -> int:
            """Trials still to start in this search (a reopened trial counts as one)."""
            return self.trials_wanted - len(self.oracle.end_order)

        def pre_create_trial(self) -> None:
            if self.to_start() <= 0:
                raise _Stop("trials")
            if self.left() - self.overhead < MIN_TRIAL_SECONDS:  # too little left to train one
                raise _Stop("time budget")

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


def _check_project(project: Path, signature: dict[str, Any], restart: bool) -> None:
    """Start over (``restart``), start fresh, or check that the search to continue is this one."""
    stamp = project / "search.json"
    if restart and project.exists():
        shutil.rmtree(project)
    if stamp.exists():
        before = json.loads(stamp.read_text())
        changed = sorted(k for k in set(before) | set(signature) if before.get(k) != signature.get(k))
        if changed:
            raise ConfigError(
                f"The search in {project} was started with other data or settings ({', '.join(changed)} "
                "differ). Run the same command as before to continue it, or add --force to start over."
            )
    elif project.exists() and any(project.iterdir()):
        raise ConfigError(f"{project} exists and is not a forecast search. Remove it or choose another --out.")
    project.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(signature, indent=2, default=str))


def tune(
    series: Series,
    config: TrainConfig,
    budget: float,
    trials: int,
    project: Path,
    restart: bool = False,
    stop: threading.Event | None = None,
    update: Callable[[dict[str, Any]], None] | None = None,
) -> Tuning:
    """Search lookback, units, layers, arch, dropout, learning rate and batch size.

    Args:
        series: the loaded series; its test part (``config.test_fraction``) is never scored.
        config: every other setting, as for ``forecast train``; the searched fields are ignored.
        budget: seconds for this run of the search: a ceiling on when trials start and how long
            each trains (its share of what is left, at least :data:`MIN_TRIAL_TRAINING` or what
            is left). A trial's fixed costs (the statistical members, scoring) and its first
            epoch come on top of its training budget.
        trials: trials in the whole search, earlier runs' included.
        project: the KerasTuner project folder (see :func:`project_dir`); continued when present.
        restart: delete the project and start over.
        stop: when set (Ctrl-C), the running trial ends, stays open for the next run, and the
            best so far is kept.
        update: called with a trial's row when it starts (status "running") and ends.

    Returns:
        A :class:`Tuning`; ``forecaster`` is the best configuration fitted, retrained only when
        its trial ran in an earlier run (same seed, same epochs: the same network).

    Raises:
        ConfigError: a budget too short for one trial, or a project of another search.
        DataError: a series too short for one season of lookback.
    """
    import keras_tuner as kt
    from sklearn.exceptions import ConvergenceWarning

    unit, seasons = check_search(series, config, budget, trials)
    project = Path(project)
    fixed = {k: v for k, v in config.to_dict().items() if k not in (*SEARCHED, "time_budget")}
    rows = {str(k): len(f) for k, f in series.frames.items()}
    _check_project(project, {"settings": fixed, "rows": rows, "source": series.source,
                             "unit": unit, "seasons": seasons}, restart)
    began = time.monotonic()
    oracle = _oracle_class()(
        objective=kt.Objective(OBJECTIVE, "min"),
        max_trials=max(trials, 1000),  # the count is checked by the tuner (it may grow on resume)
        num_initial_points=INITIAL_POINTS,
        hyperparameters=search_space(seasons, default_values(series, config, unit, seasons)),
        seed=config.seed,
        max_consecutive_failed_trials=1000,  # a failed trial (e.g. NaN loss) is a bad point, not a stop
    )
    rows_seen: dict[str, dict[str, Any]] = {}

    def on_update(row: dict[str, Any]) -> None:
        rows_seen[row["trial"]] = {**rows_seen.get(row["trial"], {}), **row}
        if update:
            update(rows_seen[row["trial"]])

    tuner = _tuner_class()(oracle=oracle, directory=str(project.parent), project_name=project.name)
    tuner.setup(series, config, unit, budget, trials, stop, on_update)
    for trial in oracle.trials.values():  # earlier runs' trials, shown first
        on_update(trial_row(trial, unit))
    tf_log = logging.getLogger("tensorflow")
    level = tf_log.level
    tf_log.setLevel(logging.ERROR)  # "retracing" warnings: each trial is a new model, as meant
    try:
        with warnings.catch_warnings():  # the Gaussian process on a few points warns of its bounds
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            tuner.search(verbose=0)
        stopped_by = "trials"
    except _Stop as exc:
        stopped_by = str(exc)
    except tuner.Interrupted:
        stopped_by = "interrupt"
    except tuner.UserError as exc:
        raise exc.args[0] from None
    finally:
        tf_log.setLevel(level)
    rows_all = [trial_row(oracle.trials[t], unit) for t in sorted(oracle.trials)]
    done = [r for r in rows_all if r["score"] is not None]
    best = min(done, key=lambda r: r["score"]) if done else None
    forecaster = None
    if best is not None:
        if tuner.best is not None and tuner.best[1] == best["trial"]:
            forecaster = tuner.best[2]
        elif stopped_by != "interrupt":
            forecaster = _retrain(series, config, best)
    return Tuning(forecaster, rows_all, best, stopped_by, time.monotonic() - began,
                  {"lookback": f"1..{seasons} x {unit} steps", "units": "8..128 (log)", "layers": "1..2",
                   "arch": "lstm, gru, bilstm, attention", "dropout": "0..0.3",
                   "learning_rate": "1e-4..1e-2 (log)", "batch_size": ", ".join(map(str, BATCH_SIZES))},
                  budget)


def _retrain(series: Series, config: TrainConfig, best: dict[str, Any]) -> Any:
    """Fit the best trial's settings again (it ran in an earlier run): the same seed and as
    many epochs as it trained, so the same network, whatever the clock does this time."""
    from .forecaster import Forecaster

    budget = max(float(best.get("time_budget") or config.time_budget), MIN_TRIAL_SECONDS) * 2
    epochs = int(best.get("epochs") or config.epochs)
    return Forecaster(replace(config, **best["params"], epochs=epochs, time_budget=budget)).fit(series)


