"""Forecasts from a history frame: the steps after its last row, every series, past the horizon."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import Series
from .errors import ConfigError, DataError
from .frequency import future_index, is_trading_days
from .members import MAX_FIT_ROWS, STATISTICAL

MEMBER_SEASONS = 3  # seasons of history a statistical member reads at least (ETS's seasonal states)


class Forecasting:
    """How :class:`forecaster.Forecaster` forecasts a frame; a part of it, kept apart for length."""

    def predict(
        self,
        frame: pd.DataFrame,
        horizon: int | None = None,
        recursive: bool = False,
        series: str | None = None,
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast the steps after the last row of ``frame``.

        Args:
            frame: history with the training columns on a time index (a :class:`Series` frame).
            series: which series of a several-series model ``frame`` is (its scaler).
            future: the ``--future`` columns' values after the last row (time index): every
                trained horizon step must have them (:func:`forecast.future.check_covered`).
            horizon: steps to forecast, at most the trained horizon unless ``recursive``.
            recursive: forecast past the trained horizon by appending the median forecast to
                the history and forecasting again (only when every input is the target).

        Returns:
            A frame indexed by future timestamps: ``forecast`` (the median with quantiles),
            then ``lower`` and ``upper`` when the model has quantiles (levels in :meth:`interval`).
        """
        self._check()
        pre = self.preprocessor_
        self._check_history(frame, series)
        if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer))
                                    or horizon < 1):
            raise ConfigError(f"horizon must be a whole number of steps, at least 1; got {horizon!r}.")
        horizon = horizon or pre.horizon
        if horizon > pre.horizon and recursive:
            return self._rollout(frame, horizon, series)
        if horizon > pre.horizon:
            raise ConfigError(
                f"Horizon {horizon} is longer than the trained horizon {pre.horizon}. "
                f"Use --horizon {pre.horizon} or less, add --recursive, or retrain with --horizon {horizon}."
            )
        if len(frame) < self.min_history(series):
            raise DataError(f"The data has {len(frame)} rows; {self.history_need(series)}. Give more history.")
        keep = pre.lookback
        if getattr(self, "members_", {}).get(series or ""):  # the statistical members read more
            keep = max(keep, MAX_FIT_ROWS + 2 * self.season_)
        part = frame.iloc[-keep:]
        if pre.future and self.reads_network(series):  # a statistical member alone reads no inputs
            from .future import check_covered

            future = check_covered(frame.index[-1], self.data_["freq"], pre.horizon, pre.future, future, series)
        values = pre.transform(part, series, future)  # (rows, F)
        offset = self._offset(frame, len(frame) - len(part), series)
        cached = self._cached_members(frame, series)  # the training file's end: no refit needed
        out = self.predict_windows(values, np.array([len(part)]), series, offset, cached)[0, :horizon]
        index = future_index(frame.index[-1], self.data_["freq"], horizon)
        index.name = self.data_["time"]
        columns = {"forecast": self.point(out)}
        if self.quantiles:
            columns.update(lower=out[:, 0], upper=out[:, -1])
        return pd.DataFrame(columns, index=index)

    def _check_history(self, frame: pd.DataFrame, series: str | None) -> None:
        """Refuse a history the forecast would misread: the CLI reads files into regular frames
        (:func:`forecast.data.load_series`), a library caller may hand anything (a frame straight
        from ``pd.read_csv`` was forecast from 1970-01-02; rows in reverse, from the first row)."""
        pre = self.preprocessor_
        fix = "Read it with forecast.data.load_series(path, columns).frame, as the CLI does."
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"The history must be a DataFrame on a time index, not {type(frame).__name__}. {fix}")
        index = frame.index
        if not isinstance(index, pd.DatetimeIndex):
            raise DataError(f"The history's index holds {index.dtype} values, not times. {fix}")
        missing = [c for c in pre.columns if c not in frame.columns]
        if missing:
            raise DataError(f"The history has no column(s) {', '.join(map(str, missing))}, which the model reads "
                            f"(it has {', '.join(map(str, frame.columns))}).")
        if not index.is_monotonic_increasing or not index.is_unique:
            raise DataError(f"The history's times are {'repeated' if index.is_monotonic_increasing else 'not in order'}: "
                            f"the model reads its rows as consecutive steps. {fix}")
        freq = self.data_["freq"]
        if len(index) > 1 and not is_trading_days(freq):  # trading days skip holidays: no fixed grid
            grid = pd.date_range(index[0], periods=len(index), freq=freq)
            if not grid.equals(index):
                raise DataError(f"The history is not a row every {freq} step with none missing, as the model was "
                                f"trained on. {fix}")
        if series is not None and not pre.series_:
            raise ConfigError(f"series={series!r}, but this model was trained on one series: leave series out.")

    def _chosen_members(self, series: str | None) -> list[str]:
        """The members the chosen forecast of ``series`` weighs that the bundle holds for it."""
        members = getattr(self, "members_", {}).get(series or "", {})
        return [name for name in self.choice_["weights"] if name in members]

    def reads_network(self, series: str | None) -> bool:
        """Whether the chosen forecast of ``series`` reads the network (its inputs): it weighs the
        LSTM, or none of the members it names is in the bundle (see ``_combine``)."""
        return "lstm" in self.choice_["weights"] or not self._chosen_members(series)

    def unused_future_note(self, keys: list[str | None]) -> str | None:
        """A note when the model has ``--future`` columns and the chosen forecast of none of the
        series ``keys`` reads them (a statistical member alone reads the target only)."""
        future = self.preprocessor_.future
        if not future or any(self.reads_network(key) for key in keys):
            return None
        return (f"the chosen forecast ({self.choice_['label']}) reads the target alone: the --future column(s) "
                f"{', '.join(future)} are not used (--model lstm forecasts with them)")

    def min_history(self, series: str | None = None) -> int:
        """The fewest rows a history of ``series`` may have: the lookback (for many series, as few
        as a panel's short series trained with: a horizon and one row, read with their first row
        repeated); where the chosen forecast reads a statistical member of a seasonal series, also
        :data:`MEMBER_SEASONS` seasons (or as many rows as the series had in training, if fewer):
        from 8 daily rows of a weekly series AutoETS refitted had no season to find, and forecast
        a flat line."""
        pre = self.preprocessor_
        rows = min(pre.lookback, pre.horizon + 1) if self.data_.get("series") else pre.lookback
        if self._reads_statistical(series) and self.season_ > 1:
            split = self.data_.get("series_splits", {}).get(series or "") or self.data_["split"]
            rows = max(rows, min(MEMBER_SEASONS * self.season_, int(split["rows"])))
        return rows

    def history_need(self, series: str | None = None) -> str:
        """Why :meth:`min_history` rows, in words (for an error)."""
        rows, lookback = self.min_history(series), self.preprocessor_.lookback
        if self._reads_statistical(series) and rows > min(lookback, self.preprocessor_.horizon + 1):
            chosen = [n for n in self.choice_["weights"] if n in STATISTICAL]
            return (f"the model needs the last {rows} (its forecast reads {' and '.join(chosen)}, which "
                    f"find{'s' * (len(chosen) == 1)} the season of {self.season_} in {MEMBER_SEASONS} of them)")
        what = "its lookback" if rows == lookback else f"a horizon and one row; lookback {lookback}"
        return f"the model needs the last {rows} ({what})"

    def _reads_statistical(self, series: str | None) -> bool:
        """Whether the chosen forecast of ``series`` reads a fitted statistical member."""
        return any(name in STATISTICAL for name in self._chosen_members(series))

    def _end_digest(self, frame: pd.DataFrame) -> str:
        """The last timestamp and a sha256 of the target's recent values: what a cached
        forecast from the end of the training file was made from."""
        import hashlib

        y = frame[self.preprocessor_.target].to_numpy(dtype="float64")[-(MAX_FIT_ROWS + 2 * self.season_):]
        return f"{frame.index[-1]}|{len(frame)}|{hashlib.sha256(np.ascontiguousarray(y).tobytes()).hexdigest()}"

    def cache_member_forecasts(self, frames: dict[str, pd.DataFrame]) -> None:
        """Forecast each statistical member of the choice from the end of each series, so that
        ``forecast predict`` on the training file needs no statsforecast import (seconds)."""
        self.member_cache_ = {}
        wanted = set(self.choice_["weights"]) - {"lstm"}
        for key, frame in frames.items():
            members = {n: m for n, m in self.members_.get(key, {}).items() if n in wanted and n in STATISTICAL}
            if not members:
                continue
            y = frame[self.preprocessor_.target].to_numpy(dtype="float64")
            self.member_cache_[key] = {
                "digest": self._end_digest(frame),
                "forecasts": {n: m.forecast(y, self.preprocessor_.horizon, self.levels).tolist()
                              for n, m in members.items()},
            }

    def _cached_members(self, frame: pd.DataFrame, series: str | None) -> dict[str, np.ndarray]:
        entry = getattr(self, "member_cache_", {}).get(series or "")
        if not entry or entry.get("digest") != self._end_digest(frame):
            return {}
        return {n: np.asarray(f, dtype="float64") for n, f in entry["forecasts"].items()}

    def _offset(self, frame: pd.DataFrame, first: int, series: str | None) -> int | None:
        """Position of ``frame``'s row ``first`` in the series the members were fitted on,
        found by its time (None when the frame does not reach back to that series' start
        and the steps between cannot be counted)."""
        start = getattr(self, "member_start_", {}).get(series or "")
        if start is None:
            return None
        try:
            when = pd.Timestamp(start)
            if when in frame.index:
                return first - int(frame.index.get_loc(when))
            steps = pd.date_range(when, frame.index[first], freq=self.data_["freq"])
            return len(steps) - 1 if len(steps) and steps[-1] == frame.index[first] else None
        except (ValueError, TypeError, KeyError, OverflowError):
            return None

    def predict_all(
        self, series: Series, horizon: int | None = None, recursive: bool = False
    ) -> pd.DataFrame:
        """Forecast every series of ``series``; several get an id column (the file's id name).
        The ``--future`` values after each series' end come from ``series.future``."""
        if not self.data_.get("series"):
            first = next(iter(series.frames))
            return self.predict(series.frame, horizon, recursive, future=series.future.get(first))
        pieces = []
        for name, frame in series.frames.items():
            part = self.predict(frame, horizon, recursive, series=name, future=series.future.get(name))
            part.insert(0, self.data_["id"], name)
            pieces.append(part)
        return pd.concat(pieces)

    def _rollout(self, frame: pd.DataFrame, horizon: int, series: str | None = None) -> pd.DataFrame:
        """Chain forecasts of the trained horizon, each from the history plus earlier medians."""
        pre = self.preprocessor_
        if pre.future:
            raise ConfigError(
                f"--recursive forecasts past the trained horizon, but the model reads the known-future "
                f"column(s) {', '.join(pre.future)} only {pre.horizon} steps ahead. Retrain with "
                f"--horizon {horizon} instead."
            )
        if pre.features:
            raise ConfigError(
                f"--recursive needs every input to be the target, but the model also reads "
                f"{', '.join(pre.features)}, whose future is unknown. Retrain with "
                f"--horizon {horizon} instead."
            )
        history = frame[[pre.target]]
        pieces = []
        done = 0
        first = None  # the first block: how its interval widens step by step
        while done < horizon:
            step = self.predict(history, min(pre.horizon, horizon - done), series=series)
            history = pd.concat([history, step[["forecast"]].set_axis([pre.target], axis=1)])
            if self.quantiles:
                first = step if first is None else first
                step = widened(step, first, done)
            pieces.append(step)
            done += len(step)
        return pd.concat(pieces)


def widened(step: pd.DataFrame, first: pd.DataFrame, done: int) -> pd.DataFrame:
    """A recursive block's interval, at least as wide as the first block's widening goes on.

    A block read from earlier blocks' medians inherits their errors, so its own interval (as
    narrow as the first's) is too narrow. How errors pile up differs by series: they add (a
    random walk: spread ~ sqrt(steps)) or fade (a temperature pulled back to its season). The
    first block shows which: each side's distance from the forecast goes from ``w_1`` at step
    1 to ``w_H`` at step H, i.e. ~ steps**b with ``b = log(w_H / w_1) / log(H)`` (0 to 1). Step
    ``t`` of the rollout then gets at least ``w_H (t / H)**b``. On held-out origins
    (bench/recursive_intervals.py) this kept 80% coverage where every block as narrow as the
    first lost it.

    Args:
        step: the block's forecast, ``lower`` and ``upper``.
        first: the rollout's first block.
        done: steps forecast before this block.
    """
    if step is first:
        return step
    out = step.copy()
    h = len(first)
    t = done + np.arange(1, len(step) + 1)  # the rollout's steps of this block
    for side, sign in (("lower", -1.0), ("upper", 1.0)):
        spread = np.abs(first[side].to_numpy() - first["forecast"].to_numpy())
        growth = np.log(spread[-1] / spread[0]) / np.log(h) if h > 1 and spread[0] > 0 < spread[-1] else 0.5
        reach = spread[-1] * (t / h) ** float(np.clip(growth, 0.0, 1.0))
        own = np.abs(step[side].to_numpy() - step["forecast"].to_numpy())
        out[side] = step["forecast"].to_numpy() + sign * np.maximum(own, reach)
    return out
