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

import contextlib
import io
import json
import logging
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
from .errors import ConfigError
from .tune_keras import (
    OBJECTIVE,
    SearchStop,
    oracle_class,
    trial_row,
    tuner_class,
)
from .tune_space import (
    BATCH_SIZES,
    MIN_TRIAL_SECONDS,
    SEARCHED,
    check_search,
    default_values,
    search_space,
)

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


def _digest(series: Series) -> str:
    """A hash of every series' times and values: a search continues only on the same data (the
    same file with other values had the old trials' scores reported as the new data's)."""
    import hashlib

    import pandas as pd

    h = hashlib.sha256()
    for key in sorted(series.frames, key=str):
        h.update(str(key).encode())
        h.update(pd.util.hash_pandas_object(series.frames[key], index=True).to_numpy().tobytes())
    return h.hexdigest()


def _damaged(project: Path, file: Path | None, why: Any) -> str:
    """The one line for a search folder whose saved state cannot be read back."""
    where = f"{file.name} is" if file is not None else "its saved trials are"
    return (f"The search in {project} cannot be continued: {where} damaged ({str(why).splitlines()[0][:120]}). "
            "Add --force to start the search over.")


def _check_project(project: Path, signature: dict[str, Any], restart: bool) -> None:
    """Start over (``restart``), start fresh, or check that the search to continue is this one."""
    if restart and project.exists():
        shutil.rmtree(project)
    _check_stamp(project, signature)
    project.mkdir(parents=True, exist_ok=True)
    (project / "search.json").write_text(json.dumps(signature, indent=2, default=str))


def _check_stamp(project: Path, signature: dict[str, Any]) -> None:
    """Refuse a search folder of another search (data or settings), or one no search wrote; writes nothing."""
    stamp = project / "search.json"
    if stamp.exists():
        try:
            before = json.loads(stamp.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(_damaged(project, stamp, exc)) from None
        if not isinstance(before, dict):
            raise ConfigError(_damaged(project, stamp, "not a JSON object"))
        changed = sorted(k for k in set(before) | set(signature) if before.get(k) != signature.get(k))
        if "settings" in changed:  # name the settings, not "settings"
            was, now = before.get("settings") or {}, json.loads(json.dumps(signature["settings"], default=str))
            changed.remove("settings")
            changed += [f"--{k.replace('_', '-')}" for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k)]
        derived = [k for k in ("unit", "seasons") if k in changed]  # the lookback's range, from the data and flags
        changed = [{"source": "file"}.get(k, k) for k in changed if k not in derived]
        changed = changed or (["the lookback's range"] if derived else [])
        if changed:
            raise ConfigError(
                f"The search in {project} was started with other data or settings ({', '.join(changed)} "
                "differ). Run the same command as before to continue it, or add --force to start over."
            )
    elif project.exists() and any(project.iterdir()):
        raise ConfigError(f"{project} exists and is not a forecast search. Remove it or choose another --out.")


def check_tuning(
    series: Series, config: TrainConfig, budget: float, trials: int, project: Path, restart: bool = False
) -> tuple[int, int]:
    """:func:`check_search`, and (unless ``restart``) a search kept in ``project`` continued only with
    its data and settings; writes nothing (`forecast tune` runs it before its live table: a refusal came
    after "Searching for ..." and an empty table). Returns the lookback's unit and seasons."""
    unit, seasons = check_search(series, config, budget, trials)
    if not restart:
        _check_stamp(Path(project), _signature(series, config, unit, seasons))
    return unit, seasons


def _signature(series: Series, config: TrainConfig, unit: int, seasons: int) -> dict[str, Any]:
    """What a search is continued only with: its settings, the data, the lookback's range."""
    fixed = {k: v for k, v in config.to_dict().items() if k not in (*SEARCHED, "time_budget")}
    rows = {str(k): len(f) for k, f in series.frames.items()}
    return {"settings": fixed, "rows": rows, "source": series.source, "data": _digest(series),
            "unit": unit, "seasons": seasons}


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
            each trains (its share of what is left, at least
            :data:`forecast.tune_keras.MIN_TRIAL_TRAINING` or what is left). A trial's fixed costs (the statistical members, scoring) and its first
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

    project = Path(project)
    unit, seasons = check_search(series, config, budget, trials)
    _check_project(project, _signature(series, config, unit, seasons), restart)
    began = time.monotonic()
    oracle = oracle_class()(
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

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # KerasTuner prints "Reloading Tuner from ..."
            tuner = tuner_class()(oracle=oracle, directory=str(project.parent), project_name=project.name)
    except (ValueError, KeyError, TypeError) as exc:  # a cut or edited oracle.json or trial.json when reloading
        raise ConfigError(_damaged(project, None, exc)) from None
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
    except SearchStop as exc:
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


