"""Known-future inputs: --future columns and public holidays, read over the lookback and horizon."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forecast import holiday
from forecast.config import TrainConfig
from forecast.data import DataOptions, load_series, read_raw
from forecast.errors import ConfigError, DataError
from forecast.forecaster import Forecaster
from forecast.future import check_covered, frames_by_series, split_trailing
from forecast.preprocessing import Preprocessor


def event_frame(rows: int = 800, seed: int = 0) -> pd.DataFrame:
    """Hourly target that a planned event flag alone explains (plus small noise)."""
    rng = np.random.default_rng(seed)
    event = (rng.random(rows) < 0.2).astype(float)
    y = 10 + 4 * event + 0.1 * rng.standard_normal(rows)
    times = pd.date_range("2024-01-01", periods=rows, freq="h")
    return pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M"), "y": y, "event": event})


SMALL = dict(lookback=12, horizon=4, units=16, epochs=80, learning_rate=0.01, seed=0, model="lstm",
             anchor="none", relative=False, calendar=False, quantiles=None, ensemble=1)


@pytest.fixture(scope="module")
def event_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("future") / "event.csv"
    event_frame().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def with_future(event_csv):
    series = load_series(event_csv, ["y", "event"])
    return Forecaster(TrainConfig(target="y", future=["event"], **SMALL)).fit(series), series


def test_each_row_carries_the_future_value_horizon_steps_later():
    index = pd.date_range("2024-01-01", periods=6, freq="h")
    frame = pd.DataFrame({"y": np.arange(6.0), "event": [0, 1, 0, 0, 1, 0.0]}, index=index)
    pre = Preprocessor("y", [], lookback=2, horizon=2, freq="h", future=["event"]).fit(frame)
    later = pd.DataFrame({"event": [1.0, 0.0]}, index=pd.date_range("2024-01-01 06:00", periods=2, freq="h"))
    values = pre.transform(frame, future=later)  # (6, 2)
    mean, scale = pre.mean_[1], pre.scale_[1]
    np.testing.assert_allclose(values[:, 1] * scale + mean, [0, 0, 1, 0, 1, 0], atol=1e-6)
    assert np.isnan(pre.transform(frame)[-2:, 1]).all()  # no future given: the last horizon rows are unknown
    assert pre.input_names == ["y", "event"]


def test_a_future_column_that_explains_the_target_beats_the_model_without_it(with_future, event_csv):
    fitted, _ = with_future
    without = Forecaster(TrainConfig(target="y", **SMALL)).fit(load_series(event_csv, ["y"]))
    mae_with = fitted.holdout_["metrics"]["model"]["mae"]
    mae_without = without.holdout_["metrics"]["model"]["mae"]
    assert mae_with < 0.3 * mae_without, (mae_with, mae_without)


def test_predict_reads_future_values_and_refuses_missing_steps(with_future):
    fitted, series = with_future
    frame = series.frame
    steps = pd.date_range(frame.index[-1], periods=5, freq="h")[1:]
    planned = pd.DataFrame({"event": [0.0, 1.0, 0.0, 1.0]}, index=steps)
    out = fitted.predict(frame, future=planned)
    assert list(out.index) == list(steps)
    assert out["forecast"].iloc[1] - out["forecast"].iloc[0] > 2  # the planned event lifts the forecast
    with pytest.raises(DataError, match=r"^The model reads the known-future column\(s\) event .* --future-data"):
        fitted.predict(frame)
    with pytest.raises(DataError, match=r"missing for 2 of the 4 forecast steps .*event at 2024-02-03 "):
        fitted.predict(frame, future=planned.iloc[[0, 3]])
    gaps = planned.copy()
    gaps.iloc[2, 0] = np.nan  # a gap inside the horizon
    with pytest.raises(DataError, match=r"missing for 1 of .*Fill them in the future data"):
        fitted.predict(frame, future=gaps)
    with pytest.raises(ConfigError, match="--recursive"):
        fitted.predict(frame, horizon=8, recursive=True, future=planned)
    # 1e300 planned: cast to float32 it was inf, and predict wrote a forecast of it with exit 0
    with pytest.raises(DataError, match=r"^--future column\(s\) event hold values too extreme to scale"):
        fitted.predict(frame, future=planned * 1e300)


def test_bundle_records_future_inputs_and_predict_loads_them(with_future, tmp_path):
    from forecast.predicting import load_histories

    fitted, series = with_future
    out = fitted.save(tmp_path / "b")
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["preprocessor"]["future"] == ["event"] and meta["config"]["future"] == ["event"]
    loaded = Forecaster.load(out)
    # the history file with the planned events after its last target value
    later = pd.date_range(series.frame.index[-1], periods=5, freq="h")[1:]
    planned = pd.DataFrame({"time": later.strftime("%Y-%m-%d %H:%M"), "y": np.nan, "event": [1.0, 0, 0, 1]})
    frame = pd.concat([event_frame(), planned], ignore_index=True)
    path = tmp_path / "history.csv"
    frame.to_csv(path, index=False)
    history = load_histories(loaded, path)
    assert len(history.frame) == 800 and len(history.future["y"]) == 4
    expected = fitted.predict(series.frame, future=history.future["y"])
    pd.testing.assert_frame_equal(loaded.predict_all(history), expected, atol=1e-4)
    # a separate future file on another frequency is refused
    daily = pd.DataFrame({"time": pd.date_range("2024-02-03", periods=4, freq="D").strftime("%Y-%m-%d %H:%M"),
                          "event": 1.0})
    daily.to_csv(tmp_path / "daily.csv", index=False)
    with pytest.raises(DataError, match=r"frequency D, but the model was trained on h data\. Give the future"):
        load_histories(loaded, path, future_data=tmp_path / "daily.csv")


def test_split_trailing_keeps_rows_after_the_last_target(tmp_path):
    frame = event_frame(rows=10)
    frame.loc[7:, "y"] = np.nan
    frame.loc[3, "y"] = np.nan  # a gap inside the history stays history (filled when loading)
    frame.to_csv(tmp_path / "f.csv", index=False)
    raw = read_raw(tmp_path / "f.csv", DataOptions())
    history, trailing = split_trailing(raw, ["y"], None)
    assert len(history.df) == 7 and len(trailing.df) == 3
    found = frames_by_series(trailing, ["event"], "h", None)[""]
    assert list(found["event"]) == list(frame["event"].iloc[7:])


def test_check_covered_names_absent_columns():
    steps = pd.date_range("2024-01-01 01:00", periods=2, freq="h")
    with pytest.raises(DataError, match="lack the column"):
        check_covered(pd.Timestamp("2024-01-01"), "h", 2, ["temp"], pd.DataFrame({"x": [1.0, 2]}, index=steps))


def test_holiday_features_around_thanksgiving():
    region = holiday.spec("US", "h")
    index = pd.date_range("2017-11-22", "2017-11-24 23:00", freq="h")
    f = pd.DataFrame(holiday.encode(index, region, "h"), index=index, columns=region["features"])
    assert f.loc["2017-11-23", "holiday"].eq(1).all() and f.loc["2017-11-22", "holiday"].eq(0).all()
    assert f.loc["2017-11-22 10:00", "days_to_holiday"] == pytest.approx(1 / 7)
    assert f.loc["2017-11-24 10:00", "days_from_holiday"] == pytest.approx(1 / 7)
    weekly = holiday.spec("US-CA", "W")  # longer steps: the share of the week's days
    assert weekly["features"] == ["holiday"] and weekly["subdiv"] == "CA"
    share = holiday.encode(pd.DatetimeIndex(["2017-11-19"]), weekly, "W")  # Thanksgiving + the day after
    assert share[0, 0] == pytest.approx(2 / 7)


@pytest.mark.parametrize("code, match", [
    ("XX", r"Unknown --holidays country 'XX'\. Use an ISO 3166"),
    ("US-ZZ", r"Unknown --holidays subdivision 'ZZ' of US\. Known: AK"),
    ("US-", r"--holidays 'US-' names no subdivision after '-'\. Give one \(e\.g\. US-AK\) or the country alone"),
])
def test_unknown_holiday_regions_are_refused(code, match):
    with pytest.raises(ConfigError, match=match):
        holiday.spec(code, "h")


def test_holidays_are_recorded_and_rebuilt_from_timestamps(tmp_path):
    from conftest import sine_frame

    path = tmp_path / "sine.csv"
    sine_frame(rows=300).to_csv(path, index=False)
    series = load_series(path, ["y"])
    config = TrainConfig(target="y", holidays="US", epochs=1, units=4, lookback=24, horizon=6, seed=0,
                         ensemble=1)
    fitted = Forecaster(config).fit(series)
    out = fitted.save(tmp_path / "b")
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["preprocessor"]["holidays"]["country"] == "US"
    from forecast.report import render

    assert "public holidays of US (holiday, days_to_holiday, days_from_holiday)" in render(out, meta)
    assert fitted.preprocessor_.input_names[-3:] == ["holiday", "days_to_holiday", "days_from_holiday"]
    pd.testing.assert_frame_equal(Forecaster.load(out).predict(series.frame), fitted.predict(series.frame),
                                  atol=1e-4)


def test_future_column_cannot_also_be_a_feature():
    with pytest.raises(ConfigError, match="also a past covariate"):
        TrainConfig(target="y", features=["t"], future=["t"])


def test_explain_ranks_the_future_column_and_stops_where_its_values_end(with_future, tmp_path):
    from forecast.explain import explain_bundle

    fitted, series = with_future
    out = fitted.save(tmp_path / "b")
    result = explain_bundle(out)
    importance = result["importance"]["features"]
    assert max(importance, key=importance.get) == "event"
    assert result["window_end"] == str(series.frame.index[-1 - 4])  # the last window with known values
    with pytest.raises(DataError, match=r"--at .* known-future column\(s\) event after the last row"):
        explain_bundle(out, at=str(series.frame.index[-1]))


@pytest.mark.parametrize("freq", ["YS", "QS"])
def test_holidays_of_yearly_and_quarterly_steps_are_the_share_of_their_days(freq):
    """A quarter reaches 92 days past its row, a year 366: the calendar was padded by 28 and
    --holidays on yearly or quarterly data ended in an IndexError."""
    index = pd.date_range("1990-01-01", periods=40, freq=freq)
    share = holiday.encode(index, holiday.spec("US", freq), freq)[:, 0]
    assert share.shape == (40,) and np.all((share > 0) & (share < 0.1))  # about ten days a year


@pytest.mark.parametrize(("ends", "starts"), [("ME", "MS"), ("QE", "QS"), ("YE", "YS")])
def test_a_row_dated_on_its_periods_last_day_gets_the_holidays_of_that_period(ends, starts):
    """October 31 (ME) got November's share, December 31 January's: the days after the row were
    counted. A row ending its period counts the days up to it, as the period's first day counts
    the days from it; a bundle without "ending" (written before) reads as it did."""
    last = pd.date_range("2019-01-01", periods=16, freq=ends)
    first = pd.date_range("2019-01-01", periods=16, freq=starts)
    region = holiday.spec("US", ends)
    assert region["ending"] is True and "ending" not in holiday.spec("US", starts)
    np.testing.assert_allclose(holiday.encode(last, region, ends), holiday.encode(first, holiday.spec("US", starts),
                                                                                  starts), rtol=0, atol=1e-6)
    older = {k: v for k, v in region.items() if k != "ending"}
    assert not np.allclose(holiday.encode(last, older, ends), holiday.encode(last, region, ends))


def test_weeks_resample_made_count_the_holidays_of_the_week_that_ends_at_their_row():
    """pandas labels a --resample W week on the Sunday that ends it: the week of Thanksgiving
    (Mon 25 - Sun 1 Dec 2019) is the row 2019-12-01. Read from the row on, as a week in a file is,
    that row got the next week's share (none) and the week before it none either."""
    sundays = pd.date_range("2019-11-03", periods=8, freq="W-SUN")
    made = holiday.spec("US", "W-SUN", resampled=True)
    assert made["ending"] is True and "ending" not in holiday.spec("US", "W-SUN")
    share = pd.Series(holiday.encode(sundays, made, "W-SUN")[:, 0], index=sundays)
    assert share[pd.Timestamp("2019-12-01")] == pytest.approx(1 / 7)  # Thanksgiving, Thu 28 Nov
    assert share[pd.Timestamp("2019-11-17")] == pytest.approx(1 / 7)  # Veterans Day, Mon 11 Nov
    assert share[pd.Timestamp("2019-11-24")] == 0 and share[pd.Timestamp("2019-12-08")] == 0
    mondays = sundays - pd.Timedelta(days=6)  # the same weeks, dated on their first day
    np.testing.assert_allclose(share, holiday.encode(mondays, holiday.spec("US", "W-MON"), "W-MON")[:, 0])


def test_a_resampled_weekly_bundle_records_that_its_rows_end_their_week(tmp_path):
    days = pd.date_range("2018-01-01", periods=7 * 120, freq="D")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "y": 5 + rng.random(len(days))})
    frame.to_csv(tmp_path / "daily.csv", index=False)
    opts = DataOptions(resample="W")
    series = load_series(tmp_path / "daily.csv", ["y"], options=opts)
    config = TrainConfig(target="y", holidays="US", resample="W", epochs=1, units=4, lookback=8, horizon=2,
                         seed=0, ensemble=1, calendar=False)
    fitted = Forecaster(config).fit(series)
    assert fitted.preprocessor_.holidays["ending"] is True
    meta = json.loads((fitted.save(tmp_path / "b") / "bundle.json").read_text())
    assert meta["preprocessor"]["holidays"]["ending"] is True


@pytest.mark.parametrize(("freq", "start", "rows"), [("YS", "2219-01-01", 40), ("ME", "2258-01-31", 50),
                                                    ("D", "2262-01-01", 100), ("h", "2262-04-01", 240),
                                                    ("h", "1677-09-22", 48)])
def test_holiday_features_of_steps_near_the_last_date_pandas_holds(freq, start, rows):
    """A forecast step near 2262-04-11 (or a first row near 1677-09-21): the padded calendar
    around it overflowed nanoseconds, and train --holidays ended in a traceback."""
    index = pd.date_range(start, periods=rows, freq=freq)
    features = holiday.encode(index, holiday.spec("US", freq), freq)
    assert features.shape[0] == rows and np.isfinite(features).all()


def test_future_data_without_the_id_column_of_a_panel_is_one_error(tmp_path):
    from forecast.future import frames_by_series

    path = tmp_path / "next.csv"
    pd.DataFrame({"date": pd.date_range("2024-01-01", periods=5).strftime("%Y-%m-%d"), "promo": 0}).to_csv(
        path, index=False)
    with pytest.raises(DataError, match="The future values have no 'shop' column.*'shop' and promo"):
        frames_by_series(read_raw(path, DataOptions()), ["promo"], "D", "shop")


def test_a_step_given_twice_with_other_values_is_refused_and_a_missing_series_named(tmp_path):
    path = tmp_path / "next.csv"
    days = list(pd.date_range("2024-01-01", periods=4).strftime("%Y-%m-%d"))
    pd.DataFrame({"date": days + [days[1]], "shop": "a", "promo": [0, 1, 0, 1, 1]}).to_csv(path, index=False)
    same = frames_by_series(read_raw(path, DataOptions()), ["promo"], "D", "shop")  # repeated alike: one row
    assert list(same["a"]["promo"]) == [0, 1, 0, 1]
    pd.DataFrame({"date": days + [days[1]], "shop": "a", "promo": [0, 1, 0, 1, 0]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="gives 2024-01-02 of series 'a' twice with different future values"):
        frames_by_series(read_raw(path, DataOptions()), ["promo"], "D", "shop")
    with pytest.raises(DataError, match="forecast steps .* of series 'c', but no future values were given"):
        check_covered(pd.Timestamp("2024-01-01"), "D", 2, ["promo"], None, "c")
