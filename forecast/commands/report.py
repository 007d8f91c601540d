"""`forecast report`: a bundle's self-contained HTML report, optionally with a backtest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import BundleArg, check_output, user_errors, write_atomic


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
    from ..data import written
    from ..errors import ConfigError
    from ..report import check_backtest, render
    from ..timefmt import when

    home = bundle.resolve()  # `report .` from inside the bundle: named after the folder, written beside it
    out = out or home.parent / f"{home.name}-report.html"
    check_output(out, (".html", ".htm"), "--out", bundle)
    meta = read_meta(bundle)
    result = None
    if backtest is not None:
        try:
            result = json.loads(backtest.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise ConfigError(
                f"--backtest {backtest} is not a `forecast backtest --json` file ({exc}). "
                "Run forecast backtest with --json first."
            ) from None
        check_backtest(result, backtest.name)
        tested_config = (result.get("training") or {}).get("config") or {}
        tested = tested_config.get("target")
        if tested is not None and tested != meta["config"]["target"]:
            raise ConfigError(
                f"--backtest {backtest.name} backtests '{tested}', but this bundle forecasts "
                f"'{meta['config']['target']}'. Give the backtest of the same series."
            )
        if "target" in tested_config and tested_config.get("id") != meta["config"].get("id"):
            several = lambda c: f"several series by '{c['id']}'" if c.get("id") else "one series"  # noqa: E731
            raise ConfigError(f"--backtest {backtest.name} backtests {several(tested_config)}, but this bundle "
                              f"forecasts {several(meta['config'])}. Give the backtest of the same data.")
        model = meta["config"].get("model", "auto")
        other = [f"{flag} {theirs} (this bundle: {ours})" for flag, theirs, ours in (
            ("--horizon", result["protocol"].get("horizon"), meta["preprocessor"]["horizon"]),
            ("--model", tested_config.get("model", model), model))
            if theirs != ours]  # a backtest of --model lstm read as the bundle's chosen forecast, without a word
        if other:
            typer.echo(f"note: the backtest was run with {', '.join(other)}: its rows are not this bundle's "
                       "forecasts", err=True)
        ended, trained = str(result["protocol"].get("test_end")), meta["data"].get("end")
        as_written = written(trained, meta["data"])  # backtests write times as the file did (older ones did not)
        if ended not in (as_written, str(trained)):  # same target name, another file (or another version of it)
            typer.echo(f"note: the backtest's windows end at {when(ended)}, this bundle's data at "
                       f"{as_written}: it may be of another file, or of an older or newer copy", err=True)
    text = render(bundle, meta, result)
    write_atomic(out, lambda p: p.write_text(text, encoding="utf-8"))
    typer.echo(f"Report written to {out}")

