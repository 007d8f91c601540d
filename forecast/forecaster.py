"""The forecaster: a fitted preprocessor plus a trained network, with predict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .anchor import choose_anchor
from .config import TrainConfig
from .data import Series
from .errors import BundleError, ConfigError, DataError
from .frequency import future_index, season_length
from .members import MAX_FIT_ROWS, STATISTICAL, Member, member_windows
from .nets import ensemble_for
from .numpy_net import ensemble_median, export_weights
from .preprocessing import Preprocessor
from .selection import select, shrink_correction
from .windows import Windows, gather

_CHUNK = 1024  # windows per forward pass when scoring many windows
MAX_CACHED_SERIES = 50  # forecasts from the training file's end kept in bundle.json up to this many series


class Forecaster:
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
        from .evaluation import combine_holdouts, evaluate_holdout
        from .layout import Layout
        from .metrics import longest_run
        from .training import Resume, fit_model

        cfg = self.config
        layout = Layout.plan(series, cfg)
        horizon, lookback = layout.horizon, layout.lookback
        target = series.target or cfg.target
        calendar = cycles_for(series.freq) if cfg.calendar else []
        season = cfg.season or season_length(series.freq)
        resume = None
        self.notes_: list[str] = []  # decisions made while fitting, for the user
        if resume_from is not None:
            pre = resume_from.preprocessor_
            if (pre.lookback, pre.horizon, pre.columns, pre.calendar, pre.relative) != (
                lookback, horizon, [target, *cfg.features], calendar, cfg.relative
            ):
                raise ConfigError(
                    f"--resume needs the bundle's settings: lookback {pre.lookback}, horizon "
                    f"{pre.horizon}, columns {', '.join(pre.columns)}, calendar "
                    f"{'on' if pre.calendar else 'off'}, {'relative' if pre.relative else 'absolute'} "
                    "inputs. Pass the same flags as before."
                )
            resume = Resume(resume_from.model_, resume_from.optimizer_state(),
                            resume_from.history_, resume_from.training_["epochs"])
        else:
            anchor, note = choose_anchor(cfg.anchor, layout, target, season)
            self.notes_ = [note] if note else []
            pre = Preprocessor(target, cfg.features, lookback, horizon, anchor, calendar, series.freq,
                               cfg.relative, season if anchor == "season" else 1)
            layout.fit(pre)  # each series' training part only: no leakage
        parts = layout.transform(pre)  # per series (rows, F)
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        windows = Windows(values, layout.origins("train"), layout.origins("validation"), lookback,
                          horizon, pre.encode_target, pre.encode_inputs)
        if cfg.ensemble is None:  # resolved once, stored in the bundle's settings
            members = resume_from.config.ensemble if resume_from else ensemble_for(len(windows.train))
            self.config = cfg = replace(cfg, ensemble=members or 1)
        self.model_, self.history_, self.training_ = fit_model(windows, cfg, report, stop, resume)
        self.preprocessor_ = pre
        self.interval_scale_ = 1.0
        self.shrink_ = 1.0
        self.season_ = season
        select(self, layout, parts)  # statistical members, the validation choice, the intervals
        self.member_start_ = {layout.key(i) or "": str(f.index[0]) for i, f in enumerate(layout.frames)}
        if len(layout.frames) <= MAX_CACHED_SERIES:
            self.cache_member_forecasts({layout.key(i) or "": f for i, f in enumerate(layout.frames)})
        first, split = layout.frames[0], layout.splits[0]
        frame = max(layout.frames, key=len)
        self.data_ = {
            "time": series.time,
            "freq": series.freq,
            "season": season,
            "dayfirst": series.dayfirst,
            "source": series.source,
            "id": series.id,
            "series": layout.names if layout.panel else [],
            "series_splits": (
                {n: sp.to_dict() for n, sp in zip(layout.names, layout.splits)} if layout.panel else {}
            ),
            "start": str(min(f.index[0] for f in layout.frames)),
            "end": str(frame.index[-1]),
            "split": split.to_dict(),
            "split_times": {
                "train": [str(first.index[0]), str(first.index[split.train_end - 1])],
                "validation": [str(first.index[split.train_end]), str(first.index[split.val_end - 1])],
                "test": [str(first.index[min(split.val_end, split.rows - 1)]), str(first.index[-1])],
            },
            "notes": series.notes + layout.skipped + self.notes_,
            "filled": series.filled,
            # the longest run of identical target values in training: longer ones look stuck
            "longest_run": max(
                longest_run(f[target].to_numpy()[: s.train_end]) for f, s in zip(layout.frames, layout.splits)
            ),
        }
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
            return quantiles[..., 0]
        if self.interval_scale_ != 1.0:
            from .intervals import apply_interval_scale

            return apply_interval_scale(quantiles, self.quantiles, self.interval_scale_)
        return quantiles

    def _lstm_windows(self, values: np.ndarray, origins: np.ndarray, series: str | None) -> np.ndarray:
        pre = self.preprocessor_
        out = []
        for i in range(0, len(origins), _CHUNK):
            x, _ = gather(values, origins[i : i + _CHUNK], pre.lookback, pre.horizon)
            out.append(self.forward(x, series))
        return np.concatenate(out) if out else np.zeros((0, pre.horizon, len(self.levels)))

    def forward(self, x: np.ndarray, series: str | None = None) -> np.ndarray:
        """Scaled windows ``(n, lookback, F)`` -> the LSTM's forecasts in original units
        ``(n, horizon[, q])`` (before the interval scale)."""
        raw = self.model_(self.preprocessor_.encode_inputs(x), training=False)  # (n, [members,] horizon[, q])
        if not isinstance(raw, np.ndarray):  # a backend's tensor (PyTorch's may need detaching)
            import keras

            raw = keras.ops.convert_to_numpy(raw)
        raw = ensemble_median(raw, self.quantiles)
        if self.shrink_ != 1.0:  # the correction to the base, shrunk (fitted on validation)
            raw = shrink_correction(raw, self.shrink_, self.levels.index(0.5) if self.quantiles else None)
        return self.preprocessor_.decode_target(raw, x, series)

    def predict(
        self,
        frame: pd.DataFrame,
        horizon: int | None = None,
        recursive: bool = False,
        series: str | None = None,
    ) -> pd.DataFrame:
        """Forecast the steps after the last row of ``frame``.

        Args:
            frame: history with the training columns on a time index (a :class:`Series` frame).
            series: which series of a several-series model ``frame`` is (its scaler).
            horizon: steps to forecast, at most the trained horizon unless ``recursive``.
            recursive: forecast past the trained horizon by appending the median forecast to
                the history and forecasting again (only when every input is the target).

        Returns:
            A frame indexed by future timestamps: ``forecast`` (the median with quantiles),
            then ``lower`` and ``upper`` when the model has quantiles (levels in :meth:`interval`).
        """
        self._check()
        pre = self.preprocessor_
        horizon = horizon or pre.horizon
        if horizon > pre.horizon and recursive:
            return self._rollout(frame, horizon, series)
        if horizon > pre.horizon:
            raise ConfigError(
                f"Horizon {horizon} is longer than the trained horizon {pre.horizon}. "
                f"Use --horizon {pre.horizon} or less, add --recursive, or retrain with --horizon {horizon}."
            )
        if len(frame) < pre.lookback:
            raise DataError(
                f"The data has {len(frame)} rows; the model needs the last {pre.lookback} "
                "(its lookback). Give more history."
            )
        keep = pre.lookback
        if getattr(self, "members_", {}).get(series or ""):  # the statistical members read more
            keep = max(keep, MAX_FIT_ROWS + 2 * self.season_)
        part = frame.iloc[-keep:]
        values = pre.transform(part, series)  # (rows, F)
        offset = self._offset(frame, len(frame) - len(part), series)
        cached = self._cached_members(frame, series)  # the training file's end: no refit needed
        out = self.predict_windows(values, np.array([len(part)]), series, offset, cached)[0, :horizon]
        index = future_index(frame.index[-1], self.data_["freq"], horizon)
        index.name = self.data_["time"]
        columns = {"forecast": self.point(out)}
        if self.quantiles:
            columns.update(lower=out[:, 0], upper=out[:, -1])
        return pd.DataFrame(columns, index=index)

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
        """Forecast every series of ``series``; several get an id column (the file's id name)."""
        if not self.data_.get("series"):
            return self.predict(series.frame, horizon, recursive)
        pieces = []
        for name, frame in series.frames.items():
            part = self.predict(frame, horizon, recursive, series=name)
            part.insert(0, self.data_["id"], name)
            pieces.append(part)
        return pd.concat(pieces)

    def _rollout(self, frame: pd.DataFrame, horizon: int, series: str | None = None) -> pd.DataFrame:
        """Chain forecasts of the trained horizon, each from the history plus earlier medians."""
        pre = self.preprocessor_
        if pre.features:
            raise ConfigError(
                f"--recursive needs every input to be the target, but the model also reads "
                f"{', '.join(pre.features)}, whose future is unknown. Retrain with "
                f"--horizon {horizon} instead."
            )
        history = frame[[pre.target]]
        pieces = []
        done = 0
        while done < horizon:
            step = self.predict(history, min(pre.horizon, horizon - done), series=series)
            pieces.append(step)
            history = pd.concat([history, step[["forecast"]].set_axis([pre.target], axis=1)])
            done += len(step)
        return pd.concat(pieces)

    def save(self, out: Path, force: bool = False) -> Path:
        """Write the bundle atomically: the fitted state only (the model, bundle.json and
        :meth:`files`); :func:`forecast.run.save` adds the plots and the report."""
        from . import bundle

        self._check()
        return bundle.save(Path(out), self.model_, self.info(), self.files(), force=force)

    def files(self) -> dict[str, Callable[[Path], None]]:
        """The bundle's files besides the model and bundle.json: ``{name: writer of that path}``."""
        from .evaluation import holdout_frame

        self._check()
        writers: dict[str, Callable[[Path], None]] = {
            "history.csv": lambda p: pd.DataFrame(self.history_).rename_axis("epoch").to_csv(p),
            # the checkpoint for --resume: the optimizer's state as plain arrays (no pickle)
            "optimizer.npz": lambda p: np.savez(p, *self.optimizer_state()),
            # every layer's weights as plain arrays: forecasts without importing TensorFlow
            "weights.npz": lambda p: export_weights(self.model_, p),
        }
        if self.holdout_["windows"]:
            writers["holdout.csv"] = lambda p: holdout_frame(self.holdout_).to_csv(p, index=False)
        return writers

    def optimizer_state(self) -> list[np.ndarray]:
        """The optimizer's variables: from training in this process, or from the bundle."""
        from .training import optimizer_state

        if getattr(self.model_, "optimizer", None) is not None and self.model_.optimizer.variables:
            return optimizer_state(self.model_)
        path = Path(self.path_) / "optimizer.npz"
        if not path.exists():
            raise BundleError(f"{self.path_} has no optimizer.npz checkpoint; train without --resume.")
        with np.load(path, allow_pickle=False) as saved:
            return [saved[f"arr_{i}"] for i in range(len(saved.files))]

    @classmethod
    def load(cls, path: Path, engine: str = "auto") -> Forecaster:
        """Load a bundle: files checked against their sha256, model loaded with ``safe_mode``.

        Args:
            engine: ``"numpy"`` runs the saved weights in NumPy (no TensorFlow import: fast);
                ``"keras"`` loads ``model.keras`` (needed to train on or look inside the layers);
                ``"auto"`` takes NumPy when the bundle has ``weights.npz``.
        """
        from . import bundle
        from .numpy_net import WEIGHTS_FILE, NumpyNet

        meta = bundle.read_meta(Path(path))
        try:
            forecaster = cls(TrainConfig(**{**meta["config"], "quantiles": meta["quantiles"]}))
            forecaster.preprocessor_ = Preprocessor.from_dict(meta["preprocessor"])
            forecaster.data_ = meta["data"]
            forecaster.training_ = meta["training"]
            forecaster.holdout_ = {"metrics": meta["metrics"]}
            forecaster.interval_scale_ = float(meta["interval_scale"])
            forecaster.history_ = {k: [float(v) for v in vals] for k, vals in meta.get("history", {}).items()}
            forecaster.shrink_ = float(meta.get("lstm_shrink", 1.0))
            forecaster.season_ = int(meta.get("season", meta["data"].get("season", 1)))
            forecaster.choice_ = meta.get("choice", {"weights": {"lstm": 1.0}, "label": "lstm"})
            forecaster.members_ = {
                str(k): {str(n): Member.from_dict(m) for n, m in ms.items()}
                for k, ms in meta.get("members", {}).items()
            }
            forecaster.member_start_ = {str(k): str(v) for k, v in meta.get("member_start", {}).items()}
            forecaster.member_cache_ = meta.get("member_cache", {})
            forecaster.path_ = str(path)
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{path}/bundle.json lacks or garbles {exc}. Retrain the bundle.") from None
        if engine == "numpy" or (engine == "auto" and WEIGHTS_FILE in meta["files"]):
            forecaster.model_ = NumpyNet.load(Path(path), {**meta["config"], "quantiles": meta["quantiles"]})
        else:
            forecaster.model_ = bundle.load_model(Path(path))
        return forecaster

    def info(self) -> dict[str, Any]:
        """What bundle.json records about this forecaster (besides files and versions)."""
        self._check()
        return {
            "config": self.config.to_dict(),
            "preprocessor": self.preprocessor_.to_dict(),
            "quantiles": self.quantiles,
            "interval": self.interval(),
            "interval_scale": self.interval_scale_,  # fitted on the validation part
            "data": self.data_,
            "training": self.training_,
            "interrupted": bool(self.training_.get("interrupted")),
            "history": self.history_,
            "metrics": self.holdout_["metrics"],
            "metrics_per_series": self.holdout_.get("per_series", {}),
            "season": self.season_,
            # the share of the network's correction to its base that is kept (fitted on validation)
            "lstm_shrink": self.shrink_,
            # the forecast given: which members, with what weights, and their validation MASE
            "choice": self.choice_,
            # statistical members as plain numbers (refitted on training + validation rows)
            "members": {k: {n: m.to_dict() for n, m in ms.items()} for k, ms in self.members_.items()},
            "member_start": self.member_start_,
            # the chosen statistical members' forecasts from the end of each training series
            "member_cache": getattr(self, "member_cache_", {}),
            **({"tuning": self.tuning_} if hasattr(self, "tuning_") else {}),  # forecast tune's trials
        }
