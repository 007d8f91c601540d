"""The one fitted preprocessor shared by train, predict and evaluation.

It holds the column roles, the window geometry and the scaler, is fitted on the
training part only, and is written into bundle.json as plain numbers. Inverse
scaling happens here and nowhere else.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, DataError

ANCHORS = ("last", "none")


class Preprocessor:
    """Columns -> scaled float32 array, and model outputs -> original units.

    Args:
        target: target column (always column 0 of the array).
        features: past covariate columns, after the target.
        lookback: input window length in steps.
        horizon: output steps.
        anchor: ``"last"`` makes the network predict the change from the last
            observed (scaled) target of each window, so doing nothing is the naive
            forecast; ``"none"`` predicts scaled levels directly.
    """

    def __init__(
        self, target: str, features: list[str], lookback: int, horizon: int, anchor: str = "last"
    ) -> None:
        if anchor not in ANCHORS:
            raise ConfigError(f"anchor must be one of {', '.join(ANCHORS)}; got '{anchor}'.")
        self.target = target
        self.features = list(features)
        self.lookback = lookback
        self.horizon = horizon
        self.anchor = anchor

    @property
    def columns(self) -> list[str]:
        return [self.target, *self.features]

    def fit(self, frame: pd.DataFrame) -> Preprocessor:
        """Fit the scaler on ``frame`` (the training part only)."""
        from sklearn.preprocessing import StandardScaler  # imported here: predict never needs it

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow: caught in transform
            scaler = StandardScaler().fit(frame[self.columns].to_numpy(dtype="float64"))
        self.mean_ = scaler.mean_.tolist()
        self.scale_ = scaler.scale_.tolist()
        return self

    def _check(self) -> None:
        if not hasattr(self, "mean_"):
            raise RuntimeError("Preprocessor is not fitted; call fit() first.")

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Scale the columns: ``(rows, n_features)`` float32, target in column 0."""
        self._check()
        values = frame[self.columns].to_numpy(dtype="float64")
        with np.errstate(all="ignore"):
            scaled = ((values - np.asarray(self.mean_)) / np.asarray(self.scale_)).astype("float32")
        if not np.isfinite(scaled).all():
            bad = [c for c, ok in zip(self.columns, np.isfinite(scaled).all(axis=0)) if not ok]
            raise DataError(
                f"Column(s) {', '.join(bad)} hold values too extreme to scale (beyond about 1e38, "
                "or spread wider than float64 allows). Remove or rescale them."
            )
        return scaled

    def encode_target(self, y: Any, x: Any) -> Any:
        """Scaled targets ``(batch, horizon)`` -> network targets, given inputs ``(batch, lookback, F)``."""
        return y - x[:, -1, 0:1] if self.anchor == "last" else y

    def decode_target(self, out: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Network outputs ``(batch, horizon[, q])`` -> target values in original units."""
        self._check()
        out = np.asarray(out, dtype="float64")
        if self.anchor == "last":
            last = np.asarray(x, dtype="float64")[:, -1, 0]
            out = out + last.reshape((-1,) + (1,) * (out.ndim - 1))
        return out * self.scale_[0] + self.mean_[0]

    def to_dict(self) -> dict[str, Any]:
        self._check()
        return {
            "target": self.target,
            "features": self.features,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "anchor": self.anchor,
            "scaler": {"kind": "standard", "mean": self.mean_, "scale": self.scale_},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessor:
        pre = cls(d["target"], d["features"], int(d["lookback"]), int(d["horizon"]), d["anchor"])
        pre.mean_ = [float(v) for v in d["scaler"]["mean"]]
        pre.scale_ = [float(v) for v in d["scaler"]["scale"]]
        return pre
