"""CLI commands and what they share: one error handler, quiet TensorFlow, list parsing."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import tempfile
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ..config import ANCHORS, ARCHS, BACKENDS, DEVICES, FLOORS, MODELS, STRATEGIES
from ..data_flags import AGGS, DUPLICATES, FILLS
from ..errors import ConfigError, ForecastError
from ..timefmt import when

BundleArg = Annotated[Path, typer.Argument(help="Bundle directory written by `forecast train`.")]
HistoryOpt = Annotated[
    Path | None, typer.Option("--data", help="CSV with recent history (default: the training CSV).")
]


def _one_series(values: list[str] | None) -> list[str] | None:
    """--series given once; repeated, only the last had been used, without a word."""
    if values and len(set(values)) > 1:
        raise typer.BadParameter(f"takes one series; got {', '.join(values)}. Run once per series, or leave "
                                 "--series out for all of them.")
    # Typer before 0.16 hands a callback None for an absent list option and then takes len() of what
    # it returns: give it an empty list, which every Typer turns back into the option's None.
    return values if values is not None else []


def series_option(help: str) -> Any:
    """The --series option of predict, detect and explain: one series, refused when repeated (read it
    with :func:`one_series`)."""
    return typer.Option("--series", help=help, metavar="NAME", callback=_one_series)


def one_series(values: list[str] | None) -> str | None:
    """The series --series names, or None."""
    return values[0] if values else None

__all__ = ["Agg", "Anchor", "Arch", "Backend", "BundleArg", "Device", "Distribute", "Duplicates", "Fill",
           "Floor", "HistoryOpt", "Keep", "Model", "check_output", "check_writable", "choices", "join_list",
           "parse_quantiles", "plain_choices", "quiet_keras", "split_list", "user_errors",
           "one_series", "series_option", "series_share", "when", "write_atomic"]

F = TypeVar("F", bound=Callable[..., Any])


def choices(name: str, values: tuple[str, ...]) -> Any:
    """A str Enum of ``values`` (declared once, in the library) as an option's type: ``--help``
    lists them and Typer refuses any other value with one usage error (exit code 2)."""
    return Enum(name, [(v, v) for v in values], type=str)


Arch = choices("Arch", ARCHS)
Model = choices("Model", MODELS)
Anchor = choices("Anchor", ANCHORS)
Floor = choices("Floor", FLOORS)
Device = choices("Device", DEVICES)
Distribute = choices("Distribute", STRATEGIES)
Backend = choices("Backend", BACKENDS)
Duplicates = choices("Duplicates", DUPLICATES)
Fill = choices("Fill", FILLS)
Agg = choices("Agg", AGGS)
Keep = choices("Keep", ("best", "all"))  # forecast compare: the best bundle, or every one


def plain_choices(func: F) -> F:
    """Hand a command its choices as the plain strings the library takes (TrainConfig, bundle.json),
    not as Enum members (whose str() and format() differ across Python versions)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **{k: v.value if isinstance(v, Enum) else v for k, v in kwargs.items()})

    return wrapper  # type: ignore[return-value]


def user_errors(func: F) -> F:
    """Turn library errors into one `Error: ...` line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ForecastError as exc:
            typer.echo(f"Error: {one_line(str(exc))}", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:  # a path the user named: unreadable, unwritable, full disk...
            if exc.errno == errno.EPIPE:
                raise  # stdout closed by the reader (| head): Typer exits quietly
            typer.echo(f"Error: {os_error(exc)}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def one_line(text: str) -> str:
    """Messages may quote data (column names, file names): keep the error one line."""
    return " ".join(text.split())


def os_error(exc: OSError) -> str:
    """``PermissionError(13, ..., 'out/x')`` -> "Cannot write out/x: permission denied. ..."."""
    where = f" {exc.filename}" if exc.filename else ""
    reason = (exc.strerror or type(exc).__name__).lower()
    return one_line(f"Cannot use{where}: {reason}. Check the path and its permissions, "
                    "or choose another one.")


def quiet_keras(backend: str | None = None, device: str = "auto") -> None:
    """Start Keras on its backend (``--backend``, else ``KERAS_BACKEND``) without start-up noise."""
    from ..devices import import_keras

    import_keras(backend, device)


def split_list(text: str | list[str] | None) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; a repeated option (a list) is split the same way,
    so ``--features a --features b,c`` equals ``--features a,b,c``; None or empty -> ``[]``."""
    if not text:
        return []
    parts = [text] if isinstance(text, str) else text
    return [c.strip() for part in parts for c in part.split(",") if c.strip()]


def join_list(value: str | list[str] | None) -> str | None:
    """A repeated option as one comma list (None stays None)."""
    return ",".join(split_list(value)) if value else None


def parse_quantiles(text: str | list[str]) -> list[float] | None:
    """``"0.1,0.5,0.9"`` -> levels; ``"none"`` -> None (a point forecast)."""
    text = join_list(text) or ""
    if text.strip().lower() == "none":
        return None
    if not text.strip():  # an empty shell variable: a point forecast was never asked for
        raise ConfigError("--quantiles is empty: give levels between 0 and 1 like 0.1,0.5,0.9, or none for a "
                          "point forecast.")
    try:
        return [float(q) for q in split_list(text)]
    except ValueError:
        raise ConfigError(
            f"--quantiles takes numbers between 0 and 1 like 0.1,0.5,0.9, or none; got '{text}'."
        ) from None


def check_output(path: Path | None, suffixes: tuple[str, ...], flag: str, bundle: Path | None = None,
                 reads: tuple[Path | None, ...] = ()) -> None:
    """Refuse, before any work, an output file whose folder is missing or unwritable, which is
    a folder, whose type is unknown, which is one of ``bundle``'s own files (overwritten, the
    bundle's checksums refused it from then on), or which the command reads: a file of ``reads``,
    or the bundle's training file (predict's and detect's default history)."""
    if path is None:
        return
    from ..bundle import META_FILE, bundle_files

    home = Path(bundle) if bundle is not None else path.parent  # any bundle's folder: its files are its own
    files, source = bundle_files(home) if bundle is not None or (home / META_FILE).is_file() else (set(), None)
    if path.parent.resolve() == home.resolve() and path.name in files:
        raise ConfigError(f"{flag} {path} is a file of the bundle {home}; writing it would damage the bundle. "
                          "Choose another name.")
    for read in (*reads, source):
        if read is not None and path.resolve() == Path(read).resolve():
            role = "the bundle's training file" if read is source else "a file this command reads"
            raise ConfigError(f"{flag} {path} is {role}; writing it would replace the data. Choose another name.")
    if not path.parent.is_dir():
        if path.parent.exists():
            raise ConfigError(f"{path.parent}, the folder of {flag}, is a file. Choose another {flag}.")
        raise ConfigError(f"Folder {path.parent} for {flag} does not exist. Create it first.")
    if path.suffix.lower() not in suffixes:
        raise ConfigError(
            f"{flag} {path} should end in {' or '.join(suffixes)}; got '{path.suffix or 'no suffix'}'."
        )
    if path.is_dir():
        example = path / ("out" + suffixes[0])
        raise ConfigError(f"{flag} {path} is a folder; give a file name, e.g. {example}.")
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{flag} {path} exists and is read-only. Choose another {flag}.")
    check_writable(path.parent, flag)


def check_writable(folder: Path, flag: str) -> None:
    """Refuse a folder this process cannot create files in (tried, not guessed from mode bits)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".forecast-probe-", dir=folder)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise ConfigError(
            f"Cannot write into {folder} for {flag} ({reason}). Choose a writable folder."
        ) from None
    os.close(fd)
    os.unlink(probe)



def write_atomic(out: Path, write: Callable[[Path], Any]) -> None:
    """Run ``write`` on a temporary sibling of ``out`` (same suffix), then rename it into place:
    a failure or a kill never leaves a half-written file at ``out``."""
    from ..bundle import usual_mode  # not at import: --help stays light

    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        usual_mode(Path(tmp))
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def series_share(per_series: dict[str, dict] | None, model: str) -> str:
    """" (2 of 4 series)" where a row's figures average over only the series ``model`` forecast
    (a member that could not be fitted to some), else ""."""
    if not per_series:
        return ""
    scored = sum(model in scores for scores in per_series.values())
    return f" ({scored} of {len(per_series)} series)" if scored < len(per_series) else ""
