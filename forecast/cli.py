"""The `forecast` command line: parse, call the library, print. No logic lives here.

Heavy libraries (pandas, TensorFlow) are imported inside the commands so that
`forecast --help` stays instant.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .errors import ForecastError

app = typer.Typer(
    name="forecast",
    help="Train LSTM forecasters on CSV time series and forecast the future.\n\n"
    "Example: forecast train data/energy_demand.csv --target demand",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(func: F) -> F:
    """Turn library errors into one `Error: ...` line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ForecastError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _quiet_tensorflow() -> None:
    from .devices import import_tensorflow

    import_tensorflow()


def _split_list(text: str | None) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()] if text else []


DataArg = Annotated[Path, typer.Argument(help="CSV file with a time column and numeric columns.")]


@app.command()
@_user_errors
def train(
    data: DataArg,
    target: Annotated[str, typer.Option(help="Column to forecast.")],
    time: Annotated[str | None, typer.Option(help="Time column (detected when absent).")] = None,
    features: Annotated[
        str | None, typer.Option(help="Comma-separated past covariate columns.")
    ] = None,
    dayfirst: Annotated[
        bool | None, typer.Option("--dayfirst/--monthfirst", help="Date order (detected).")
    ] = None,
    lookback: Annotated[int | None, typer.Option(min=1, help="Input steps (auto).")] = None,
    horizon: Annotated[int | None, typer.Option(min=1, help="Steps to forecast (auto).")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Most epochs.")] = 100,
    batch_size: Annotated[int, typer.Option(min=1)] = 64,
    units: Annotated[int, typer.Option(min=1, help="Units per recurrent layer.")] = 64,
    layers: Annotated[int, typer.Option(min=1, help="Stacked recurrent layers.")] = 1,
    learning_rate: Annotated[float, typer.Option(min=0.0)] = 1e-3,
    time_budget: Annotated[
        float, typer.Option(min=1.0, help="Seconds of training at most (best weights kept).")
    ] = 180.0,
    seed: Annotated[int, typer.Option()] = 42,
    out: Annotated[
        Path | None, typer.Option(help="Bundle directory [default: models/<file>_<target>].")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing bundle.")] = False,
) -> None:
    """Train an LSTM on DATA and save a bundle (model, settings, metrics, plots).

    Splits by time into train / validation / test, scales on the training part,
    trains with early stopping and scores the test part against naive baselines.

    Example: forecast train data/energy_demand.csv --target demand --horizon 48
    """
    from rich.console import Console

    from .bundle import check_target
    from .config import TrainConfig
    from .data import load_series

    console = Console()
    config = TrainConfig(
        target=target,
        time=time,
        features=_split_list(features),
        dayfirst=dayfirst,
        lookback=lookback,
        horizon=horizon,
        epochs=epochs,
        batch_size=batch_size,
        units=units,
        layers=layers,
        learning_rate=learning_rate,
        time_budget=time_budget,
        seed=seed,
    )
    out = out or Path("models") / f"{data.stem}_{target}"
    check_target(out, force)
    series = load_series(data, [target, *config.features], time, dayfirst)
    idx = series.frame.index
    console.print(
        f"[bold]{data.name}[/]: {len(idx)} rows, time column '{series.time}', "
        f"frequency {series.freq}, {_when(idx[0])} .. {_when(idx[-1])}",
        highlight=False,
    )
    for note in series.notes:
        console.print(f"  note: {note}")

    _quiet_tensorflow()
    from .devices import describe_device
    from .forecaster import Forecaster

    console.print(f"Training on {describe_device()}")

    def report(epoch: int, logs: dict[str, float]) -> None:
        console.print(
            f"  epoch {epoch:3d}  loss {logs['loss']:.4f}  val_loss {logs.get('val_loss', float('nan')):.4f}"
            f"  {logs['seconds']:.0f}s",
            highlight=False,
        )

    forecaster = Forecaster(config)
    forecaster.fit(series, report=report)
    _print_fit(console, forecaster)
    path = forecaster.save(out, force=force)
    console.print(f"Bundle written to [bold]{path}[/]")


def _when(stamp: Any) -> str:
    """A timestamp without a midnight time part: 2016-12-30, 2016-12-30 13:00."""
    text = str(stamp)
    return text[:10] if text.endswith("00:00:00") and len(text) == 19 else text[:16]


def _print_fit(console: Any, forecaster: Any) -> None:
    from rich.table import Table

    d, t, pre = forecaster.data_, forecaster.training_, forecaster.preprocessor_
    s = {k: [_when(t) for t in v] for k, v in d["split_times"].items()}
    console.print(
        f"Split by time: train {d['split']['train_rows']} rows ({s['train'][0]} .. {s['train'][1]}), "
        f"validation {d['split']['val_rows']}, test {d['split']['test_rows']} "
        f"({s['test'][0]} .. {s['test'][1]})",
        highlight=False,
    )
    console.print(
        f"lookback {pre.lookback}, horizon {pre.horizon}; stopped by {t['stopped_by']} after "
        f"{t['epochs']} epochs ({t['seconds']:.0f}s), best epoch {t['best_epoch']}",
        highlight=False,
    )
    table = Table(title=f"Test part: {forecaster.holdout_['windows']} windows of {pre.horizon} steps")
    for col in ("model", "MAE", "RMSE", "MASE"):
        table.add_column(col, justify="right" if col != "model" else "left")
    for name, m in forecaster.holdout_["metrics"].items():
        label = {"model": f"{forecaster.config.arch.upper()}", "naive": "naive",
                 "seasonal_naive": f"seasonal naive (M={d['season']})"}[name]
        table.add_row(label, f"{m['mae']:.4g}", f"{m['rmse']:.4g}", f"{m['mase']:.3f}")
    console.print(table)


@app.command()
@_user_errors
def predict(
    bundle: Annotated[Path, typer.Argument(help="Bundle directory written by `forecast train`.")],
    data: Annotated[
        Path | None, typer.Option(help="CSV with recent history [default: the training CSV].")
    ] = None,
    horizon: Annotated[
        int | None, typer.Option(min=1, help="Steps to forecast, up to the trained horizon.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the forecast CSV here (else stdout).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a PNG of history and forecast.")] = None,
) -> None:
    """Forecast the steps after the last row of the data, in the data's units.

    The CSV has the time column first, then `forecast`.

    Example: forecast predict models/energy_demand_demand --out next.csv --plot next.png
    """
    _quiet_tensorflow()
    from .predicting import load_history
    from .forecaster import Forecaster

    forecaster = Forecaster.load(bundle)
    frame = load_history(forecaster, data)
    result = forecaster.predict(frame, horizon)
    if plot is not None:
        from .plots import forecast_plot

        forecast_plot(frame[forecaster.preprocessor_.target], result, plot)
    if out is None:
        sys.stdout.write(result.to_csv())
    else:
        result.to_csv(out)
        typer.echo(f"{len(result)} steps written to {out}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
