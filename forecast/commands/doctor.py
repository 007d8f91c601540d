"""`forecast doctor`: check a file before training, and say which flags it needs."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from . import split_list, user_errors
from .train import train

DATA_FLAGS = (
    "data", "target", "features", "time", "dayfirst", "time_format", "id", "duplicates", "freq",
    "resample", "agg", "fill", "max_gap", "na_values", "decimal", "thousands", "lookback", "horizon",
)
_MARK = {"info": "[dim]·[/]", "note": "[cyan]~[/]", "problem": "[red bold]![/]"}


@user_errors
def doctor(**kwargs: Any) -> None:
    """Check DATA without training: time column, frequency, gaps, duplicates, sentinels, fit.

    Takes `forecast train`'s data flags (--target optional). Each finding names the
    flag that fixes it. Exit 0 when the data can be trained as is, 1 otherwise.
    Imports no TensorFlow: it answers in about a second.

    Example: forecast doctor ../shared/datasets/PJME_hourly.csv --target PJME_MW
    """
    from rich.console import Console

    from ..data import DataOptions
    from ..doctor import diagnose

    console = Console(highlight=False, soft_wrap=True)
    settings = {k: v for k, v in kwargs.items() if k in DataOptions.__dataclass_fields__}
    settings["na_values"] = split_list(kwargs["na_values"])
    options = DataOptions(**settings)
    targets = split_list(kwargs["target"])
    features = split_list(kwargs["features"])
    data: Path = kwargs["data"]
    diag = diagnose(data, options, targets, features, kwargs["lookback"], kwargs["horizon"])
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
        given = _given_flags(kwargs)
        console.print(f"Try: forecast doctor {data} {' '.join(given + diag.flags)}")
    console.print("[red]Not ready to train as is:[/] fix the problems marked !")
    raise typer.Exit(1)


def _given_flags(kwargs: dict[str, Any]) -> list[str]:
    out = []
    for name in DATA_FLAGS[1:]:
        value = kwargs.get(name)
        if value is None or value == _DEFAULTS.get(name):
            continue
        flag = "--" + name.replace("_", "-")
        if name == "dayfirst":
            out.append("--dayfirst" if value else "--monthfirst")
        else:
            out.append(f"{flag} {value}")
    return out


_PARAMS = inspect.signature(train, eval_str=True).parameters
_DEFAULTS = {n: _PARAMS[n].default for n in DATA_FLAGS[1:]}
_TARGET = inspect.Parameter(
    "target", inspect.Parameter.KEYWORD_ONLY, default=None,
    annotation=Annotated[str | None, typer.Option(help="Column(s) to forecast (optional here).")],
)
doctor.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
    _TARGET if n == "target" else _PARAMS[n].replace(kind=inspect.Parameter.KEYWORD_ONLY)
    for n in DATA_FLAGS
])
