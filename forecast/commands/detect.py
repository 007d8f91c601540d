"""`forecast detect`: flag values the model did not expect, as a CSV and a plot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from . import BundleArg, HistoryOpt, check_output, parse_quantiles, user_errors, write_atomic


@user_errors
def detect(
    bundle: BundleArg,
    data: HistoryOpt = None,
    threshold: Annotated[
        float, typer.Option(min=0.5, help="Flag |actual - expected| beyond this many standard deviations.")
    ] = 3.5,
    interval: Annotated[
        bool, typer.Option(help="Flag values outside the model's interval instead of the threshold.")
    ] = False,
    quantiles: Annotated[
        str | None, typer.Option(help="Two trained levels bounding the interval, e.g. 0.05,0.95 "
                                      "(default: the outermost).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Anomalies CSV (default: anomalies.csv).")] = None,
    plot: Annotated[Path | None, typer.Option(help="PNG with the flagged values marked.")] = None,
) -> None:
    """Score each value against the model's one-step-ahead forecast from the history before it.

    Flags values beyond --threshold standard deviations (the spread comes from the
    model's interval), or outside the interval with --interval, and values stuck at
    one number longer than ever in training. Flagged values are replaced by what was
    expected in the history of later ones, so one spike does not flag its neighbours.
    The CSV lists the anomalies: time, actual, expected, lower, upper, score, reason.

    Example: forecast detect models/energy_demand_demand --data new.csv --plot anomalies.png
    """
    out = out or Path("anomalies.csv")
    check_output(out, (".csv",), "--out")
    check_output(plot, (".png", ".svg", ".pdf"), "--plot")
    from ..detect import detect as run
    from ..forecaster import Forecaster
    from ..predicting import as_written, decimals_of, load_one, round_forecast

    levels = parse_quantiles(quantiles) if quantiles else None  # checked before any work
    if levels is not None and len(levels) != 2:
        raise ConfigError(f"--quantiles takes two levels like 0.1,0.9; got '{quantiles}'.")
    forecaster = Forecaster.load(bundle)
    history = load_one(forecaster, data)
    frame = history.frame
    filled = next(iter(history.filled_at.values()), None)
    result = run(forecaster, frame, threshold=threshold, use_interval=interval,
                 levels=tuple(levels) if levels else None, filled=filled)
    flagged = result[result["anomaly"]].drop(columns="anomaly")
    places = decimals_of(frame[forecaster.preprocessor_.target].to_numpy())
    flagged = round_forecast(flagged.drop(columns="score"), places).assign(score=flagged["score"].round(2))
    flagged = flagged[[*result.columns.drop("anomaly")]]
    write_atomic(out, as_written(flagged.rename_axis(frame.index.name), forecaster.data_).to_csv)
    if plot is not None:
        from ..plots import anomaly_plot

        write_atomic(plot, lambda p: anomaly_plot(result, forecaster.preprocessor_.target, p))
    share = len(flagged) / max(len(result), 1)
    typer.echo(f"{len(flagged)} of {len(result)} values flagged ({share:.1%}); written to {out}")
