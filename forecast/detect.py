"""Anomaly detection with a trained forecaster: each value against what the history before it said.

Every observation is forecast one step ahead from the rows before it. Its score is
the residual divided by the spread the model's interval implies, widened where four in five
residuals do not fall within 1.28 of it (for a point model: that spread of the residuals). A value is flagged when ``|score|`` passes the
threshold (or, with ``use_interval``, when it leaves the interval), or when it ends
a run of identical values longer than any in the training part (a stuck sensor).

Flagged values would poison the history of the values after them (a spike makes the
next forecasts jump), so they are replaced by their expected values in the history
and everything is scored again, until the flags settle. Only short runs of flags are
replaced: a longer one is a change of level, which the history must keep (replacing it
kept the model at the old level, and each pass flagged more of the new one). Values the
loader filled (absent from the file) are never flagged.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, DataError
from .metrics import longest_run, run_lengths

Forecaster = Any  # a fitted forecast.forecaster.Forecaster (not imported: it is a later stage)

MAX_PASSES = 6
MAX_CLEANED_RUN = 3  # consecutive flags replaced by their expected values; a longer run is a new level
DOMINANT = 3.0  # ... unless its first value scores this many times the rest: a spike and its echo


def detect(
    forecaster: Forecaster,
    frame: pd.DataFrame,
    threshold: float = 3.5,
    use_interval: bool = False,
    levels: tuple[float, float] | None = None,
    filled: pd.DatetimeIndex | None = None,
    series: str | None = None,
) -> pd.DataFrame:
    """Score every row of ``frame`` after the first ``lookback`` rows.

    Args:
        frame: history with the bundle's columns on its time index.
        threshold: flag when the standardised residual's magnitude exceeds this.
        use_interval: flag when the value leaves the model's interval instead.
        levels: the two trained quantile levels bounding that interval (default: the
            outermost ones); they also set the spread behind the score.
        filled: times the loader filled (scored, never flagged: they are not observations).
        series: which series of a many-series bundle ``frame`` is (its scaling and members).

    Returns:
        One row per scored time: ``actual``, ``expected``, ``lower``, ``upper``, ``score``,
        ``anomaly`` (bool) and ``reason`` (``"outside"``, ``"stuck"`` or ``""``).
    """
    pre = forecaster.preprocessor_
    bounds = _bounds(forecaster, levels, use_interval)
    first, after = history_before(forecaster, series), rows_after(forecaster)
    if len(frame) <= first + after:
        raise DataError(f"The data has {len(frame)} rows; detection needs more than {first + after}, the history "
                        "a forecast reads" + (f" and the {after} after it whose known-future values it reads."
                                               if after else "."))
    actual = frame[pre.target].to_numpy(dtype="float64")
    origins = np.arange(first, len(frame) - after)  # every row with a full history before it
    longest = forecaster.data_.get("longest_run")  # recorded at training, from the training part
    if longest is None:  # bundles from before it was recorded
        longest = longest_run(actual[: forecaster.data_["split"]["train_rows"]])
    stuck_after = int(longest) + 1
    runs = run_lengths(actual)[origins]
    # a run from the series' first row is what it has always done (a constant series), not a stuck sensor
    stuck = (runs >= max(3, stuck_after)) & (runs <= origins)
    observed = ~frame.index[origins].isin(filled if filled is not None else [])

    history = frame.copy()
    flags = np.zeros(len(origins), dtype=bool)
    for _ in range(MAX_PASSES):
        expected, lower, upper = _one_step(forecaster, history, origins, bounds, series)
        spread = _spread(forecaster, bounds, expected, lower, upper, actual[origins])
        score = (actual[origins] - expected) / spread
        outside = (actual[origins] < lower) | (actual[origins] > upper) if use_interval else np.abs(score) > threshold
        new = (outside | stuck) & observed
        replaced = new & (_short_runs(new, MAX_CLEANED_RUN) | _spike_onsets(new, score))
        cleaned = history[pre.target].to_numpy(dtype="float64").copy()
        cleaned[origins[replaced]] = expected[replaced]  # later windows see what was expected, not a spike
        cleaned[origins[~replaced]] = actual[origins[~replaced]]
        history[pre.target] = cleaned
        if np.array_equal(new, flags):
            break
        flags = new
    reason = np.where(stuck, "stuck", np.where(flags, "outside", ""))
    return pd.DataFrame(
        {"actual": actual[origins], "expected": expected, "lower": lower, "upper": upper,
         "score": score, "anomaly": flags, "reason": reason},
        index=frame.index[origins],
    )


def detect_each(
    forecaster: Forecaster,
    history: Any,
    threshold: float = 3.5,
    use_interval: bool = False,
    levels: tuple[float, float] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """:func:`detect` on every series of ``history`` (a :class:`forecast.data.Series` read for
    the bundle): each on its own scaling and members.

    Returns:
        Each scored series' result (keyed as ``history.frames``), and the series too short to
        score with the rows a forecast reads first (name -> those rows).

    Raises:
        DataError: no series is long enough.
    """
    panel = bool(forecaster.data_.get("series"))
    results: dict[str, pd.DataFrame] = {}
    short: dict[str, int] = {}
    for name, frame in history.frames.items():
        key = name if panel else None
        before = history_before(forecaster, key) + rows_after(forecaster)
        if len(frame) <= before:
            short[name] = before
            continue
        filled = history.filled_at.get(name) if panel else next(iter(history.filled_at.values()), None)
        results[name] = detect(forecaster, frame, threshold, use_interval, levels, filled, key)
    if not results:
        name, before = next(iter(short.items()))
        rows = len(history.frames[name])
        if len(short) == 1:
            which = f"Series '{name}' has" if panel else "The data has"
            raise DataError(f"{which} {rows} rows; detection needs more than {before}, the history a "
                            "forecast reads. Give more history with --data.")
        raise DataError(f"All {len(short)} series are too short: detection needs more than {min(short.values())} "
                        "rows of each, the history a forecast reads. Give more history with --data.")
    return results, short


def history_before(forecaster: Forecaster, series: str | None = None) -> int:
    """Rows before the first scored one: the lookback, or the seasons a chosen statistical member
    reads (:meth:`forecast.forecaster.Forecaster.min_history`). With fewer, the second row of a
    43-row series was "expected" at the first one's value, and flagged 29 deviations out."""
    return max(forecaster.preprocessor_.lookback, forecaster.min_history(series))


def rows_after(forecaster: Forecaster) -> int:
    """Rows at the end left unscored: a model with ``--future`` columns reads them ``horizon`` steps
    ahead, so the forecast of each of the last ``horizon - 1`` rows reads values past the data (they
    were "expected" as NaN, counted as scored and never flagged)."""
    pre = forecaster.preprocessor_
    return pre.horizon - 1 if pre.future else 0


def _spike_onsets(mask: np.ndarray, score: np.ndarray) -> np.ndarray:
    """True at the first value of a run of flags whose score is :data:`DOMINANT` times every later
    one's in the run: a spike, and after it the forecasts that read it (a point model's constant
    spread flagged 80 values after one 1e6; a level shift's values score alike and stay)."""
    out = np.zeros(len(mask), dtype=bool)
    size = np.abs(score)
    for start, end in _runs(mask):
        out[start] = end - start > 1 and size[start] >= DOMINANT * float(np.max(size[start + 1 : end]))
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of consecutive Trues in ``mask``."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype("int8"), 0]))  # run starts, then ends
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _short_runs(mask: np.ndarray, longest: int) -> np.ndarray:
    """True where ``mask`` is True in a run of at most ``longest`` consecutive Trues."""
    out = np.zeros(len(mask), dtype=bool)
    for start, end in _runs(mask):
        out[start:end] = end - start <= longest
    return out


def _bounds(
    forecaster: Forecaster, levels: tuple[float, float] | None, use_interval: bool = False
) -> tuple[int, int] | None:
    """Indices of the interval's two levels among the trained quantiles."""
    q = forecaster.quantiles
    if not q:
        if levels or use_interval:  # a point forecast's "interval" is the forecast: every value outside
            raise ConfigError(f"{'--interval' if use_interval else '--quantiles'} needs an interval, and this "
                              "bundle has a point forecast (no quantiles). Drop it (values are scored against "
                              "--threshold), or retrain with --quantiles.")
        return None
    if levels is None:
        return 0, len(q) - 1
    low, high = sorted(levels)
    if low not in q or high not in q or low == high:
        raise ConfigError(
            f"--quantiles {low:g},{high:g} must be two of the trained levels {', '.join(f'{v:g}' for v in q)}."
        )
    return q.index(low), q.index(high)


def _one_step(
    forecaster: Forecaster, history: pd.DataFrame, origins: np.ndarray, bounds: tuple[int, int] | None,
    series: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step-1 forecasts at every origin: median, lower and upper (equal for point models)."""
    values = forecaster.preprocessor_.transform(history, series)
    out = forecaster.predict_windows(values, origins, series)[:, 0]  # (n[, q]) first horizon step
    if bounds is not None:
        return forecaster.point(out[:, None])[:, 0], out[:, bounds[0]], out[:, bounds[1]]
    return out, out, out


def _spread(
    forecaster: Forecaster,
    bounds: tuple[int, int] | None,
    expected: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    actual: np.ndarray,
) -> np.ndarray:
    """One standard deviation per row: the interval's width (a point model: 1), times the factor
    that makes four in five rows' residuals fall within 1.28 of them, as for a normal spread.

    The factor only widens an interval: one too narrow for the residuals it is scored on (an
    intermittent count's 80% interval 0 .. 0.85 where three days in ten sell 1 to 9) had
    flagged every sale. Four in five, not the median (a MAD): where most values are one number
    (zero sales) the median residual is ~0, and a MAD of ~0 flagged every other value too.
    """
    residual = actual - expected
    if bounds is not None:
        q = forecaster.quantiles
        z = NormalDist().inv_cdf(q[bounds[1]]) - NormalDist().inv_cdf(q[bounds[0]])
        width = np.maximum(upper - lower, 1e-12) / z
    else:
        residual = residual - np.nanmedian(residual)
        width = np.ones(len(expected))
    ratio = np.abs(residual) / width
    ratio = ratio[np.isfinite(ratio)]
    factor = float(np.quantile(ratio, 0.8)) / _Z80 if len(ratio) else 1.0
    return width * (max(factor, 1.0) if bounds is not None else max(factor, 1e-12))


_Z80 = NormalDist().inv_cdf(0.9)  # |residual| of a normal spread: four in five within 1.28 sd
