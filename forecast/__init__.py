"""forecast: CSV time series to Keras LSTM forecasts, bundles, plots.

The public surface; everything else is internal. Names are imported on first
use so that `forecast --help` does not pay for pandas or TensorFlow.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import BundleError, ConfigError, DataError, ForecastError

_LAZY = {
    "TrainConfig": "forecast.config",
    "NetworkOptions": "forecast.config",
    "FitOptions": "forecast.config",
    "HardwareOptions": "forecast.config",
    "Series": "forecast.data",
    "DataOptions": "forecast.data_flags",
    "diagnose": "forecast.doctor",
    "load_series": "forecast.data",
    "Forecaster": "forecast.forecaster",
}

__all__ = ["BundleError", "ConfigError", "DataError", "ForecastError", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")
