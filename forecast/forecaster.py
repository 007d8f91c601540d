"""The forecaster: a fitted preprocessor plus a trained network, with predict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import TrainConfig
from .data import Series
from .errors import BundleError, ConfigError, DataError
from .frequency import future_index, season_length
from .numpy_net import export_weights
from .preprocessing import Preprocessor
from .windows import gather, origins

_CHUNK = 1024  # windows per forward pass when scoring many windows


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
        from .detect import longest_run
        from .evaluation import evaluate_holdout
        from .training import Resume, fit_model, plan

        cfg = self.config
        frame = series.frame
        horizon, lookback, split = plan(len(frame), series.freq, cfg)
        resume = None
        if resume_from is not None:
            pre = resume_from.preprocessor_
            if (pre.lookback, pre.horizon, pre.columns) != (lookback, horizon, [cfg.target, *cfg.features]):
                raise ConfigError(
                    f"--resume needs the bundle's settings: lookback {pre.lookback}, horizon "
                    f"{pre.horizon}, columns {', '.join(pre.columns)}. Pass the same flags as before."
                )
            resume = Resume(resume_from.model_, resume_from.optimizer_state(),
                            resume_from.history_, resume_from.training_["epochs"])
        else:
            pre = Preprocessor(cfg.target, cfg.features, lookback, horizon, cfg.anchor)
            pre.fit(frame.iloc[: split.train_end])  # training part only: no leakage
        values = pre.transform(frame)  # (rows, F)
        self.model_, self.history_, self.training_ = fit_model(
            values, split, lookback, horizon, cfg, pre.encode_target, report, stop, resume
        )
        self.preprocessor_ = pre
        self.interval_scale_ = 1.0
        if cfg.quantiles:
            self.interval_scale_ = self._calibrate(frame, values, split)
        self.data_ = {
            "time": series.time,
            "freq": series.freq,
            "season": season_length(series.freq),
            "dayfirst": series.dayfirst,
            "source": series.source,
            "start": str(frame.index[0]),
            "end": str(frame.index[-1]),
            "split": split.to_dict(),
            "split_times": {
                "train": [str(frame.index[0]), str(frame.index[split.train_end - 1])],
                "validation": [str(frame.index[split.train_end]), str(frame.index[split.val_end - 1])],
                "test": [str(frame.index[min(split.val_end, split.rows - 1)]), str(frame.index[-1])],
            },
            "notes": series.notes,
            "filled": series.filled,
            # the longest run of identical target values in training: longer ones look stuck
            "longest_run": longest_run(frame[cfg.target].to_numpy()[: split.train_end]),
        }
        self.holdout_ = (
            evaluate_holdout(self, frame, values, split)
            if split.val_end < split.rows
            else {"metrics": {}, "windows": 0}  # no test part: scored elsewhere (backtest)
        )
        return self

    def _calibrate(self, frame: pd.DataFrame, values: np.ndarray, split: Any) -> float:
        """Interval scale fitted on the validation windows (see :mod:`forecast.intervals`)."""
        from .intervals import fit_interval_scale

        pre = self.preprocessor_
        o = origins(split.train_end, split.val_end, pre.lookback, pre.horizon)
        target = frame[pre.target].to_numpy(dtype="float64")
        actual = target[o[:, None] + np.arange(pre.horizon)]  # (windows, horizon)
        return fit_interval_scale(actual, self.predict_windows(values, o), self.quantiles)

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

    def predict_windows(self, values: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Forecast the windows at ``origins`` of a scaled array, in original units.

        Returns:
            ``(n, horizon)``, or ``(n, horizon, q)`` with quantiles (ascending levels).
        """
        self._check()
        pre = self.preprocessor_
        out = []
        for i in range(0, len(origins), _CHUNK):
            x, _ = gather(values, origins[i : i + _CHUNK], pre.lookback, pre.horizon)
            out.append(self.forward(x))
        return np.concatenate(out)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Scaled windows ``(n, lookback, F)`` -> forecasts in original units ``(n, horizon[, q])``."""
        raw = np.asarray(self.model_(x, training=False))  # (n, horizon[, q])
        result = self.preprocessor_.decode_target(raw, x)
        if self.quantiles and self.interval_scale_ != 1.0:
            from .intervals import apply_interval_scale

            result = apply_interval_scale(result, self.quantiles, self.interval_scale_)
        return result

    def predict(
        self, frame: pd.DataFrame, horizon: int | None = None, recursive: bool = False
    ) -> pd.DataFrame:
        """Forecast the steps after the last row of ``frame``.

        Args:
            frame: history with the training columns on a time index (a :class:`Series` frame).
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
            return self._rollout(frame, horizon)
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
        values = pre.transform(frame.iloc[-pre.lookback :])  # (lookback, F)
        out = self.predict_windows(values, np.array([pre.lookback]))[0, :horizon]  # (h[, q])
        index = future_index(frame.index[-1], self.data_["freq"], horizon)
        index.name = self.data_["time"]
        columns = {"forecast": self.point(out)}
        if self.quantiles:
            columns.update(lower=out[:, 0], upper=out[:, -1])
        return pd.DataFrame(columns, index=index)

    def _rollout(self, frame: pd.DataFrame, horizon: int) -> pd.DataFrame:
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
            step = self.predict(history, min(pre.horizon, horizon - done))
            pieces.append(step)
            history = pd.concat([history, step[["forecast"]].set_axis([pre.target], axis=1)])
            done += len(step)
        return pd.concat(pieces)

    def save(self, out: Path, force: bool = False, report: bool = True) -> Path:
        """Write the bundle atomically: model, bundle.json, history, plots, test part, report.

        Args:
            report: also write ``report.html`` (see :mod:`forecast.report`).
        """
        from . import bundle, plots
        from .evaluation import holdout_frame

        self._check()
        info = self.info()
        writers = {
            "history.csv": lambda p: pd.DataFrame(self.history_).rename_axis("epoch").to_csv(p),
            # the checkpoint for --resume: the optimizer's state as plain arrays (no pickle)
            "optimizer.npz": lambda p: np.savez(p, *self.optimizer_state()),
            # every layer's weights as plain arrays: forecasts without importing TensorFlow
            "weights.npz": lambda p: export_weights(self.model_, p),
            "loss.png": lambda p: plots.loss_plot(self.history_, p),
        }
        if self.holdout_["windows"]:
            series = self.holdout_["series"]
            writers.update({
                "holdout.png": lambda p: plots.holdout_plot(series, self.holdout_, p),
                "holdout.csv": lambda p: holdout_frame(self.holdout_).to_csv(p, index=False),
                "overview.png": lambda p: plots.overview_plot(series, self.data_["split"], p),
            })
        if report:
            from .report import render

            writers["report.html"] = lambda p: p.write_text(render(p.parent, info), encoding="utf-8")
        return bundle.save(Path(out), self.model_, info, writers, force=force)

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
        }
