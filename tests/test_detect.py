"""Anomaly detection: runs, and injected anomalies on a real series found with few false alarms."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import shared_csv
from typer.testing import CliRunner

from forecast.cli import app
from forecast.config import TrainConfig
from forecast.data import load_series
from forecast.detect import detect, run_lengths
from forecast.errors import DataError
from forecast.forecaster import Forecaster


def test_run_lengths():
    assert run_lengths(np.array([1.0, 2, 3, 3, 3, 4, 4])).tolist() == [1, 1, 1, 2, 3, 1, 2]


def _inject(y: np.ndarray, seed: int) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """Spikes, level shifts and flat-lined stretches at known positions (after the first 1000 rows)."""
    rng = np.random.default_rng(seed)
    y = y.copy()
    sd = np.std(np.diff(y))
    positions = np.sort(rng.choice(np.arange(1000, len(y) - 40, 60), size=12, replace=False))
    kinds = ["spike"] * 6 + ["shift"] * 3 + ["flat"] * 3
    spans = []
    for p, kind in zip(positions, rng.permutation(kinds)):
        if kind == "spike":
            y[p] += rng.choice([-1, 1]) * 5 * sd
            spans.append((kind, p, p))
        elif kind == "shift":
            y[p : p + 15] += rng.choice([-1, 1]) * 4 * sd
            spans.append((kind, p, p + 14))
        else:
            y[p : p + 15] = y[p - 1]
            spans.append((kind, p, p + 14))
    return y, spans


def test_injected_anomalies_are_found_with_few_false_alarms(tmp_path):
    series = load_series(shared_csv("daily-min-temperatures.csv"), ["Temp"])
    # calendar off: temperatures have no weekly cycle, and after 5 epochs the four extra inputs
    # still cost one-step accuracy (measured: 11 of 12 anomalies found without, 10 with)
    config = TrainConfig(target="Temp", horizon=7, epochs=5, units=16, seed=0, calendar=False)
    forecaster = Forecaster(config).fit(series)
    frame = series.frame.copy()
    y, spans = _inject(frame["Temp"].to_numpy(), seed=1)
    frame["Temp"] = y
    result = detect(forecaster, frame)
    position = {t: i for i, t in enumerate(frame.index)}
    flagged = np.array([position[t] for t in result.index[result["anomaly"]]])
    found = [bool(np.any((flagged >= a) & (flagged <= b))) for _, a, b in spans]
    inside = np.zeros(len(frame), dtype=bool)
    for _, a, b in spans:
        inside[a : b + 1] = True
    scored_normal = ~inside[[position[t] for t in result.index]]
    false_alarms = float(np.mean(result["anomaly"].to_numpy()[scored_normal]))
    assert np.mean(found) >= 0.9, list(zip(spans, found))
    assert false_alarms <= 0.05


def _sine_bundle(tmp_path, rows: int) -> tuple[CliRunner, pd.DataFrame, object]:
    """A tiny model trained on an hourly sine of ``rows`` rows: the runner, the frame, the bundle."""
    from conftest import sine_frame

    runner = CliRunner()
    data = tmp_path / "sine.csv"
    frame = sine_frame(rows=rows)
    frame.to_csv(data, index=False)
    out = tmp_path / "b"
    assert runner.invoke(app, ["train", str(data), "--target", "y", "--epochs", "3", "--units", "8",
                               "--lookback", "24", "--horizon", "4", "--out", str(out)]).exit_code == 0
    return runner, frame, out


@pytest.fixture(scope="module")
def sine300(tmp_path_factory) -> tuple[CliRunner, pd.DataFrame, object]:
    """_sine_bundle of 300 rows, trained once for the module; tests copy the frame and the bundle."""
    return _sine_bundle(tmp_path_factory.mktemp("sine300"), 300)


def _own(sine300, tmp_path) -> tuple[CliRunner, pd.DataFrame, object]:
    """The module's 300-row bundle as this test's own: a copy of the frame, and of the bundle."""
    runner, frame, out = sine300
    return runner, frame.copy(), shutil.copytree(out, tmp_path / "b")


def test_detect_command_writes_anomalies_and_plot(tmp_path, sine300):
    runner, frame, out = _own(sine300, tmp_path)
    frame.loc[250, "y"] += 30  # an obvious spike
    spiked = tmp_path / "spiked.csv"
    frame.to_csv(spiked, index=False)
    csv, png = tmp_path / "anomalies.csv", tmp_path / "anomalies.png"
    result = runner.invoke(app, ["detect", str(out), "--data", str(spiked), "--out", str(csv), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    anomalies = pd.read_csv(csv)
    assert list(anomalies.columns) == ["time", "actual", "expected", "lower", "upper", "score", "reason"]
    assert pd.Timestamp(frame.loc[250, "time"]) in pd.to_datetime(anomalies["time"]).tolist()
    assert png.stat().st_size > 10_000
    first = pd.Timestamp(frame["time"].iloc[0])  # the file's first row, not scored
    note = " ".join(result.stderr.split())
    assert "are the history a forecast reads, not scored (scoring starts at" in note and "put older rows" in note
    assert first < pd.Timestamp(note.split("scoring starts at ")[1].split(")")[0])


def test_detect_levels_must_be_trained_ones(tmp_path):
    from conftest import sine_frame

    from forecast.errors import ConfigError

    data = tmp_path / "sine.csv"
    sine_frame(rows=200).to_csv(data, index=False)
    series = load_series(data, ["y"])
    config = TrainConfig(target="y", epochs=1, units=4, lookback=12, horizon=4,
                         quantiles=[0.05, 0.1, 0.5, 0.9, 0.95])
    forecaster = Forecaster(config).fit(series)
    from forecast.detect import _bounds, _one_step, history_before

    # on the same history (detect's later passes clean each history by its own flags)
    origins = np.arange(history_before(forecaster), len(series.frame))
    _, lo_w, hi_w = _one_step(forecaster, series.frame, origins, _bounds(forecaster, (0.05, 0.95)))
    _, lo_n, hi_n = _one_step(forecaster, series.frame, origins, _bounds(forecaster, (0.1, 0.9)))
    assert (hi_w - lo_w >= hi_n - lo_n - 1e-9).all()
    wide = detect(forecaster, series.frame, use_interval=True, levels=(0.05, 0.95))
    assert len(wide) == len(origins) and wide["anomaly"].dtype == bool
    with pytest.raises(ConfigError, match="must be two of the trained levels"):
        detect(forecaster, series.frame, levels=(0.2, 0.8))


def test_short_runs():
    from forecast.detect import _short_runs

    mask = np.array([1, 0, 1, 1, 1, 1, 0, 1, 1], dtype=bool)
    assert _short_runs(mask, 3).tolist() == [True, False, False, False, False, False, False, True, True]


def test_a_level_shift_stays_in_the_history_and_filled_values_are_not_flagged(tmp_path):
    """Replacing every flagged value by its expectation kept the model at the old level after a
    shift, and each pass flagged more of the new one; values the loader filled are not data."""
    runner, frame, out = _sine_bundle(tmp_path, 400)
    frame.loc[250:, "y"] += 40 * frame["y"].std()  # a new level from row 250 on
    frame.loc[200:202, "y"] = np.nan  # three blanks, interpolated by the loader
    shifted = tmp_path / "shifted.csv"
    frame.to_csv(shifted, index=False)
    csv = tmp_path / "anomalies.csv"
    result = runner.invoke(app, ["detect", str(out), "--data", str(shifted), "--out", str(csv)])
    assert result.exit_code == 0, result.output
    flagged = pd.to_datetime(pd.read_csv(csv)["time"])
    times = pd.to_datetime(frame["time"])
    assert times[250] in flagged.tolist()  # the shift is found
    assert not flagged.isin(times[200:203]).any()  # the filled values are not
    assert not flagged.isin(times[350:]).any(), flagged.tolist()  # and the new level is learnt, not flagged on
    written = pd.read_csv(csv, dtype=str)  # rounded as predict rounds: float32's ~7 significant digits
    for column in ("expected", "lower", "upper"):
        assert written[column].str.replace("-", "").str.replace(".", "").str.lstrip("0").str.len().max() <= 7
    assert written["score"].str.split(".").str[-1].str.len().max() <= 2


def test_intermittent_counts_flag_a_huge_sale_not_every_sale(tmp_path):
    """Three days in ten sell 1 to ~9: an interval fitted to the zeros (0 .. ~1) had flagged one
    value in five. The spread is widened until four in five residuals fall within 1.28 of it."""
    rng = np.random.default_rng(1)
    n = 500
    y = np.where(rng.random(n) < 0.3, rng.poisson(3, n) + 1, 0).astype(float)
    stamps = pd.date_range("2022-01-01", periods=n, freq="D")
    pd.DataFrame({"date": stamps.strftime("%Y-%m-%d"), "units": y}).to_csv(tmp_path / "sales.csv", index=False)
    series = load_series(tmp_path / "sales.csv", ["units"])
    frame = series.frame.copy()
    config = TrainConfig(target="units", horizon=7, epochs=2, units=8, seed=0, model="lstm")
    forecaster = Forecaster(config).fit(series)
    y[450] = 60.0  # one sale far beyond the rest
    result = detect(forecaster, frame.assign(units=y))
    assert bool(result.loc[frame.index[450], "anomaly"])
    assert result["anomaly"].mean() < 0.08


def test_detect_scores_rows_after_the_seasons_a_statistical_forecast_reads(tmp_path):
    """A row with one row of history before it was "expected" at that row's value and flagged;
    with AutoETS chosen, scoring starts after three seasons (72 hourly rows), not the lookback (12)."""
    from conftest import sine_frame

    data = tmp_path / "sine.csv"
    sine_frame(rows=200).to_csv(data, index=False)
    series = load_series(data, ["y"])
    config = TrainConfig(target="y", epochs=1, units=4, lookback=12, horizon=4, model="auto_ets")
    forecaster = Forecaster(config).fit(series)
    result = detect(forecaster, series.frame)
    assert result.index[0] == series.frame.index[72] and len(result) == 200 - 72
    with pytest.raises(DataError, match="detection needs more than 72"):
        detect(forecaster, series.frame.iloc[:72])


def test_interval_flags_on_a_point_forecast_are_refused(tmp_path):
    """A point bundle's interval is the forecast itself: --interval flagged every value (444 of 444)."""
    from conftest import sine_frame

    from forecast.errors import ConfigError

    data = tmp_path / "sine.csv"
    sine_frame(rows=200).to_csv(data, index=False)
    series = load_series(data, ["y"])
    config = TrainConfig(target="y", epochs=1, units=4, lookback=12, horizon=4, quantiles=None, model="lstm")
    forecaster = Forecaster(config).fit(series)
    with pytest.raises(ConfigError, match="--interval needs an interval, and this bundle has a point forecast"):
        detect(forecaster, series.frame, use_interval=True)
    scored = detect(forecaster, series.frame)  # the --threshold score still works
    assert scored["anomaly"].mean() < 0.2


def test_a_spike_is_cleaned_from_the_history_though_its_echo_runs_long():
    """A point model's spread is constant, so after one 1e6 every forecast reading it was flagged
    too (80 of 444) and the run, too long to clean, kept the spike in the history."""
    from forecast.detect import _spike_onsets

    mask = np.array([False, True, True, True, True, True, False, True, True, True, True])
    score = np.array([0.0, 5e5, 2e4, 1e4, 9e3, 5e3, 0.0, 9.0, 8.0, 9.5, 8.5])  # a spike, then a level shift
    assert _spike_onsets(mask, score).tolist() == [False, True] + [False] * 9


@pytest.mark.parametrize("levels", ["0.5,0.9", "0.1,0.5", "0.1,0.2,0.9"])
def test_detect_interval_levels_straddle_the_median(tmp_path, sine300, levels):
    """0.5,0.9 took the median as the lower bound: 66% of values flagged."""
    runner, _, out = _own(sine300, tmp_path)
    result = runner.invoke(app, ["detect", str(out), "--interval", "--quantiles", levels,
                                 "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "one below 0.5 and one above, like 0.1,0.9" in " ".join(result.output.split())
    assert not (tmp_path / "a.csv").exists()


def test_a_threshold_beside_interval_is_refused_not_ignored(tmp_path, sine300):
    """--interval flags by the interval alone: --threshold 1 beside it went unread without a word."""
    runner, _, out = _own(sine300, tmp_path)
    result = runner.invoke(app, ["detect", str(out), "--interval", "--threshold", "1", "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: --threshold and --interval are two ways to flag a value: give one" in " ".join(result.output.split())
    assert not (tmp_path / "a.csv").exists()
