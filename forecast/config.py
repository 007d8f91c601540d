"""Training settings: one typed dataclass per concern, each field declared once with its default and
why; `TrainConfig` holds them. One vocabulary: the CLI flags map 1:1 onto the fields."""

from __future__ import annotations

import math
import numbers
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any, ClassVar

import numpy as np

from .data_flags import DataOptions
from .errors import ConfigError
from .rowcount import rows_needed, train_rows

DEVICES = ("auto", "cpu", "gpu")
STRATEGIES = ("none", "mirrored", "multi-worker")
BACKENDS = ("tensorflow", "jax", "torch")  # Keras 3's backends (forecast.devices.use_backend)
MAX_UNITS = 4096  # one 4096-unit LSTM layer holds 67M weights (x3 with Adam): far past what a
# few series can use, and where a bad flag (--units 1000000000) would otherwise die out of memory
MAX_ENSEMBLE = 9  # networks side by side: each adds its whole cost
MAX_LAYERS = 16  # deeper recurrent stacks do not train on a few thousand windows
MAX_SEED = 2**32 - 1  # NumPy and TensorFlow take seeds in [0, 2**32)
MAX_LEARNING_RATE = 1.0  # Adam diverges long before; 0 would train nothing

# The choices, declared once: nets and members build them, the CLI and the schema list them.
ARCHS = ("lstm", "gru", "bilstm", "attention")  # the LSTM family (forecast.nets)
STATISTICAL = ("auto_ets", "auto_theta", "auto_ces")  # statsforecast members (forecast.members)
CES_PARAMS = ("alpha_0", "alpha_1", "beta_0", "beta_1")  # AutoCES: complex exponential smoothing
SIMPLE = ("seasonal_naive", "naive")  # parameter-free members
MEMBERS = (*STATISTICAL, *SIMPLE)
MODELS = ("auto", "lstm", *MEMBERS)  # --model: chosen on validation windows, or one alone
ANCHORS = ("auto", "last", "season", "none")  # --anchor: the network's base forecast
FLOORS = ("auto", "zero", "none")  # --floor: the least value a forecast may take


@dataclass
class NetworkOptions:
    """The network and the forecast given: its geometry, outputs and base (panel "Model")."""

    panel: ClassVar[str] = "Model"

    lookback: int | None = None  # None: max(4 x horizon, 7 seasons), capped by data and at 336
    horizon: int | None = None  # None: one natural cycle by frequency (24 hourly, 14 daily, ...)
    arch: str = "lstm"  # lstm | gru | bilstm | attention
    layers: int = 1  # stacked recurrent layers
    units: int = 64  # enough capacity for one-to-a-few series; more mostly adds time
    dropout: float = 0.0  # between layers only (recurrent_dropout would disable cuDNN)
    ensemble: int | None = None  # networks trained side by side, their median forecast; None:
    # 3 below nets.ENSEMBLE_STEPS training windows x lookback, else 1 (nets.ensemble_for): a short series
    # trains in seconds and one seed can go astray (airline: MASE 0.73-1.36 over 5 seeds)
    quantiles: list[float] | None = field(default_factory=lambda: [0.1, 0.5, 0.9])
    # ^ an 80% interval and the median, trained with the pinball loss; None: point forecast (MAE)
    model: str = "auto"  # the forecast given: "auto" (chosen on validation windows), or one member:
    # lstm | auto_ets | auto_theta | auto_ces | seasonal_naive | naive
    season: int | None = None  # seasonal period; None: from the frequency (hourly 24, monthly 12...)
    anchor: str = "auto"  # the network's base: "last" value, "season" (last season's value),
    # "auto" (whichever has the lower multi-step error on the training part), "none" (levels)
    floor: str = "auto"  # "auto": forecasts and intervals stop at 0 when the training history has
    # no negative value and is whole numbers or often 0 (counts, sales, rain: a negative forecast can
    # only be further from any actual; forecaster.floor_for); "zero": always; "none": never

    def __post_init__(self) -> None:
        for name, most in (("units", MAX_UNITS), ("layers", MAX_LAYERS)):
            value = getattr(self, name)
            if not _is_int(value):
                raise ConfigError(f"--{name} must be a whole number; got {value!r}.")
            value = int(value)
            setattr(self, name, value)
            if not 1 <= value <= most:
                raise ConfigError(f"--{name} must be between 1 and {most}; got {value}.")
        _whole(self, ("lookback", "horizon"))
        for flag, value, allowed in (("model", self.model, MODELS), ("anchor", self.anchor, ANCHORS),
                                     ("arch", self.arch, ARCHS), ("floor", self.floor, FLOORS)):
            if value not in allowed:
                raise ConfigError(f"Unknown --{flag} '{value}'. Choose from {', '.join(allowed)}.")
        if self.season is not None and not 1 <= self.season <= 10_000:
            raise ConfigError(f"--season must be between 1 and 10000 steps; got {self.season}.")
        if not (math.isfinite(self.dropout) and 0.0 <= self.dropout < 1.0):
            raise ConfigError(f"--dropout must be at least 0 and below 1; got {self.dropout}.")
        _whole(self, ("ensemble",))
        if self.ensemble is not None and self.ensemble > MAX_ENSEMBLE:
            raise ConfigError(f"--ensemble must be between 1 and {MAX_ENSEMBLE}; got {self.ensemble}.")
        if self.quantiles:
            levels = sorted(set(_numbers("--quantiles", self.quantiles)) | {0.5})
            if not all(0.0 < q < 1.0 for q in levels):
                raise ConfigError(f"Quantiles must lie strictly between 0 and 1; got {self.quantiles}.")
            if not all(0.001 <= q <= 0.999 for q in levels):  # an interval of 100.0% is no interval
                raise ConfigError(f"Quantiles must lie between 0.001 and 0.999 (an interval of 99.8% at most); "
                                  f"got {self.quantiles}.")
            if len(levels) < 2:
                raise ConfigError("Give at least one quantile besides 0.5, e.g. --quantiles 0.1,0.5,0.9.")
            self.quantiles = levels
        else:
            self.quantiles = None


@dataclass
class FitOptions:
    """How the network is fitted and the rows it may see (panel "Training")."""

    panel: ClassVar[str] = "Training"

    epochs: int = 100  # an upper bound: early stopping and the time budget end training sooner
    patience: int = 5  # epochs without validation improvement before stopping (an epoch is at
    # most 16k windows, so big data is checked often); LR halves after patience // 3 of them
    batch_size: int | None = None  # None: scaled with the windows, 32..512 (training.batch_for):
    # small data keeps small batches (more updates per pass), big data big ones (less overhead)
    learning_rate: float = 3e-3  # the output starts at the base forecast (zero weights), so a
    # higher start than Adam's 1e-3 is stable: README sample val loss 0.031 after 10 epochs
    # (1e-3: 0.044); the plateau schedule halves it when validation stalls
    time_budget: float = 180.0  # seconds of training at most; best weights are kept
    seed: int = 42  # any fixed value: runs repeat; this one is the project's habit
    deterministic: bool = False  # True: TF op determinism (turns XLA off: ~1.9x slower on CPUs).
    # Off, runs are still seeded: the same seed on the same machine and backend repeated the
    # same forecast (bench/speed.py "repeat"), as XLA's CPU kernels and tf.data keep their order
    test_fraction: float = 0.1  # share of rows kept for the final test (at least one horizon)
    val_fraction: float = 0.1  # share of rows for early stopping (at least one horizon)

    def __post_init__(self) -> None:
        _whole(self, ("epochs", "batch_size", "patience"))
        if not _is_int(self.seed) or not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"--seed must be between 0 and {MAX_SEED}; got {self.seed}.")
        self.seed = int(self.seed)
        if not (math.isfinite(self.learning_rate) and 0 < self.learning_rate <= MAX_LEARNING_RATE):
            raise ConfigError(
                f"--learning-rate must be above 0 and at most {MAX_LEARNING_RATE:g} (0 trains nothing); "
                f"got {self.learning_rate}. The default is 0.003."
            )
        if not (math.isfinite(self.time_budget) and self.time_budget > 0):
            raise ConfigError(f"--time-budget must be a positive number of seconds; got {self.time_budget}.")
        for name, top in (("test_fraction", 0.5), ("val_fraction", 0.5)):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value < top):
                raise ConfigError(f"{name} must be at least 0 and below {top}; got {value}.")


@dataclass
class HardwareOptions:
    """Where the network is fitted (panel "Hardware"); none of it changes the forecast's meaning."""

    panel: ClassVar[str] = "Hardware"

    device: str = "auto"  # auto: a GPU when TensorFlow sees one | cpu: hide GPUs | gpu: require one
    mixed_precision: bool = False  # float16 compute on GPUs (tensor cores); float32 on CPUs
    distribute: str = "none"  # none | mirrored (this machine's GPUs) | multi-worker (TF_CONFIG)
    backend: str | None = None  # Keras backend: tensorflow | jax | torch; None: KERAS_BACKEND, else
    # tensorflow (the default install). JAX and PyTorch reach Apple, AMD and TPU accelerators

    def __post_init__(self) -> None:
        for flag, value, allowed in (
            ("device", self.device, DEVICES), ("distribute", self.distribute, STRATEGIES),
            ("backend", self.backend or "tensorflow", BACKENDS),
        ):
            if value not in allowed:
                raise ConfigError(f"Unknown --{flag} '{value}'. Choose from {', '.join(allowed)}.")


PARTS: dict[str, type] = {"data": DataOptions, "network": NetworkOptions, "fitting": FitOptions,
                          "hardware": HardwareOptions}  # TrainConfig's parts, by attribute


@dataclass(init=False)
class TrainConfig:
    """Everything `forecast train` can be told: the columns, then one part per concern.

    ``None`` means "choose from the data". The defaults are meant to give a good forecast
    for a user who passes only the CSV and ``--target``; the comments say why each is what
    it is. Built from parts (``TrainConfig("y", network=NetworkOptions(units=8))``) or from
    flat settings (``TrainConfig("y", units=8)``, as bundle.json stores them); a part's
    setting reads flat too (``config.units``).
    """

    panel: ClassVar[str] = "Data"

    target: str  # one column, or several comma-separated (wide file: several series, one model)
    features: list[str] = field(default_factory=list)  # past covariates, besides the target
    calendar: bool = True  # hour/day/month cycles as known-future inputs (chosen by frequency)
    future: list[str] = field(default_factory=list)  # known-future columns (planned events, weather
    # forecasts): read over the lookback and the horizon; predict needs their values for the horizon
    holidays: str | None = None  # public holidays of a region (US, US-CA) as known-future inputs;
    # None: none (which country's holidays matter is the user's to say, not guessable from a file)
    relative: bool = True  # the network reads the target relative to the window's last value:
    # forecast backtest, W=10, MASE absolute -> relative: aapl 2.99 -> 2.41, ETTh1 0.498 -> 0.490,
    # daily temperatures 0.680 -> 0.690 (a trend leaves the training range; a level does not)
    window_scale: bool = False  # relative inputs and targets also divided by each window's spread
    data: DataOptions = field(default_factory=DataOptions)  # how to read the file
    network: NetworkOptions = field(default_factory=NetworkOptions)
    fitting: FitOptions = field(default_factory=FitOptions)
    hardware: HardwareOptions = field(default_factory=HardwareOptions)

    def __init__(self, target: str, **settings: Any) -> None:
        """Args: target; any field of this class or of its parts, by name (flat)."""
        object.__setattr__(self, "target", target)
        for f in fields(self):
            if f.name == "target":
                continue
            if f.name in PARTS:  # the part given (or its default), with its flat settings applied
                part = settings.pop(f.name, None)
                mine = {k: settings.pop(k) for k in [n.name for n in fields(PARTS[f.name])]
                        if k in settings}
                value = _part(f.name, part, mine)
            elif f.name in settings:
                value = settings.pop(f.name)
            else:
                value = f.default_factory() if f.default is MISSING else f.default  # type: ignore[misc]
            object.__setattr__(self, f.name, value)
        if settings:
            raise TypeError(f"TrainConfig got unknown settings: {', '.join(sorted(settings))}")
        self._check_columns()

    def __getattr__(self, name: str) -> Any:
        part = _OWNER.get(name)
        if part is None or part not in vars(self):
            raise AttributeError(f"TrainConfig has no setting '{name}'")
        return getattr(vars(self)[part], name)

    def __setattr__(self, name: str, value: Any) -> None:
        part = _OWNER.get(name)
        object.__setattr__(vars(self)[part] if part else self, name, value)

    def _check_columns(self) -> None:
        """Refuse target and feature lists no file could satisfy."""
        if not isinstance(self.target, str):  # the library: TrainConfig(target=5) said "no setting 'targets'"
            raise ConfigError(f"target must be a column name (text), not {self.target!r}.")
        for name in ("features", "future"):  # a name alone, as the CLI takes it: "temp" was read as t, e, m, p
            value = vars(self)[name]
            if isinstance(value, str):
                object.__setattr__(self, name, [v.strip() for v in value.split(",") if v.strip()])
        targets = self.targets
        if not targets:
            raise ConfigError("Give --target, the column to forecast.")
        if len(targets) > 1 and self.data.id:
            raise ConfigError("Give one --target with --id; several targets are for wide files.")
        if self.data.id and self.data.id in (*targets, *self.features, *self.future, *(self.data.time or "").split(",")):
            raise ConfigError(f"--id names '{self.data.id}', which is also the target, a covariate or the time "
                              "column. --id is the column naming each series (a store, a sensor).")
        for name in self.features:
            if name in targets:
                raise ConfigError(
                    f"--features names the target '{name}'; the target is always an input. "
                    "Remove it from --features."
                )
        for name in self.future:
            if name in targets or name in self.features:
                role = "the target" if name in targets else "a past covariate (--features)"
                raise ConfigError(
                    f"--future names '{name}', which is also {role}. A column is one of target, "
                    "--features (known up to now) or --future (known for the forecast steps too)."
                )
        for label, names in (("--target", targets), ("--features", self.features),
                             ("--future", self.future)):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ConfigError(
                    f"{label} names {', '.join(repeated)} more than once. Name each column once."
                )

    @property
    def targets(self) -> list[str]:
        return [t.strip() for t in self.target.split(",") if t.strip()]

    @property
    def columns(self) -> list[str]:
        """The numeric columns read from the file: targets, past covariates, known-future columns."""
        return [*self.targets, *self.features, *self.future]

    def check_rows(self, rows: int) -> None:
        """Refuse, by arithmetic, a lookback and horizon that the longest series cannot hold.

        Training needs one window (lookback + horizon) before validation (at least one
        horizon) and test (at least one horizon, unless ``test_fraction`` is 0).

        Raises:
            ConfigError: naming the rows there are, the rows needed and the flags to change.
        """
        horizon, lookback = self.horizon or 1, self.lookback or 1
        if train_rows(rows, horizon, self.test_fraction, self.val_fraction) >= lookback + horizon:
            return
        need = rows_needed(lookback, horizon, self.test_fraction, self.val_fraction, start=rows + 1)
        given = [f"--{n} {v}" for n, v in (("lookback", self.lookback), ("horizon", self.horizon)) if v]
        raise ConfigError(
            f"The longest series has {rows} rows, too few for {' and '.join(given) or 'the geometry'} "
            f"plus validation and test ({need} rows needed). Use a smaller --lookback or --horizon, "
            "or give a longer series."
        )

    def data_options(self) -> DataOptions:
        return self.data

    def to_dict(self) -> dict[str, Any]:
        """Flat, as bundle.json stores it (one key per setting, as before the parts)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in PARTS}
        out["features"] = list(self.features)
        out["future"] = list(self.future)
        for name in PARTS:
            out.update(asdict(getattr(self, name)))
        return out


_OWNER = {f.name: name for name, cls in PARTS.items() for f in fields(cls)}  # setting -> its part


def _part(name: str, part: Any, settings: dict[str, Any]) -> Any:
    """One of TrainConfig's parts: the one given (an instance, or a dict of its settings, as
    JSON holds them) with the flat settings applied; the default where none is given."""
    cls = PARTS[name]
    if part is None or isinstance(part, dict):
        given = {**(part or {}), **settings}
        unknown = sorted(set(given) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigError(f"{name} has no setting {', '.join(map(repr, unknown))}; "
                              f"its settings are {', '.join(f.name for f in fields(cls))}.")
        return cls(**given)
    if not isinstance(part, cls):
        raise ConfigError(f"{name} must be a {cls.__name__} (or a dict of its settings), "
                          f"not {type(part).__name__}.")
    return replace(part, **settings)


def _is_int(value: Any) -> bool:
    """A whole number (NumPy's too: a count computed with pandas), not True/False (bool is an int
    to Python: horizon=True was read as 1)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _numbers(flag: str, values: Any) -> list[float]:
    """Numbers given as a list, one number, or text ("0.1,0.9", as the CLI takes them)."""
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    elif not isinstance(values, (list, tuple)):
        values = [values]
    try:
        if any(isinstance(v, bool) for v in values):
            raise TypeError("True/False is not a level")
        return [float(v) for v in values]
    except (TypeError, ValueError):
        raise ConfigError(f"{flag} must be numbers between 0 and 1, e.g. 0.1,0.5,0.9; "
                          f"got {values!r}.") from None


def _whole(options: Any, names: tuple[str, ...]) -> None:
    """Refuse a count that is not a whole number of at least 1 (None: chosen from the data)."""
    for name in names:
        value = getattr(options, name)
        if value is not None and (not _is_int(value) or value < 1):
            flag = name.replace("_", "-")
            raise ConfigError(f"--{flag} must be a whole number of at least 1; got {value}.")
        if value is not None:
            setattr(options, name, int(value))  # np.int64 as a Python int: bundle.json writes it
