"""The `forecast` command line: the Typer app, one error handler, the commands' registration.

Commands live in :mod:`forecast.commands`; they parse, call the library and print.
Heavy libraries (pandas, TensorFlow) are imported inside them so that
`forecast --help` stays instant.
"""

from __future__ import annotations

import typer

from .commands import backtest, detect, doctor, explain, predict, report, train
from .commands import tune as tune_command

app = typer.Typer(
    name="forecast",
    help="Train LSTM forecasters on CSV time series and forecast the future.\n\n"
    "Example: forecast train data/energy_demand.csv --target demand",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("train")(train.train)
app.command("compare")(train.compare)
app.command("doctor")(doctor.doctor)
app.command("predict")(predict.predict)
app.command("backtest")(backtest.backtest)
app.command("report")(report.report)
app.command("explain")(explain.explain)
app.command("detect")(detect.detect)
app.command("tune")(tune_command.tune)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
