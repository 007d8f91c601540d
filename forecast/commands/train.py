"""`forecast train` and `forecast compare`: the same flags, one model or several architectures."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from ..choice import describe, verdict
from ..config import ARCHS, TrainConfig
from ..timefmt import count
from . import Keep as KeepChoice
from . import quiet_keras, series_share, split_list, user_errors
from .options import Archs, DataArg, Force, Out, Param, Report, command, train_settings

Resume = Annotated[bool, typer.Option(rich_help_panel="Training",
                                       help="Continue training the bundle at --out (same flags as before).")]
SaveOnInterrupt = Annotated[bool, typer.Option(rich_help_panel="Training",
                                               help="On Ctrl-C/SIGTERM, save the best model so far (exit 130).")]
Keep = Annotated[KeepChoice, typer.Option(rich_help_panel="Output", help="best: keep the best bundle; all: every one.")]
CompareOut = Annotated[Path | None, typer.Option(
    rich_help_panel="Output", help="Bundle directory of the best (default: models/<file>_<target>_compare); "
                                   "with --keep all, the folder of <arch> bundles.")]


@user_errors
@command(data=Param(DataArg), config=train_settings(), out=Param(Out, None), force=Param(Force, False),
         report=Param(Report, True), resume=Param(Resume, False), save_on_interrupt=Param(SaveOnInterrupt, True))
def train(data: Path, config: TrainConfig, out: Path | None, force: bool, report: bool, resume: bool,
          save_on_interrupt: bool) -> None:
    """Train an LSTM on DATA and save a bundle (model, settings, metrics, plots).

    Splits by time into train / validation / test, scales on the training part,
    trains with early stopping, and scores the test part against naive baselines.

    Ctrl-C or SIGTERM stops after the current batch and saves the best model so
    far, marked "interrupted": true (exit code 130); --resume continues it.

    Example: forecast train data/energy_demand.csv --target demand --horizon 48
    """
    from rich.console import Console

    from .. import run
    from ..bundle import check_target, writing_lock
    from ..distribute import is_chief
    from ..reading import check_file

    console = Console()
    check_file(data)  # a missing file named first
    default = out is None
    out = out or default_out(data, config.target)
    chief = is_chief(config.distribute)  # multi-worker: only the chief writes the bundle
    with writing_lock(out) if chief else contextlib.nullcontext():  # a second run fails at once
        if chief:  # a resumed bundle is replaced: only its folder must be writable
            check_target(out, force or resume, create_parent=default, data=data)
        series = prepare_series(console, data, config)
        previous = _load_previous(out, config) if resume else None
        forecaster, interrupted = _fit(console, config, series, previous)
        print_fit(console, forecaster)
        if not chief:
            console.print("Trained as a non-chief worker; the chief writes the bundle.")
            raise typer.Exit(130 if interrupted else 0)
        if interrupted and not save_on_interrupt:
            console.print("Interrupted: nothing saved (--no-save-on-interrupt).")
            raise typer.Exit(130)
        out.parent.mkdir(parents=True, exist_ok=True)  # the default models/ folder
        path = run.save(forecaster, out, force=force or resume, report=report)
        console.print(f"Bundle written to [bold]{path}[/]")
        if interrupted:
            console.print("Interrupted: the bundle holds the best model so far; continue with --resume.")
            raise typer.Exit(130)


RESUME_FIXED = ("arch", "units", "layers", "dropout", "quantiles", "anchor", "target", "features", "ensemble",
                "future", "holidays")
# ^ what the saved network's shapes and outputs are made of: --resume cannot change them


def _load_previous(out: Path, config: Any) -> Any:
    """The bundle to continue, refused when the flags would change its network."""
    from ..errors import BundleError, ConfigError
    from ..forecaster import Forecaster

    if not out.exists():
        raise BundleError(f"--resume: there is no bundle at {out} to continue. Train without --resume.")
    before = _saved_config(out)
    changed = [f"--{k.replace('_', '-')} {_flag(before[k])} (now {_flag(getattr(config, k))})"
               for k in RESUME_FIXED if before.get(k) != getattr(config, k)
               and not (k == "ensemble" and config.ensemble is None)]  # None: the bundle's
    if changed:
        raise ConfigError(
            f"--resume continues the network saved in {out}, so it cannot change its shape; it was "
            f"trained with {'; '.join(changed)}. Pass the same flags, or train a new bundle without --resume."
        )
    quiet_keras(config.backend, config.device)
    return Forecaster.load(out, engine="keras")  # training continues on the Keras model


def _saved_config(out: Path) -> dict[str, Any]:
    from ..bundle import read_meta

    return read_meta(out)["config"]


def _flag(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "none"
    return "none" if value is None else str(value)


def prepare_series(console: Any, data: Path, config: TrainConfig) -> Any:
    """The series to train on, checked as `forecast doctor` checks it (and printed with its notes)."""
    from ..devices import check_distribute, use_backend
    from ..doctor import diagnose

    # KERAS_BACKEND before Keras starts; an unknown or missing backend fails before any work
    backend = use_backend(config.backend, config.device)
    check_distribute(config.distribute, backend)
    # the checks of `forecast doctor`, run the same way: both give every file the same verdict
    diagnosis = diagnose(data, config.data, config.targets, config.features, config=config)
    series = diagnosis.raise_problem()
    config.check_rows(max(len(f) for f in series.frames.values()))  # before any training
    print_series(console, data, series)
    return series


def default_out(data: Path, target: str) -> Path:
    """``models/<file>_<target>``, with only letters, digits, ``.``, ``-`` and ``_`` (any system)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{data.stem}_{target.replace(',', '_')}").strip("._")
    return Path("models") / (name[:100] or "model")


def print_series(console: Any, data: Path, series: Any) -> None:
    """One line on what was read, then each loading note."""
    from ..data import written

    frames = list(series.frames.values())
    start = min(f.index[0] for f in frames)
    end = max(f.index[-1] for f in frames)
    rows = sum(len(f) for f in frames)
    many = f", {len(frames)} series ({series.id})" if series.is_panel else ""
    console.print(
        f"[bold]{data.name}[/]: {rows} rows{many}, time column '{series.time}', "
        f"frequency {series.freq}, {written(start, series)} .. {written(end, series)}",
        highlight=False,
    )
    for note in series.notes:
        console.print(f"  note: {note}", highlight=False)


def _fit(console: Any, config: Any, series: Any, previous: Any = None) -> tuple[Any, bool]:
    """Train with Ctrl-C/SIGTERM turned into "stop after this batch"; returns (forecaster, interrupted)."""
    quiet_keras(config.backend, config.device)
    from ..devices import describe_device
    from ..run import fit
    from ..training import interruptible

    # one line even when piped (soft wrap): logs keep "backend ..., device ..., precision ..." whole
    console.print(f"Training {config.arch}: {describe_device(config)}", highlight=False, soft_wrap=True)

    def report(epoch: int, logs: dict[str, float]) -> None:
        console.print(
            f"  epoch {epoch:3d}  loss {logs['loss']:.4f}  "
            f"val_loss {logs.get('val_loss', float('nan')):.4f}  {logs['seconds']:.0f}s"
            + (f", ~{logs['remaining']:.0f}s left" if "remaining" in logs else ""),
            highlight=False,
        )

    if previous is not None:
        console.print(f"Resuming after epoch {previous.training_['epochs']}", highlight=False)
    with interruptible() as stop:
        forecaster = fit(series, config, report, stop, previous)
    return forecaster, bool(forecaster.training_["interrupted"])


def print_fit(console: Any, forecaster: Any) -> None:
    from rich.table import Table

    from ..data import written

    d, t, pre = forecaster.data_, forecaster.training_, forecaster.preprocessor_
    s = {k: [written(x, d) for x in v] for k, v in d["split_times"].items()}
    console.print(
        f"Split by time: train {d['split']['train_rows']} rows ({s['train'][0]} .. {s['train'][1]}), "
        f"validation {d['split']['val_rows']}, test {d['split']['test_rows']} "
        f"({s['test'][0]} .. {s['test'][1]})",
        highlight=False,
    )
    console.print(
        f"lookback {pre.lookback}, horizon {pre.horizon}; stopped by {t['stopped_by']} after "
        f"{count(t['epochs'], 'epoch')} ({t['seconds']:.0f}s"
        + (f" for the {t['epochs'] - t['resumed_from_epoch']} of this run" if t.get("resumed_from_epoch") else "")
        + f"), best epoch {t['best_epoch']}",
        highlight=False,
    )
    for note in getattr(forecaster, "notes_", []):
        console.print(f"  note: {note}", highlight=False)
    console.print(describe(forecaster.choice_), highlight=False)
    interval = forecaster.interval()
    table = Table(title=f"Test part: {count(forecaster.holdout_['windows'], 'window')} of {pre.horizon} steps")
    columns = ["model", "MAE", "RMSE", "MASE"]
    if interval:
        columns += ["pinball", f"coverage of {interval['coverage']:.0%}"]
    for col in columns:
        table.add_column(col, justify="left" if col == "model" else "right")
    names = {"model": f"forecast ({forecaster.choice_['label']})", "lstm": forecaster.config.arch.upper(),
             "naive": "naive", "seasonal_naive": snaive_label(d['season'], d['split']['rows'] - pre.horizon)}
    for name, m in forecaster.holdout_["metrics"].items():
        row = [names.get(name, name) + series_share(forecaster.holdout_.get("per_series"), name), f"{m['mae']:.4g}", f"{m['rmse']:.4g}", f"{m['mase']:.3f}"]
        if interval:
            row += [f"{m['pinball']:.4g}", f"{m['coverage']:.1%}"] if "pinball" in m else ["", ""]
        table.add_row(*row)
    console.print(table)
    kind, sentence = verdict(forecaster.holdout_["metrics"], forecaster.choice_["label"], forecaster.config.model != "auto")
    if kind == "bad":
        console.print(f"[yellow]Warning: {sentence[0].lower()}{sentence[1:]}[/]")
    elif kind == "simple":
        console.print(sentence)


def snaive_label(season: int, last_origin: int) -> str:
    """The seasonal-naive row's name. A season longer than the history at the last test origin
    has no season to repeat there (``baselines.seasonal_naive`` gives the last value), and the
    name says so."""
    return f"seasonal naive (M={season})" if season <= last_origin else "seasonal naive (= naive)"


@user_errors
@command(data=Param(DataArg), config=train_settings(drop=("arch", "distribute")),
         arch=Param(Archs, [",".join(ARCHS)]), keep=Param(Keep, "best"), out=Param(CompareOut, None),
         force=Param(Force, False), report=Param(Report, True))
def compare(data: Path, config: TrainConfig, arch: list[str], keep: str, out: Path | None, force: bool,
            report: bool) -> None:
    """Train several architectures on the same split and seed; rank them; keep the best bundle.

    Takes every `forecast train` flag; --arch is a comma-separated list. The best
    bundle (by test MASE) is written to --out; with --keep all, every bundle is
    written to <out>/<arch>.

    Example: forecast compare data/seattle_weather.csv --target temp_max --arch lstm,gru
    """
    from rich.console import Console
    from rich.table import Table

    from .. import run
    from ..bundle import check_target
    from ..compare import ARCHS_ALL, compare_archs, network_mase
    from ..errors import ConfigError

    console = Console()
    archs = split_list(arch)
    if not archs:  # an empty shell variable: all four were never asked for (they are the default)
        raise ConfigError(f"--arch is empty: give architectures among {', '.join(ARCHS_ALL)}, comma-separated, "
                          "or leave --arch out to compare all of them.")
    unknown = [a for a in archs if a not in ARCHS_ALL]
    if unknown:
        raise ConfigError(f"Unknown --arch {', '.join(unknown)}. Choose from {', '.join(ARCHS_ALL)}.")
    repeated = sorted({a for a in archs if archs.count(a) > 1})
    if repeated:
        raise ConfigError(f"--arch names {', '.join(repeated)} more than once. Name each architecture once.")
    keep_all = keep == "all"
    config = replace(config, arch=archs[0])
    default = default_out(data, config.target)
    given, out = out, out or default.with_name(default.name + "_compare")
    check_target(out, force, create_parent=given is None, data=data, folder=keep_all)
    series = prepare_series(console, data, config)
    quiet_keras(config.backend, config.device)

    def started(arch: str) -> None:
        console.print(f"Training {arch} ...", highlight=False)

    results = compare_archs(series, config, archs, started=started)
    table = Table(title="Architectures on the same split and seed, ranked by the network's test MASE "
                        "(MASE, MAE, cover: the chosen forecast's)")
    for col in ("#", "arch", "net MASE", "MASE", "MAE", "cover", "fit s", "params"):
        table.add_column(col, justify="left" if col == "arch" else "right", no_wrap=col != "arch")
    for rank, (name, forecaster) in enumerate(results, 1):
        m = forecaster.holdout_["metrics"]["model"]
        table.add_row(
            str(rank), name, f"{network_mase(forecaster):.3f}", f"{m['mase']:.3f}", f"{m['mae']:.4g}",
            f"{m['coverage']:.0%}" if "coverage" in m else "-",
            f"{forecaster.training_['seconds']:.0f}", f"{forecaster.training_['parameters']:,}",
        )
    base = forecaster.holdout_["metrics"]
    for label, key in (("naive", "naive"), ("seasonal naive", "seasonal_naive")):
        table.add_row("", label, "", f"{base[key]['mase']:.3f}", f"{base[key]['mae']:.4g}", "", "", "")
    console.print(table)
    out.parent.mkdir(parents=True, exist_ok=True)  # the default models/ folder
    if keep_all:
        out.mkdir(exist_ok=True)
        for name, forecaster in results:
            run.save(forecaster, out / name, force=True, report=report)
        console.print(f"Bundles written to [bold]{out}[/]/<arch>; best: {results[0][0]}")
        older = sorted(p.name for p in out.iterdir() if p.is_dir() and p.name not in dict(results))
        if older:  # --force replaced the architectures compared now; the others are an earlier run's
            typer.echo(f"note: {out} also holds {', '.join(older)} from an earlier compare, not this one's", err=True)
    else:
        path = run.save(results[0][1], out, force=force, report=report)
        console.print(f"Best ({results[0][0]}) written to [bold]{path}[/]")
