"""Load the history a bundle forecasts from, read with the settings it was trained with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .data import Series, build_series, read_raw, time_style, times_as_written, written
from .errors import ConfigError, DataError
from .regular import as_read_by_bundle
from .timefmt import listed

if TYPE_CHECKING:
    from .data import RawTable
    from .data_flags import DataOptions
    from .forecaster import Forecaster


def load_histories(
    forecaster: Forecaster,
    data: Path | None,
    only: str | None = None,
    future_data: Path | None = None,
) -> Series:
    """Read ``data`` (default: the training CSV) as the bundle's series, columns and frequency.

    For a model with ``--future`` columns, the rows after each series' last target value are
    its known-future values (``Series.future``), or they come from ``future_data`` (which wins
    where both give a step).

    Args:
        only: keep this one series of a several-series model (``--series``).
        future_data: a file of the ``--future`` columns' values on the same time column.

    Raises:
        DataError: when the file is gone, lacks a column the model reads, has another
            frequency than the training data, or a series is too short for the lookback.
    """
    try:
        return _load_histories(forecaster, data, only, future_data)
    except DataError as exc:  # the fixes name training flags, which predict, detect and explain do not take
        raise DataError(as_read_by_bundle(str(exc), forecaster.config.data_options())) from None


def _load_histories(forecaster: Forecaster, data: Path | None, only: str | None, future_data: Path | None) -> Series:
    d = forecaster.data_
    config = forecaster.config
    path = Path(data) if data is not None else Path(d["source"])
    if data is None and not path.exists():
        raise DataError(f"The training file {path} is gone. Pass the recent history with --data.")
    options = config.data_options()
    options.dayfirst = d["dayfirst"]
    raw = read_raw(path, options, int(d.get("day") or 1))
    if config.id and config.id not in raw.df.columns:  # not "use --id": predict has no such flag
        raise DataError(f"{path.name} has no '{config.id}' column (columns: {listed(list(raw.df.columns), 20)}); the model "
                        f"forecasts the series it names. Give a file with a '{config.id}' column.")
    raw, trailing, series = _read_history(forecaster, raw, options)
    if d["dayfirst"] is None and raw.dayfirst is not None:  # an order this file chose and training did not fix
        raw, trailing, series = _either_order(forecaster, path, options, (raw, trailing, series))
    if series.freq != d["freq"]:
        raise DataError(
            f"{path.name} has frequency {series.freq}, but the model was trained on "
            f"{d['freq']} data. Resample the data to {d['freq']} first (--resample in training)."
        )
    if series.utc != bool(d.get("utc")):  # one side's times moved to UTC, the other's local: hours apart
        given, trained = ("with", "without") if series.utc else ("without", "with")
        raise DataError(
            f"{path.name} has times {given} UTC offsets, but the model was trained on times {trained} them, "
            "so the two would be hours apart. Give the times as the training file did, or retrain on this file."
        )
    if only is not None:
        if not d.get("series"):  # a one-series model: its series has no name to pick
            raise ConfigError("--series picks one series of a several-series bundle; this bundle holds one. "
                              "Drop --series.")
        if only in series.empty:  # in the file, but with nothing to start from
            raise DataError(f"--series '{only}' cannot be read from {path.name}: its {series.empty[only]} column "
                            "has no values there. Give its values, or pick another series.")
        if only not in series.frames:
            raise ConfigError(
                f"--series '{only}' is not in {path.name} (series: {listed(list(series.frames), 10)})."
            )
        series.frames = {only: series.frames[only]}
    if config.future:
        series.future = _future_values(forecaster, series, trailing, future_data, options)
    elif future_data is not None:
        raise ConfigError(
            "--future-data gives known-future values, but this model was trained without --future "
            "columns. Drop --future-data, or retrain with --future COL."
        )
    known = set(d.get("series") or [])
    series.untrained = [name for name in series.frames if known and name not in known]
    if series.untrained and (only is not None or len(series.untrained) == len(series.frames)):
        raise DataError(
            f"Series '{series.untrained[0]}' in {path.name} was not in the training data "
            f"(trained: {', '.join(sorted(known)[:10])}{' ...' if len(known) > 10 else ''}). "
            "Give a file with trained series, or retrain with this one."
        )
    series.frames = {name: frame for name, frame in series.frames.items() if name not in series.untrained}
    for name, frame in series.frames.items():
        key = name if known else None
        if len(frame) < forecaster.min_history(key):
            label = f"Series '{name}' in {path.name}" if known else path.name
            raise DataError(f"{label} has {len(frame)} rows; {forecaster.history_need(key)}. Give more history.")
    return series


def _either_order(
    forecaster: Forecaster, path: Path, options: DataOptions, read: tuple[RawTable, object, Series]
) -> tuple[RawTable, object, Series]:
    """``read``, or the file read in the other date order where only that one gives the model's frequency:
    the training file's dates fixed no order (ISO), and dates that fit both orders are read month first
    on a tie (01/02 .. 12/02/2023: twelve months, not twelve days).

    Raises:
        DataError: both orders give the model's frequency at other times (11/01/2024 00:00 .. 19:00:
            11 January or 1 November), which no rule can tell apart.
    """
    d = forecaster.data_
    other = _in_other_order(options, read[0].dayfirst, lambda: _read_history(
        forecaster, read_raw(path, options, int(d.get("day") or 1)), options))
    fits = [r for r in (read, other) if r is not None and r[2].freq == d["freq"]]
    if len(fits) < 2:
        if fits and fits[0] is other:
            options.dayfirst = not read[0].dayfirst  # and so the --future-data file
        return fits[0] if fits else read
    starts = [min(f.index[0] for f in r[2].frames.values()) for r in fits]
    if starts[0] == starts[1]:
        return read
    text = str(read[0].df[read[0].time_columns[0]].iloc[0]).strip()
    raise DataError(
        f"{path.name} has dates that read day first as well as month first ('{text}': "
        f"{starts[0].day} {starts[0]:%B %Y} or {starts[1].day} {starts[1]:%B %Y}), and the training file's dates fixed no order. "
        f"Write them as ISO dates ({starts[0]:%Y-%m-%d} or {starts[1]:%Y-%m-%d}), or give rows with a day over 12."
    )


def _in_other_order(options: DataOptions, dayfirst: bool, read: Callable[[], Any]) -> Any:
    """``read()`` with the date order other than ``dayfirst``; None where the file does not read so.
    ``options`` is left with no order (the caller sets one it keeps)."""
    options.dayfirst = not dayfirst
    try:
        return read()
    except DataError:
        return None
    finally:
        options.dayfirst = None


def _read_history(forecaster: Forecaster, raw: RawTable, options: DataOptions) -> tuple[RawTable, object, Series]:
    """The read file, its rows after the last target value (``--future`` models), and its series."""
    config = forecaster.config
    trailing = None
    if config.future:
        from .future import split_trailing

        raw, trailing = split_trailing(raw, config.targets, config.id)
    series = build_series(  # its errors' fixes are said as the bundle reads (load_histories)
        raw, config.columns, options, n_targets=len(config.targets),
        missing_hint="The model was trained on these columns; give a CSV that has them.",
    )
    return raw, trailing, series


def _future_file(path: Path, forecaster: Forecaster, series: Series, options: DataOptions) -> dict[str, pd.DataFrame]:
    """The known-future values of ``--future-data`` per series. Dates that fit both orders, read
    month first on a tie (11/01/2024 00:00 .. 03:00, the same hours of 1 November), are read day first
    where the training file fixed no order and only that order holds a first forecast step."""
    from .future import frames_by_series

    config, freq, day = forecaster.config, forecaster.data_["freq"], int(forecaster.data_.get("day") or 1)
    first = {name if config.id else "": frame.index[-1] + pd.tseries.frequencies.to_offset(freq)
             for name, frame in series.frames.items()}

    def read() -> dict[str, pd.DataFrame]:
        return frames_by_series(read_raw(path, options, day), config.future, freq, config.id)

    def holds(frames: dict[str, pd.DataFrame]) -> bool:
        return any(step in frames[name].index for name, step in first.items() if name in frames)

    given = read_raw(path, options, day)
    try:
        frames, error = frames_by_series(given, config.future, freq, config.id), None
    except DataError as exc:
        frames, error = None, exc
    if options.dayfirst is None and given.dayfirst is not None and (frames is None or not holds(frames)):
        other = _in_other_order(options, given.dayfirst, read)
        if other is not None and holds(other):
            return other
    if frames is None:
        raise error  # type: ignore[misc]
    return frames


def _future_values(
    forecaster: Forecaster,
    series: Series,
    trailing: object,
    future_data: Path | None,
    options: object,
) -> dict[str, pd.DataFrame]:
    """Each series' known-future values: ``future_data`` first, then the rows after its last
    target value."""
    from .future import frames_by_series

    config, freq = forecaster.config, forecaster.data_["freq"]
    sources = []
    if future_data is not None:
        sources.append(_future_file(Path(future_data), forecaster, series, options))  # type: ignore[arg-type]
    if trailing is not None:
        sources.append(frames_by_series(trailing, config.future, freq, config.id))  # type: ignore[arg-type]
    out = {}
    for name in series.frames:
        found = [s.get(name if config.id else "") for s in sources]
        found = [f for f in found if f is not None]
        if found:
            out[name] = pd.concat(found)
    return out


MAX_ROLLOUT = 100  # trained horizons chained by --recursive at most: errors compound with each one,
# and a longer forecast is better served by retraining with a longer --horizon


def check_horizon(
    forecaster: Forecaster, series: Series | None, horizon: int | None, recursive: bool
) -> None:
    """Refuse, by arithmetic and before any forecast, a horizon longer than trained (without
    ``recursive``), past the rollout limit, or (given ``series``, the history) past the last
    date pandas can hold (2262-04-11)."""
    pre = forecaster.preprocessor_
    given, horizon = horizon is not None, horizon or pre.horizon  # the trained one must fit the calendar too
    if horizon > pre.horizon and not recursive:
        raise ConfigError(
            f"Horizon {horizon} is longer than the trained horizon {pre.horizon}. Use --horizon "
            f"{pre.horizon} or less, add --recursive, or retrain with --horizon {horizon}."
        )
    if recursive and horizon > MAX_ROLLOUT * pre.horizon:
        raise ConfigError(
            f"--horizon {horizon} with --recursive chains {-(-horizon // pre.horizon)} forecasts of the "
            f"trained {pre.horizon} steps; at most {MAX_ROLLOUT} are allowed ({MAX_ROLLOUT * pre.horizon} "
            f"steps), as errors compound. Retrain with a longer --horizon."
        )
    freq = pd.tseries.frequencies.to_offset(forecaster.data_["freq"])
    for frame in series.frames.values() if series is not None else []:
        try:
            end = frame.index[-1] + horizon * freq
            if end < frame.index[-1] or end > pd.Timestamp.max:
                raise OverflowError
        except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
            raise ConfigError(
                f"{'--horizon ' if given else 'The trained horizon, '}{horizon} steps of "
                f"{forecaster.data_['freq']} after {written(frame.index[-1], series)} reach "
                f"past {pd.Timestamp.max:%Y-%m-%d}, the last date pandas can hold. "
                + ("Give a shorter --horizon." if given else "Give --horizon with fewer steps.")
            ) from None


def filled_in_window(forecaster: Forecaster, series: Series) -> tuple[list[str], list[str]]:
    """Lines naming the series whose last ``lookback`` rows (what the model reads) hold values
    that were blank or missing in the file and were filled when loading.

    Returns ``(ending, inside)``: series whose last row itself was filled (the forecast would
    start from values carried past the data's end: predict refuses them unless told), and
    series whose filled rows all sit between real values (interpolated: predict notes them).
    """
    pre = forecaster.preprocessor_
    ending, inside = [], []
    for name, frame in series.frames.items():
        holes = series.filled_at.get(name)
        if holes is None or not len(holes):
            continue
        window = frame.index[-pre.lookback :]
        held = holes[holes.isin(window)]
        if not len(held):
            continue
        label = f"series '{name}': " if len(series.frames) > 1 else ""
        ends = held[-1] == window[-1]
        (ending if ends else inside).append(
            f"{label}{len(held)} of the last {pre.lookback} rows the model reads were blank or "
            f"missing in the file and were filled by --fill {forecaster.config.fill} "
            f"(first {written(held[0], series)}, last {written(held[-1], series)}{': the last row' if ends else ''})"
        )
    return ending, inside


def absent_series(forecaster: Forecaster, series: Series, verb: str) -> str | None:
    """A note naming the trained series the file does not hold (a --data file of fewer series, or ids
    rewritten by a spreadsheet: 007 -> 7), or None; those it holds with no values are noted as such."""
    absent = [n for n in forecaster.data_.get("series") or [] if n not in series.frames and n not in series.empty]
    if not absent:
        return None
    return f"{len(absent)} trained series not in {Path(series.source).name} are not {verb}: {listed(absent, 10)}"


def ended_early(series: Series, horizon: int) -> str | None:
    """A note naming the series of a file whose last row lies more than a horizon before the latest
    series' (a store closed in 2020 beside ones open in 2023): each is forecast from its own end."""
    if len(series.frames) < 2:
        return None
    ends = {name: frame.index[-1] for name, frame in series.frames.items()}
    latest = max(ends.values())
    grid = pd.date_range(min(ends.values()), latest, freq=series.freq)
    behind = {n: int(grid.searchsorted(latest) - grid.searchsorted(e)) for n, e in ends.items()}
    early = sorted((n for n, b in behind.items() if b > horizon), key=lambda n: -behind[n])
    if not early:
        return None
    shown = [f"{n} ({written(ends[n], series)}, {behind[n]} steps before)" for n in early]
    return (f"{len(early)} series end more than the horizon before the latest ({written(latest, series)}), and each is "
            f"forecast from its own end: {listed(shown)}")


FAR_FROM_TRAINING = 20.0  # standard deviations of the training part's values: a history read this far
# away is in other units (x1000: 154,365 forecast where 167,820 was right) or far past what was learnt


def far_from_training(forecaster: Forecaster, series: Series) -> list[str]:
    """Lines naming the series whose rows the model reads lie :data:`FAR_FROM_TRAINING` standard
    deviations or more from the values it was trained on (the scaler's mean and spread)."""
    pre = forecaster.preprocessor_
    lines = []
    for name, frame in series.frames.items():
        mean, scale = (float(v[0]) for v in pre._stats(name if pre.series_ else None))
        recent = float(np.median(frame[pre.target].to_numpy(dtype="float64")[-pre.lookback:]))
        if scale > 0 and abs(recent - mean) >= FAR_FROM_TRAINING * scale:
            far = abs(recent - mean) / scale  # a count people read: 1,234 or 3.2e+299, never 300 digits
            sds = f"{far:,.0f}" if far < 1e9 else f"{far:.2g}"
            label = f"series '{name}': " if len(series.frames) > 1 else ""
            lines.append(f"{label}the last {pre.lookback} values the model reads (median {recent:.7g}) lie "
                         f"{sds} standard deviations from the values it was trained on "
                         f"(mean {mean:.7g}, sd {scale:.4g}): other units, or far past what it learnt")
    return lines


def decimals_of(values: np.ndarray) -> int:
    """The decimals the values are written with (most of them; filled values may carry more)."""
    present = np.asarray(values, dtype="float64")
    present = present[np.isfinite(present)][-2000:]
    if present.size == 0:
        return 0
    scale = np.abs(present)  # relative: 1.2e-9 is written with 10 decimals, not 0
    places = np.full(present.shape, _MAX_DECIMALS)
    for d in range(_MAX_DECIMALS - 1, -1, -1):
        exact = np.abs(np.round(present, d) - present) <= 1e-9 * scale
        places[exact] = d
    return int(np.percentile(places, 90, method="higher"))


_MAX_DECIMALS = 20
_SIGNIFICANT = 7  # a float32 forecast carries about 7 significant digits; the rest is noise


def round_forecast(
    result: pd.DataFrame, input_decimals: int | dict[str, int], extra: int = 2, by: str | None = None
) -> pd.DataFrame:
    """The forecast columns rounded to ``extra`` decimals past the input's own, and never past
    the ~7 significant digits a float32 network produces (``4123.456787109375`` -> ``4123.46``).

    Each value keeps its own significant digits: one rule for the whole table rounded a series
    near 0.05 to 0.0 beside one near 5e6, and a detected spike's expected 100.23 to 100.0.

    Args:
        input_decimals: the input's decimals, or per value of column ``by`` (each series' own).
    """
    out = result.copy()
    columns = [c for c in out.columns if pd.api.types.is_float_dtype(out[c])]
    if isinstance(input_decimals, dict):
        places = out[by].astype(str).map(input_decimals).fillna(max(input_decimals.values(), default=0))
        allowed = places.to_numpy(dtype="int64")[:, None] + extra
    else:
        allowed = np.full((len(out), 1), input_decimals + extra)
    values = out[columns].to_numpy(dtype="float64")  # (rows, columns)
    with np.errstate(divide="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
    magnitude = np.where(np.isfinite(magnitude), magnitude, 0).astype("int64")
    decimals = np.minimum(allowed, _SIGNIFICANT - 1 - magnitude)  # (rows, columns)
    rounded = values.copy()
    for d in np.unique(decimals):
        at = decimals == d
        if d >= 0:
            rounded[at] = np.round(values[at], int(d))
        else:  # huge values: keep significant digits only
            rounded[at] = [float(f"{v:.{_SIGNIFICANT}g}") for v in values[at]]
    for i, col in enumerate(columns):
        out[col] = rounded[:, i]
    return out


def as_written(table: pd.DataFrame, series: Series) -> pd.DataFrame:
    """A table on a time index, with the time written as the history file (``series``: the --data
    file, or the training file) wrote it (:func:`times_as_written`)."""
    style = time_style(series)
    if not isinstance(table.index, pd.DatetimeIndex) or style == time_style({}):
        return table
    out = table.copy()
    out.index = times_as_written(table.index, *style)
    return out
