"""`forecast doctor`: what a file holds and what training it needs, without training.

Every finding comes with the flag that fixes or changes it. A *problem* means the
file cannot be trained as is (or would train on nonsense, such as -9999 sentinels
or several series averaged together); *notes* are handled automatically and say
how. `forecast train` runs the same :func:`diagnose` and stops at its first problem,
so both commands give every file the same verdict. No TensorFlow here: the
diagnosis takes about a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .anchor import check_anchor, season_note
from .data import WIDE_TARGET, DataOptions, RawTable, Series, build_series, read_raw, written
from .errors import ConfigError, DataError
from .frequency import default_horizon, is_trading_days, season_length
from .numbers import read_numbers
from .timefmt import listed, when

if TYPE_CHECKING:
    from .config import TrainConfig
    from .layout import Layout

_SENTINEL = re.compile(r"^-?9{2,}(\.0+)?$|^-?9{2,}\.9+$")


@dataclass
class Finding:
    """One thing found: ``level`` is "info", "note" (handled automatically) or "problem"."""

    level: str
    text: str
    fix: str | None = None  # the flag(s) that fix it, or change how it is handled


@dataclass
class Diagnosis:
    """What :func:`diagnose` found: facts (label -> value), findings, and the flags to add."""

    facts: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    series: Series | None = None  # the loaded series, when the columns could be read

    @property
    def trainable(self) -> bool:
        return not any(f.level == "problem" for f in self.findings)

    def raise_problem(self) -> Series:
        """The series, or the first problem as a one-line :class:`DataError` naming its fix."""
        problem = next((f for f in self.findings if f.level == "problem"), None)
        if problem is not None:
            text = problem.text.rstrip()
            if problem.fix:
                text = f"{text.rstrip('.')}. Fix: {problem.fix}."
            raise DataError(text)
        if self.series is None:  # unreachable: every early return of diagnose() adds a problem
            raise DataError("The data could not be read. Run forecast doctor on it.")
        return self.series

    def add(self, level: str, text: str, fix: str | None = None, flag: str | None = None) -> None:
        self.findings.append(Finding(level, text, fix))
        if flag and flag not in self.flags:
            self.flags.append(flag)


def diagnose(
    path: Path,
    options: DataOptions,
    targets: list[str],
    features: list[str],
    lookback: int | None = None,
    horizon: int | None = None,
    config: TrainConfig | None = None,
) -> Diagnosis:
    """Read ``path`` with ``options`` and report everything training would meet.

    Args:
        config: the training settings (`forecast train` passes its own); else built
            from ``targets``, ``features``, ``lookback`` and ``horizon``.
    """
    diag = Diagnosis()
    try:
        raw = read_raw(Path(path), options)
    except DataError as exc:
        diag.add("problem", str(exc))
        return diag
    df = raw.df
    time_label = ",".join(raw.time_columns)
    how = "day first" if raw.dayfirst else "as written"
    diag.facts["time column"] = f"{time_label} (dates read {how})"
    for note in raw.notes:
        diag.add("info", note)
    numeric = [c for c in df.columns if c not in raw.time_columns and pd.api.types.is_numeric_dtype(df[c])]
    known = list(config.future) if config is not None else []  # --future columns are read too
    _check_columns(diag, raw, numeric, options, [*targets, *features, *known])
    _check_layout(diag, raw, options)
    if not targets:
        candidates = [c for c in numeric if not _index_like(c, df[c])]
        diag.add("problem", f"No --target given. Numeric columns: {listed(candidates, 20) or 'none'}.",
                 "--target COLUMN")
        return diag
    try:
        series = build_series(raw, [*targets, *features, *known], options, len(targets))
    except (DataError, ConfigError) as exc:
        diag.add("problem", str(exc))
        return diag
    diag.series = series
    _describe(diag, series)
    horizon_ = (config.horizon if config is not None else horizon) or default_horizon(series.freq)
    _check_leaks(diag, series, known, horizon_)
    _check_fit(diag, series, config or _config(targets, features, lookback, horizon))
    return diag


def _check_leaks(diag: Diagnosis, series: Series, future: list[str], horizon: int) -> None:
    """A --future column that is the target itself, some steps later, hands the model the answer:
    its backtest is perfect and its forecasts need values nobody has. Refused, naming the shift."""
    for col in future:
        for shift in range(1, max(horizon, 1) + 1):
            pairs = [(f[col].to_numpy()[:-shift], f[series.target].to_numpy()[shift:])
                     for f in series.frames.values() if len(f) > shift]
            given = np.concatenate([p[0] for p in pairs]) if pairs else np.zeros(0)
            later = np.concatenate([p[1] for p in pairs]) if pairs else np.zeros(0)
            if len(given) > 10 and np.allclose(given, later, rtol=1e-6, atol=1e-9):
                diag.add("problem", f"--future column '{col}' is the target {shift} step(s) later: it gives "
                         "the model the values it should forecast", f"drop '{col}' from --future")
                break


def _config(targets: list[str], features: list[str], lookback: int | None, horizon: int | None) -> TrainConfig:
    from .config import TrainConfig

    return TrainConfig(target=",".join(targets), features=features, lookback=lookback, horizon=horizon)


def _index_like(name: str, col: pd.Series) -> bool:
    """A saved row counter (``Unnamed: 0``, 0, 1, 2, ...), not data."""
    if name.startswith("Unnamed") or name == "":
        return True
    if not pd.api.types.is_integer_dtype(col) or len(col) < 3:
        return False
    values = col.to_numpy()
    return bool(values[0] in (0, 1) and np.array_equal(values, np.arange(values[0], values[0] + len(values))))


def _check_columns(
    diag: Diagnosis, raw: RawTable, numeric: list[str], options: DataOptions, used: list[str]
) -> None:
    """Each column: problems only for the columns training reads (``used``; all when none given)."""
    df = raw.df
    for col in df.columns:
        if col in raw.time_columns or col == options.id:
            continue
        values = df[col]
        if col in numeric:
            if _index_like(col, values) and col not in used:
                diag.add("info", f"column '{col}' looks like a saved row index: not used")
                continue
            _check_numeric(diag, col, values, options, not used or col in used)
        elif col not in used:
            try:
                styled = read_numbers(values.head(1000), col)  # a look, not the reading
            except DataError:
                styled = None
            if styled is not None:
                diag.add("info", f"column '{col}' holds numbers with a {styled[1].label}: read as such "
                         "when chosen", styled[1].flags)
            else:
                diag.add("info", f"column '{col}' is not numeric: ignored unless it names series (--id)")


def _check_numeric(diag: Diagnosis, col: str, values: pd.Series, options: DataOptions, used: bool) -> None:
    finite = values.to_numpy(dtype="float64")  # empty values: counted once filled, in the loading's notes
    present = finite[np.isfinite(finite)]
    if present.size and np.ptp(present) == 0:
        diag.add("note", f"column '{col}' is constant ({present[0]:g}): nothing to learn from it",
                 "leave it out of --target/--features")
        return
    for value in _sentinels(present, options.na_values):
        count = int((present == value).sum())
        diag.add("problem" if used else "info",
                 f"column '{col}' has {count} values of {value:g}, far outside the rest: a sentinel for "
                 "missing?", f"--na-values {value:g}", f"--na-values {value:g}" if used else None)


def _sentinels(values: np.ndarray, known: list[str]) -> list[float]:
    """Values such as -9999 or 99999 that sit far outside the other values of a column."""
    found = []
    done = {v for v in known}
    for value in np.unique(values):
        text = f"{value:g}" if abs(value) < 1e15 else ""
        if not _SENTINEL.match(text) or text in done:
            continue
        rest = values[values != value]
        if rest.size < 3:
            continue
        low, high = np.percentile(rest, [1, 99])
        spread = max(high - low, 1e-9)
        if value < low - 3 * spread or value > high + 3 * spread:
            found.append(float(value))
    return found


def _check_layout(diag: Diagnosis, raw: RawTable, options: DataOptions) -> None:
    """Several series in one long file without --id: repeated timestamps that an id explains."""
    index = raw.index
    dup = int(index.duplicated().sum())
    if options.id is not None or dup < max(10, 0.1 * len(index)):
        return
    for col in raw.df.columns:
        values = raw.df[col]
        if col in raw.time_columns or pd.api.types.is_float_dtype(values):
            continue
        unique = values.nunique()
        if 2 <= unique <= max(2, len(values) // 10):
            keyed = pd.MultiIndex.from_arrays([index, values.astype(str)])
            if keyed.duplicated().sum() < 0.1 * dup:
                diag.add("problem", f"{dup} repeated timestamps: the file holds {unique} series in long "
                         f"format, named by column '{col}'", f"--id {col}", f"--id {col}")
                return


def _describe(diag: Diagnosis, series: Series) -> None:
    frames = series.frames
    rows = sum(len(f) for f in frames.values())
    start = min(f.index[0] for f in frames.values())
    end = max(f.index[-1] for f in frames.values())
    kind = " (trading days: holidays are not filled)" if is_trading_days(series.freq) else ""
    diag.facts["frequency"] = f"{series.freq}{kind}"
    diag.facts["span"] = f"{written(start, series)} .. {written(end, series)}"
    diag.facts["rows"] = f"{rows} after loading"
    if series.is_panel:
        lengths = {k: len(f) for k, f in frames.items()}
        shortest = min(lengths, key=lengths.get)
        longest = max(lengths, key=lengths.get)
        diag.facts["series"] = (f"{len(frames)} by '{series.id}': " + (
            f"{lengths[shortest]} rows each" if lengths[shortest] == lengths[longest]
            else f"{lengths[shortest]} rows ({shortest}) to {lengths[longest]} ({longest})"))
    for note in series.notes:
        if note in [f.text for f in diag.findings]:
            continue
        diag.add("note", note, _fix_for(note))


def _fix_for(note: str) -> str | None:
    if "daylight" in note:
        return None
    if "duplicate timestamps" in note:
        return "--duplicates mean|first|last|error"
    if "missing time steps" in note or "gaps" in note:
        return "--max-gap STEPS refuses longer gaps; --fill chooses how"
    if "filled by" in note:
        return "--fill interpolate|ffill|zero|none"
    if "sentinel" in note:
        return "--na-values"
    return None


def _check_fit(diag: Diagnosis, series: Series, config: TrainConfig) -> None:
    """Whether lookback + horizon + validation + test fit each series (as `forecast train` splits),
    whether the target varies, and whether the values can be scaled (as training scales them)."""
    from .layout import Layout

    try:
        layout = Layout.plan(series, config)
    except DataError as exc:  # a lookback of 1 cannot shrink (the automatic one is 1 by then)
        diag.add("problem", str(exc), "--lookback / --horizon" if (config.lookback or 1) > 1 else "--horizon")
        return
    split = layout.splits[0]
    diag.facts["windows"] = (
        f"lookback {layout.lookback} + horizon {layout.horizon}; split train {split.train_end}, "
        f"validation {split.val_end - split.train_end}, test {split.rows - split.val_end} rows"
        + (" (first series)" if layout.panel else "")
    )
    for note in layout.skipped + layout.notes:
        diag.add("note", note, "--lookback / --horizon")
    season = config.season or season_length(series.freq)
    try:  # as training decides its base (forecast.anchor.choose_anchor)
        check_anchor(config.anchor, layout, season)
    except ConfigError as exc:
        diag.add("problem", str(exc))
    note = season_note(config.anchor, split.train_end, layout.lookback, season)  # as training says it
    if note:
        diag.add("note", note, "--season / --lookback")
    target = series.frames[layout.names[0]][series.target]
    if not series.is_panel and np.ptp(target.to_numpy()) == 0:
        diag.add("problem", f"target '{config.targets[0]}' is constant ({target.iloc[0]:g}): nothing to "
                 "forecast", "another --target")
    elif not series.is_panel and np.ptp(target.to_numpy()[: split.train_end]) == 0:
        diag.add("note", f"target '{config.targets[0]}' is constant ({target.iloc[0]:g}) through the training part "
                 f"(until {when(target.index[split.train_end - 1])}): the network learns no change, and MASE, with no "
                 "change to scale by, is the MAE", "more history, or a later start")
    problem = unscaled_problem(layout)
    if problem:
        diag.add("problem", *problem)


def unscaled_problem(layout: Layout) -> tuple[str, str] | None:
    """The first columns standard scaling cannot take, as ``(what, fix)``, or None."""
    unscaled = (  # columns standard scaling cannot take: what they hold, and the fix
        (unscalable, "hold values too extreme to scale (beyond about 1e38, or spread wider than float64 allows)",
         "rescale them in the file"),
        (too_faint, "vary too little to scale (a spread under about 2e-15, which standard scaling reads as "
         "constant)", "multiply them in the file (smaller units)"),
    )
    for name, frame, part in zip(layout.names, layout.frames, layout.splits):
        for find, what, fix in unscaled:
            bad = [name if column == WIDE_TARGET else column for column in find(frame, part.train_end)]
            if bad:  # a wide file's series hold their target as WIDE_TARGET: named by their own column
                return f"column(s) {listed(bad)} {what}", f"{fix}, or another --target/--features"
    return None


FAINT = 10 * np.finfo("float64").eps  # scikit-learn's StandardScaler takes a spread under this as 0 (scale 1)


def too_faint(frame: pd.DataFrame, train_rows: int) -> list[str]:
    """The columns whose values vary in training, but by less than scaling can see (values near 1e-300
    were scaled by 1, trained as a constant 0, and forecast 0 with intervals 1e297 times too wide)."""
    values = frame.iloc[:train_rows].to_numpy(dtype="float64")  # (rows, columns)
    with np.errstate(all="ignore"):
        size = np.nanmax(np.abs(values), axis=0, initial=0.0)
        spread = np.nanstd(values / np.where(size > 0, size, 1.0), axis=0) * size  # no underflow: 1e-300 squared is 0
    return [str(c) for c, s in zip(frame.columns, spread) if 0 < s < FAINT]


def unscalable(frame: pd.DataFrame, train_rows: int) -> list[str]:
    """The columns that standard scaling on the first ``train_rows`` rows cannot bring into float32
    (as :class:`forecast.preprocessing.Preprocessor` scales them; no scikit-learn import here)."""
    values = frame.to_numpy(dtype="float64")  # (rows, columns)
    with np.errstate(all="ignore"):
        train = values[:train_rows]
        mean = train.mean(axis=0)
        scale = train.std(axis=0)
        scale = np.where(scale == 0, 1.0, scale)
        scaled = ((values - mean) / scale).astype("float32")
    ok = np.isfinite(scaled).all(axis=0) & np.isfinite(mean) & np.isfinite(scale)
    return [str(c) for c, good in zip(frame.columns, ok) if not good]
