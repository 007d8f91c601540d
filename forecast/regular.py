"""Each series made regular: sorted and de-duplicated, reindexed to its frequency, gaps filled
(bounded by --max-gap) or refused; every change a note. `data` calls it."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from .data_flags import DataOptions
from .dateformats import month_day
from .errors import ConfigError, DataError
from .frequency import infer_freq, is_trading_days, nominal_step, resample_rule
from .timefmt import count, span, when

FILL_FIX = "Use --fill interpolate, ffill or zero."  # the fixes for a training file; a bundle reads with
GAP_FIX = "Raise --max-gap, or fill or cut that part of the data."  # its own flags (see as_read_by_bundle)


READING_FLAGS = ("--time-format", "--time", "--dayfirst", "--duplicates", "--na-values", "--decimal", "--thousands",
                 "--freq", "--resample", "--agg", "--fill", "--max-gap", "--id")  # train's, not predict's


def as_read_by_bundle(message: str, opts: DataOptions) -> str:
    """A reading error's fix for a file read by a bundle (predict, detect), which takes neither
    --fill nor --max-gap but reads with the ones it was trained with."""
    if message.endswith(FILL_FIX):
        return message[: -len(FILL_FIX)] + (f"The bundle reads with --fill {opts.fill}: fill those values in "
                                            "the file, or retrain with --fill interpolate, ffill or zero.")
    if message.endswith(GAP_FIX):
        return message[: -len(GAP_FIX)] + (f"The bundle reads with --max-gap {opts.max_gap}: fill or cut that "
                                           "part of the data, or retrain with a larger --max-gap.")
    named = [flag for flag in READING_FLAGS if re.search(rf"{flag}(?![\w-])", message)]
    if named and "The bundle reads" not in message:
        return (f"{message} ({' and '.join(named)} {'is a' if len(named) == 1 else 'are'} training "
                f"flag{'s' if len(named) > 1 else ''}: the bundle reads files as it was trained to, so change the "
                "file to match, or retrain with it.)")
    return message


def regularise_all(
    raw: dict[str, pd.DataFrame], opts: DataOptions, notes: list[str], source: str, target: str,
    dropped: list[str] | None = None,
) -> tuple[dict[str, pd.DataFrame], str, dict[str, int], dict[str, pd.DatetimeIndex]]:
    """Regularise every series on one shared frequency; notes name the series they concern.

    Args:
        dropped: gets the notes on rows left out (blank targets at a series' ends, periods at the ends
            the rows do not fill) or merged (repeated timestamps: in predict's --data, several series
            under one id) as well.
    """
    several = len(raw) > 1
    per_series: dict[str, list[str]] = {}
    trims: dict[str, list[str]] = {}
    prepared = {}
    few: dict[str, int] = {}  # series of under MIN_TIMES times: no step to read from them
    for name, frame in raw.items():
        label = f"Series '{name}'" if several else source
        frame = _sort_and_merge(frame, opts, per_series.setdefault(name, []), label, trims.setdefault(name, []))
        if len(frame) < MIN_TIMES:
            few[name] = len(frame)
            continue
        prepared[name] = _trim_blank_target(frame, target, trims[name])
        per_series[name] += trims[name]
    if few and not prepared:  # one series, or every one: nothing to forecast from
        name = next(iter(few))
        raise DataError(f"{f'Series {name!r}' if several else source} has only {few[name]} distinct timestamps. "
                        "Give a longer series.")
    for name, n in few.items():  # beside longer series (a store open one day): left out, as too-short ones are
        trims[name].append(f"left out: only {n} distinct timestamp(s), too few to read a step from")
        per_series[name] += trims[name]
    step = opts.freq or (to_offset(opts.resample).freqstr if opts.resample else _shared_freq(prepared))
    frames: dict[str, pd.DataFrame] = {}
    filled: dict[str, int] = {}
    filled_at: dict[str, pd.DatetimeIndex] = {}
    trading = is_trading_days(step)  # no step is inserted between trading days: only blank values count
    sparse = [n for n, f in prepared.items() if several and _mostly_missing(
        int(f[target].notna().sum()), len(f) if trading else len(pd.date_range(f.index[0], f.index[-1], freq=step)),
        opts)]
    if sparse and len(sparse) < len(prepared):  # several series: the ones filling would make up are left out
        for name in sparse:
            trims[name].append("left out: more of its steps are missing than present, so most of it would be "
                               "interpolated")
            per_series[name].append(trims[name][-1])
            del prepared[name]
    for name, frame in prepared.items():
        label = f"series '{name}'" if several else source
        frames[name], counts, filled_at[name] = _reindex_and_fill(frame, step, opts, per_series[name], label,
                                                                  target)
        per_series[name] += _dst_note(raw[name].index, frames[name].index, step)
        for col, n in counts.items():
            filled[col] = filled.get(col, 0) + n
    notes += _merge_notes(per_series) if several else per_series[next(iter(raw))]
    if dropped is not None:
        dropped += _merge_notes(trims) if several else trims[next(iter(raw))]
    return frames, step, filled, filled_at


def _mostly_missing(present: int, steps: int, opts: DataOptions) -> bool:
    """Whether interpolation would make up most of a series of ``present`` rows over ``steps``
    steps: more missing than present (``--fill zero`` and ``ffill`` say what a missing step
    means, so they keep it)."""
    return opts.fill == "interpolate" and steps - present > present


def _mostly_made_up(label: str, frame: pd.DataFrame, step: str, steps: int, missing: int, blank: int,
                    target: str) -> str:
    """The refusal of a series whose target interpolation would mostly invent: steps absent from
    the file, target values blank in it, or both (the same values either way get the same verdict)."""
    fill = "so most of the series would be interpolated"
    if not blank:
        apart = pd.Series(frame.index).diff().median()
        return (f"{label}: {missing} of the {steps} steps of {step} from its first time to its last are not in the "
                f"file (most rows are {span(apart)} apart), {fill}. Check how the dates were read (--dayfirst), "
                "give the file's own --freq or --resample to a coarser step, or --fill zero where a missing step "
                "means none.")
    absent = f"{missing} not in the file and {blank} blank" if missing else f"{blank} blank"
    return (f"{label}: {missing + blank} of the {steps} steps of {step} from its first time to its last have no "
            f"{target} value ({absent}), {fill}. Give a fuller {target} column, --resample to a coarser step, or "
            "--fill zero where a blank means none.")


def _trim_blank_target(frame: pd.DataFrame, target: str, notes: list[str]) -> pd.DataFrame:
    """Rows before the target's first value and after its last are left out, not filled: filling
    would invent the series' start and end (a file whose last rows hold only --future columns,
    or blanks, was trained and scored on copies of its last value)."""
    valid = frame[target].notna().to_numpy()
    if valid.all() or not valid.any():
        return frame
    first, end = int(valid.argmax()), len(valid) - int(valid[::-1].argmax())
    if first:
        notes.append(f"{first} rows before the first target value ({when(frame.index[first])}) left out")
    if end < len(valid):
        notes.append(f"{len(valid) - end} rows after the last target value ({when(frame.index[end - 1])}) left out: "
                     "the forecast starts after it")
    return frame.iloc[first:end]


def _dst_note(raw: pd.DatetimeIndex, regular: pd.DatetimeIndex, step: str) -> list[str]:
    """Say so when the repeated and missing steps of an hourly or finer series (30 minutes: the
    clock change repeats or skips two) mostly fall in daylight-saving months."""
    try:
        length = pd.Timedelta(to_offset(step))
    except (TypeError, ValueError):  # calendar steps: no clock hour to repeat
        return []
    if length > pd.Timedelta(hours=1) or pd.Timedelta(hours=1) % length != pd.Timedelta(0):
        return []
    repeated = raw[raw.duplicated()]
    missing = regular.difference(raw)
    stamps = repeated.append(missing)
    on_change = int(stamps.month.isin([3, 4, 10, 11]).sum())
    at_night = int(stamps.hour.isin([0, 1, 2, 3]).sum())  # clocks change in the small hours
    both = len(repeated) > 0 and len(missing) > 0  # a file spanning both changes
    if len(stamps) == 0 or on_change < 0.8 * len(stamps) or not (both or at_night == len(stamps)):
        return []
    unit = "hours" if length == pd.Timedelta(hours=1) else "steps"
    return [f"{on_change} of the {len(repeated)} repeated and {len(missing)} missing {unit} fall in "
            "daylight-saving months (Mar/Apr, Oct/Nov): local clock time, repeats merged and gaps filled"]


def _merge_notes(per_series: dict[str, list[str]]) -> list[str]:
    """``{"A": [n], "B": [n]}`` -> ``["n (all 2 series)"]``; notes differing by series keep their names."""
    owners: dict[str, list[str]] = {}
    for name, notes in per_series.items():
        for note in notes:
            owners.setdefault(note, []).append(name)
    return [
        f"{note} (all {len(per_series)} series)" if len(names) == len(per_series) and len(names) > 1
        else f"{', '.join(names[:3])}{'...' if len(names) > 3 else ''}: {note}"
        for note, names in owners.items()
    ]


def _sort_and_merge(
    frame: pd.DataFrame, opts: DataOptions, notes: list[str], label: str, merged: list[str]
) -> pd.DataFrame:
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index(kind="stable")
        notes.append("rows sorted by time")
    dup = int(frame.index.duplicated().sum())
    if dup and _twelve_hour_clock(frame.index, dup):
        raise DataError(f"{label} has times that never pass 12:59 and repeat each day ({dup} repeated): a "
                        "12-hour clock without AM/PM? Write the times on a 24-hour clock (13:00), or add AM/PM.")
    if dup:
        if opts.duplicates == "error":
            first = frame.index[frame.index.duplicated()][0]
            raise DataError(
                f"{label} has {dup} duplicate timestamps (first {when(first)}). "
                "Use --duplicates mean|first|last to merge them."
            )
        if opts.resample and opts.agg == "sum" and opts.duplicates == "mean" and _clock_turned_back(frame.index):
            frame = frame.groupby(level=0).sum(min_count=1)  # the hour repeated holds two hours of use
            merged.append(f"{dup} duplicate timestamps merged (sum: hours the clock turned back, each period's "
                          "sum holds both)")
        else:
            frame = frame.groupby(level=0).agg(opts.duplicates)
            merged.append(f"{dup} duplicate timestamps merged ({opts.duplicates})")
    if opts.resample:
        before = len(frame)
        partial = _partial_ends(frame.index, opts.resample, label)
        resampler = frame.resample(opts.resample)
        short: list[str] = []
        if opts.agg == "sum":
            frame = _sum_of_full_periods(frame, resampler, opts.resample, partial, short)
        else:
            frame = resampler.agg(opts.agg)
        notes.append(f"resampled to {opts.resample} ({opts.agg}): {before} rows -> {len(frame)}")
        notes.extend(short)
        if opts.agg == "sum" and frame.shape[1] > 1:  # one aggregator for every column: 24 hourly degrees summed
            notes.append(f"--agg sum sums {', '.join(map(str, frame.columns[1:]))} too; if they are levels "
                         "(temperatures, prices), --agg mean keeps their units")
        if partial and len(frame) > 2 + len(partial):
            frame = frame.drop(index=[t for t in partial if t in frame.index])
            merged.append(f"{len(partial)} incomplete {opts.resample} period(s) at the ends left out "
                         f"({', '.join(when(t) for t in partial)}): their rows do not fill them")
    return frame


MIN_TIMES = 3  # a series of fewer distinct times shows no step (refused alone, left out beside others)
FULL_PERIOD = 0.9  # --agg sum: a period holding under this share of the values periods usually hold
# (of the steps it spans) is missing


def _sum_of_full_periods(frame: pd.DataFrame, resampler, rule: str, ends: list[pd.Timestamp],
                         notes: list[str]) -> pd.DataFrame:
    """Each period's sum, missing where its rows hold under :data:`FULL_PERIOD` of the share of its
    steps that periods usually hold: a logger down 12 of a day's 24 hours summed half a day's use, a
    40% drop that never happened. Those periods are then filled like any missing step (``--fill``),
    and noted."""
    summed = resampler.sum(min_count=1)
    index = frame.index
    found = infer_freq(index)
    if found and is_trading_days(found):  # a weekday absent from trading days is a holiday, closed (never
        return summed  # filled, as loading has it): Thanksgiving's week of 4 days sums 4 (US weeks: 1 in 5 masked)
    step = to_offset(found) if found else to_offset((index[1:] - index[:-1]).median())
    grid = pd.date_range(index[0], index[-1], freq=step)
    expected = pd.Series(1, index=grid).resample(rule).size().reindex(summed.index, fill_value=0)
    counts = resampler.count()
    share = counts.div(expected.where(expected > 0), axis=0)  # of the steps each period spans
    inner = share[~share.index.isin(ends)]
    short = share.lt(FULL_PERIOD * inner.median()) & summed.notna()  # against the usual share: a shop
    short.loc[short.index.isin(ends)] = False  # shut on Sundays fills 6 of 7 days every week; the ends:
    # left out whole by the caller
    if short.to_numpy().any():
        rows = short.any(axis=1)
        first = rows[rows].index[0]
        column = short.columns[short.loc[first].to_numpy()][0]
        notes.append(f"{int(rows.sum())} {rule} period(s) miss some of their rows (e.g. {when(first)}: "
                     f"{int(counts.at[first, column])} of {int(expected.at[first])} values): their sums would "
                     "be too low, so they are treated as missing (--agg mean averages the rows present)")
        summed = summed.mask(short)
    return summed


def _clock_turned_back(index: pd.DatetimeIndex) -> bool:
    """Whether every repeated time of an hourly or finer index is a local clock turned back: in the small
    hours (0-3) of an Oct/Nov or Mar/Apr night, at most two a night. Averaged, the repeated hour's use was
    halved, so a daily sum of kWh lost an hour (24 where the day had 25)."""
    repeated = index[index.duplicated()]
    steps = index.unique().to_series().diff().median()
    if not len(repeated) or not steps <= pd.Timedelta(hours=1):
        return False
    nights = pd.Series(repeated.normalize()).value_counts()
    return bool(repeated.month.isin([3, 4, 10, 11]).all() and repeated.hour.isin([0, 1, 2, 3]).all()
                and nights.max() <= 2)


def _twelve_hour_clock(index: pd.DatetimeIndex, repeated: int) -> bool:
    """Times of day from a 12-hour clock written without AM/PM: hours 1 to 12 (such a clock writes
    midnight as 12, never 00), nearly all of them, and at least a third of the rows repeating
    another's time (1:00 pm read as 1:00 am, merged with it). A half-day shop's 00:00-12:00 is not."""
    hours = index.hour
    return bool(hours.min() >= 1 and hours.max() <= 12 and len(np.unique(hours)) >= 10
                and repeated >= len(index) / 3)


def _partial_ends(index: pd.DatetimeIndex, rule: str, label: str) -> list[pd.Timestamp]:
    """The labels of the first and last ``rule`` periods the rows do not fill (a week of 3 days
    summed as a week). A period is incomplete when the step before the first row, or after the
    last, falls in the same period. A rule finer than the rows' own step is refused: resampling
    aggregates, and each day spread over 24 hours was 96% invented rows."""
    if len(index) < 3:
        return []
    index = index - pd.Timedelta(days=month_day(index) - 1)  # monthly on the 15th: its months, on month starts
    gaps = index[1:] - index[:-1]
    found = infer_freq(index)
    step = to_offset(found) if found else to_offset(gaps.median())
    if nominal_step(rule) < gaps.median() * 0.9:  # nominal: from January, a month's next step is February
        raise ConfigError(f"--resample {rule} is finer than the rows of {label} (one every "
                          f"{_span(gaps.median())}): resampling aggregates to a longer step. Give a longer "
                          "--resample, or leave it out.")
    if gaps.median() >= nominal_step(rule) * 0.9:  # a row a period (monthly on the 15th, read by month
        return []  # ends): each period is its one row, none partial
    out = []
    for inside, outside in ((index[0], index[0] - step), (index[-1], index[-1] + step)):
        bins = pd.Series([0, 0], index=pd.DatetimeIndex(sorted([inside, outside]))).resample(rule).size()
        if len(bins) == 1:  # the step beyond the rows is in the same period: the period is not full
            out.append(bins.index[0])
    return sorted(set(out))


def _span(delta: pd.Timedelta) -> str:
    days = delta / pd.Timedelta(days=1)
    return f"{days:g} days" if days >= 1 else f"{delta / pd.Timedelta(hours=1):g} hours"


def _shared_freq(frames: dict[str, pd.DataFrame]) -> str:
    found = {name: infer_freq(f.index) for name, f in frames.items()}
    common = pd.Series(list(found.values())).mode().iloc[0]
    odd = [n for n, f in found.items() if f != common]
    if odd:
        coarsest = max(sorted(set(found.values())), key=nominal_step)  # sorted: a tie (ME, MS) named the same
        # way by every run (a set's order changes from one process to the next)
        raise DataError(
            f"Series {', '.join(odd[:3])} have another frequency ({found[odd[0]]}) than the rest "
            f"({common}). Give --resample {coarsest} (every series summed or averaged to the coarsest "
            "step; --agg picks how), or leave the other series out of the file."
        )
    return common


def _off_grid(label: str, step: str, index: pd.DatetimeIndex, off: pd.DatetimeIndex) -> str:
    """Why rows are off the grid of ``step``, and the fix. Rows one a month (a quarter) whose day moved
    (the 15th, later the 1st) were named "off the ME grid" with advice to aggregate by month ends."""
    own = infer_freq(index) if len(index) > 2 else step
    if own != step and index.isin(pd.date_range(index[0], index[-1], freq=own)).all():  # --freq ME of rows
        # on month starts was "not on one day of the month", --freq QS of them "rows on the 1st and 15th"
        aggregate = f", or --resample {step} to aggregate them" if nominal_step(step) > nominal_step(own) else ""
        return (f"{label}: {len(off)} timestamps are off the {step} grid (e.g. {when(off[0])}): the rows are every "
                f"{own} ({when(index[0])}, {when(index[1])}...). Give --freq {own}, or leave --freq out{aggregate}.")
    days = nominal_step(step) / pd.Timedelta(days=1)
    for name, period, rule, (low, high) in (("month", "M", "MS", (27, 32)), ("quarter", "Q", "QS", (88, 93))):
        if low <= days <= high and index.to_period(period).is_unique:
            other = next((t for t in index if t.day != index[0].day or t.time() != index[0].time()), off[0])
            return (f"{label}: one row a {name}, but not on one day of the {name} (e.g. {when(index[0])} and "
                    f"{when(other)}). Use --resample {rule} to read each {name} as its one row, dated on its first day.")
    for rule, days_of in (("SMS", "the 1st and 15th"), ("SME", "the 15th and last day")):  # twice a month
        grid = pd.date_range(index[0].normalize(), index[-1], freq=rule)
        if len(index) > 2 and (index == index.normalize()).all() and index.isin(grid).all():
            return (f"{label}: rows on {days_of} of each month (e.g. {when(index[0])} and {when(index[1])}), "
                    f"not every {step}. Give --freq {rule} to read them as they are.")
    return (f"{label}: {len(off)} timestamps are off the {step} grid (e.g. {when(off[0])}). "
            f"Use --resample {resample_rule(step, index)} to aggregate them, or another --freq.")


def _reindex_and_fill(
    frame: pd.DataFrame, step: str, opts: DataOptions, notes: list[str], label: str, target: str
) -> tuple[pd.DataFrame, dict[str, int], pd.DatetimeIndex]:
    """Insert the missing steps of ``step`` (never for trading days) and fill them; also
    returns the timestamps of the rows filled."""
    blank = int(frame[target].isna().sum())  # rows of the file whose target is blank
    if not is_trading_days(step):
        full = pd.date_range(frame.index[0], frame.index[-1], freq=step)
        off = frame.index.difference(full)
        if len(off):
            raise DataError(_off_grid(label, step, frame.index, off))
        missing = len(full) - len(frame)
        if _mostly_missing(len(frame) - blank, len(full), opts):  # most of the series would be made up
            raise DataError(_mostly_made_up(label, frame, step, len(full), missing, blank, target))
        if missing:
            inserted = full.difference(frame.index)
            frame = frame.reindex(full)
            notes.append(f"{count(missing, 'missing time step')} inserted")
            _note_gaps(frame, notes)
            _note_closed_days(inserted, step, opts, notes)
    else:  # business days: rows on other days are off the grid (kept, they shifted every step after)
        offset = to_offset(step)
        on = (frame.index.dayofweek < 5 if offset.rule_code == "B"
              else np.array([offset.is_on_offset(t) for t in frame.index], dtype=bool))
        off = frame.index[~np.asarray(on)]
        if len(off):
            raise DataError(
                f"{label}: {len(off)} timestamps are not business days of --freq {step} (e.g. {when(off[0])}, "
                f"a {off[0].day_name()}). Give --freq D, or leave those rows out."
            )
        if _mostly_missing(len(frame) - blank, len(frame), opts):  # no step is inserted: only blanks count
            raise DataError(_mostly_made_up(label, frame, step, len(frame), 0, blank, target))
    counts = {c: int(frame[c].isna().sum()) for c in frame.columns}
    holes = pd.DatetimeIndex(frame.index[frame.isna().any(axis=1).to_numpy()])
    if not any(counts.values()):
        return frame, counts, holes
    _check_gaps(frame, opts, label)
    if opts.fill == "none":
        col = next(c for c, n in counts.items() if n)
        first = frame.index[frame[col].isna().to_numpy()][0]
        raise DataError(
            f"{label}: {col} has {counts[col]} missing values (first at {when(first)}) and --fill none "
            f"leaves them, but the model needs every value. {FILL_FIX}"
        )
    if opts.fill == "interpolate":
        _note_blank_ends(frame, notes)
        frame = frame.interpolate(method="linear", limit_direction="both")
        how = "linear interpolation"
    elif opts.fill == "ffill":
        frame = frame.ffill().bfill()
        how = "carrying the last value forward"
    else:
        frame = frame.fillna(0.0)
        how = "zeros"
    listed = ", ".join(f"{c}: {n}" for c, n in counts.items() if n)
    notes.append(f"values filled by {how} ({listed})")
    return frame, counts, holes


def _note_blank_ends(frame: pd.DataFrame, notes: list[str]) -> None:
    """Say which columns end in blanks: interpolation has no value after them, so they are copies
    of the last one, and predict refuses a history whose last rows were filled (the target's own
    blank ends were left out before this)."""
    for column in frame.columns:
        blank = frame[column].isna().to_numpy()
        run = len(blank) if blank.all() else int(np.argmin(blank[::-1]))  # blanks after the last value
        if 0 < run < len(blank):
            notes.append(f"{column}'s last {count(run, 'value')} are blank: they are copies of its value at "
                         f"{when(frame.index[-run - 1])}, not interpolated, and predict refuses a history ending so "
                         "(fill them in the file, or predict --allow-filled)")


def gap_runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a boolean array as ``(start, length)``, in order."""
    padded = np.concatenate([[False], missing, [False]]).astype("int8")
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e - s)) for s, e in zip(edges[::2], edges[1::2])]


def _note_gaps(frame: pd.DataFrame, notes: list[str]) -> None:
    runs = gap_runs(frame.isna().all(axis=1).to_numpy())
    if runs:
        start, length = max(runs, key=lambda r: r[1])
        first = ", ".join(f"{when(frame.index[s])} ({n})" for s, n in runs[:3])
        notes.append(f"{count(len(runs), 'gap')}, the largest {count(length, 'step')} from "
                     f"{when(frame.index[start])}; first: {first}")


def _note_closed_days(inserted: pd.DatetimeIndex, step: str, opts: DataOptions, notes: list[str]) -> None:
    """Daily rows absent on one weekday only (a shop closed on Sundays): say that interpolation
    invents values there and that --fill zero writes what happened."""
    if to_offset(step) != to_offset("D") or opts.fill != "interpolate" or len(inserted) < 4:
        return
    days = inserted.day_name().unique()
    if len(days) == 1:
        notes.append(f"all {len(inserted)} inserted days are {days[0]}s: if nothing happens then (closed), "
                     "--fill zero writes 0 where interpolation invents values")


def _check_gaps(frame: pd.DataFrame, opts: DataOptions, label: str) -> None:
    if opts.max_gap is None:
        return
    for col in frame.columns:
        for start, length in gap_runs(frame[col].isna().to_numpy()):
            if length > opts.max_gap:
                raise DataError(
                    f"{label}: {col} has a gap of {length} missing steps from {when(frame.index[start])} to "
                    f"{when(frame.index[start + length - 1])}, longer than --max-gap {opts.max_gap}. {GAP_FIX}"
                )
