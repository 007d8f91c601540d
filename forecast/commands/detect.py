"""`forecast detect`: flag values the model did not expect, as a CSV and a plot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from . import (
    BundleArg,
    HistoryOpt,
    check_output,
    one_series,
    parse_quantiles,
    series_option,
    user_errors,
    when,
    write_atomic,
)


@user_errors
def detect(
    bundle: BundleArg,
    data: HistoryOpt = None,
    threshold: Annotated[
        float | None, typer.Option(min=0.5, show_default=False,
                                   help="Flag |actual - expected| beyond this many standard deviations "
                                        "(default 3.5).")
    ] = None,
    interval: Annotated[
        bool, typer.Option(help="Flag values outside the model's interval instead of the threshold.")
    ] = False,
    quantiles: Annotated[
        str | None, typer.Option(help="Two trained levels bounding the interval, e.g. 0.05,0.95 "
                                      "(default: the outermost).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Anomalies CSV (default: anomalies.csv).")] = None,
    plot: Annotated[Path | None, typer.Option(help="PNG with the flagged values marked (several series: "
                                                   "the first).")] = None,
    series_given: Annotated[
        list[str] | None, series_option("Score only this series of a several-series model.")
    ] = None,
) -> None:
    """Score each value against the model's one-step-ahead forecast from the history before it.

    Flags values beyond --threshold standard deviations (the spread comes from the
    model's interval), or outside the interval with --interval, and values stuck at
    one number longer than ever in training. Flagged values are replaced by what was
    expected in the history of later ones, so one spike does not flag its neighbours.
    The CSV lists the anomalies: time, [series id,] actual, expected, lower, upper, score, reason.

    Example: forecast detect models/energy_demand_demand --data new.csv --plot anomalies.png
    """
    series = one_series(series_given)
    if interval and threshold is not None:  # --interval flags by the interval alone: the threshold went unread
        raise ConfigError("--threshold and --interval are two ways to flag a value: give one (--interval flags "
                          "values outside the model's interval, --threshold those beyond that many deviations).")
    threshold = 3.5 if threshold is None else threshold
    out = out or Path("anomalies.csv")
    check_output(out, (".csv",), "--out", bundle, reads=(data,))
    check_output(plot, (".png", ".svg", ".pdf"), "--plot", bundle)
    import pandas as pd

    from ..detect import detect_each, rows_after
    from ..forecaster import Forecaster
    from ..predicting import (
        absent_series,
        as_written,
        decimals_of,
        far_from_training,
        load_histories,
        round_forecast,
    )

    levels = parse_quantiles(quantiles) if quantiles else None  # checked before any work
    if levels is not None and (len(levels) != 2 or not levels[0] < 0.5 < levels[1]):
        raise ConfigError(f"--quantiles takes two levels, one below 0.5 and one above, like 0.1,0.9; "
                          f"got '{quantiles}'.")
    forecaster = Forecaster.load(bundle)
    history = load_histories(forecaster, data, series)
    target, panel = forecaster.preprocessor_.target, forecaster.data_.get("id") if forecaster.data_.get("series") else None
    for note in history.dropped:  # series the file has and cannot be scored (no values)
        typer.echo(f"note: {note}", err=True)
    absent = absent_series(forecaster, history, "scored") if series is None else None
    if absent:
        typer.echo(f"note: {absent}", err=True)
    for line in far_from_training(forecaster, history):
        typer.echo(f"note: {line}", err=True)
    if history.untrained:
        typer.echo(f"note: {len(history.untrained)} series not in the training data, not scored: "
                   f"{', '.join(history.untrained[:5])}", err=True)
    results, short = detect_each(forecaster, history, threshold, interval, tuple(levels) if levels else None)
    if short:
        typer.echo(f"note: {len(short)} series skipped, no longer than the history a forecast reads "
                   f"({', '.join(f'{n} ({len(history.frames[n])} rows)' for n in list(short)[:5])})", err=True)
    name, first = next(iter(results.items()))  # the rows a forecast reads first are not scored: say so
    after = rows_after(forecaster)  # a --future model's last rows: their forecasts read values past the data
    rows = f"the first {len(history.frames[name]) - len(first) - after} rows" + (f" of '{name}'" if panel else "")
    hint = "; put older rows before the new ones to score them all" if data is not None else ""
    typer.echo(f"note: {rows} are the history a forecast reads, not scored (scoring starts at "
               f"{when(as_written(first.iloc[:1], history).index[0])}){hint}", err=True)
    if after:
        last = "row" if after == 1 else f"{after} rows"
        typer.echo(f"note: the last {last}{' of each series' if panel else ''} {'is' if after == 1 else 'are'} not "
                   f"scored: the model reads the known-future column(s) {', '.join(forecaster.preprocessor_.future)} "
                   f"{forecaster.preprocessor_.horizon} steps ahead, past the end of the data (scoring ends at "
                   f"{when(as_written(first.iloc[-1:], history).index[0])})", err=True)
    parts = []
    for name, result in results.items():
        flagged = result[result["anomaly"]].drop(columns="anomaly")
        places = decimals_of(history.frames[name][target].to_numpy())
        flagged = round_forecast(flagged.drop(columns="score"), places).assign(score=flagged["score"].round(2))
        flagged = flagged[[*result.columns.drop("anomaly")]].rename_axis(history.frames[name].index.name)
        parts.append(flagged.assign(**{panel: name})[[panel, *flagged.columns]] if panel else flagged)
    flagged = pd.concat(parts)
    write_atomic(out, as_written(flagged, history).to_csv)
    if plot is not None:
        from ..plots import anomaly_plot

        name, first = next(iter(results.items()))  # a panel's first series: named, its counts its own
        shown = (f"'{name}'" + (f" (the first of {len(results)} series)" if len(results) > 1 else "")) if panel else None
        write_atomic(plot, lambda p: anomaly_plot(first, target, p, shown))
    scored = sum(len(r) for r in results.values())
    share = len(flagged) / max(scored, 1)
    where = f" in {len(results)} series" if panel else ""
    typer.echo(f"{len(flagged)} of {scored} values flagged{where} ({share:.1%}); written to {out}")
