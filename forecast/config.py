"""Training settings: one dataclass, one vocabulary (CLI flags map 1:1 onto its fields)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ConfigError

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
STATISTICAL = ("auto_ets", "auto_theta")  # statsforecast members (forecast.members)
SIMPLE = ("seasonal_naive", "naive")  # parameter-free members
MEMBERS = (*STATISTICAL, *SIMPLE)
MODELS = ("auto", "lstm", *MEMBERS)  # --model: chosen on validation windows, or one alone
ANCHORS = ("auto", "last", "season", "none")  # --anchor: the network's base forecast


@dataclass
class TrainConfig:
    """Everything `forecast train` can be told. ``None`` means "choose from the data".

    The defaults are meant to give a good forecast for a user who passes only the
    CSV and ``--target``; the comments say why each default is what it is.
    """

    target: str  # one column, or several comma-separated (wide file: several series, one model)
    features: list[str] = field(default_factory=list)  # past covariates, besides the target
    calendar: bool = True  # hour/day/month cycles as known-future inputs (chosen by frequency)
    future: list[str] = field(default_factory=list)  # known-future columns (planned events, weather
    # forecasts): read over the lookback and the horizon; predict needs their values for the horizon
    holidays: str | None = None  # public holidays of a region (US, US-CA) as known-future inputs
    relative: bool = True  # the network reads the target relative to the window's last value:
    # forecast backtest, W=10, MASE absolute -> relative: aapl 2.99 -> 2.41, ETTh1 0.498 -> 0.490,
    # daily temperatures 0.680 -> 0.690 (a trend leaves the training range; a level does not)
    # how to read the file (the fields of data.DataOptions; None: detect)
    time: str | None = None  # auto-detected by name, then by content; "year,month,day" joins columns
    dayfirst: bool | None = None  # None: detect (e.g. 13-01-2002 can only be day first)
    time_format: str | None = None  # strftime format, or epoch / epoch_ms
    id: str | None = None  # long file: the column naming each series (one global model)
    duplicates: str = "mean"  # repeated timestamps (DST, merged exports): averaged and counted
    freq: str | None = None
    resample: str | None = None
    agg: str = "mean"
    fill: str = "interpolate"  # short gaps are interpolated and counted; --max-gap bounds them
    max_gap: int | None = None
    na_values: list[str] = field(default_factory=list)
    decimal: str = "."
    thousands: str | None = None
    lookback: int | None = None  # None: max(4 x horizon, 7 seasons), capped by data and at 336
    horizon: int | None = None  # None: one natural cycle by frequency (24 hourly, 14 daily, ...)
    epochs: int = 100  # an upper bound: early stopping and the time budget end training sooner
    patience: int = 5  # epochs without validation improvement before stopping (an epoch is at
    # most 16k windows, so big data is checked often); LR halves after patience // 3 of them
    batch_size: int | None = None  # None: scaled with the windows, 32..512 (training.batch_for):
    # small data keeps small batches (more updates per pass), big data big ones (less overhead)
    units: int = 64  # enough capacity for one-to-a-few series; more mostly adds time
    layers: int = 1  # stacked recurrent layers
    arch: str = "lstm"  # lstm | gru | bilstm | attention
    dropout: float = 0.0  # between layers only (recurrent_dropout would disable cuDNN)
    ensemble: int | None = None  # networks trained side by side, their median forecast; None:
    # 3 below ENSEMBLE_WINDOWS training windows, else 1 (nets.ensemble_for): a short series
    # trains in seconds and one seed can go astray (airline: MASE 0.73-1.36 over 5 seeds)
    learning_rate: float = 3e-3  # the output starts at the base forecast (zero weights), so a
    # higher start than Adam's 1e-3 is stable: README sample val loss 0.031 after 10 epochs
    # (1e-3: 0.044); the plateau schedule halves it when validation stalls
    time_budget: float = 180.0  # seconds of training at most; best weights are kept
    quantiles: list[float] | None = field(default_factory=lambda: [0.1, 0.5, 0.9])
    # ^ an 80% interval and the median, trained with the pinball loss; None: point forecast (MAE)
    anchor: str = "auto"  # the network's base: "last" value, "season" (last season's value),
    # "auto" (whichever has the lower multi-step error on the training part), "none" (levels)
    season: int | None = None  # seasonal period; None: from the frequency (hourly 24, monthly 12...)
    model: str = "auto"  # the forecast given: "auto" (chosen on validation windows), or one member:
    # lstm | auto_ets | auto_theta | seasonal_naive | naive
    test_fraction: float = 0.1  # share of rows kept for the final test (at least one horizon)
    val_fraction: float = 0.1  # share of rows for early stopping (at least one horizon)
    seed: int = 42
    deterministic: bool = False  # True: TF op determinism (turns XLA off: ~1.9x slower on CPUs).
    # Off, runs are still seeded: the same seed on the same machine and backend repeated the
    # same forecast (bench/speed.py "repeat"), as XLA's CPU kernels and tf.data keep their order
    device: str = "auto"  # auto: a GPU when TensorFlow sees one | cpu: hide GPUs | gpu: require one
    mixed_precision: bool = False  # float16 compute on GPUs (tensor cores); float32 on CPUs
    distribute: str = "none"  # none | mirrored (this machine's GPUs) | multi-worker (TF_CONFIG)
    backend: str | None = None  # Keras backend: tensorflow | jax | torch; None: KERAS_BACKEND, else
    # tensorflow (the default install). JAX and PyTorch reach Apple, AMD and TPU accelerators

    def __post_init__(self) -> None:
        from .data import DataOptions

        DataOptions.pick(self)  # checks the data flags
        if not self.targets:
            raise ConfigError("Give --target, the column to forecast.")
        if len(self.targets) > 1 and self.id:
            raise ConfigError("Give one --target with --id; several targets are for wide files.")

        self._check_ranges()

        if self.model not in MODELS:
            raise ConfigError(f"Unknown --model '{self.model}'. Choose from {', '.join(MODELS)}.")
        if self.anchor not in ANCHORS:
            raise ConfigError(f"Unknown --anchor '{self.anchor}'. Choose from {', '.join(ANCHORS)}.")
        if self.season is not None and not 1 <= self.season <= 10_000:
            raise ConfigError(f"--season must be between 1 and 10000 steps; got {self.season}.")
        if self.arch not in ARCHS:
            raise ConfigError(f"Unknown --arch '{self.arch}'. Choose from {', '.join(ARCHS)}.")
        for flag, value, allowed in (
            ("device", self.device, DEVICES), ("distribute", self.distribute, STRATEGIES),
            ("backend", self.backend or "tensorflow", BACKENDS),
        ):
            if value not in allowed:
                raise ConfigError(f"Unknown --{flag} '{value}'. Choose from {', '.join(allowed)}.")
        if self.quantiles:
            levels = sorted(set(float(q) for q in self.quantiles) | {0.5})
            if not all(0.0 < q < 1.0 for q in levels):
                raise ConfigError(f"Quantiles must lie strictly between 0 and 1; got {self.quantiles}.")
            if len(levels) < 2:
                raise ConfigError("Give at least one quantile besides 0.5, e.g. --quantiles 0.1,0.5,0.9.")
            self.quantiles = levels
        else:
            self.quantiles = None

    def _check_ranges(self) -> None:
        """Refuse values no data could make sensible, before any work (names the limit)."""
        limits = (("units", MAX_UNITS), ("layers", MAX_LAYERS))
        if self.ensemble is not None:
            limits += (("ensemble", MAX_ENSEMBLE),)
        for name, most in limits:
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= most:
                raise ConfigError(f"--{name} must be between 1 and {most}; got {value}.")
        for name in ("epochs", "batch_size", "patience", "lookback", "horizon"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                flag = name.replace("_", "-")
                raise ConfigError(f"--{flag} must be a whole number of at least 1; got {value}.")
        if not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"--seed must be between 0 and {MAX_SEED}; got {self.seed}.")
        if not (math.isfinite(self.learning_rate) and 0 < self.learning_rate <= MAX_LEARNING_RATE):
            raise ConfigError(
                f"--learning-rate must be above 0 and at most {MAX_LEARNING_RATE:g} (0 trains nothing); "
                f"got {self.learning_rate}. The default is 0.003."
            )
        if not (math.isfinite(self.dropout) and 0.0 <= self.dropout < 1.0):
            raise ConfigError(f"--dropout must be at least 0 and below 1; got {self.dropout}.")
        if not (math.isfinite(self.time_budget) and self.time_budget > 0):
            raise ConfigError(f"--time-budget must be a positive number of seconds; got {self.time_budget}.")
        for name, top in (("test_fraction", 0.5), ("val_fraction", 0.5)):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value < top):
                raise ConfigError(f"{name} must be at least 0 and below {top}; got {value}.")
        targets = self.targets
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
        for label, names in (("--target", targets), ("--features", self.features), ("--future", self.future)):
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
        if _train_rows(rows, horizon, self.test_fraction, self.val_fraction) >= lookback + horizon:
            return
        need = rows_needed(lookback, horizon, self.test_fraction, self.val_fraction, start=rows + 1)
        given = [f"--{n} {v}" for n, v in (("lookback", self.lookback), ("horizon", self.horizon)) if v]
        raise ConfigError(
            f"The longest series has {rows} rows, too few for {' and '.join(given) or 'the geometry'} "
            f"plus validation and test ({need} rows needed). Use a smaller --lookback or --horizon, "
            "or give a longer series."
        )

    def data_options(self) -> Any:
        from .data import DataOptions

        return DataOptions.pick(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _train_rows(rows: int, horizon: int, test_fraction: float, val_fraction: float) -> int:
    """Rows left for training once test (whole horizons) and validation are cut off the end."""
    test = 0 if test_fraction == 0 else horizon * max(1, round(test_fraction * rows / horizon))
    # two horizons of validation where the series allows: its windows also choose the forecast
    val = max(2 * horizon if rows >= 8 * horizon else horizon, round(val_fraction * rows))
    return rows - test - val


def rows_needed(
    lookback: int, horizon: int, test_fraction: float, val_fraction: float, start: int = 1
) -> int:
    """The fewest rows (from ``start`` on) whose split leaves one training window, by arithmetic.

    The split's rounding makes the training rows only roughly increasing, so the answer is
    bracketed by two bounds that differ by about a horizon: an exact scan between them when
    that is short, else the upper bound (rows that surely suffice).
    """
    want = lookback + horizon  # training rows for one window
    keep = 1.0 - test_fraction - val_fraction
    tests = 1 if test_fraction else 0
    low = max(start, want + (1 + tests) * horizon, math.floor((want - horizon / 2 - 1) / keep))
    high = max(low, math.ceil((want + 3 * horizon + 1) / keep))
    if high - low > 100_000:
        return high
    return next(
        (n for n in range(low, high + 1)
         if _train_rows(n, horizon, test_fraction, val_fraction) >= want),
        high,
    )
