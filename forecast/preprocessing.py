"""The one fitted preprocessor shared by train, predict and evaluation.

It holds the column roles, the window geometry, the known-future inputs (the
calendar, public holidays and ``--future`` columns) and the scaler (one per series
for a panel), is fitted on the training part only, and is written into bundle.json
as plain numbers. Inverse scaling happens here and
nowhere else.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, DataError

ANCHORS = ("last", "season", "none")
WINDOW_SCALE_FLOOR = 0.1  # a window's spread, in units of the series' own (training) spread:
# a flat window (a run of zeros, a filled gap) is not magnified more than tenfold


def scales_windows(window_scale: bool, relative: bool, anchor: str) -> bool:
    """Whether ``--window-scale`` applies: the spread divides the target's difference from the
    window's last value and from the base, so it needs relative inputs and an anchor."""
    return bool(window_scale and relative and anchor != "none")


class Preprocessor:
    """Columns -> scaled float32 array, and model outputs -> original units.

    Args:
        target: target column (always column 0 of the array).
        features: past covariate columns, after the target.
        lookback: input window length in steps.
        horizon: output steps.
        anchor: ``"last"`` makes the network predict the change from the last
            observed (scaled) target of each window, so doing nothing is the naive
            forecast; ``"season"`` predicts the change from the value one season before each
            step, so doing nothing is the seasonal-naive forecast; ``"none"`` predicts scaled
            levels directly.
        calendar: calendar cycles added as known-future inputs (see :mod:`forecast.calendar`).
        relative: the network reads the target relative to each window's last value
            (translation invariant, so a trending series never leaves the range seen in
            training); the covariates and calendar stay as they are.
        freq: the series' frequency (needed to date the steps past the end for the calendar).
        season: the seasonal period behind the ``"season"`` anchor (at most ``lookback``).
        future: known-future columns (``--future``): scaled like the covariates, and each row
            carries their values ``horizon`` steps later, like the calendar.
        holidays: the public-holiday inputs (:func:`forecast.holiday.spec`), or None.
        window_scale: with ``relative`` and an anchor, the target's inputs and the network's
            targets are also divided by each window's own spread (the standard deviation of
            its target, at least :data:`WINDOW_SCALE_FLOOR`; RevIN, NeuralForecast's window
            scalers): a series whose swings grow with its level (J&J, airline) never shows
            the network swings larger than it was trained on.
    """

    def __init__(
        self,
        target: str,
        features: list[str],
        lookback: int,
        horizon: int,
        anchor: str = "last",
        calendar: list[str] | None = None,
        freq: str | None = None,
        relative: bool = False,
        season: int = 1,
        future: list[str] | None = None,
        holidays: dict[str, Any] | None = None,
        window_scale: bool = False,
    ) -> None:
        if anchor not in ANCHORS:
            raise ConfigError(f"anchor must be one of {', '.join(ANCHORS)}; got '{anchor}'.")
        if anchor == "season" and not 1 <= season <= lookback:
            raise ConfigError(f"The seasonal anchor needs 1 <= season <= lookback; got {season}, {lookback}.")
        self.season = int(season)
        self.target = target
        self.features = list(features)
        self.lookback = lookback
        self.horizon = horizon
        self.anchor = anchor
        self.calendar = list(calendar or [])
        self.freq = freq
        self.relative = relative
        self.window_scale = scales_windows(window_scale, relative, anchor)
        self.future = list(future or [])
        self.holidays = holidays
        self.series_: dict[str, dict[str, list[float]]] = {}  # per-series scalers of a panel

    @property
    def columns(self) -> list[str]:
        """The data columns read from the file: target, then past covariates."""
        return [self.target, *self.features]

    @property
    def scaled_columns(self) -> list[str]:
        """The columns the scaler is fitted on: the data columns, then the known-future ones."""
        return [*self.columns, *self.future]

    @property
    def known_future(self) -> list[str]:
        """The known-future inputs, in window order: ``--future`` columns, calendar, holidays."""
        from .calendar import feature_names

        holidays = (self.holidays or {}).get("features", [])
        return [*self.future, *feature_names(self.calendar), *holidays]

    @property
    def input_names(self) -> list[str]:
        """Every input of a window, in order: the columns, then the known-future inputs."""
        return [*self.columns, *self.known_future]

    def fit(self, frame: pd.DataFrame, series: str | None = None) -> Preprocessor:
        """Fit the scaler on ``frame`` (the training part only); with ``series``, that
        series' own scaler (several series share one model, each scaled by itself)."""
        from sklearn.preprocessing import StandardScaler  # imported here: predict never needs it

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow: caught in transform
            scaler = StandardScaler().fit(frame[self.scaled_columns].to_numpy(dtype="float64"))
        if series is not None:
            self.series_[series] = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}
            if hasattr(self, "mean_"):
                return self
        self.mean_ = scaler.mean_.tolist()
        self.scale_ = scaler.scale_.tolist()
        return self

    def _check(self) -> None:
        if not hasattr(self, "mean_"):
            raise RuntimeError("Preprocessor is not fitted; call fit() first.")

    def _stats(self, series: str | None) -> tuple[np.ndarray, np.ndarray]:
        self._check()
        if series is None or not self.series_:
            return np.asarray(self.mean_), np.asarray(self.scale_)
        if series not in self.series_:
            raise DataError(
                f"Series '{series}' was not in the training data (known: {', '.join(sorted(self.series_))}). "
                "Retrain with it, or pick a known one."
            )
        return np.asarray(self.series_[series]["mean"]), np.asarray(self.series_[series]["scale"])

    def transform(
        self, frame: pd.DataFrame, series: str | None = None, future: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Scale the columns and add the known-future inputs: ``(rows, n_inputs)`` float32,
        target in column 0.

        Row ``t`` carries the known-future inputs of ``t + horizon``. For the ``--future``
        columns those come from ``frame`` itself, then from ``future`` (their values after
        the frame's last row); a step neither has is NaN, which only the last ``horizon``
        rows can hold (no training window reads them; predict checks them first).
        """
        mean, scale = self._stats(series)
        n = len(self.columns)
        values = frame[self.columns].to_numpy(dtype="float64")
        blank = np.isnan(values).any(axis=0)
        if blank.any():  # the CLI fills gaps when it reads a file; a frame handed to the library may not be
            rows = np.isnan(values).any(axis=1)
            raise DataError(
                f"Column(s) {', '.join(c for c, b in zip(self.columns, blank) if b)} hold {int(rows.sum())} blank "
                f"value(s) (the last at {frame.index[rows][-1]}). Fill them first (forecast.data.load_series "
                "reads a file filled, as the CLI does)."
            )
        with np.errstate(all="ignore"):
            scaled = ((values - mean[:n]) / scale[:n]).astype("float32")
        if not np.isfinite(scaled).all():
            bad = [c for c, ok in zip(self.columns, np.isfinite(scaled).all(axis=0)) if not ok]
            raise DataError(
                f"Column(s) {', '.join(bad)} hold values too extreme to scale (beyond about 1e38, "
                "or spread wider than float64 allows). Remove or rescale them."
            )
        known = self._known(pd.DatetimeIndex(frame.index), frame, future, mean[n:], scale[n:])
        return np.concatenate([scaled, known], axis=1) if known.shape[1] else scaled

    def _known(
        self, index: pd.DatetimeIndex, frame: pd.DataFrame, future: pd.DataFrame | None,
        mean: np.ndarray, scale: np.ndarray,
    ) -> np.ndarray:
        """The known-future block ``(rows, len(known_future))``: each row holds the inputs of
        the step ``horizon`` rows later (:func:`forecast.calendar.ahead`)."""
        from .calendar import ahead, encode

        if not self.known_future:
            return np.zeros((len(index), 0), "float32")
        stamps = ahead(index, self.freq, self.horizon)  # (rows,) the step each row looks at
        blocks = []
        if self.future:
            given = frame[self.future]  # (rows, columns), then the values after the frame's end
            given = given if future is None else pd.concat([given, future[self.future]])
            given = given[~given.index.duplicated(keep="first")]
            with np.errstate(all="ignore"):
                block = ((given.reindex(stamps).to_numpy(dtype="float64") - mean) / scale).astype("float32")
            if np.isinf(block).any():  # missing steps are NaN (checked by predict); these overflowed
                bad = [c for c, over in zip(self.future, np.isinf(block).any(axis=0)) if over]
                raise DataError(f"--future column(s) {', '.join(bad)} hold values too extreme to scale (beyond about "
                                "1e38, or far outside the training values). Remove or rescale them.")
            blocks.append(block)
        if self.calendar:
            blocks.append(encode(stamps, self.calendar))
        if self.holidays:
            from .holiday import encode as holiday_features

            blocks.append(holiday_features(stamps, self.holidays, self.freq))
        return np.concatenate(blocks, axis=1).astype("float32")

    def encode_inputs(self, x: Any) -> Any:
        """Gathered windows ``(batch, lookback, F)`` -> the network's inputs (NumPy or tensors)."""
        if not self.relative:
            return x
        target = x[:, :, :1] - x[:, -1:, :1]
        if self.window_scale:
            target = target / self.spread(x)[:, :, None]
        if isinstance(x, np.ndarray):
            return np.concatenate([target, x[:, :, 1:]], axis=-1).astype(x.dtype, copy=False)
        from keras import ops  # tensors of any backend (tf.data hands TensorFlow ones)

        return ops.concatenate([target, x[:, :, 1:]], axis=-1)

    def spread(self, x: Any) -> Any:
        """Each window's spread ``(batch, 1)`` (used with ``window_scale``): the standard
        deviation of its (scaled) target, at least :data:`WINDOW_SCALE_FLOOR`."""
        if isinstance(x, np.ndarray):
            return np.maximum(x[:, :, 0].std(axis=1, keepdims=True), WINDOW_SCALE_FLOOR).astype(x.dtype)
        from keras import ops

        return ops.maximum(ops.std(x[:, :, 0], axis=1, keepdims=True), WINDOW_SCALE_FLOOR)

    def base_positions(self) -> np.ndarray:
        """Where in the window each step's base value sits: the last row for ``"last"``,
        the same phase one season back (``lookback + h - season * (h // season + 1)``)
        for ``"season"``."""
        h = np.arange(self.horizon)
        if self.anchor == "season":
            return self.lookback + h - self.season * (h // self.season + 1)
        return np.full(self.horizon, self.lookback - 1)

    def base(self, x: Any) -> Any:
        """The base forecast ``(batch, horizon)`` (scaled) read off windows ``(batch, lookback, F)``."""
        if self.anchor == "last":
            return x[:, -1, 0:1]
        idx = self.base_positions()
        if isinstance(x, np.ndarray):
            return x[:, idx, 0]
        import keras

        return keras.ops.take(x[:, :, 0], idx, axis=1)

    def encode_target(self, y: Any, x: Any) -> Any:
        """Scaled targets ``(batch, horizon)`` -> network targets, given inputs ``(batch, lookback, F)``."""
        if self.anchor == "none":
            return y
        return (y - self.base(x)) / self.spread(x) if self.window_scale else y - self.base(x)

    def decode_target(self, out: np.ndarray, x: np.ndarray, series: str | None = None) -> np.ndarray:
        """Network outputs ``(batch, horizon[, q])`` -> target values in original units."""
        mean, scale = self._stats(series)
        out = np.asarray(out, dtype="float64")
        if self.anchor != "none":
            x = np.asarray(x, dtype="float64")
            base = np.asarray(self.base(x))  # (batch, 1 or horizon)
            if self.window_scale:
                spread = self.spread(x)  # (batch, 1)
                out = out * (spread[..., None] if out.ndim == 3 else spread)
            out = out + (base[..., None] if out.ndim == 3 else base)
        return out * scale[0] + mean[0]

    def to_dict(self) -> dict[str, Any]:
        self._check()
        return {
            "target": self.target,
            "features": self.features,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "anchor": self.anchor,
            "calendar": self.calendar,
            "freq": self.freq,
            "relative": self.relative,
            "window_scale": self.window_scale,
            "season": self.season,
            "future": self.future,  # known-future columns: predict needs their values for the horizon
            "holidays": self.holidays,  # public holidays: region and features, rebuilt from timestamps
            "scaler": {"kind": "standard", "mean": self.mean_, "scale": self.scale_},
            "series_scalers": self.series_,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessor:
        pre = cls(d["target"], d["features"], int(d["lookback"]), int(d["horizon"]), d["anchor"],
                  d.get("calendar", []), d.get("freq"), bool(d.get("relative", False)),
                  int(d.get("season", 1)), list(d.get("future", [])), d.get("holidays"),
                  bool(d.get("window_scale", False)))
        pre.mean_ = [float(v) for v in d["scaler"]["mean"]]
        pre.scale_ = [float(v) for v in d["scaler"]["scale"]]
        pre.series_ = {
            str(k): {"mean": [float(v) for v in s["mean"]], "scale": [float(v) for v in s["scale"]]}
            for k, s in d.get("series_scalers", {}).items()
        }
        return pre
