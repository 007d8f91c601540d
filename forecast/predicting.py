"""Load the history a bundle forecasts from, read with the settings it was trained with."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .data import Series, load_series
from .errors import ConfigError, DataError

if TYPE_CHECKING:
    from .forecaster import Forecaster


def load_histories(forecaster: Forecaster, data: Path | None, only: str | None = None) -> Series:
    """Read ``data`` (default: the training CSV) as the bundle's series, columns and frequency.

    Args:
        only: keep this one series of a several-series model (``--series``).

    Raises:
        DataError: when the file is gone, lacks a column the model reads, has another
            frequency than the training data, or a series is too short for the lookback.
    """
    d = forecaster.data_
    pre = forecaster.preprocessor_
    config = forecaster.config
    path = Path(data) if data is not None else Path(d["source"])
    if data is None and not path.exists():
        raise DataError(f"The training file {path} is gone. Pass the recent history with --data.")
    options = config.data_options()
    options.dayfirst = d["dayfirst"]
    series = load_series(
        path, config.columns, options=options, n_targets=len(config.targets),
        missing_hint="The model was trained on these columns; give a CSV that has them.",
    )
    if series.freq != d["freq"]:
        raise DataError(
            f"{path.name} has frequency {series.freq}, but the model was trained on "
            f"{d['freq']} data. Resample the data to {d['freq']} first (--resample in training)."
        )
    if only is not None:
        if only not in series.frames:
            raise ConfigError(
                f"--series '{only}' is not in {path.name} (series: {', '.join(list(series.frames)[:10])})."
            )
        series.frames = {only: series.frames[only]}
    known = set(d.get("series") or [])
    for name, frame in series.frames.items():
        if known and name not in known:
            raise DataError(
                f"Series '{name}' in {path.name} was not in the training data. "
                "Pick trained ones with --series, or retrain."
            )
        if len(frame) < pre.lookback:
            label = f"Series '{name}' in {path.name}" if known else path.name
            raise DataError(
                f"{label} has {len(frame)} rows; the model needs the last {pre.lookback} "
                "(its lookback). Give more history."
            )
    return series


def load_history(forecaster: Forecaster, data: Path | None) -> pd.DataFrame:
    """The history of a one-series model as one frame (see :func:`load_histories`)."""
    if forecaster.data_.get("series"):
        raise ConfigError(
            f"This bundle holds one model for {len(forecaster.data_['series'])} series; this command "
            "works on one-series bundles. Train one series (a file with one id, without --id) to use it."
        )
    return load_histories(forecaster, data).frame
