"""Split each series by time: train | validation | test rows, and the window geometry.

The test part is a whole number of horizons (at least one); validation is at least one
horizon (two where the series allows: its windows also choose the forecast); the
training part holds at least one full window. Nothing from later rows leaks into earlier.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import TrainConfig
from .errors import DataError
from .frequency import default_horizon, season_length
from .rowcount import rows_needed, train_rows

MAX_AUTO_LOOKBACK = 336  # two weeks of hours; longer windows cost time and rarely help an LSTM


@dataclass(frozen=True)
class Split:
    """Row boundaries: train ``[0, train_end)``, validation ``[train_end, val_end)``, test after."""

    rows: int
    train_end: int
    val_end: int

    def to_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "train_rows": self.train_end,
            "val_rows": self.val_end - self.train_end,
            "test_rows": self.rows - self.val_end,
        }


def plan(rows: int, freq: str, config: TrainConfig) -> tuple[int, int, Split]:
    """Choose horizon and lookback (when not given) and split ``rows`` by time.

    The test part is a whole number of horizons (at least one); validation is at
    least one horizon; the training part must hold at least one full window.

    Raises:
        DataError: when the series is too short for the requested geometry.
    """
    horizon = config.horizon or default_horizon(freq)
    season = season_length(freq)
    train_end = train_rows(rows, horizon, config.test_fraction, config.val_fraction)
    test = _test_rows(rows, horizon, config)
    val = rows - test - train_end
    if config.lookback is not None:
        lookback = config.lookback
    else:
        lookback = min(max(4 * horizon, 7 * season), MAX_AUTO_LOOKBACK)
        lookback = max(1, min(lookback, (train_end - horizon) // 2))
    if train_end - lookback - horizon + 1 < 1:
        need = rows_needed(lookback, horizon, config.test_fraction, config.val_fraction, start=rows + 1)
        smaller = "--lookback or --horizon" if lookback > 1 else "--horizon"  # the automatic one is 1 here
        raise DataError(
            f"The series has {rows} rows, too few for lookback {lookback} + horizon {horizon} "
            f"+ validation {val} + test {test} rows ({need} rows needed), validation and test growing with "
            "the series. "
            f"Use a smaller {smaller}, or give a longer series."
        )
    return horizon, lookback, Split(rows, train_end, train_end + val)


def _test_rows(rows: int, horizon: int, config: TrainConfig) -> int:
    """Whole horizons, at least one; none when ``test_fraction`` is 0 (backtests test elsewhere)."""
    if config.test_fraction == 0:
        return 0
    return horizon * max(1, round(config.test_fraction * rows / horizon))
