"""`forecast predict`: the steps after the last row, with intervals, as CSV and plot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import (
    BundleArg,
    HistoryOpt,
    check_output,
    one_series,
    series_option,
    user_errors,
    write_atomic,
)


@user_errors
def predict(
    bundle: BundleArg,
    data: HistoryOpt = None,
    future_data: Annotated[
        Path | None, typer.Option(help="CSV of the --future columns' values for the forecast steps (the "
                                       "time column and those columns; default: rows after the last "
                                       "target value in --data).")
    ] = None,
    horizon: Annotated[
        int | None, typer.Option(min=1, help="Steps to forecast (default: the trained horizon).")
    ] = None,
    recursive: Annotated[
        bool, typer.Option(help="Roll forward on the model's own median past the trained horizon.")
    ] = False,
    series_given: Annotated[
        list[str] | None, series_option("Forecast only this series of a several-series model.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the forecast CSV here (else stdout).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a PNG of history and forecast.")] = None,
    allow_filled: Annotated[
        bool, typer.Option(help="Forecast even when a covariate ends in blank values "
                                "(carried forward as in training); noted on stderr.")
    ] = False,
) -> None:
    """Forecast the steps after the last row of the data, in the data's units.

    The CSV has the time column first, then the series id for several-series
    models, then `forecast` (the median), then `lower` and `upper` (the interval;
    its levels are in bundle.json). Values are rounded two decimals past the data's own.
    Rows after the target's last value are left out (the forecast starts after it); a
    covariate ending in blank values is refused unless --allow-filled; values filled
    between real ones among the last lookback rows are noted on stderr.
    A model trained with --future reads those columns' values for every trained forecast
    step: from --future-data, or from rows after the last target value in --data.

    Example: forecast predict models/energy_demand_demand --out next.csv --plot next.png
    """
    series = one_series(series_given)
    check_output(out, (".csv",), "--out", bundle, reads=(data, future_data))
    check_output(plot, (".png", ".svg", ".pdf"), "--plot", bundle)
    from ..errors import DataError
    from ..forecaster import Forecaster
    from ..predicting import (
        absent_series,
        as_written,
        check_horizon,
        decimals_of,
        ended_early,
        far_from_training,
        filled_in_window,
        load_histories,
        round_forecast,
    )

    forecaster = Forecaster.load(bundle)
    check_horizon(forecaster, None, horizon, recursive)  # before reading any data
    history = load_histories(forecaster, data, series, future_data)
    check_horizon(forecaster, history, horizon, recursive)
    for note in history.dropped:  # series the file has and the forecast cannot start from
        typer.echo(f"note: {note}", err=True)
    absent = absent_series(forecaster, history, "forecast") if series is None else None
    if absent:
        typer.echo(f"note: {absent}", err=True)
    if history.untrained:
        typer.echo(f"note: {len(history.untrained)} series not in the training data (too short to train "
                   f"on, or new) are not forecast: {', '.join(history.untrained[:10])}"
                   f"{' ...' if len(history.untrained) > 10 else ''}", err=True)
    unused = forecaster.unused_future_note([n if forecaster.data_.get("series") else None for n in history.frames])
    if unused:
        typer.echo(f"note: {unused}", err=True)
    for line in far_from_training(forecaster, history):
        typer.echo(f"note: {line}", err=True)
    early = ended_early(history, forecaster.preprocessor_.horizon)
    if early:
        typer.echo(f"note: {early}", err=True)
    ending, inside = filled_in_window(forecaster, history)
    if ending and not allow_filled:
        more = f" (and {len(ending) - 1} more series)" if len(ending) > 1 else ""
        raise DataError(f"{ending[0]}{more}. Give complete recent data, or pass --allow-filled "
                        "to forecast from the filled values.")
    for line in ending + inside:
        typer.echo(f"note: {line}", err=True)
    result = forecaster.predict_all(history, horizon, recursive=recursive)
    target = forecaster.preprocessor_.target
    if forecaster.data_.get("series"):  # each series rounded by its own decimals
        key = forecaster.data_["id"]
        result = round_forecast(result, {str(n): decimals_of(f[target].to_numpy()) for n, f in history.frames.items()},
                                by=key)
    else:
        result = round_forecast(result, decimals_of(history.frame[target].to_numpy()))
    if plot is not None:
        from ..plots import PANEL_SHOWN, forecast_plot, panel_forecast_plot

        interval = forecaster.interval()
        label = f"{interval['coverage']:.0%} interval" if interval else "interval"
        if forecaster.data_.get("series"):
            key = forecaster.data_["id"]
            parts = [(name, frame[target], result[result[key] == name])
                     for name, frame in list(history.frames.items())[:PANEL_SHOWN]]
            write_atomic(plot, lambda p: panel_forecast_plot(parts, p, label, len(history.frames)))
        else:
            write_atomic(plot, lambda p: forecast_plot(history.frame[target], result, p, label))
    result = as_written(result, history)
    if out is None:
        sys.stdout.write(result.to_csv())
    else:
        write_atomic(out, result.to_csv)
        typer.echo(f"{len(result)} steps written to {out}")
