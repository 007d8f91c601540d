"""Every command-line option, declared once, and the decorator that gives commands the settings.

A setting is a field of ``config.TrainConfig`` or of one of its parts (``DataOptions``,
``NetworkOptions``, ``FitOptions``, ``HardwareOptions``): its default and why live there.
Its flag lives here, in ``FLAGS``: help text, Typer's type when it differs (an Enum lists a
choice's values in ``--help``), limits, and how the typed value becomes the field's value.
``@command(...)`` turns a settings class into flags (in the class's help panel) and hands the
command the built object, so every command that takes a part takes all its flags.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import ARCHS, BACKENDS, TrainConfig
from . import (
    Agg,
    Anchor,
    Arch,
    Backend,
    Device,
    Distribute,
    Duplicates,
    Fill,
    Floor,
    Model,
    join_list,
    parse_quantiles,
    split_list,
)

DEFAULT_QUANTILES = "0.1,0.5,0.9"  # an 80% interval and the median


@dataclass(frozen=True)
class Flag:
    """One setting's option: help, Typer's type where the field's own will not do, and limits."""

    help: str
    decls: tuple[str, ...] = ()  # e.g. ("--dayfirst/--monthfirst",); default: --field-name
    type: Any = None  # the type Typer parses (an Enum for a choice, list[str] for a list)
    parse: Callable[[Any], Any] | None = None  # Typer's value -> the field's value
    limits: dict[str, Any] = field(default_factory=dict)  # min / max, checked by Typer


def _region(code: str) -> str:
    """``--holidays``, checked before any data is read (an unknown code is one ``Error:`` line)."""
    from ..holiday import parse_region

    country, subdiv = parse_region(code)
    return f"{country}-{subdiv}" if subdiv else country


FLAGS: dict[str, Flag] = {
    # TrainConfig's columns (panel Data)
    "target": Flag("Column to forecast; several (comma-separated or repeated) train one model on each.",
                   type=list[str], parse=join_list),
    "features": Flag("Past covariate columns, comma-separated or repeated.", type=list[str] | None,
                     parse=split_list),
    "calendar": Flag("Calendar cycles (hour, weekday, month...) as known-future inputs."),
    "future": Flag("Known-future columns (planned events, weather forecasts), comma-separated or repeated: "
                   "read over the lookback and the horizon; predict needs their values for the horizon.",
                   type=list[str] | None, parse=split_list),
    "holidays": Flag("Public holidays of a country, optionally a subdivision (US, US-CA, GB-SCT), as "
                     "known-future inputs.", parse=_region),
    "relative": Flag("Read the target relative to each window's last value (for trends).",
                     decls=("--relative/--absolute",)),
    "window_scale": Flag("Also divide the relative target by each window's spread (for swings that grow).",
                         decls=("--window-scale/--series-scale",)),
    # DataOptions (panel Data)
    "time": Flag("Time column, or several joined: year,month,day,hour (detected)."),
    "dayfirst": Flag("Date order (detected).", decls=("--dayfirst/--monthfirst",)),
    "time_format": Flag("strftime format such as %d.%m.%Y %H:%M, or epoch / epoch_ms, or excel (serial days)."),
    "id": Flag("Long file: the column naming each series (one model for all).", decls=("--id",)),
    "duplicates": Flag("Repeated timestamps: averaged, the first or last kept, or an error.",
                       type=Duplicates),
    "freq": Flag("Frequency such as h, D, B, MS (inferred)."),
    "resample": Flag("Aggregate to this frequency first, e.g. h or D."),
    "agg": Flag("How --resample aggregates.", type=Agg),
    "fill": Flag("Missing values after reindexing (none: refuse them).", type=Fill),
    "max_gap": Flag("Longest run of missing steps to fill (no limit).", limits={"min": 0}),
    "na_values": Flag("Values meaning missing, e.g. -9999,NA (or repeated).", type=list[str] | None,
                      parse=split_list),
    "decimal": Flag("Decimal mark, e.g. , for 1,5."),
    "thousands": Flag("Thousands separator, e.g. , for 1,234."),
    # NetworkOptions (panel Model)
    "lookback": Flag("Input steps (auto).", limits={"min": 1}),
    "horizon": Flag("Steps to forecast (auto).", limits={"min": 1}),
    "arch": Flag("The network (README: Architectures).", type=Arch),
    "layers": Flag("Stacked recurrent layers.", limits={"min": 1}),
    "units": Flag("Units per recurrent layer.", limits={"min": 1}),
    "dropout": Flag("Between layers.", limits={"min": 0.0, "max": 0.9}),
    "ensemble": Flag("Networks trained side by side; their median is the forecast (auto: 3 for "
                     "short series, else 1).", limits={"min": 1, "max": 9}),
    "quantiles": Flag("Quantile levels (pinball loss), or 'none' for a point forecast "
                      f"(default: {DEFAULT_QUANTILES}).", type=list[str] | None, parse=parse_quantiles),
    "model": Flag("The forecast given: auto (chosen on validation windows), or one model alone.",
                  type=Model),
    "season": Flag("Seasonal period (from the frequency: hourly 24, monthly 12...).", limits={"min": 1}),
    "anchor": Flag("The network's base: auto | last (value) | season (last season's) | none.",
                   type=Anchor),
    "floor": Flag("Least forecast: auto (0 for never-negative counts, or a history often at 0) | zero | none.",
                  type=Floor),
    # FitOptions (panel Training)
    "epochs": Flag("Most epochs.", limits={"min": 1}),
    "batch_size": Flag("Windows per step (auto: 32..512 by data size).", limits={"min": 1}),
    "learning_rate": Flag("Adam's step size, above 0 and at most 1."),
    "time_budget": Flag("Seconds of training at most (best weights kept).", limits={"min": 1.0}),
    "seed": Flag("Seed of every random choice (0 .. 2**32-1).", limits={"min": 0}),
    "deterministic": Flag("TF op determinism (no XLA: ~1.9x slower on CPUs). Seeded runs repeat on "
                          "the same machine without it."),
    # HardwareOptions (panel Hardware)
    "device": Flag("auto (a GPU when there is one) | cpu | gpu (fail without one).", type=Device),
    "mixed_precision": Flag("float16 compute on GPUs (tensor cores); float32 on CPUs."),
    "distribute": Flag("none | mirrored (all GPUs here) | multi-worker (TF_CONFIG cluster; the chief "
                       "writes the bundle). TensorFlow backend only.", type=Distribute),
    "backend": Flag(f"Keras backend among {', '.join(BACKENDS)} (default: KERAS_BACKEND, else "
                    "tensorflow). jax and torch: pip install -e \".\\[jax]\" / \".\\[torch]\".",
                    type=Backend | None),
}
LIBRARY_ONLY = {"patience", "test_fraction", "val_fraction"}  # settings with no flag (yet)

# The options of the commands themselves (not settings: they say where results go)
DataArg = Annotated[Path, typer.Argument(help="CSV or Parquet file with a time column and numeric columns.")]
Out = Annotated[Path | None, typer.Option(rich_help_panel="Output",
                                          help="Bundle directory (default: models/<file>_<target>).")]
Force = Annotated[bool, typer.Option(rich_help_panel="Output", help="Replace an existing bundle.")]
Report = Annotated[bool, typer.Option(rich_help_panel="Output", help="Write report.html into the bundle.")]
Archs = Annotated[list[str], typer.Option(rich_help_panel="Model", help="Architectures, comma-separated or "
                                          f"repeated, among {', '.join(ARCHS)}.")]


@dataclass(frozen=True)
class Param:
    """One plain parameter of a command: its annotated type and default (``...``: required)."""

    annotation: Any
    default: Any = ...


@dataclass(frozen=True)
class Settings:
    """The flags of a settings class's fields (parts included); the command receives it built.

    ``drop`` leaves fields out (their defaults apply); with ``built=False`` the command receives
    the parsed values given, by field name, instead (``only`` then picks the fields).
    """

    cls: type
    drop: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None
    built: bool = True

    def leaves(self) -> list[tuple[type, Any]]:
        """(owning class, field) of each setting given a flag here."""
        return [(owner, f) for owner, f in _leaves(self.cls)
                if f.name not in self.drop and f.name not in LIBRARY_ONLY
                and (self.only is None or f.name in self.only)]

    def parameters(self) -> list[inspect.Parameter]:
        out = []
        for owner, f in self.leaves():
            flag = FLAGS[f.name]
            kind = flag.type or typing.get_type_hints(owner)[f.name]
            option = typer.Option(*flag.decls, help=flag.help, rich_help_panel=owner.panel, **flag.limits)
            default = inspect.Parameter.empty if f.default is MISSING and f.default_factory is MISSING \
                else (None if f.default is MISSING else f.default)  # a list's default: None, then the field's
            out.append(_keyword(f.name, Annotated[kind, option], default))
        return out

    def value(self, given: dict[str, Any]) -> Any:
        values = {}
        for _, f in self.leaves():
            raw = given[f.name]
            if raw is not None:  # None: the field's default
                parse = FLAGS[f.name].parse
                values[f.name] = parse(raw) if parse else raw
        return _build(self.cls, values) if self.built else values


def command(**spec: Param | Settings) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command its parameters: each ``name=Param(...)`` as it is, each ``name=Settings(cls)``
    as its fields' flags, built into one ``cls`` (checked there) before the command runs."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        params: list[inspect.Parameter] = []
        for name, item in spec.items():
            params += item.parameters() if isinstance(item, Settings) else \
                [_keyword(name, item.annotation, inspect.Parameter.empty if item.default is ... else item.default)]

        @functools.wraps(func)
        def wrapper(**given: Any) -> Any:
            return func(**{name: item.value(given) if isinstance(item, Settings) else given[name]
                           for name, item in spec.items()})

        wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        return wrapper

    return wrap


def train_settings(drop: tuple[str, ...] = ()) -> Settings:
    """All of `forecast train`'s settings but ``drop``, as one TrainConfig."""
    return Settings(TrainConfig, drop=drop)


def _keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def _leaves(cls: type) -> list[tuple[type, Any]]:
    """Every setting of ``cls``, its parts' settings in place of the parts."""
    hints = typing.get_type_hints(cls)
    out: list[tuple[type, Any]] = []
    for f in fields(cls):  # type: ignore[arg-type]
        part = hints[f.name]
        out += _leaves(part) if is_dataclass(part) else [(cls, f)]
    return out


def _build(cls: type, values: dict[str, Any]) -> Any:
    """``cls`` from the flat values: each part built from its own fields, the rest defaults."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if is_dataclass(hints[f.name]):
            kwargs[f.name] = _build(hints[f.name], values)
        elif f.name in values:
            kwargs[f.name] = values[f.name]
    return cls(**kwargs)
