"""`forecast tune`: hyperparameter search with KerasTuner under a time budget."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import TrainConfig
from . import quiet_keras, user_errors
from .options import DataArg, Param, Report, command, train_settings
from .train import default_out, prepare_series, print_fit

SearchBudget = Annotated[float, typer.Option(
    rich_help_panel="Training", help="Seconds for this run of the search: no trial starts after it; each trains "
                                     "for a share of what is left.")]
Trials = Annotated[int, typer.Option(
    min=1, rich_help_panel="Training", help="Trials in the whole search (earlier runs' count; raise it to continue).")]
TunedOut = Annotated[Path | None, typer.Option(
    rich_help_panel="Output", help="Bundle directory of the best configuration (default: "
                                   "models/<file>_<target>_tuned); the search is kept beside it in <out>.tuner.")]
Restart = Annotated[bool, typer.Option(
    rich_help_panel="Output", help="Start the search over and replace an existing bundle at --out.")]
SEARCHED = ("lookback", "arch", "layers", "units", "dropout", "batch_size", "learning_rate")  # tune.py's space


@user_errors
@command(data=Param(DataArg), config=train_settings(drop=(*SEARCHED, "distribute", "time_budget")),
         time_budget=Param(SearchBudget, 300.0), trials=Param(Trials, 10), out=Param(TunedOut, None),
         force=Param(Restart, False), report=Param(Report, True))
def tune(data: Path, config: TrainConfig, time_budget: float, trials: int, out: Path | None, force: bool,
         report: bool) -> None:
    """Search lookback, units, layers, arch, dropout, learning rate and batch size; save the best.

    Each trial trains one forecaster and is scored by the LSTM's MASE on rolling-origin
    validation windows inside the training data; the test part is never seen by the
    search. KerasTuner's Bayesian optimisation proposes the trials (few, expensive ones).
    --time-budget bounds the whole run: each trial trains for a share of what is left,
    and no trial starts once it is spent. The best configuration is saved as a normal
    bundle, with every trial in bundle.json ("tuning") and tuning.png.

    The search is kept in <out>.tuner: the same command again continues it (raise
    --trials for more); --force starts over. Ctrl-C keeps the best so far (exit 130).

    Example: forecast tune data/energy_demand.csv --target demand --time-budget 600 --trials 12
    """
    from rich.console import Console
    from rich.live import Live

    from ..bundle import check_target, writing_lock
    from ..errors import TrainingError
    from ..run import save
    from ..training import interruptible
    from ..tune import check_tuning, project_dir
    from ..tune import tune as search

    console = Console()
    budget = time_budget  # each trial's own budget is set by the search
    series = prepare_series(console, data, config)
    if out is None:
        out = default_out(data, config.target)
        out = out.with_name(out.name + "_tuned")
    project = project_dir(out)
    check_tuning(series, config, budget, trials, project, restart=force)  # before the live table
    with writing_lock(out):
        if force or not project.exists():  # a bundle not written by this search needs --force
            check_target(out, force, data=data)
        quiet_keras(config.backend, config.device)
        rows: dict[str, dict[str, Any]] = {}
        console.print(f"Searching for {budget:g} s, {trials} trials in all; trials kept in {project}",
                      highlight=False)
        wide = console if console.is_terminal else Console(width=max(console.width, 100))  # logs: no squeeze
        try:
            with interruptible() as stop, Live(trials_table(rows), console=wide, refresh_per_second=2) as live:
                def shown(row: dict[str, Any]) -> None:
                    rows[row["trial"]] = row
                    live.update(trials_table(rows))

                result = search(series, config, budget, trials, project, restart=force, stop=stop,
                                update=shown)
        finally:
            if not console.is_terminal:
                wide.line()  # Live leaves a log's last line open
        interrupted = result.stopped_by == "interrupt"
        best = result.best
        console.print(f"Stopped by {result.stopped_by} after {result.seconds:.0f}s; "
                      + (f"best trial {int(best['trial']) + 1}: validation MASE {best['score']:.3f}" if best
                         else "no trial completed"), highlight=False)
        if result.forecaster is None:
            if interrupted:
                console.print("Interrupted: nothing new to save"
                              + (f"; {out} holds the best of an earlier run." if best else "."))
                raise typer.Exit(130)
            failed = [r["message"] for r in result.trials if r["status"] == "failed" and r["message"]]
            raise TrainingError(
                "No trial completed" + (f"; the last failed with: {failed[-1]}" if failed else "")
                + ". Give a longer --time-budget, or check the settings and the data (forecast doctor)."
            )
        forecaster = result.forecaster
        forecaster.tuning_ = result.info()
        print_fit(console, forecaster)
        save(forecaster, out, force=True, report=report)  # tuning.png with it: the report shows the search
        console.print(f"Best configuration written to [bold]{out}[/] (trials in bundle.json, tuning.png)")
        if interrupted:
            console.print("Interrupted: the bundle holds the best so far; run the same command to continue.")
            raise typer.Exit(130)


def trials_table(rows: dict[str, dict[str, Any]]) -> Any:
    """The live table: one row per trial, the best marked."""
    from rich import box
    from rich.table import Table

    scored = [r["score"] for r in rows.values() if r.get("score") is not None]
    best = min(scored) if scored else None
    table = Table(title="Trials: validation MASE of the LSTM (lower is better; * best)",
                  box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    for col in ("#", "lookback", "units", "layers", "arch", "drop", "lr", "batch", "budget", "s",
                "epochs", "MASE"):
        table.add_column(col, justify="left" if col == "arch" else "right", min_width=9 if col == "arch" else None)
    for key in sorted(rows):
        r, p = rows[key], rows[key].get("params", {})
        status = r.get("status", "")
        mark = " *" if best is not None and r.get("score") == best else ""
        table.add_row(
            str(int(r["trial"]) + 1), *(str(p.get(k, "")) for k in ("lookback", "units", "layers", "arch")),
            f"{p['dropout']:.2f}" if "dropout" in p else "", f"{p['learning_rate']:.2g}" if p else "",
            str(p.get("batch_size", "")),
            "" if r.get("time_budget") is None else f"{r['time_budget']:.0f}",
            "" if r.get("seconds") is None else f"{r['seconds']:.0f}",
            "" if r.get("epochs") is None else str(r["epochs"]),
            f"{r['score']:.3f}{mark}" if r.get("score") is not None else status,  # running, failed...
        )
    return table
