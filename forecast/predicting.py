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
        DataError: when the file is gone, lacks a column, or is too short for the lookback.
    """
    d = forecaster.data_
    path = Path(data) if data is not None else Path(d["source"])
    if data is None and not path.exists():
        raise DataError(f"The training file {path} is gone. Pass the recent history with --data.")
    series = load_series(
        path, forecaster.preprocessor_.columns, d["time"], d["dayfirst"], freq=d["freq"]
    )
    return series.frame
