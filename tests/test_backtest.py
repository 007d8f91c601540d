"""The backtest protocol: folds, baselines, metrics, and no leakage from after an origin."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import sine_frame

from forecast.backtest import backtest, persistence
from forecast.baselines import drift
from forecast.config import TrainConfig
from forecast.data import load_series
from forecast.metrics import mape, smape

TINY = dict(epochs=2, units=4, lookback=12, horizon=4, seed=5, time_budget=60, ensemble=1)


@pytest.fixture
def series(tmp_path):
    path = tmp_path / "sine.csv"
    sine_frame(rows=240).to_csv(path, index=False)
    return load_series(path, ["y"])


@pytest.mark.parametrize("refit", [False, True])
def test_a_fold_never_sees_data_after_its_origin(series, refit):
    config = TrainConfig(target="y", **TINY)
    clean = backtest(series, config, windows=3, refit=refit)
    # poison every row from the last fold's origin on: no forecast may change
    last_origin = len(series.frame) - 4
    poisoned = series.frame.copy()
    poisoned.iloc[last_origin:, 0] = 1e6
    from dataclasses import replace

    dirty = backtest(replace(series, frames={"y": poisoned}), config, windows=3, refit=refit)
    np.testing.assert_array_equal(clean["forecasts"], dirty["forecasts"])
    assert clean["models"]["model"]["mae"] != dirty["models"]["model"]["mae"]  # the actuals did change
    assert clean["protocol"]["train_rows"] == 240 - 12
    assert clean["training"]["fits"] == (3 if refit else 1)


def test_result_has_the_documented_keys(series):
    result = backtest(series, TrainConfig(target="y", **TINY), windows=2, season=24)
    assert {"protocol", "models", "per_step_mae", "persistence", "skill"} <= set(result)
    assert set(result["models"]) == {
        "model", "lstm", "auto_ets", "auto_theta", "auto_ces", "naive", "seasonal_naive", "drift"
    }
    assert result["choice"]["label"] in result["choice"]["scores"]
    for m in result["models"].values():
        assert {"mae", "rmse", "smape", "mase"} <= set(m)
    assert {"pinball", "coverage"} <= set(result["models"]["model"])
    assert len(result["per_step_mae"]) == 4 and np.array(result["forecasts"]).shape == (2, 4)
    # on a clean sine the seasonal naive is nearly perfect, so it is the best baseline
    assert result["best_baseline"] == "seasonal_naive"


def test_too_many_windows_is_a_data_error(series):
    from forecast.errors import DataError

    with pytest.raises(DataError, match="Use fewer --windows"):
        backtest(series, TrainConfig(target="y", **TINY), windows=100)
    # windows that leave rows, but too few to train on: the most that would, not "the series has N rows"
    with pytest.raises(DataError, match=r"58 windows of 4 steps leave 8 of the 240 rows .* at most \d+ --windows"):
        backtest(series, TrainConfig(target="y", **TINY), windows=58)


def test_drift_smape_mape_and_persistence_by_hand():
    y = np.array([0.0, 1, 2, 3, 4, 5, 6, 7])
    np.testing.assert_allclose(drift(y, np.array([4]), 3), [[4, 5, 6]])  # slope (3-0)/3
    assert mape(np.array([0.0, 1.0]), np.array([1.0, 1.0])) is None
    assert mape(np.array([2.0]), np.array([1.0])) == 50.0
    assert smape(np.array([1.0]), np.array([3.0])) == 100.0
    # a forecast that repeats the last value is caught
    origins = np.array([4])
    check = persistence(y, origins, np.full((1, 3), y[3]))
    assert check["repeats_recent_values"] and check["best_shift"] > 0 and check["vs_naive"] == 1.0
    # one that follows the trend a step behind it is not: it halves naive's error
    shifted = y[origins[:, None] + np.arange(3) - 1]
    check = persistence(y, origins, shifted)
    assert check["best_shift"] == 1 and check["vs_naive"] == 0.5 and not check["repeats_recent_values"]
    assert not persistence(y, origins, y[origins[:, None] + np.arange(3)])["repeats_recent_values"]


def test_refit_scores_a_member_only_where_every_fold_fitted_it(series, monkeypatch):
    """With --refit AutoCES was refused in one fold and the scores broke on (3, h) vs (2, h)."""
    import forecast.members as members

    fit_ces, calls = members._fit_ces, []

    def some_folds(y, season):
        calls.append(len(y))
        if len(calls) in (3, 4):  # the second fold's fits: on its training part, then with validation
            raise ValueError("AutoCES diverged on this history")
        return fit_ces(y, season)

    monkeypatch.setattr(members, "_fit_ces", some_folds)
    result = backtest(series, TrainConfig(target="y", **TINY), windows=3, refit=True)
    assert len(calls) == 6 and "auto_ces" not in result["models"]
    assert {"model", "auto_ets", "naive"} <= set(result["models"])
    assert "auto_ces not scored: it could not be fitted in every fold" in result["notes"]


def test_skill_where_the_best_baseline_is_exact():
    """A noise-free seasonal series: seasonal naive's MASE is 0, and skill (1 - model / best) divided by
    it: backtest ended in a ZeroDivisionError traceback."""
    from forecast.metrics import skill, skill_text

    assert skill(0.5, 1.0) == 0.5 and skill_text(skill(0.5, 1.0)) == "+50.0%"
    assert skill(0.0, 0.0) == 0.0 and skill(0.01, 0.0) is None
    assert skill_text(None) == "none (that baseline is exact there)"


def test_skill_where_both_are_exact_within_rounding():
    """Seasonal naive of a noise-free sine erred by 4e-15 (MASE 1.3e-14), the float32 forecast by 3e-8:
    backtest printed a skill of -185291353.0%."""
    from forecast.metrics import skill

    assert skill(3.9e-8, 1.3e-14) == 0.0
    assert skill(0.01, 1.3e-14) is None
