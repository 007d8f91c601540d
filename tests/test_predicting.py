"""`forecast predict` output: rounded a few digits past the data's own (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import sine_frame

from forecast.predicting import decimals_of, round_forecast


@pytest.mark.parametrize(
    ("values", "decimals"),
    [([15136.0, 16733.0], 0), ([1.10148, 2.2, 0.5], 5), ([1.5, 2.25] * 20 + [1.3333333333], 2)],
)
def test_decimals_of_the_input(values, decimals):
    assert decimals_of(np.array(values)) == decimals


def test_float32_noise_is_not_printed():
    result = pd.DataFrame({"forecast": [4123.456787109375, 4200.1], "lower": [3999.000122, 4000.5]})
    text = round_forecast(result, decimals_of(np.array([4100.0, 4150.0]))).to_csv(index=False)
    assert text.splitlines()[1:] == ["4123.46,3999.0", "4200.1,4000.5"]


def test_small_and_huge_values_keep_their_significant_digits():
    small = round_forecast(pd.DataFrame({"forecast": [0.000123456789]}), 6)
    assert small["forecast"].iloc[0] == pytest.approx(0.00012346, abs=1e-12)
    huge = round_forecast(pd.DataFrame({"forecast": [1.23456789123e300]}), 0)
    assert str(float(huge["forecast"].iloc[0])) == "1.234568e+300"


def test_id_and_text_columns_are_left_alone():
    result = pd.DataFrame({"id": ["a"], "forecast": [1.23456789]})
    assert round_forecast(result, 1).to_dict("list") == {"id": ["a"], "forecast": [1.235]}


def test_predict_reads_dates_in_the_order_training_decided(tmp_path):
    """01/02/2020, 01/03/2020... fit both orders: predict must not guess again but reuse the bundle's."""
    from types import SimpleNamespace

    from forecast.config import TrainConfig
    from forecast.predicting import load_histories

    path = tmp_path / "recent.csv"
    path.write_text("date,y\n01/02/2020,1\n01/03/2020,2\n01/04/2020,3\n")
    bundle = SimpleNamespace(
        data_={"dayfirst": True, "freq": "MS", "source": str(path), "series": []},
        preprocessor_=SimpleNamespace(lookback=3),
        config=TrainConfig(target="y"),
        min_history=lambda series=None: 3,
    )
    series = load_histories(bundle, path)
    assert series.freq == "MS" and series.frame.index[0] == pd.Timestamp("2020-02-01")
    bundle.data_.update(dayfirst=False, freq="D")
    assert load_histories(bundle, path).frame.index[0] == pd.Timestamp("2020-01-02")


def test_iso_training_dates_fix_no_order_for_a_new_file(tmp_path):
    """Trained on 2020-01-13 (no order to decide), predict --data may be written 13/01/2020: the
    bundle records null, not month first (which refused the day-first file, naming --monthfirst)."""
    from types import SimpleNamespace

    from forecast.config import TrainConfig
    from forecast.data import load_series
    from forecast.predicting import load_histories

    days = pd.date_range("2020-01-01", periods=20)
    iso = tmp_path / "iso.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "y": np.arange(20.0)}).to_csv(iso, index=False)
    assert load_series(iso, ["y"]).dayfirst is None
    uk = tmp_path / "uk.csv"
    pd.DataFrame({"date": days.strftime("%d/%m/%Y"), "y": np.arange(20.0)}).to_csv(uk, index=False)
    bundle = SimpleNamespace(
        data_={"dayfirst": load_series(iso, ["y"]).dayfirst, "freq": "D", "source": str(iso), "series": []},
        preprocessor_=SimpleNamespace(lookback=5), config=TrainConfig(target="y"), min_history=lambda series=None: 5,
    )
    assert load_histories(bundle, uk).frame.index.equals(pd.DatetimeIndex(days, name="date"))


def test_a_day_first_file_whose_dates_fit_both_orders_is_read_at_the_bundles_frequency(tmp_path):
    """Trained on ISO days, predict --data written 01/02/2023 .. 12/02/2023: both orders read regular
    (twelve days, or twelve months), and month first won the tie, refused as 'frequency MS' with
    --resample for advice. The order that gives the model's frequency is the file's; where both give
    it (hours of one day), the file is refused, not forecast from 1 November."""
    from types import SimpleNamespace

    from forecast.config import TrainConfig
    from forecast.errors import DataError
    from forecast.predicting import load_histories

    days = pd.date_range("2023-02-01", periods=12)
    uk = tmp_path / "uk.csv"
    pd.DataFrame({"date": days.strftime("%d/%m/%Y"), "y": np.arange(12.0)}).to_csv(uk, index=False)
    bundle = SimpleNamespace(
        data_={"dayfirst": None, "freq": "D", "source": str(uk), "series": []},
        preprocessor_=SimpleNamespace(lookback=5), config=TrainConfig(target="y"), min_history=lambda series=None: 5,
    )
    assert load_histories(bundle, uk).frame.index.equals(pd.DatetimeIndex(days, name="date"))
    bundle.data_["freq"] = "MS"  # a monthly model reads the same file month first, as before
    assert load_histories(bundle, uk).frame.index[1] == pd.Timestamp("2023-02-01")
    hours = pd.date_range("2024-01-11", periods=20, freq="h")  # read either way, hourly: 1 November was taken
    pd.DataFrame({"date": hours.strftime("%d/%m/%Y %H:%M"), "y": np.arange(20.0)}).to_csv(uk, index=False)
    bundle.data_["freq"] = "h"
    with pytest.raises(DataError, match=r"'11/01/2024 00:00': 1 November 2024 or 11 January 2024\), and the training"):
        load_histories(bundle, uk)


def test_tiny_values_keep_seven_significant_digits():
    y = 1e-11 * (100 + np.sin(np.arange(50)))  # written with full float precision
    assert decimals_of(y) >= 15
    out = round_forecast(pd.DataFrame({"forecast": [9.18642345678e-10]}), decimals_of(y))
    assert out["forecast"].iloc[0] == pytest.approx(9.186423e-10, rel=1e-6)


def test_predict_names_the_bundles_fill_not_a_flag_predict_lacks(tmp_path):
    from typer.testing import CliRunner

    from forecast.cli import app

    runner = CliRunner()
    frame = sine_frame(rows=200)
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "m"
    trained = runner.invoke(app, ["train", str(path), "--target", "y", "--epochs", "1", "--units", "4",
                                  "--lookback", "12", "--horizon", "4", "--fill", "none", "--no-report",
                                  "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    frame.loc[190, "y"] = None
    frame.to_csv(tmp_path / "gap.csv", index=False)
    result = runner.invoke(app, ["predict", str(out), "--data", str(tmp_path / "gap.csv")])
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "The bundle reads with --fill none" in text
    assert "retrain with --fill interpolate, ffill or zero" in text and "Use --fill" not in text


def test_each_value_keeps_its_own_digits_and_each_series_its_own_decimals():
    """One rule for the whole table wrote a series near 0.05 as 0.0 beside one near 5e6, and a
    detected spike's expected 100.23 as 100.0."""
    panel = pd.DataFrame({"id": ["big", "small"], "forecast": [4956891.123, 0.0459031234],
                          "lower": [4942150.4, 0.0444171234]})
    out = round_forecast(panel, {"big": 1, "small": 4}, by="id")
    assert out["forecast"].tolist() == [4956891.0, 0.045903] and out["lower"].tolist() == [4942150.0, 0.044417]
    row = round_forecast(pd.DataFrame({"actual": [1e6 + 0.123], "expected": [100.2345]}), 2)
    assert row.to_dict("list") == {"actual": [1000000.0], "expected": [100.2345]}  # 7 digits each


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A one-epoch single-series model on a 200-row hourly sine, and the series it was fitted on."""
    from forecast.config import TrainConfig
    from forecast.data import load_series
    from forecast.forecaster import Forecaster

    path = tmp_path_factory.mktemp("tiny") / "sine.csv"
    sine_frame(rows=200).to_csv(path, index=False)
    series = load_series(path, ["y"])
    config = TrainConfig(target="y", epochs=1, units=4, lookback=12, horizon=4, seed=0, ensemble=1, quantiles=None)
    return Forecaster(config).fit(series), series


def test_a_library_frame_with_blank_values_is_named_as_blank_not_as_extreme(tiny):
    from forecast.errors import DataError

    fitted, series = tiny
    frame = series.frame.copy()
    frame.iloc[-6, 0] = float("nan")
    with pytest.raises(DataError, match=r"^Column\(s\) y hold 1 blank value\(s\) \(the last at 2024-01-09 02:00"):
        fitted.predict(frame)


def _histories(frame: pd.DataFrame) -> dict:
    return {
        "index holds int64 values, not times": frame.reset_index(),  # pd.read_csv's frame: from 1970-01-02
        "times are not in order": frame.iloc[::-1],  # forecast from the first row
        "times are repeated": pd.concat([frame.iloc[:-1], frame.iloc[-2:]]).sort_index(),
        "not a row every h step with none missing": frame.drop(frame.index[-20:-10]),
        "must be a DataFrame on a time index, not ndarray": frame.to_numpy(),
        "has no column\\(s\\) y, which the model reads \\(it has q\\)": frame.rename(columns={"y": "q"}),
    }


@pytest.mark.parametrize("problem", list(_histories(pd.DataFrame({"y": [1.0]}, index=pd.DatetimeIndex(["2024-01-01"])))))
def test_the_library_refuses_a_history_it_would_misread(tiny, problem):
    """Forecaster.predict took any frame: a raw pd.read_csv frame was forecast from 1970-01-02, rows
    in reverse from the day after the first, ten missing hours read as consecutive."""
    from forecast.errors import DataError

    fitted, series = tiny
    with pytest.raises(DataError, match=problem):
        fitted.predict(_histories(series.frame)[problem])


@pytest.mark.parametrize(("args", "problem"), [({"horizon": -1}, "at least 1; got -1"),
                                               ({"horizon": 2.5}, "whole number of steps"),
                                               ({"series": "zz"}, "trained on one series")])
def test_the_library_refuses_arguments_it_would_ignore_or_misread(tiny, args, problem):
    from forecast.errors import ConfigError

    fitted, series = tiny
    with pytest.raises(ConfigError, match=problem):
        fitted.predict(series.frame, **args)
    assert len(fitted.predict(series.frame, horizon=2)) == 2


def test_predict_says_the_incomplete_last_period_it_leaves_out(tmp_path):
    """A --resample bundle: the last day holds 10 of its 24 hours, left out as train leaves it out. Train
    said so; predict said nothing, and its forecast started on a day the file has hours of."""
    from typer.testing import CliRunner

    from forecast.cli import app

    runner = CliRunner()
    rows = 24 * 60 + 10
    hours = pd.date_range("2024-01-01", periods=rows, freq="h")
    path = tmp_path / "h.csv"
    pd.DataFrame({"time": hours, "y": 10 + np.sin(np.arange(rows) * 2 * np.pi / 24 / 7)}).to_csv(path, index=False)
    out = tmp_path / "m"
    trained = runner.invoke(app, ["train", str(path), "--target", "y", "--resample", "D", "--epochs", "1",
                                  "--units", "4", "--lookback", "7", "--horizon", "3", "--ensemble", "1",
                                  "--no-report", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(app, ["predict", str(out), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    assert "note: 1 incomplete D period(s) at the ends left out (2024-03-01)" in result.stderr
    assert pd.read_csv(tmp_path / "f.csv")["time"].iloc[0].startswith("2024-03-01")
