"""`forecast doctor`: check a file before training, and say which flags it needs."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import TrainConfig
from ..data_flags import DataOptions
from . import join_list, split_list, user_errors
from .options import FLAGS, DataArg, Param, Settings, command

Target = Annotated[list[str] | None, typer.Option(rich_help_panel="Data", help="Column(s) to forecast (optional "
                                                  "here); comma-separated or repeated, as for train.")]
_MARK = {"info": "[dim]·[/]", "note": "[cyan]~[/]", "problem": "[red bold]![/]"}


@user_errors
@command(data=Param(DataArg), target=Param(Target, None), options=Settings(DataOptions),
         shape=Settings(TrainConfig, only=("features", "future", "lookback", "horizon", "season", "anchor"),
                        built=False))
def doctor(data: Path, target: list[str] | None, options: DataOptions, shape: dict[str, Any]) -> None:
    """Check DATA without training: time column, frequency, gaps, duplicates, sentinels, fit.

    Takes `forecast train`'s data flags (--target optional). Each finding names the
    flag that fixes it. Exit 0 when the data can be trained as is, 1 otherwise.
    Imports no TensorFlow: it answers in about a second.

    Example: forecast doctor ../shared/datasets/PJME_hourly.csv --target PJME_MW
    """
    from rich.console import Console

    from ..doctor import diagnose

    console = Console(highlight=False, soft_wrap=True)
    target = join_list(target)  # --target a --target b is --target a,b, as train reads it
    targets = split_list(target)
    features = shape.get("features", [])
    config = TrainConfig(target=target, data=options, **shape) if targets else None  # as `forecast train`
    # would hold it: its checks of the columns against --id refuse what train refuses, in its words
    diag = diagnose(data, options, targets, features, shape.get("lookback"), shape.get("horizon"), config)
    console.print(f"[bold]{data.name}[/]")
    for label, value in diag.facts.items():
        console.print(f"  {label:<12} {value}")
    for finding in diag.findings:
        fix = f"  [dim]-> {finding.fix}[/]" if finding.fix else ""
        console.print(f"  {_MARK[finding.level]} {finding.text}{fix}")
    if diag.trainable:
        console.print("[green]Ready to train.[/]")
        return
    if diag.flags and targets:
        given = _given_flags(target, options, shape)
        console.print(f"Try: forecast doctor {data} {' '.join(given + diag.flags)}")
    console.print("[red]Not ready to train as is:[/] fix the problems marked !")
    raise typer.Exit(1)


def _given_flags(target: str | None, options: DataOptions, shape: dict[str, Any]) -> list[str]:
    """The flags given, as they would be typed again (those left at their defaults omitted)."""
    default, trained = DataOptions(), TrainConfig(target="y")
    values = {"target": target, **{f.name: getattr(options, f.name) for f in fields(DataOptions)
                                   if getattr(options, f.name) != getattr(default, f.name)},
              **{k: v for k, v in shape.items() if v != getattr(trained, k, None)}}  # not --anchor auto
    out = []
    for name, value in values.items():
        if value is None:
            continue
        if name == "dayfirst":
            out.append("--dayfirst" if value else "--monthfirst")
            continue
        flag = (FLAGS[name].decls or ("--" + name.replace("_", "-"),))[0]
        out.append(f"{flag} {','.join(value) if isinstance(value, list) else value}")
    return out
