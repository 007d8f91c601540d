"""`forecast backtest`: the DESIGN.md protocol against naive, seasonal-naive and drift."""

from __future__ import annotations

from json import dumps
from pathlib import Path
from typing import Annotated

import typer

from ..choice import describe
from ..config import TrainConfig
from ..metrics import skill_text
from ..timefmt import count
from . import check_output, quiet_keras, series_share, user_errors, when, write_atomic
from .options import DataArg, Param, command, train_settings
from .train import prepare_series

Windows = Annotated[int, typer.Option(min=1, rich_help_panel="Backtest", help="Test windows W.")]
Refit = Annotated[bool, typer.Option(rich_help_panel="Backtest", help="Retrain per fold (expanding window).")]
Json = Annotated[Path | None, typer.Option(rich_help_panel="Output", help="Write the result as JSON.")]


@user_errors
@command(data=Param(DataArg), config=train_settings(), windows=Param(Windows, 10), refit=Param(Refit, False),
         json=Param(Json, None))
def backtest(data: Path, config: TrainConfig, windows: int, refit: bool, json: Path | None) -> None:
    """Backtest: W consecutive test windows of H steps at the end, against baselines.

    Trains once on the rows before the test region (or, with --refit, once per fold
    on an expanding window, scaler refit each time) and forecasts each window from
    the true history up to its origin. Takes every `forecast train` flag.

    Example: forecast backtest data/energy_demand.csv --target demand --windows 5 --json bt.json
    """
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from ..backtest import backtest as run

    console = Console()
    check_output(json, (".json",), "--json", reads=(data,))
    series = prepare_series(console, data, config)
    quiet_keras(config.backend, config.device)
    from ..training import listening

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("series" if series.is_panel else "folds",
                            total=len(series.frames) if series.is_panel else windows)

        def epoch_done(epoch: int, logs: dict[str, float]) -> None:
            bar.update(task, description=f"epoch {epoch}, {logs['seconds']:.0f}s, "
                                         f"~{logs.get('remaining', 0):.0f}s left")

        with listening(epoch_done):
            result = run(series, config, windows, config.season, refit,
                         fold_done=lambda k: bar.update(task, completed=k))
    p = result["protocol"]
    table = Table(title=f"Backtest: {count(p['windows'], 'window')} x {p['horizon']} steps "
                        f"({when(p['test_start'])} .. {when(p['test_end'])}), season {p['season']}"
                        f"{', refit per fold' if p['refit'] else ''}")
    columns = ["model", "MAE", "RMSE", "sMAPE %", "MASE", "pinball", "coverage"]
    for col in columns:
        table.add_column(col, justify="left" if col == "model" else "right")
    for name, m in sorted(result["models"].items(), key=lambda kv: kv[1]["mase"]):
        table.add_row(name + series_share(result.get("per_series"), name), f"{m['mae']:.4g}", f"{m['rmse']:.4g}", f"{m['smape']:.2f}",
                      f"{m['mase']:.3f}", f"{m['pinball']:.4g}" if "pinball" in m else "",
                      f"{m['coverage']:.1%}" if "coverage" in m else "")
    console.print(table)
    for note in result.get("notes", []):
        console.print(f"  note: {note}", highlight=False)
    console.print(describe(result["choice"]), highlight=False)
    console.print(f"Skill vs the best baseline ({result['best_baseline']}): {skill_text(result['skill'])}; "
                  f"training {result['training']['seconds']:.0f}s", highlight=False)
    label, key = ("MASE per step (mean over series)", "per_step_mase") if series.is_panel else ("MAE per step", "per_step_mae")
    console.print(f"{label}: " + " ".join(f"{v:.3g}" for v in result[key]), highlight=False)
    if result["persistence"]["repeats_recent_values"]:
        console.print(f"[yellow]Warning: the model mostly repeats recent values: its forecasts match "
                      f"the actuals shifted by {result['persistence']['best_shift']} step(s) better "
                      f"than the actuals themselves, and their error is "
                      f"{result['persistence'].get('vs_naive', 1.0):.0%} of naive's.[/]")
    if json is not None:
        text = dumps(result, indent=2)
        write_atomic(json, lambda p: p.write_text(text, encoding="utf-8"))
        console.print(f"Backtest written to {json}")
