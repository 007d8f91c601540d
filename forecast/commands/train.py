"""`forecast train` and `forecast compare`: the same flags, one model or several architectures."""

from __future__ import annotations

import contextlib
import inspect
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import ARCHS
from . import (
    Agg,
    Anchor,
    Arch,
    Device,
    Distribute,
    Duplicates,
    Fill,
    Keep,
    Model,
    join_list,
    parse_quantiles,
    quiet_keras,
    split_list,
    user_errors,
    when,
)

DEFAULT_QUANTILES = "0.1,0.5,0.9"  # an 80% interval and the median


@user_errors
def train(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file with a time column and numeric columns.")],
    target: Annotated[
        list[str], typer.Option(rich_help_panel="Data", help="Column to forecast; several (comma-separated or repeated) "
                                     "train one model on each.")
    ],
    features: Annotated[
        list[str] | None, typer.Option(rich_help_panel="Data", help="Past covariate columns, comma-separated or repeated.")
    ] = None,
    calendar: Annotated[
        bool, typer.Option(rich_help_panel="Data", help="Calendar cycles (hour, weekday, month...) as known-future inputs.")
    ] = True,
    relative: Annotated[
        bool, typer.Option("--relative/--absolute", rich_help_panel="Data",
                           help="Read the target relative to each window's last value (for trends).")
    ] = True,
    time: Annotated[
        str | None, typer.Option(rich_help_panel="Data", help="Time column, or several joined: year,month,day,hour (detected).")
    ] = None,
    dayfirst: Annotated[
        bool | None, typer.Option("--dayfirst/--monthfirst", rich_help_panel="Data", help="Date order (detected).")
    ] = None,
    time_format: Annotated[
        str | None, typer.Option(rich_help_panel="Data", help="strftime format such as %d.%m.%Y %H:%M, or epoch / epoch_ms.")
    ] = None,
    id: Annotated[
        str | None, typer.Option("--id", rich_help_panel="Data", help="Long file: the column naming each series (one model for all).")
    ] = None,
    duplicates: Annotated[
        Duplicates, typer.Option(rich_help_panel="Data", help="Repeated timestamps: averaged, the first or last kept, or an error.")
    ] = "mean",
    freq: Annotated[str | None, typer.Option(rich_help_panel="Data", help="Frequency such as h, D, B, MS (inferred).")] = None,
    resample: Annotated[
        str | None, typer.Option(rich_help_panel="Data", help="Aggregate to this frequency first, e.g. h or D.")
    ] = None,
    agg: Annotated[Agg, typer.Option(rich_help_panel="Data", help="How --resample aggregates.")] = "mean",
    fill: Annotated[
        Fill, typer.Option(rich_help_panel="Data", help="Missing values after reindexing (none: refuse them).")
    ] = "interpolate",
    max_gap: Annotated[
        int | None, typer.Option(rich_help_panel="Data", min=0, help="Longest run of missing steps to fill (no limit).")
    ] = None,
    na_values: Annotated[
        list[str] | None, typer.Option(rich_help_panel="Data", help="Values meaning missing, e.g. -9999,NA (or repeated).")
    ] = None,
    decimal: Annotated[str, typer.Option(rich_help_panel="Data", help="Decimal mark, e.g. , for 1,5.")] = ".",
    thousands: Annotated[str | None, typer.Option(rich_help_panel="Data", help="Thousands separator, e.g. , for 1,234.")] = None,
    lookback: Annotated[int | None, typer.Option(rich_help_panel="Model", min=1, help="Input steps (auto).")] = None,
    horizon: Annotated[int | None, typer.Option(rich_help_panel="Model", min=1, help="Steps to forecast (auto).")] = None,
    arch: Annotated[Arch, typer.Option(rich_help_panel="Model", help="The network (README: Architectures).")] = "lstm",
    layers: Annotated[int, typer.Option(rich_help_panel="Model", min=1, help="Stacked recurrent layers.")] = 1,
    units: Annotated[int, typer.Option(rich_help_panel="Model", min=1, help="Units per recurrent layer.")] = 64,
    dropout: Annotated[float, typer.Option(rich_help_panel="Model", min=0.0, max=0.9, help="Between layers.")] = 0.0,
    ensemble: Annotated[
        int | None, typer.Option(rich_help_panel="Model", min=1, max=9, help="Networks trained side by side; "
                                 "their median is the forecast (auto: 3 for short series, else 1).")
    ] = None,
    quantiles: Annotated[
        list[str] | None, typer.Option(rich_help_panel="Model", help="Quantile levels (pinball loss), or 'none' for a point "
                                            f"forecast (default: {DEFAULT_QUANTILES}).")
    ] = None,
    model: Annotated[
        Model, typer.Option(rich_help_panel="Model", help="The forecast given: auto (chosen on validation windows), "
                                 "or one model alone.")
    ] = "auto",
    season: Annotated[
        int | None, typer.Option(rich_help_panel="Model", min=1, help="Seasonal period (from the frequency: hourly 24, monthly 12...).")
    ] = None,
    anchor: Annotated[
        Anchor, typer.Option(rich_help_panel="Model", help="The network's base: auto | last (value) | season (last season's) | none.")
    ] = "auto",
    epochs: Annotated[int, typer.Option(rich_help_panel="Training", min=1, help="Most epochs.")] = 100,
    batch_size: Annotated[
        int | None, typer.Option(rich_help_panel="Training", min=1, help="Windows per step (auto: 32..512 by data size).")
    ] = None,
    learning_rate: Annotated[float, typer.Option(rich_help_panel="Training", help="Adam's step size, above 0 and at most 1.")] = 3e-3,
    time_budget: Annotated[
        float, typer.Option(rich_help_panel="Training", min=1.0, help="Seconds of training at most (best weights kept).")
    ] = 180.0,
    seed: Annotated[int, typer.Option(rich_help_panel="Training", min=0, help="Seed of every random choice (0 .. 2**32-1).")] = 42,
    deterministic: Annotated[
        bool, typer.Option(rich_help_panel="Training", help="TF op determinism (no XLA: ~1.9x slower on CPUs). Seeded runs "
                                "repeat on the same machine without it.")
    ] = False,
    device: Annotated[
        Device, typer.Option(rich_help_panel="Hardware", help="auto (a GPU when there is one) | cpu | gpu (fail without one).")
    ] = "auto",
    mixed_precision: Annotated[
        bool, typer.Option(rich_help_panel="Hardware", help="float16 compute on GPUs (tensor cores); float32 on CPUs.")
    ] = False,
    distribute: Annotated[
        Distribute, typer.Option(rich_help_panel="Hardware", help="none | mirrored (all GPUs here) | multi-worker (TF_CONFIG "
                                      "cluster; the chief writes the bundle). TensorFlow backend only.")
    ] = "none",
    backend: Annotated[
        str | None, typer.Option(rich_help_panel="Hardware", help="Keras backend: tensorflow | jax | torch (default: "
                                      "KERAS_BACKEND, else tensorflow). jax and torch: pip install -e \".[jax]\" / \".[torch]\".")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(rich_help_panel="Output", help="Bundle directory (default: models/<file>_<target>).")
    ] = None,
    force: Annotated[bool, typer.Option(rich_help_panel="Output", help="Replace an existing bundle.")] = False,
    report: Annotated[bool, typer.Option(rich_help_panel="Output", help="Write report.html into the bundle.")] = True,
    resume: Annotated[
        bool, typer.Option(rich_help_panel="Training", help="Continue training the bundle at --out (same flags as before).")
    ] = False,
    save_on_interrupt: Annotated[
        bool, typer.Option(rich_help_panel="Training", help="On Ctrl-C/SIGTERM, save the best model so far (exit 130).")
    ] = True,
) -> None:
    """Train an LSTM on DATA and save a bundle (model, settings, metrics, plots).

    Splits by time into train / validation / test, scales on the training part,
    trains with early stopping, and scores the test part against naive baselines.

    Ctrl-C or SIGTERM stops after the current batch and saves the best model so
    far, marked "interrupted": true (exit code 130); --resume continues it.

    Example: forecast train data/energy_demand.csv --target demand --horizon 48
    """
    from rich.console import Console

    from ..bundle import check_target, writing_lock
    from ..distribute import is_chief

    console = Console()
    target = join_list(target) or ""
    args = dict(locals())
    default = out is None
    out = out or default_out(data, target)
    chief = is_chief(distribute)  # multi-worker: only the chief writes the bundle
    with writing_lock(out) if chief else contextlib.nullcontext():  # a second run fails at once
        if chief:  # a resumed bundle is replaced: only its folder must be writable
            check_target(out, force or resume, create_parent=default)
        config, series, out = _prepare(console, args)
        previous = _load_previous(out, config) if resume else None
        forecaster, interrupted = _fit(console, config, series, previous)
        _print_fit(console, forecaster)
        if not chief:
            console.print("Trained as a non-chief worker; the chief writes the bundle.")
            raise typer.Exit(130 if interrupted else 0)
        if interrupted and not save_on_interrupt:
            console.print("Interrupted: nothing saved (--no-save-on-interrupt).")
            raise typer.Exit(130)
        out.parent.mkdir(parents=True, exist_ok=True)  # the default models/ folder
        path = forecaster.save(out, force=force or resume, report=report)
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


def _prepare(console: Any, args: dict[str, Any]) -> tuple[Any, Any, Path]:
    """Settings from the flags, and the loaded series (printed with its loading notes)."""
    from ..config import TrainConfig
    from ..devices import check_distribute, use_backend
    from ..doctor import diagnose

    # KERAS_BACKEND before Keras starts; an unknown or missing backend fails before any work
    backend = use_backend(args.get("backend"), args.get("device", "auto"))
    check_distribute(args.get("distribute", "none"), backend)
    fields = set(TrainConfig.__dataclass_fields__)
    settings = {k: v for k, v in args.items() if k in fields}
    settings["target"] = join_list(args["target"]) or ""
    settings["features"] = split_list(args["features"])
    settings["na_values"] = split_list(args.get("na_values"))
    settings["quantiles"] = parse_quantiles(args["quantiles"] or DEFAULT_QUANTILES)
    config = TrainConfig(**settings)
    data: Path = args["data"]
    # the checks of `forecast doctor`, run the same way: both give every file the same verdict
    diagnosis = diagnose(data, config.data_options(), config.targets, config.features, config=config)
    series = diagnosis.raise_problem()
    config.check_rows(max(len(f) for f in series.frames.values()))  # before any training
    print_series(console, data, series)
    out = args.get("out") or default_out(data, config.target)
    return config, series, out


def default_out(data: Path, target: str) -> Path:
    """``models/<file>_<target>``, with only letters, digits, ``.``, ``-`` and ``_`` (any system)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{data.stem}_{target.replace(',', '_')}").strip("._")
    return Path("models") / (name[:100] or "model")


def print_series(console: Any, data: Path, series: Any) -> None:
    """One line on what was read, then each loading note."""
    frames = list(series.frames.values())
    start = min(f.index[0] for f in frames)
    end = max(f.index[-1] for f in frames)
    rows = sum(len(f) for f in frames)
    many = f", {len(frames)} series ({series.id})" if series.is_panel else ""
    console.print(
        f"[bold]{data.name}[/]: {rows} rows{many}, time column '{series.time}', "
        f"frequency {series.freq}, {when(start)} .. {when(end)}",
        highlight=False,
    )
    for note in series.notes:
        console.print(f"  note: {note}", highlight=False)


def _fit(console: Any, config: Any, series: Any, previous: Any = None) -> tuple[Any, bool]:
    """Train with Ctrl-C/SIGTERM turned into "stop after this batch"; returns (forecaster, interrupted)."""
    quiet_keras(config.backend, config.device)
    from ..devices import describe_device
    from ..forecaster import Forecaster
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
        forecaster = Forecaster(config).fit(series, report=report, stop=stop, resume_from=previous)
    return forecaster, bool(forecaster.training_["interrupted"])


def _print_fit(console: Any, forecaster: Any) -> None:
    from rich.table import Table

    d, t, pre = forecaster.data_, forecaster.training_, forecaster.preprocessor_
    s = {k: [when(x) for x in v] for k, v in d["split_times"].items()}
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
    for note in getattr(forecaster, "notes_", []):
        console.print(f"  note: {note}", highlight=False)
    console.print(choice_line(forecaster.choice_), highlight=False)
    interval = forecaster.interval()
    table = Table(title=f"Test part: {forecaster.holdout_['windows']} windows of {pre.horizon} steps")
    columns = ["model", "MAE", "RMSE", "MASE"]
    if interval:
        columns += ["pinball", f"coverage of {interval['coverage']:.0%}"]
    for col in columns:
        table.add_column(col, justify="left" if col == "model" else "right")
    names = {"model": f"forecast ({forecaster.choice_['label']})", "lstm": forecaster.config.arch.upper(),
             "naive": "naive", "seasonal_naive": f"seasonal naive (M={d['season']})"}
    for name, m in forecaster.holdout_["metrics"].items():
        row = [names.get(name, name), f"{m['mae']:.4g}", f"{m['rmse']:.4g}", f"{m['mase']:.3f}"]
        if interval:
            row += [f"{m['pinball']:.4g}", f"{m['coverage']:.1%}"] if "pinball" in m else ["", ""]
        table.add_row(*row)
    console.print(table)
    m = forecaster.holdout_["metrics"]
    best = min(m["naive"]["mase"], m["seasonal_naive"]["mase"])
    if m["model"]["mase"] >= best:
        console.print(
            f"[yellow]Warning: the model does not beat the best baseline on the test part (MASE "
            f"{m['model']['mase']:.3f} vs {best:.3f}); a simple forecast serves better here.[/]"
        )


def choice_line(choice: dict[str, Any]) -> str:
    """"forecast = 0.5 lstm + 0.5 auto_ets, validation MASE 0.71 vs lstm 0.78 / auto_ets 0.80 ..."."""
    scores = choice.get("scores", {})
    if not scores:
        return f"forecast = {choice['label']}"
    others = " / ".join(f"{n} {v:.3f}" for n, v in scores.items() if n != choice["label"] and " + " not in n)
    return (f"forecast = {choice['label']}, validation MASE {scores.get(choice['label'], float('nan')):.3f} "
            f"vs {others} ({choice.get('windows', 0)} windows)")


@user_errors
def compare(**kwargs: Any) -> None:
    """Train several architectures on the same split and seed; rank them; keep the best bundle.

    Takes every `forecast train` flag; --arch is a comma-separated list. The best
    bundle (by test MASE) is written to --out; with --keep all, every bundle is
    written to <out>/<arch>.

    Example: forecast compare data/seattle_weather.csv --target temp_max --arch lstm,gru
    """
    from rich.console import Console
    from rich.table import Table

    from ..bundle import check_target
    from ..compare import ARCHS_ALL, compare_archs
    from ..errors import ConfigError

    console = Console()
    archs = split_list(kwargs["arch"]) or list(ARCHS_ALL)
    unknown = [a for a in archs if a not in ARCHS_ALL]
    if unknown:
        raise ConfigError(f"Unknown --arch {', '.join(unknown)}. Choose from {', '.join(ARCHS_ALL)}.")
    keep_all = kwargs["keep"] == "all"
    kwargs["arch"] = archs[0]
    out = kwargs["out"] or default_out(kwargs["data"], join_list(kwargs["target"]) or "")
    out = out if kwargs["out"] else out.with_name(out.name + "_compare")
    check_target(out, kwargs["force"], create_parent=kwargs["out"] is None)
    config, series, _ = _prepare(console, kwargs)
    quiet_keras(config.backend, config.device)

    def started(arch: str) -> None:
        console.print(f"Training {arch} ...", highlight=False)

    results = compare_archs(series, config, archs, started=started)
    table = Table(title="Architectures on the same split and seed, ranked by test MASE")
    for col in ("rank", "arch", "MAE", "RMSE", "MASE", "coverage", "pinball", "train s", "params"):
        table.add_column(col, justify="left" if col == "arch" else "right")
    for rank, (arch, forecaster) in enumerate(results, 1):
        m = forecaster.holdout_["metrics"]["model"]
        table.add_row(
            str(rank), arch, f"{m['mae']:.4g}", f"{m['rmse']:.4g}", f"{m['mase']:.3f}",
            f"{m['coverage']:.1%}" if "coverage" in m else "-",
            f"{m['pinball']:.4g}" if "pinball" in m else "-",
            f"{forecaster.training_['seconds']:.0f}", f"{forecaster.training_['parameters']:,}",
        )
    base = forecaster.holdout_["metrics"]
    table.add_row("", "naive", *(f"{base['naive'][k]:.4g}" for k in ("mae", "rmse")),
                  f"{base['naive']['mase']:.3f}", "", "", "", "")
    table.add_row("", "seasonal naive", *(f"{base['seasonal_naive'][k]:.4g}" for k in ("mae", "rmse")),
                  f"{base['seasonal_naive']['mase']:.3f}", "", "", "", "")
    console.print(table)
    out.parent.mkdir(parents=True, exist_ok=True)  # the default models/ folder
    if keep_all:
        out.mkdir(exist_ok=True)
        for arch, forecaster in results:
            forecaster.save(out / arch, force=True, report=kwargs["report"])
        console.print(f"Bundles written to [bold]{out}[/]/<arch>; best: {results[0][0]}")
    else:
        path = results[0][1].save(out, force=kwargs["force"], report=kwargs["report"])
        console.print(f"Best ({results[0][0]}) written to [bold]{path}[/]")


def train_signature(
    changed: dict[str, tuple[Any, Any]],
    extra: dict[str, tuple[Any, Any]],
    drop: tuple[str, ...] = ("resume", "save_on_interrupt", "distribute"),
) -> inspect.Signature:
    """Train's flags, some with another type and default, plus more: for commands that train.

    Args:
        changed: ``{name: (annotation, default)}`` replacing train's.
        extra: ``{name: (annotation, default)}`` appended.
        drop: train's flags that make no sense for the other command.
    """
    kind = inspect.Parameter.KEYWORD_ONLY
    params = []
    for p in inspect.signature(train, eval_str=True).parameters.values():
        if p.name in drop:
            continue
        if p.name in changed:
            p = p.replace(annotation=changed[p.name][0], default=changed[p.name][1])
        params.append(p.replace(kind=kind))
    params += [inspect.Parameter(n, kind, annotation=a, default=d) for n, (a, d) in extra.items()]
    return inspect.Signature(params)


compare.__signature__ = train_signature(  # type: ignore[attr-defined]
    {"arch": (Annotated[list[str], typer.Option(
        help=f"Architectures, comma-separated or repeated, among {', '.join(ARCHS)}.")],
              [",".join(ARCHS)])},
    {"keep": (Annotated[Keep, typer.Option(help="best: keep the best bundle; all: every one.")],
              "best")},
)
