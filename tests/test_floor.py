"""--floor: a series that is never negative (counts, sales, load) never gets a negative forecast."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forecast.forecaster import floor_for


def test_floor_rule():
    counts = [np.array([0.0, 3.0, np.nan, 1.0]), np.array([5.0, 2.0])]
    some_negative = [np.array([0.0, 3.0]), np.array([5.0, -0.5])]
    assert floor_for("auto", counts) == (0.0, "the history is whole numbers, none negative")
    assert floor_for("auto", some_negative) == (None, "")
    assert floor_for("zero", some_negative) == (0.0, "--floor zero")
    assert floor_for("none", counts) == (None, "")
    rain = [np.array([0.0] * 30 + [0.4, 2.5, 11.2] * 20)]  # decimals, at 0 a third of the time
    assert floor_for("auto", rain) == (0.0, "the history is never negative and 33% zeros")
    rate = [np.linspace(14.6, 2.1, 400)]  # a saving rate: never negative so far, and may turn
    assert floor_for("auto", rate) == (None, "")
    cold = [np.r_[0.0, np.linspace(0.3, 25.0, 3650)]]  # one 0.0 reading in ten years of temperatures
    assert floor_for("auto", cold) == (None, "")


def _falling_csv(tmp_path, end: float = 2):
    """A count-like monthly series sliding straight to 0: a trend model runs through it."""
    rng = np.random.default_rng(0)
    y = np.clip(np.round(np.linspace(120, end, 120) + rng.normal(0, 1, 120)), 0, None)  # units sold
    path = tmp_path / "falling.csv"
    pd.DataFrame({"month": pd.date_range("2010-01-01", periods=120, freq="MS").strftime("%Y-%m"),
                  "sales": y}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("floor", ["auto", "none"])
def test_a_never_negative_history_forecasts_nothing_below_zero(tmp_path, floor):
    from typer.testing import CliRunner

    from forecast.cli import app
    from forecast.data import load_series
    from forecast.forecaster import Forecaster

    path, out = _falling_csv(tmp_path), tmp_path / "b"
    result = CliRunner().invoke(app, ["train", str(path), "--target", "sales", "--horizon", "12",
                                      "--epochs", "1", "--units", "4", "--model", "auto_theta",
                                      "--floor", floor, "--out", str(out)])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "bundle.json").read_text())
    forecast = Forecaster.load(out).predict(load_series(path, ["sales"]).frame)
    if floor == "auto":
        assert meta["floor"] == 0.0 and "Forecasts stop at 0: the history is whole numbers" in result.output
        assert forecast.to_numpy().min() == 0.0  # the trend went below; the floor held it
    else:
        assert meta["floor"] is None
        assert forecast["forecast"].min() < 0  # the same model without the floor: below zero


def test_a_history_with_negative_values_is_not_floored(tmp_path):
    from forecast.config import TrainConfig
    from forecast.data import load_series
    from forecast.forecaster import Forecaster

    rng = np.random.default_rng(1)
    path = tmp_path / "temp.csv"
    pd.DataFrame({"day": pd.date_range("2020-01-01", periods=200, freq="D").strftime("%Y-%m-%d"),
                  "t": 3 * np.sin(np.arange(200) / 9) + rng.normal(0, 0.5, 200)}).to_csv(path, index=False)
    fitted = Forecaster(TrainConfig(target="t", horizon=7, epochs=1, units=4)).fit(load_series(path, ["t"]))
    assert fitted.floor_ is None


@pytest.mark.parametrize("floor", ["auto", "none"])
def test_a_backtests_member_rows_are_floored_as_the_forecast_is(tmp_path, floor):
    """The auto_theta row is what --model auto_theta gives: floored where the forecast is."""
    from forecast.backtest import backtest
    from forecast.config import TrainConfig
    from forecast.data import load_series

    config = TrainConfig(target="sales", horizon=12, epochs=1, units=4, model="auto_theta", floor=floor)
    path = _falling_csv(tmp_path, end=-30)  # at 0 for its last 24 months: the test windows
    result = backtest(load_series(path, ["sales"]), config, windows=2)
    models = result["models"]
    forecasts = np.array(result["forecasts"])
    if floor == "auto":
        assert forecasts.min() == 0.0  # the trend runs below 0 in the test windows; the floor held it
        assert models["auto_theta"]["mase"] == pytest.approx(models["model"]["mase"])
    else:
        assert forecasts.min() < 0
        assert models["auto_theta"]["mase"] == pytest.approx(models["model"]["mase"])
