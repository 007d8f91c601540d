"""How to read a file (`DataOptions`) and the choices of its flags, declared once: `data` applies
them, the CLI lists them.

Kept apart from `data` (which imports pandas) so that `forecast --help` can list them at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from .errors import ConfigError

DUPLICATES = ("mean", "first", "last", "error")  # --duplicates: repeated timestamps
FILLS = ("interpolate", "ffill", "zero", "none")  # --fill: missing values after reindexing
AGGS = ("mean", "sum", "last", "first", "min", "max")  # --agg: how --resample aggregates


@dataclass
class DataOptions:
    """How to read a file: the data flags of `forecast train` and `forecast doctor`.

    None means "detect"; the defaults handle most files without any flag.
    """

    panel: ClassVar[str] = "Data"  # the --help panel of these flags

    time: str | None = None  # auto-detected by name, then by content; "year,month,day" joins columns
    dayfirst: bool | None = None  # None: detect (e.g. 13-01-2002 can only be day first)
    time_format: str | None = None  # strftime format, or epoch / epoch_ms, or excel (serial days)
    id: str | None = None  # long file: the column naming each series (one global model)
    duplicates: str = "mean"  # repeated timestamps (DST, merged exports): averaged and counted
    freq: str | None = None  # None: inferred from the timestamps (a given one overrides it)
    resample: str | None = None  # None: keep the file's step; else aggregate to this one first
    agg: str = "mean"  # how --resample aggregates: the mean keeps the units of the values
    fill: str = "interpolate"  # short gaps are interpolated and counted; --max-gap bounds them
    max_gap: int | None = None  # None: fill any run of missing steps (each fill is a note)
    na_values: list[str] = field(default_factory=list)  # sentinels meaning missing (e.g. -9999)
    decimal: str = "."  # the usual mark; "," for European exports (1,5)
    thousands: str | None = None  # None: no separator expected (a stray one is refused with a hint)

    def __post_init__(self) -> None:
        from pandas.tseries.frequencies import to_offset  # pandas only once a file is read

        if isinstance(self.na_values, str):  # the library: "-9999" was read as -, 9, 9, 9, 9 (every 9 missing)
            self.na_values = [v.strip() for v in self.na_values.split(",") if v.strip()]

        for name, value, allowed in (
            ("--duplicates", self.duplicates, DUPLICATES),
            ("--fill", self.fill, FILLS),
            ("--agg", self.agg, AGGS),
        ):
            if value not in allowed:
                raise ConfigError(f"Unknown {name} '{value}'. Choose from {', '.join(allowed)}.")
        for name, rule in (("--freq", self.freq), ("--resample", self.resample)):
            if rule is not None:
                try:
                    offset = to_offset(rule)
                except ValueError:
                    raise ConfigError(
                        f"{name} '{rule}' is not a pandas frequency. Use e.g. h, 30min, D, B, W, MS."
                    ) from None
                _check_step(name, rule, offset)
                if "." in rule:  # 0.5D: read, recorded and printed as the whole step pandas makes of it (12h)
                    setattr(self, name[2:], offset.freqstr)
        if self.freq is not None and self.resample is not None:
            raise ConfigError("--freq and --resample both set the step: --freq names the rows' own step, "
                              "--resample aggregates them to a longer one. Give one of them.")
        if self.max_gap is not None and self.max_gap < 0:
            raise ConfigError("--max-gap must be 0 or more steps.")
        if self.decimal == self.thousands:
            raise ConfigError("--decimal and --thousands must differ.")
        self.na_values = [str(v) for v in self.na_values]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_step(name: str, rule: str, offset: Any) -> None:
    """A step from a second to a hundred years: 0D divided by zero, 1ns asked for 10^16 rows."""
    import pandas as pd

    if offset.n < 1:
        raise ConfigError(f"{name} '{rule}' is not a positive step. Use e.g. h, 30min, D, B, W, MS.")
    try:
        start = pd.Timestamp("2001-01-01")
        width = (start + offset) - start
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        width = pd.Timedelta.max
    if width < pd.Timedelta(seconds=1):
        raise ConfigError(f"{name} '{rule}' is a step under a second; give the rows' own step or a longer one "
                          "(e.g. h, D, W, MS).")
    if width > pd.Timedelta(days=36525):
        raise ConfigError(f"{name} '{rule}' is a step over a hundred years; give the rows' own step or a shorter "
                          "one (e.g. MS, QS, YS).")
