"""Load the history a bundle forecasts from, with the settings it was trained with."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .data import load_series
from .errors import DataError

if TYPE_CHECKING:
    from .forecaster import Forecaster


def load_history(forecaster: Forecaster, data: Path | None) -> pd.DataFrame:
    """Read ``data`` (default: the training CSV) as the bundle's columns at the bundle's frequency.

    Raises:
        DataError: when the file is gone, lacks a column the model reads, has another
            frequency than the training data, or is too short for the lookback.
    """
    d = forecaster.data_
    pre = forecaster.preprocessor_
    path = Path(data) if data is not None else Path(d["source"])
    if data is None and not path.exists():
        raise DataError(f"The training file {path} is gone. Pass the recent history with --data.")
    series = load_series(
        path, pre.columns, d["time"], d["dayfirst"],
        missing_hint="The model was trained on these columns; give a CSV that has them.",
    )
    if series.freq != d["freq"]:
        raise DataError(
            f"{path.name} has frequency {series.freq}, but the model was trained on "
            f"{d['freq']} data. Resample the data to {d['freq']} first."
        )
    if len(series.frame) < pre.lookback:
        raise DataError(
            f"{path.name} has {len(series.frame)} rows; the model needs the last {pre.lookback} "
            "(its lookback). Give more history."
        )
    return series.frame
