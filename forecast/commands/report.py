"""`forecast report`: a bundle's self-contained HTML report, optionally with a backtest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import BundleArg, check_output, user_errors


@user_errors
def report(
    bundle: BundleArg,
    backtest: Annotated[
        Path | None, typer.Option(help="JSON from `forecast backtest --json` to include.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="HTML file (default: <bundle>-report.html beside the bundle).")
    ] = None,
) -> None:
    """Write one HTML file: data, training curves, test part with intervals, error by step,
    residuals, metrics against baselines, backtest, and a model card.

    Images are embedded; it needs no network and no JavaScript.

    Example: forecast report models/energy_demand_demand --backtest bt.json --out report.html
    """
    from ..bundle import read_meta
    from ..errors import ConfigError
    from ..report import render

    out = out or bundle.parent / f"{bundle.name}-report.html"
    check_output(out, (".html", ".htm"), "--out")
    meta = read_meta(bundle)
    result = None
    if backtest is not None:
        try:
            result = json.loads(backtest.read_text())
            result["protocol"], result["models"]  # noqa: B018 - the keys the report reads
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"--backtest {backtest} is not a `forecast backtest --json` file ({exc}). "
                "Run forecast backtest with --json first."
            ) from None
    out.write_text(render(bundle, meta, result), encoding="utf-8")
    typer.echo(f"Report written to {out}")
