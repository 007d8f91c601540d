"""`--future`, `--holidays` and `predict --future-data` on the command line: what works, and each
bad input as one `Error:` line naming the fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_cli_errors import _assert_user_error
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
HORIZON = 4
TINY = ["--epochs", "1", "--units", "4", "--lookback", "12", "--horizon", str(HORIZON),
        "--time-budget", "30", "--ensemble", "1", "--no-report"]  # fmt: skip


def _frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    event = (rng.random(rows) < 0.2).astype(float)
    times = pd.date_range("2024-01-01", periods=rows, freq="h")
    return pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M"), "y": 10 + 4 * event, "event": event})


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("future")
    data = folder / "events.csv"
    _frame(300).to_csv(data, index=False)
    out = folder / "bundle"
    result = runner.invoke(app, ["train", str(data), "--target", "y", "--future", "event",
                                 "--holidays", "us", *TINY, "--model", "lstm", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return data, out


def _history(folder: Path, planned: list[float | None]) -> Path:
    """The training rows, then rows with a blank target and the planned ``event`` values."""
    frame = _frame(300 + len(planned))
    frame.loc[300:, "y"] = np.nan
    frame.loc[300:, "event"] = [np.nan if v is None else v for v in planned]
    path = folder / "recent.csv"
    frame.to_csv(path, index=False)
    return path


def test_bundle_records_the_future_column_and_the_region(trained):
    _, out = trained
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["preprocessor"]["future"] == ["event"]
    assert meta["preprocessor"]["holidays"]["country"] == "US" and meta["config"]["holidays"] == "US"


def test_predict_reads_future_rows_after_the_last_target(trained, tmp_path):
    _, out = trained
    result = runner.invoke(app, ["predict", str(out), "--data", str(_history(tmp_path, [0, 1, 0, 1]))])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 + HORIZON and lines[1].startswith("2024-01-13 12:00")


def test_predict_reads_a_future_file(trained, tmp_path):
    data, out = trained
    steps = pd.date_range("2024-01-13 12:00", periods=HORIZON, freq="h")
    planned = tmp_path / "planned.csv"
    pd.DataFrame({"time": steps.strftime("%Y-%m-%d %H:%M"), "event": [1.0, 0, 0, 1]}).to_csv(planned, index=False)
    result = runner.invoke(app, ["predict", str(out), "--data", str(data), "--future-data", str(planned)])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1 + HORIZON


def test_predict_refuses_missing_future_rows(trained):
    _, out = trained  # the training file ends with its last target: no future values
    _assert_user_error(runner.invoke(app, ["predict", str(out)]),
                       "known-future column(s) event", "2024-01-13 12:00 .. 2024-01-13 15:00",
                       "--future-data FILE")


def test_predict_refuses_a_gap_inside_the_horizon(trained, tmp_path):
    _, out = trained
    result = runner.invoke(app, ["predict", str(out), "--data", str(_history(tmp_path, [0, None, 0, 1]))])
    _assert_user_error(result, "missing for 1 of the 4 forecast steps", "event at 2024-01-13 13:00",
                       "Fill them in the future data")


def test_predict_refuses_a_future_file_on_another_frequency(trained, tmp_path):
    data, out = trained
    days = pd.date_range("2024-01-13", periods=5, freq="D")
    daily = tmp_path / "daily.csv"
    pd.DataFrame({"time": days.strftime("%Y-%m-%d %H:%M"), "event": 1.0}).to_csv(daily, index=False)
    result = runner.invoke(app, ["predict", str(out), "--data", str(data), "--future-data", str(daily)])
    _assert_user_error(result, "daily.csv has frequency D", "trained on h data",
                       "Give the future values at h steps")


def test_a_future_file_whose_dates_fit_both_orders_is_read_in_the_order_of_the_forecast_steps(trained, tmp_path):
    """History to 2024-01-10 23:00 (ISO), planned values written 11/01/2024 00:00 .. 03:00: month first
    (1 November, as hourly) won the tie, and every step was refused as missing."""
    _, out = trained
    history = tmp_path / "recent.csv"
    _frame(240).to_csv(history, index=False)
    steps = pd.date_range("2024-01-11", periods=HORIZON, freq="h")
    planned = tmp_path / "planned.csv"
    pd.DataFrame({"time": steps.strftime("%d/%m/%Y %H:%M"), "event": [1.0, 0, 0, 1]}).to_csv(planned, index=False)
    result = runner.invoke(app, ["predict", str(out), "--data", str(history), "--future-data", str(planned)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[1].startswith("2024-01-11 00:00")


def test_train_refuses_an_unknown_country_before_reading(tmp_path):
    out = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(tmp_path / "absent.csv"), "--target", "y",
                                 "--holidays", "XX", "--out", str(out)])
    _assert_user_error(result, "Unknown --holidays country 'XX'", "ISO 3166")
    assert not out.exists()


def test_backtest_says_it_used_the_true_future_values(trained, tmp_path):
    data, _ = trained
    result = runner.invoke(app, ["backtest", str(data), "--target", "y", "--future", "event",
                                 *TINY[:-1], "--windows", "2"])
    assert result.exit_code == 0, result.output
    assert "TRUE values" in " ".join(result.stdout.split())


def test_a_statistical_forecast_needs_no_future_values(tmp_path):
    """The known-future columns are the network's inputs; a chosen statistical member reads the
    target alone, so predict does not ask for values it would not read."""
    data = tmp_path / "events.csv"
    _frame(300).to_csv(data, index=False)
    out = tmp_path / "bundle"
    trained = runner.invoke(app, ["train", str(data), "--target", "y", "--future", "event", *TINY,
                                  "--model", "auto_ets", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    assert "the --future column(s) event are not used" in " ".join(trained.output.split())  # said at train
    result = runner.invoke(app, ["predict", str(out)])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1 + HORIZON
    assert "the --future column(s) event are not used" in " ".join(result.stderr.split())  # and at predict


def test_detect_leaves_out_the_last_rows_whose_future_values_it_lacks(trained):
    """Each of the last horizon - 1 rows is forecast from a window that reads the --future column past the
    data: its expected value was NaN, counted as scored and never flagged (a spike there went unseen)."""
    from forecast.data import load_series
    from forecast.detect import detect
    from forecast.forecaster import Forecaster

    data, out = trained
    frame = load_series(data, ["y", "event"]).frame
    result = detect(Forecaster.load(out), frame)
    assert result["expected"].notna().all() and result.index[-1] == frame.index[-HORIZON]
    cli = runner.invoke(app, ["detect", str(out), "--out", "a.csv"])
    assert cli.exit_code == 0, cli.output
    assert (f"note: the last {HORIZON - 1} rows are not scored: the model reads the known-future column(s) event "
            f"{HORIZON} steps ahead, past the end of the data (scoring ends at {frame.index[-HORIZON]:%Y-%m-%d %H:%M})"
            ) in cli.stderr
    assert f"of {len(result)} values flagged" in cli.stdout
