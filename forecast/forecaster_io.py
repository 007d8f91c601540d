"""A forecaster's bundle: its fitted state written (save, files, info) and read back (load)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from .config import TrainConfig
from .errors import BundleError, ConfigError
from .members import Member
from .numpy_net import export_weights, read_weights
from .preprocessing import Preprocessor

if TYPE_CHECKING:
    from .data import Series
    from .layout import Layout

T = TypeVar("T")


class Persisted:
    """What :class:`forecaster.Forecaster` saves and loads; a part of it, kept apart for length."""

    def save(self, out: Path, force: bool = False) -> Path:
        """Write the bundle atomically: the fitted state only (the model, bundle.json and
        :meth:`files`); :func:`forecast.run.save` adds the plots and the report."""
        from . import bundle

        self._check()
        return bundle.save(Path(out), self.model_, self.info(), self.files(), force=force)

    def history_frame(self) -> pd.DataFrame:
        """history.csv: one row an epoch, counted from 1 as train prints them and best_epoch is
        (counted from 0, the row of best epoch 4 read 3)."""
        rows = len(next(iter(self.history_.values()), []))
        return pd.DataFrame(self.history_, index=pd.RangeIndex(1, rows + 1, name="epoch"))

    def files(self) -> dict[str, Callable[[Path], None]]:
        """The bundle's files besides the model and bundle.json: ``{name: writer of that path}``."""
        from .evaluation import holdout_frame

        self._check()
        writers: dict[str, Callable[[Path], None]] = {
            "history.csv": lambda p: self.history_frame().to_csv(p),
            # the checkpoint for --resume: the optimizer's state as plain arrays (no pickle)
            "optimizer.npz": lambda p: np.savez(p, *self.optimizer_state()),
            # every layer's weights as plain arrays: forecasts without importing TensorFlow
            "weights.npz": lambda p: export_weights(self.model_, p),
        }
        if self.holdout_["windows"]:
            writers["holdout.csv"] = lambda p: self._as_written(holdout_frame(self.holdout_)).to_csv(p, index=False)
        return writers

    def _as_written(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The time columns of ``frame`` as the training file wrote its times (its quarters, its day
        of the month: see :func:`forecast.data.times_as_written`)."""
        from .data import time_style, times_as_written

        style = time_style(self.data_)
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = list(times_as_written(pd.DatetimeIndex(frame[column]), *style))
        return frame

    def optimizer_state(self) -> list[np.ndarray]:
        """The optimizer's variables: from training in this process, or from the bundle."""
        from .training import optimizer_state

        if getattr(self.model_, "optimizer", None) is not None and self.model_.optimizer.variables:
            return optimizer_state(self.model_)
        path = Path(self.path_) / "optimizer.npz"
        if not path.exists():
            raise BundleError(f"{self.path_} has no optimizer.npz checkpoint; train without --resume.")
        saved = read_weights(path)  # plain arrays or a one-line error, never unpickled
        try:
            return [saved[f"arr_{i}"] for i in range(len(saved))]
        except KeyError:
            raise BundleError(f"optimizer.npz in {self.path_} does not hold the optimizer's arrays "
                              f"(arr_0 .. arr_{len(saved) - 1}). Train without --resume.") from None

    @classmethod
    def load(cls: type[T], path: Path, engine: str = "auto") -> T:
        """Load a bundle: files checked against their sha256, model loaded with ``safe_mode``.

        Args:
            engine: ``"numpy"`` runs the saved weights in NumPy (no TensorFlow import: fast);
                ``"keras"`` loads ``model.keras`` (needed to train on or look inside the layers);
                ``"auto"`` takes NumPy when the bundle has ``weights.npz``.
        """
        from . import bundle
        from .numpy_net import WEIGHTS_FILE, NumpyNet

        if engine not in ("auto", "numpy", "keras"):  # anything else loaded as "keras", without a word
            raise ConfigError(f"engine must be 'auto', 'numpy' or 'keras'; got {engine!r}.")
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
            forecaster.floor_ = None if meta.get("floor") is None else float(meta["floor"])
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
            # the least value a forecast takes (--floor; null: none), applied after the interval scale
            "floor": getattr(self, "floor_", None),
            # the forecast given: which members, with what weights, and their validation MASE
            "choice": self.choice_,
            # statistical members as plain numbers (refitted on training + validation rows)
            "members": {k: {n: m.to_dict() for n, m in ms.items()} for k, ms in self.members_.items()},
            "member_start": self.member_start_,
            # the chosen statistical members' forecasts from the end of each training series
            "member_cache": getattr(self, "member_cache_", {}),
            **({"tuning": self.tuning_} if hasattr(self, "tuning_") else {}),  # forecast tune's trials
        }


def data_record(series: Series, layout: Layout, season: int, target: str, notes: list[str]) -> dict[str, Any]:
    """What bundle.json keeps of the data a forecaster was fitted on (``data_``): the time column,
    frequency, season, span, each part's rows and times, the notes on loading it and those of the
    fit (``notes``: the forecaster's, the series it left out first)."""
    from .metrics import longest_run

    first, split = layout.frames[0], layout.splits[0]
    return {
        "time": series.time,
        "freq": series.freq,
        "season": season,
        "dayfirst": series.dayfirst,
        "years": series.years,  # outputs write the time as years, as the file did
        "utc": series.utc,  # the file's times carried offsets: outputs write UTC times marked +00:00
        "day": series.day,  # every date was this day of its month: read on month starts, written on it
        "periods": series.periods,  # quarters or ISO weeks: written as the file wrote them ("{y} Q{q}")
        "source": series.source,
        "id": series.id,
        "series": layout.names if layout.panel else [],
        "series_splits": (
            {n: sp.to_dict() for n, sp in zip(layout.names, layout.splits)} if layout.panel else {}
        ),
        "start": str(min(f.index[0] for f in layout.frames)),
        "end": str(max(f.index[-1] for f in layout.frames)),  # the span: first start to last end
        "split": split.to_dict(),
        "split_times": {
            "train": [str(first.index[0]), str(first.index[split.train_end - 1])],
            "validation": [str(first.index[split.train_end]), str(first.index[split.val_end - 1])],
            "test": [str(first.index[min(split.val_end, split.rows - 1)]), str(first.index[-1])],
        },
        "notes": series.notes + layout.skipped,  # loading: rows and series read, changed or left out
        "fit_notes": [n for n in notes if n not in layout.skipped],  # what fitting decided (floor, base, ...)
        "filled": series.filled,
        # the longest run of identical target values in training: longer ones look stuck
        "longest_run": max(
            longest_run(f[target].to_numpy()[: s.train_end]) for f, s in zip(layout.frames, layout.splits)
        ),
    }
