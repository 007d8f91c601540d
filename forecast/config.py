"""Training settings: one dataclass, one vocabulary (CLI flags map 1:1 onto its fields)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ConfigError

DEVICES = ("auto", "cpu", "gpu")
STRATEGIES = ("none", "mirrored", "multi-worker")


@dataclass
class TrainConfig:
    """Everything `forecast train` can be told. ``None`` means "choose from the data".

    The defaults are meant to give a good forecast for a user who passes only the
    CSV and ``--target``; the comments say why each default is what it is.
    """

    target: str  # one column, or several comma-separated (wide file: several series, one model)
    features: list[str] = field(default_factory=list)  # past covariates, besides the target
    calendar: bool = True  # hour/day/month cycles as known-future inputs (chosen by frequency)
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

    def __post_init__(self) -> None:
        from .data import DataOptions
        from .nets import ARCHS

        DataOptions.pick(self)  # checks the data flags
        if not self.targets:
            raise ConfigError("Give --target, the column to forecast.")
        if len(self.targets) > 1 and self.id:
            raise ConfigError("Give one --target with --id; several targets are for wide files.")

        from .members import MEMBERS

        if self.model not in ("auto", "lstm", *MEMBERS):
            raise ConfigError(
                f"Unknown --model '{self.model}'. Choose from auto, lstm, {', '.join(MEMBERS)}."
            )
        if self.anchor not in ("auto", "last", "season", "none"):
            raise ConfigError(f"Unknown --anchor '{self.anchor}'. Choose from auto, last, season, none.")
        if self.season is not None and not 1 <= self.season <= 10_000:
            raise ConfigError(f"--season must be between 1 and 10000 steps; got {self.season}.")
        if self.arch not in ARCHS:
            raise ConfigError(f"Unknown --arch '{self.arch}'. Choose from {', '.join(ARCHS)}.")
        for flag, value, allowed in (
            ("device", self.device, DEVICES), ("distribute", self.distribute, STRATEGIES)
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

    @property
    def targets(self) -> list[str]:
        return [t.strip() for t in self.target.split(",") if t.strip()]

    @property
    def columns(self) -> list[str]:
        """The numeric columns read from the file: targets, then past covariates."""
        return [*self.targets, *self.features]

    def data_options(self) -> Any:
        from .data import DataOptions

        return DataOptions.pick(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
