"""The forecaster: a fitted preprocessor plus a trained network and statistical members, with
their combined forecast. Forecasting a frame is in `forecasting`, saving and loading in
`forecaster_io` (parts of the same class, apart for length)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from .anchor import choose_anchor, season_note
from .config import TrainConfig
from .data import Series
from .errors import BundleError, ConfigError, DataError
from .forecaster_io import Persisted, data_record
from .forecasting import Forecasting
from .frequency import season_length
from .members import member_windows
from .nets import ensemble_for
from .numpy_net import ensemble_median
from .preprocessing import Preprocessor, scales_windows
from .selection import fit_forced, select, shrink_correction
from .timefmt import count
from .windows import Windows, gather

_CHUNK = 1024  # windows per forward pass when scoring many windows
ZERO_SHARE = 0.01  # --floor auto: a history at 0 this often is bounded there (one 0.0 in ten years
# of temperatures is not)
MAX_CACHED_SERIES = 50  # forecasts from the training file's end kept in bundle.json up to this many series


class Forecaster(Forecasting, Persisted):
    """Train with :meth:`fit`, forecast with :meth:`predict`; saved and loaded by :mod:`forecast.bundle`.

    Attributes (after fit or load):
        model_: the Keras model ``(batch, lookback, F) -> (batch, horizon)``.
        preprocessor_: the fitted :class:`Preprocessor`.
        data_: time column, frequency, season, span, split and loading notes.
        history_: per-epoch losses; training_: epochs, seconds, why training stopped.
        holdout_: test-part scores of the model and the baselines.
    """

    def __init__(self, config: TrainConfig) -> None:
        self.config = config

    def fit(
        self,
        series: Series,
        report: Callable[[int, dict[str, float]], None] | None = None,
        stop: Any = None,
        resume_from: Forecaster | None = None,
    ) -> Forecaster:
        """Split ``series`` by time, scale on the training part, train, and score the test part.

        Args:
            report: called after each epoch with ``(epoch, logs)``.
            stop: a ``threading.Event``; once set, training ends after the current batch and
                the best weights so far are kept (``training_["interrupted"]``).
            resume_from: a loaded bundle of the same data and settings to continue training
                (its weights, optimizer state and fitted preprocessor).
        """
        from .calendar import cycles_for
        from .doctor import unscaled_problem
        from .evaluation import combine_holdouts, evaluate_holdout
        from .layout import Layout
        from .training import Resume, fit_model

        cfg = self.config
        _check_series(series, cfg)
        layout = Layout.plan(series, cfg)
        problem = unscaled_problem(layout)  # `forecast train` said so first (doctor's checks); the library did not
        if problem:
            raise DataError(f"{problem[0][0].upper()}{problem[0][1:]}: {problem[1]}.")
        horizon, lookback = layout.horizon, layout.lookback
        target = series.target or cfg.target
        calendar = cycles_for(series.freq) if cfg.calendar else []
        holidays = None
        if cfg.holidays:
            from .holiday import spec

            holidays = spec(cfg.holidays, series.freq, resampled=cfg.resample is not None)
        season = cfg.season or season_length(series.freq)
        resume = None
        self.notes_: list[str] = layout.skipped + layout.notes  # decisions made while fitting, for the user
        note = season_note(cfg.anchor, layout.splits[0].train_end, lookback, season)  # as doctor says it
        self.notes_ += [note] if note else []  # a resumed run's too: its bundle keeps the first run's notes
        if resume_from is not None:
            pre = resume_from.preprocessor_
            window_scale = scales_windows(cfg.window_scale, cfg.relative, pre.anchor)
            if (pre.lookback, pre.horizon, pre.columns, pre.future, pre.calendar, pre.holidays,
                    pre.relative, pre.window_scale) != (lookback, horizon, [target, *cfg.features], cfg.future,
                                                        calendar, holidays, cfg.relative, window_scale):
                raise ConfigError(
                    f"--resume needs the bundle's settings: lookback {pre.lookback}, horizon "
                    f"{pre.horizon}, columns {', '.join(pre.columns)}, future "
                    f"{', '.join(pre.future) or 'none'}, holidays "
                    f"{(pre.holidays or {}).get('country') or 'none'}, calendar "
                    f"{'on' if pre.calendar else 'off'}, {'relative' if pre.relative else 'absolute'} "
                    f"inputs, window scale {'on' if pre.window_scale else 'off'}. Pass the same flags as before."
                )
            _check_resume_data(pre, layout, series.source)
            done = int(resume_from.training_["epochs"])
            if cfg.epochs <= done:
                raise ConfigError(f"--resume: the bundle has trained {count(done, 'epoch')}, and --epochs "
                                  f"({cfg.epochs}) counts them all. Give --epochs above {done} to train more.")
            resume = Resume(resume_from.model_, resume_from.optimizer_state(),
                            resume_from.history_, resume_from.training_["epochs"])
        else:
            anchor, _ = choose_anchor(cfg.anchor, layout, target, season)
            pre = Preprocessor(target, cfg.features, lookback, horizon, anchor, calendar, series.freq,
                               cfg.relative, season if anchor == "season" else 1, cfg.future, holidays,
                               cfg.window_scale)
            layout.fit(pre)  # each series' training part only: no leakage
        parts = layout.transform(pre)  # per series (rows, F)
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        windows = Windows(values, layout.origins("train"), layout.origins("validation"), lookback,
                          horizon, pre.encode_target, pre.encode_inputs)
        if cfg.ensemble is not None and cfg.ensemble > 1 and cfg.model not in ("auto", "lstm"):
            self.notes_.append(f"--ensemble {cfg.ensemble} trains the networks of the {cfg.arch} row; the "
                               f"forecast is {cfg.model} alone (--model), which does not read them.")
        forced = fit_forced(cfg.model, layout, target, season)  # an unfittable --model: refused before training
        if cfg.ensemble is None:  # resolved once, stored in the bundle's settings
            members = resume_from.config.ensemble if resume_from else ensemble_for(len(windows.train), lookback)
            self.config = cfg = replace(cfg, ensemble=members or 1)
        self.model_, self.history_, self.training_ = fit_model(windows, cfg, report, stop, resume)
        self.preprocessor_ = pre
        self.interval_scale_ = 1.0
        self.shrink_ = 1.0
        self.season_ = season
        self.floor_, why = floor_for(cfg.floor, [f[target].to_numpy()[: s.val_end] for f, s in
                                                 zip(layout.frames, layout.splits)])
        if self.floor_ is not None and cfg.floor == "auto":
            self.notes_.append(f"Forecasts stop at 0: {why} (--floor none lets them go below).")
        select(self, layout, parts, forced)  # statistical members, the validation choice, the intervals
        unused = self.unused_future_note([layout.key(i) for i in range(len(layout.frames))])
        if unused:
            self.notes_.append(unused)
        self.member_start_ = {layout.key(i) or "": str(f.index[0]) for i, f in enumerate(layout.frames)}
        if len(layout.frames) <= MAX_CACHED_SERIES:
            self.cache_member_forecasts({layout.key(i) or "": f for i, f in enumerate(layout.frames)})
        self.data_ = data_record(series, layout, season, target, self.notes_)
        split = layout.splits[0]
        if split.val_end < split.rows:
            results = [
                evaluate_holdout(self, f, v, s, layout.key(i))
                for i, (f, v, s) in enumerate(zip(layout.frames, parts, layout.splits))
            ]
            self.holdout_ = combine_holdouts(results, layout.names) if layout.panel else results[0]
        else:
            self.holdout_ = {"metrics": {}, "windows": 0}  # no test part: scored elsewhere (backtest)
        return self

    @property
    def levels(self) -> list[float]:
        """The quantile levels every member forecasts (just the median for point models)."""
        return self.quantiles or [0.5]

    def _member_windows(
        self, values: np.ndarray, origins_: np.ndarray, series: str | None, offset: int | None = 0,
        only: set[str] | None = None, cached: dict[str, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """Every member's forecasts ``(n, horizon, q)`` at ``origins_`` of a scaled array (in
        original units, no interval scale): the LSTM, then the statistical members.

        Args:
            offset: position of ``values``' first row in the series the members were fitted on.
            only: the members wanted (default: all).
            cached: members' ``(horizon, q)`` forecasts from the end of ``values``, made at training
                from the same history (see :meth:`cache_member_forecasts`): used, not recomputed.
        """
        pre = self.preprocessor_
        out = {}
        if only is None or "lstm" in only:
            out["lstm"] = self._lstm_windows(values, origins_, series)
            if out["lstm"].ndim == 2:
                out["lstm"] = out["lstm"][..., None]
        members = {n: m for n, m in getattr(self, "members_", {}).get(series or "", {}).items()
                   if only is None or n in only}
        if members:
            mean, scale = pre._stats(series)
            y = values[:, 0].astype("float64") * scale[0] + mean[0]  # the target in original units
            for name, member in members.items():
                if cached and name in cached and len(origins_) == 1 and origins_[0] == len(values):
                    out[name] = cached[name][None]
                    continue
                out[name] = member_windows(member, y, origins_, pre.horizon, self.levels, offset)
        return out

    def _combine(self, forecasts: dict[str, np.ndarray]) -> np.ndarray:
        """The chosen forecast ``(n, horizon, q)`` from members' forecasts."""
        from .choice import combine

        weights = {n: w for n, w in self.choice_["weights"].items() if n in forecasts}
        if not weights:  # a member the choice named is missing (e.g. failed to fit): the LSTM
            weights = {"lstm": 1.0}
            if "lstm" not in forecasts:
                raise BundleError(
                    f"The chosen forecast ({self.choice_['label']}) needs members this bundle lacks. "
                    "Retrain the bundle."
                )
        return combine(forecasts, weights)

    def _check(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError("Forecaster is not fitted; call fit() or load a bundle.")

    @property
    def quantiles(self) -> list[float] | None:
        return self.config.quantiles

    def interval(self) -> dict[str, float] | None:
        """The levels behind the ``lower`` and ``upper`` columns, or None for point forecasts."""
        q = self.quantiles
        return {"lower": q[0], "upper": q[-1], "coverage": round(q[-1] - q[0], 6)} if q else None

    def point(self, forecasts: np.ndarray) -> np.ndarray:
        """The median ``(n, horizon)`` of ``(n, horizon, q)`` quantile forecasts (or the input)."""
        q = self.quantiles
        return forecasts[..., q.index(0.5)] if q else forecasts

    def predict_windows(
        self, values: np.ndarray, origins: np.ndarray, series: str | None = None, offset: int = 0,
        cached: dict[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Forecast the windows at ``origins`` of a scaled array (of ``series``), in original units:
        the chosen forecast (LSTM, statistical members or their weighted mean), interval-scaled.

        Args:
            offset: position of ``values``' first row in the series the members were fitted on
                (0 when ``values`` starts where the training data started).
            cached: forecasts from the end of ``values`` made at training (see :meth:`_member_windows`).

        Returns:
            ``(n, horizon)``, or ``(n, horizon, q)`` with quantiles (ascending levels).
        """
        self._check()
        needed = set(self.choice_["weights"])  # only the chosen members: statsforecast loads only if needed
        return self.finish(self._combine(self._member_windows(values, origins, series, offset, needed, cached)))

    def member_windows(
        self, values: np.ndarray, origins: np.ndarray, series: str | None = None, offset: int = 0
    ) -> dict[str, np.ndarray]:
        """Every member's own forecasts ``(n, horizon, q)`` at ``origins`` (LSTM first)."""
        self._check()
        return self._member_windows(values, origins, series, offset)

    def finish(self, quantiles: np.ndarray) -> np.ndarray:
        """``(n, horizon, q)`` -> the interval-scaled output ``(n, horizon, q)`` (or the
        ``(n, horizon)`` point forecast of a point model)."""
        if not self.quantiles:
            out = quantiles[..., 0]
        elif self.interval_scale_ != 1.0:
            from .intervals import apply_interval_scale

            out = apply_interval_scale(quantiles, self.quantiles, self.interval_scale_)
        else:
            out = quantiles
        floor = getattr(self, "floor_", None)
        return out if floor is None else np.maximum(out, floor)

    def _lstm_windows(self, values: np.ndarray, origins: np.ndarray, series: str | None) -> np.ndarray:
        pre = self.preprocessor_
        short = pre.lookback - int(origins.min()) if len(origins) else 0
        if short > 0:  # a panel's series shorter than the lookback: its first row repeated before it
            values = np.concatenate([np.repeat(values[:1], short, axis=0), values])
            origins = origins + short
        out = []
        for i in range(0, len(origins), _CHUNK):
            x, _ = gather(values, origins[i : i + _CHUNK], pre.lookback, pre.horizon)
            out.append(self.forward(x, series))
        return np.concatenate(out) if out else np.zeros((0, pre.horizon, len(self.levels)))

    def forward(self, x: np.ndarray, series: str | None = None) -> np.ndarray:
        """Scaled windows ``(n, lookback, F)`` -> the LSTM's forecasts in original units
        ``(n, horizon[, q])`` (before the interval scale)."""
        raw = _run(self.model_, self.preprocessor_.encode_inputs(x))  # (n, [members,] horizon[, q])
        raw = ensemble_median(raw, self.quantiles)
        if self.shrink_ != 1.0:  # the correction to the base, shrunk (fitted on validation)
            raw = shrink_correction(raw, self.shrink_, self.levels.index(0.5) if self.quantiles else None)
        return self.preprocessor_.decode_target(raw, x, series)


def floor_for(setting: str, histories: list[np.ndarray]) -> tuple[float | None, str]:
    """The least value a forecast may take (``--floor``), and why: 0 for "zero"; for "auto" 0 when
    no value the model saw (each series' training and validation rows) is negative and the
    values look bounded there: whole numbers (counts, sales, units) or 0 at least
    :data:`ZERO_SHARE` of the time (rain, intermittent demand). A never-negative measurement of
    another kind (a saving rate, a temperature, a price) may still go below 0 or never come near
    it: a saving rate of 2-15% since 1967 went negative in 2005, and the floor held every forecast
    at 0 (MASE 0.769 against 0.684 without it, bench/ACCURACY.md). Else None."""
    if setting == "zero":
        return 0.0, "--floor zero"
    seen = [h[np.isfinite(h)] for h in histories]
    values = np.concatenate(seen) if seen else np.zeros(0)
    if setting != "auto" or not values.size or values.min() < 0:
        return None, ""
    if np.all(values == np.round(values)):
        return 0.0, "the history is whole numbers, none negative"
    if np.mean(values == 0) >= ZERO_SHARE:
        return 0.0, f"the history is never negative and {np.mean(values == 0):.0%} zeros"
    return None, ""


def _check_series(series: Any, cfg: TrainConfig) -> None:
    """Refuse what the library would fit and then misread: not a loaded series, or one loaded with
    other columns than the config names (a bundle fitted on 'y' as target 'x' was refused at load as
    damaged)."""
    from .data import WIDE_TARGET

    if not isinstance(series, Series):
        raise DataError(f"fit needs a Series, not {type(series).__name__}: read the file with "
                        "forecast.data.load_series(path, columns), as the CLI does.")
    wide = len(cfg.targets) > 1
    if (series.target != WIDE_TARGET) if wide else (series.target and series.target != cfg.target):
        raise ConfigError(f"The series was loaded with target {series.target!r}, but the config's target is "
                          f"{cfg.target!r}. Load it with {cfg.target!r} first (load_series(path, [target, "
                          "*features])), or set the config's target to the one loaded.")
    have = set(next(iter(series.frames.values())).columns)
    missing = [c for c in [*cfg.features, *cfg.future] if c not in have]
    if missing:
        raise DataError(f"The series has no column(s) {', '.join(missing)}, which the config reads (--features, "
                        "--future). Load them with it: load_series(path, [target, *features, *future]).")


def _check_resume_data(pre: Preprocessor, layout: Any, source: str) -> None:
    """Refuse to continue a network on other data than it was trained on: its scaling (fitted on
    the first run's training part) would be kept, and 1000x larger values forecast with
    intervals 1000x too narrow. The training part's mean and spread must match the bundle's."""
    import copy

    fresh = copy.deepcopy(pre)
    fresh.series_ = {}
    layout.fit(fresh)
    keys = [layout.key(i) for i in range(len(layout.frames))]
    same = bool(pre.series_) == layout.panel and (not layout.panel or set(keys) == set(pre.series_))
    for key in keys if same else []:
        (m0, s0), (m1, s1) = pre._stats(key), fresh._stats(key)
        same = same and np.allclose(m0, m1, rtol=1e-6, atol=1e-9 * np.abs(s0)) and np.allclose(s0, s1, rtol=1e-6)
    if not same:
        raise ConfigError(
            f"--resume continues training on the data the bundle was trained on, and {source} differs "
            "(its series or their training rows' values). Train a new bundle without --resume."
        )


def _run(model: Any, x: np.ndarray) -> np.ndarray:
    """The network's output for ``x`` as a NumPy array.

    A Keras model runs its compiled predict step (``predict_on_batch``), the batch padded to a
    power of two (32 .. ``_CHUNK``) so that a few shapes are traced (and, with XLA, compiled)
    however many windows each call holds. Called eagerly instead, an LSTM runs its recurrent
    steps op by op from Python: ~0.4 s a call whatever the batch, 300 of the 415 s of a
    400-series panel's fit (bench/SPEED.md). The NumPy engine of loaded bundles is called as is.
    """
    if not hasattr(model, "predict_on_batch"):
        return np.asarray(model(x, training=False))
    n = len(x)
    size = int(min(_CHUNK, max(32, 2 ** int(np.ceil(np.log2(max(n, 1)))))))
    outs = []
    for i in range(0, n, size):
        part = x[i : i + size]
        padded = np.concatenate([part, np.repeat(part[-1:], size - len(part), axis=0)]) if len(part) < size else part
        out = model.predict_on_batch(padded.astype("float32", copy=False))
        if not isinstance(out, np.ndarray):  # a backend's tensor
            import keras

            out = keras.ops.convert_to_numpy(out)
        outs.append(np.asarray(out)[: len(part)])
    return np.concatenate(outs)
