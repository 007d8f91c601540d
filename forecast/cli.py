"""The `forecast` command line: the Typer app, one error handler, the commands' registration.

Commands live in :mod:`forecast.commands`; they parse, call the library and print.
Heavy libraries (pandas, TensorFlow) are imported inside them so that
`forecast --help` stays instant.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.20 vendors click; older releases use the click package
    from typer import _click as click  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import click  # type: ignore[no-redef]

from .commands import (
    backtest,
    detect,
    doctor,
    explain,
    one_line,
    plain_choices,
    predict,
    report,
    train,
)
from .commands import tune as tune_command


class _OneLineErrors(TyperGroup):
    """Usage errors (a missing option, a value out of range) as one ``Error: ...`` line on
    stderr, like every other user error, instead of a framed panel."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            name = f" {exc.ctx.command_path}" if getattr(exc, "ctx", None) else ""
            # newer Typer validates with pydantic, which puts "Value error, " before a bad choice
            message = one_line(exc.format_message()).replace(": Value error, ", ": ").rstrip(".")
            click.echo(f"Error: {message}. See{name} --help.", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            click.echo("Error: aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="forecast",
    help="Train LSTM forecasters on CSV time series and forecast the future.\n\n"
    "Example: forecast train data/energy_demand.csv --target demand",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("train")(plain_choices(train.train))  # choices as plain strings, not Enum members
app.command("compare")(plain_choices(train.compare))
app.command("doctor")(plain_choices(doctor.doctor))
app.command("predict")(plain_choices(predict.predict))
app.command("backtest")(plain_choices(backtest.backtest))
app.command("report")(plain_choices(report.report))
app.command("explain")(plain_choices(explain.explain))
app.command("detect")(plain_choices(detect.detect))
app.command("tune")(plain_choices(tune_command.tune))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
