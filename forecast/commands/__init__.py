"""CLI commands and what they share: one error handler, quiet TensorFlow, list parsing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ..errors import ConfigError, ForecastError
from ..timefmt import when

BundleArg = Annotated[Path, typer.Argument(help="Bundle directory written by `forecast train`.")]
HistoryOpt = Annotated[
    Path | None, typer.Option("--data", help="CSV with recent history (default: the training CSV).")
]

__all__ = ["BundleArg", "HistoryOpt", "check_output", "parse_quantiles", "quiet_tensorflow", "split_list", "user_errors", "when"]

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Turn library errors into one `Error: ...` line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ForecastError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def quiet_tensorflow() -> None:
    from ..devices import import_tensorflow

    import_tensorflow()


def split_list(text: str | None) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; None or empty -> ``[]``."""
    return [c.strip() for c in text.split(",") if c.strip()] if text else []


def parse_quantiles(text: str) -> list[float] | None:
    """``"0.1,0.5,0.9"`` -> levels; ``"none"`` -> None (a point forecast)."""
    if text.strip().lower() in ("none", ""):
        return None
    try:
        return [float(q) for q in split_list(text)]
    except ValueError:
        raise ConfigError(
            f"--quantiles takes numbers between 0 and 1 like 0.1,0.5,0.9, or none; got '{text}'."
        ) from None


def check_output(path: Path | None, suffixes: tuple[str, ...], flag: str) -> None:
    """Refuse, before any work, an output path whose folder is missing or whose type is unknown."""
    if path is None:
        return
    if not path.parent.is_dir():
        raise ConfigError(f"Folder {path.parent} for {flag} does not exist. Create it first.")
    if path.suffix.lower() not in suffixes:
        raise ConfigError(
            f"{flag} {path} should end in {' or '.join(suffixes)}; got '{path.suffix or 'no suffix'}'."
        )

