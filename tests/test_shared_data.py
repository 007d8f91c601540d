"""The real datasets in ../shared/datasets (skipped with a reason when absent)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_csv
from typer.testing import CliRunner

from forecast.cli import app
from forecast.data import load_series


@pytest.mark.parametrize(
    ("name", "target", "freq", "rows", "notes"),
    [
        ("ETTh1.csv", "OT", "h", 17420, []),
        ("daily-min-temperatures.csv", "Temp", "D", 3652, ["2 missing time steps inserted"]),
        ("aapl_daily_1984_2016.csv", "Close", "B", 8146, []),
        ("airline-passengers.csv", "Passengers", "MS", 144, []),
        ("wineind.csv", "Y", "MS", 176, []),
        ("ausbeer.csv", "Y", "QS-JAN", 211, []),
        ("woolyrnq.csv", "Y", "QS-JAN", 119, []),
        ("us_gasoline.csv", "Gasoline", "W-FRI", 1578, ["rows sorted by time"]),
        # four Sundays are missing from the CDC file itself (2002-01-06, 2008-01-06, ...)
        ("ILINet.csv", "% WEIGHTED ILI", "W-SUN", 1305, ["4 missing time steps inserted"]),
        (
            "PJME_hourly.csv",
            "PJME_MW",
            "h",
            145392,
            ["rows sorted by time", "4 duplicate timestamps merged (mean)", "30 missing time steps inserted"],
        ),
    ],
)
def test_shared_csvs_load_with_their_quirks_handled(name, target, freq, rows, notes):
    series = load_series(shared_csv(name), [target])
    assert series.freq == freq
    assert len(series.frame) == rows
    for note in notes:
        assert note in series.notes
    assert series.frame.index.is_monotonic_increasing and series.frame.index.is_unique
    assert series.frame[target].notna().all()


def test_pjme_dates_are_read_day_first():
    series = load_series(shared_csv("PJME_hourly.csv"), ["PJME_MW"])
    assert any("4 repeated and 30 missing hours fall in daylight-saving months" in n for n in series.notes)
    assert series.dayfirst is True
    assert series.frame.index[0] == pd.Timestamp("2002-01-01 01:00")
    assert series.frame.index[-1] == pd.Timestamp("2018-08-03 00:00")


def test_aapl_forecast_is_dated_on_business_days_after_the_last_row(tmp_path):
    data = shared_csv("aapl_daily_1984_2016.csv")
    out = tmp_path / "aapl"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["train", str(data), "--target", "Close", "--horizon", "5", "--epochs", "1", "--units", "4",
         "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "seasonal naive (M=5)" in result.output
    csv = tmp_path / "next.csv"
    result = runner.invoke(app, ["predict", str(out), "--out", str(csv)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(csv)
    assert list(frame.columns[:2]) == ["Date", "forecast"]
    assert frame["Date"].tolist() == ["2017-01-02", "2017-01-03", "2017-01-04", "2017-01-05", "2017-01-06"]
    assert (frame["lower"] <= frame["upper"]).all() and frame["forecast"].gt(0).all()


@pytest.mark.parametrize(
    ("name", "filled"),
    [("wineind.csv", 0), ("ausbeer.csv", 0), ("woolyrnq.csv", 0), ("us_gasoline.csv", 0), ("ILINet.csv", 4)],
)
def test_monthly_quarterly_and_weekly_files_are_not_read_as_daily(name, filled):
    target = {"us_gasoline.csv": "Gasoline", "ILINet.csv": "% WEIGHTED ILI"}.get(name, "Y")
    series = load_series(shared_csv(name), [target])
    assert series.dayfirst is not True  # month first, or no order to decide (None)
    assert sum(series.filled.values()) == filled


def test_wineind_trains_and_forecasts_the_next_months(tmp_path):
    data = shared_csv("wineind.csv")
    out = tmp_path / "wine"
    runner = CliRunner()
    result = runner.invoke(app, ["train", str(data), "--target", "Y", "--epochs", "1", "--units", "4",
                                 "--no-report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "frequency MS" in result.output and "seasonal naive (M=12)" in result.output
    result = runner.invoke(app, ["predict", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].startswith("1994-09-01,") and lines[2].startswith("1994-10-01,")
    assert all(len(v.split(".")[-1]) <= 2 for line in lines[1:] for v in line.split(",")[1:])
