"""Several series, one global model: per-series scaling, per-series forecasts, and the calendar."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import shared_csv, write_meta
from typer.testing import CliRunner

from forecast import calendar
from forecast.cli import app
from forecast.config import TrainConfig
from forecast.data import DataOptions, load_series
from forecast.errors import DataError
from forecast.forecaster import Forecaster

runner = CliRunner()
TINY = ["--epochs", "2", "--units", "4", "--lookback", "12", "--horizon", "4", "--time-budget", "30", "--ensemble", "1"]


def _train_panel(data, out, target: str = "load", key: str = "site"):
    """Train the tiny model on a long file of several series; the bundle's folder."""
    trained = runner.invoke(app, ["train", str(data), "--target", target, "--id", key, *TINY, "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    return out


def _long_csv(tmp_path, rows=(300, 240, 200)):
    """Three hourly sines of very different levels in one long file, newest rows first."""
    parts = []
    for k, n in enumerate(rows):
        t = np.arange(n)
        level, amp = 10.0 ** (k + 1), 3.0 * (k + 1)
        y = level + amp * np.sin(2 * np.pi * t / 24)
        stamps = pd.date_range("2024-01-01", periods=n, freq="h")
        parts.append(pd.DataFrame({"when": stamps.strftime("%Y-%m-%d %H:%M"), "site": f"s{k}", "load": y}))
    frame = pd.concat(parts).iloc[::-1]
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """The default three-series long file and the tiny model trained on it once for the module:
    (data, bundle, train's output). Tests read it; one that may write into the bundle copies it."""
    folder = tmp_path_factory.mktemp("panel")
    data = _long_csv(folder)
    trained = runner.invoke(app, ["train", str(data), "--target", "load", "--id", "site", *TINY,
                                  "--out", str(folder / "m")])
    assert trained.exit_code == 0, trained.output
    return data, folder / "m", trained.output


def _copy(bundle, tmp_path, name="m"):
    """A copy of the module's bundle that this test may write into (explain.json, edits)."""
    return shutil.copytree(bundle, tmp_path / name)


def test_global_model_scales_each_series_on_its_own_training_part(tmp_path):
    series = load_series(_long_csv(tmp_path), ["load"], options=DataOptions(id="site"))
    config = TrainConfig(target="load", id="site", epochs=1, units=4, lookback=12, horizon=4)
    forecaster = Forecaster(config).fit(series)
    pre = forecaster.preprocessor_
    assert sorted(pre.series_) == ["s0", "s1", "s2"]
    for name, frame in series.frames.items():
        train_rows = forecaster.data_["series_splits"][name]["train_rows"]
        assert train_rows < 0.85 * len(frame)
        assert pre.series_[name]["mean"][0] == pytest.approx(frame["load"].iloc[:train_rows].mean(), rel=1e-9)
        assert pre.series_[name]["scale"][0] == pytest.approx(frame["load"].iloc[:train_rows].std(ddof=0), rel=1e-6)
    assert set(forecaster.holdout_["per_series"]) == {"s0", "s1", "s2"}
    out = forecaster.predict_all(series)
    assert out["site"].tolist() == ["s0"] * 4 + ["s1"] * 4 + ["s2"] * 4
    for name in ("s0", "s1", "s2"):  # each forecast near its own series' level, not a shared one
        level = series.frames[name]["load"].mean()
        assert abs(out.loc[out["site"] == name, "forecast"].mean() - level) < 0.5 * level


def test_cli_long_file_trains_once_and_predicts_every_series(tmp_path, panel):
    data, shared, output = panel
    assert "3 series (site)" in output
    out = _copy(shared, tmp_path)  # explain writes explain.json into the bundle
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["data"]["series"] == ["s0", "s1", "s2"] and meta["data"]["id"] == "site"
    page = " ".join((out / "report.html").read_text().split())  # the data of all three, not of s0 alone
    assert "3 series by <b>site</b>, 740 rows in all" in page and "(the first, s0: train" in page
    csv = tmp_path / "next.csv"
    result = runner.invoke(app, ["predict", str(out), "--out", str(csv), "--plot", str(tmp_path / "f.png")])
    assert result.exit_code == 0, result.output
    png = (tmp_path / "f.png").read_bytes()
    assert int.from_bytes(png[20:24], "big") == 840  # one row of 260 px per series (+60), not one series
    forecast = pd.read_csv(csv)
    assert forecast.columns.tolist()[:3] == ["when", "site", "forecast"]
    assert forecast.groupby("site").size().to_dict() == {"s0": 4, "s1": 4, "s2": 4}
    # each series continues from its own last timestamp
    assert forecast.loc[forecast["site"] == "s2", "when"].iloc[0] == "2024-01-09 08:00:00"
    one = runner.invoke(app, ["predict", str(out), "--series", "s1"])
    assert one.exit_code == 0, one.output
    assert set(pd.read_csv(pd.io.common.StringIO(one.stdout))["site"]) == {"s1"}
    bad = runner.invoke(app, ["predict", str(out), "--series", "nope"])
    assert bad.exit_code == 1 and "--series 'nope' is not in long.csv" in bad.output
    explained = runner.invoke(app, ["explain", str(out), "--series", "s1"])  # on s1's own scaling
    assert explained.exit_code == 0, explained.output
    assert json.loads((out / "explain.json").read_text())["series"] == "s1"
    assert "series 's1' explained" in " ".join(explained.output.split())
    assert "picks another" not in explained.output  # the user picked it
    assert "(report.html updated)" in " ".join(explained.output.split())
    first = runner.invoke(app, ["explain", str(out)])
    assert first.exit_code == 0 and json.loads((out / "explain.json").read_text())["series"] == "s0"
    # backtest scores every series and averages their own MASE
    scored = runner.invoke(app, ["backtest", str(data), "--target", "load", "--id", "site", *TINY,
                                 "--windows", "1", "--json", str(tmp_path / "bt.json")])
    assert scored.exit_code == 0, scored.output
    result = json.loads((tmp_path / "bt.json").read_text())
    assert result["protocol"]["series"] == 3 and set(result["per_series"]) == {"s0", "s1", "s2"}
    mean = np.mean([m["model"] for m in result["per_series"].values()])
    assert result["models"]["model"]["mase"] == pytest.approx(mean, rel=1e-4, abs=1e-5)
    # each series' forecasts come with the times they start at; persistence is read over the series
    frames = pd.read_csv(data).groupby("site")
    for name, rows in result["forecasts"].items():
        assert len(result["protocol"]["origins"][name]) == len(rows) == 1
        assert pd.Timestamp(result["protocol"]["origins"][name][0]) == \
            pd.to_datetime(frames.get_group(name)["when"]).sort_values().iloc[-4]  # the last horizon of 4
    shifts = result["persistence"]["mae_by_shift"]
    assert len(shifts) == 5 and all(v > 0 for v in shifts)
    assert result["persistence"]["best_shift"] == int(np.argmin(shifts))
    same = runner.invoke(app, ["report", str(out), "--backtest", str(tmp_path / "bt.json"),
                               "--out", str(tmp_path / "same.html")])  # series ending on other dates
    assert same.exit_code == 0 and "may be of another file" not in same.output, same.output
    result["training"]["config"]["id"] = None  # as if of one series: not this panel's backtest
    (tmp_path / "one.json").write_text(json.dumps(result))
    other = runner.invoke(app, ["report", str(out), "--backtest", str(tmp_path / "one.json"),
                                "--out", str(tmp_path / "r.html")])
    assert other.exit_code == 1 and "backtests one series, but this bundle forecasts several series by 'site'" \
        in " ".join(other.output.split())
    assert not (tmp_path / "r.html").exists()


def test_cli_wide_file_with_two_targets(tmp_path, sine_csv):
    out = tmp_path / "w"
    result = runner.invoke(app, ["train", str(sine_csv), "--target", "y,x", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["predict", str(out)])
    assert result.exit_code == 0, result.output
    forecast = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert forecast["series"].tolist() == ["y"] * 4 + ["x"] * 4


def test_calendar_inputs_carry_the_forecast_steps_calendar():
    index = pd.date_range("2024-01-01", periods=48, freq="h")
    cycles = calendar.cycles_for("h")
    assert cycles == ["hour", "day_of_week"]
    ahead = calendar.shifted(index, cycles, "h", horizon=6)
    # row t holds the calendar of t + 6 hours; past the end, of the dated future steps
    np.testing.assert_allclose(ahead[:-6], calendar.encode(index[6:], cycles), atol=1e-6)
    future = pd.date_range(index[-1], periods=7, freq="h")[1:]
    np.testing.assert_allclose(ahead[-6:], calendar.encode(future, cycles), atol=1e-6)
    assert calendar.cycles_for("MS") == ["month"] and calendar.cycles_for("B")[0] == "day_of_week"


def test_no_calendar_flag_trains_on_the_columns_only(tmp_path, sine_csv):
    for flag, inputs in (("--calendar", 6), ("--no-calendar", 2)):
        out = tmp_path / flag
        result = runner.invoke(app, ["train", str(sine_csv), "--target", "y", "--features", "x", flag,
                                     *TINY, "--out", str(out)])
        assert result.exit_code == 0, result.output
        pre = json.loads((out / "bundle.json").read_text())["preprocessor"]
        names = ["y", "x", *calendar.feature_names(pre["calendar"])]
        assert len(names) == inputs


@pytest.mark.slow
def test_stocks_long_file_five_trading_days_per_ticker(tmp_path):
    data, out = shared_csv("stocks_multi_ticker_daily.csv"), tmp_path / "stocks"
    result = runner.invoke(app, ["train", str(data), "--target", "Close", "--id", "Stock", "--horizon", "5",
                                 "--epochs", "2", "--units", "8", "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["predict", str(out)])
    assert result.exit_code == 0, result.output
    forecast = pd.read_csv(pd.io.common.StringIO(result.stdout), parse_dates=["Date"])
    assert forecast.groupby("Stock").size().to_dict() == {t: 5 for t in ("AAPL", "COKE", "GOOGL", "TSLA", "YHOO")}
    assert (forecast["Date"].dt.day_of_week < 5).all()  # trading days only
    assert forecast.loc[forecast["Stock"] == "YHOO", "Date"].iloc[0] == pd.Timestamp("2017-06-19")


def test_a_constant_series_in_a_panel_trains_though_a_member_cannot_fit_it(tmp_path):
    """AutoCES cannot fit a constant series: the panel's test part is still scored (each
    member's mean over the series it has forecasts for), not a KeyError."""
    data = _long_csv(tmp_path)
    frame = pd.read_csv(data)
    frame.loc[frame["site"] == "s1", "load"] = 7.0
    frame.to_csv(data, index=False)
    out = tmp_path / "m"
    result = runner.invoke(app, ["train", str(data), "--target", "load", "--id", "site", *TINY,
                                 "--out", str(out)], env={"COLUMNS": "200"})  # table rows unwrapped
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "bundle.json").read_text())
    per_series = meta["metrics_per_series"]
    assert "auto_ces" not in per_series["s1"]
    assert meta["metrics"]["auto_ces"]["mase"] == pytest.approx(
        np.mean([per_series[s]["auto_ces"]["mase"] for s in ("s0", "s2")]))
    assert "auto_ces (2 of 3 series)" in result.output  # the row's mean is over two series, and says so
    assert runner.invoke(app, ["predict", str(out)]).exit_code == 0
    found = runner.invoke(app, ["detect", str(out), "--out", str(tmp_path / "a.csv")])
    assert found.exit_code == 0, found.output
    scored = pd.read_csv(tmp_path / "a.csv")  # s1 was 7.0 from its first row: not a stuck sensor
    assert "stuck" not in set(scored.loc[scored["site"] == "s1", "reason"].fillna("")), scored.head()


def test_backtest_names_the_series_it_leaves_out(tmp_path):
    """A series too short for the backtest's windows (s3) or for a training window after them
    (s2) is left out of the scores, and the printed output says so, not only the JSON."""
    data = _long_csv(tmp_path, rows=(300, 240, 20, 6))
    result = runner.invoke(app, ["backtest", str(data), "--target", "load", "--id", "site", *TINY,
                                 "--windows", "2", "--json", str(tmp_path / "bt.json")])
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "bt.json").read_text())
    assert written["protocol"]["left_out"] == ["s2", "s3"]
    assert len(written["per_step_mase"]) == 4 and "per_step_mae" not in written  # scaled: not MAE
    text = " ".join(result.output.split())
    assert "2 of 4 series left out" in text and "(s2, s3)" in text and "other 2" in text


def test_a_panel_of_only_short_series_says_so_and_names_the_longest(tmp_path):
    data = _long_csv(tmp_path, rows=(20, 30, 25))
    args = [str(data), "--target", "load", "--id", "site"]
    for command in (["train", *args, "--out", str(tmp_path / "m")], ["doctor", *args]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, result.output
        text = " ".join(result.output.split())
        assert "All 3 series are too short; the longest, 's1': The series has 30 rows" in text, text
    assert not (tmp_path / "m").exists()


def test_panel_lookback_is_what_nine_in_ten_series_allow_and_at_least_a_season():
    from forecast.layout import panel_lookback

    assert panel_lookback([3, 40, 40, 40, 40, 40, 40, 40, 40, 40], 24) == 40  # one short series: not 3
    assert panel_lookback([3, 6, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9], 4) == 6
    assert panel_lookback([3, 3, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9], 4) == 4  # a season at least
    assert panel_lookback([2, 2, 2, 3], 4) == 3  # at most what the longest allows
    assert panel_lookback([5] * 5, 12) == 5


def test_short_series_in_a_panel_do_not_cut_every_series_window(tmp_path):
    """A 40-hour series beside ten of 300: the lookback is the long ones' (not the 40-hour one's 8);
    the short one trains no windows but is forecast, scored and predicted from padded windows."""
    data = _long_csv(tmp_path, rows=(300,) * 10 + (40,))
    out = tmp_path / "m"
    args = ["--target", "load", "--id", "site", "--epochs", "1", "--units", "4", "--horizon", "4"]
    result = runner.invoke(app, ["train", str(data), *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 series too short for a training window of lookback" in " ".join(result.output.split())
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["preprocessor"]["lookback"] > 40 and "s10" in meta["data"]["series"]
    assert "s10" in meta["metrics_per_series"]
    forecast = Forecaster.load(out).predict_all(load_series(data, ["load"], options=DataOptions(id="site")))
    short = forecast[forecast["site"] == "s10"]
    assert len(short) == 4 and np.isfinite(short[["forecast", "lower", "upper"]].to_numpy()).all()
    assert abs(short["forecast"].mean() - 1e11) < 0.01 * 1e11  # near its own level, not a shared one
    bt = runner.invoke(app, ["backtest", str(data), *args, "--windows", "1", "--json", str(tmp_path / "b.json")])
    assert bt.exit_code == 0, bt.output
    assert json.loads((tmp_path / "b.json").read_text())["protocol"]["left_out"] == []


@pytest.fixture(scope="module")
def share_of_rows(tmp_path_factory):
    """The default long file fitted once with val_fraction 0.2 and PANEL_FIT_ROWS lowered to 300 (100 a
    series): (series, config, fitted). PANEL_WINDOWS, what the validation origins are shared from, is
    left at its own value, so the fit also serves as the unshared-origins baseline."""
    from forecast import members

    series = load_series(_long_csv(tmp_path_factory.mktemp("share")), ["load"], options=DataOptions(id="site"))
    config = TrainConfig(target="load", id="site", epochs=1, units=4, lookback=12, horizon=4, val_fraction=0.2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(members, "PANEL_FIT_ROWS", 300)  # 100 a series; the floor is 5 days of hours
        fitted = Forecaster(config).fit(series)
    return series, config, fitted


def test_a_panel_shares_its_validation_origins_between_its_series(share_of_rows, monkeypatch):
    """Members cost series x origins: a panel scores them on an even share of a total."""
    from forecast import members

    series, config, fitted = share_of_rows
    assert members.PANEL_WINDOWS == members.VALIDATION_WINDOWS * members.MAX_STAT_SERIES  # not patched
    full = fitted.choice_["windows"]  # 60-ish validation rows: 44-57 origins each
    monkeypatch.setattr(members, "PANEL_WINDOWS", 36)
    assert members.validation_windows(3) == 12 and members.validation_windows(1000) == members.MIN_SERIES_WINDOWS
    shared = Forecaster(config).fit(series).choice_["windows"]
    assert full > 120 and shared == 36  # 12 evenly spread origins of each of the 3 series


def test_a_panel_fits_its_members_on_a_share_of_recent_rows(share_of_rows):
    """AutoTheta's fit grows faster than its rows: a panel fits each series on a share of a total."""
    from forecast import members

    assert members.fit_rows(50, 52) == members.MAX_FIT_ROWS
    assert members.fit_rows(359, 52) == members.PANEL_FIT_ROWS // 359  # m4 weekly: 278 rows
    assert members.fit_rows(100_000, 52) == 5 * 52 and members.fit_rows(100_000, 4) == 100  # the floors
    fitted = share_of_rows[2].members_  # fitted with PANEL_FIT_ROWS 300
    theta = [group["auto_theta"] for group in fitted.values()]
    assert len(theta) == 3 and all(m.rows == 120 for m in theta)
    assert sorted(m.start for m in theta)[-1] > 0  # the longest series' first rows are left out


def test_predict_skips_the_series_training_left_out_with_a_note(tmp_path):
    data = _long_csv(tmp_path, rows=(300, 240, 20))  # s2: too short to train on
    out = tmp_path / "m"
    trained = runner.invoke(app, ["train", str(data), "--target", "load", "--id", "site", *TINY, "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    said = " ".join(trained.output.split())  # train says so itself, not only bundle.json
    assert "note: 1 series left out, too few rows for lookback 12 + horizon 4 + validation + test: 's2' (20 rows)" in said
    assert sorted(json.loads((out / "bundle.json").read_text())["data"]["series"]) == ["s0", "s1"]
    result = runner.invoke(app, ["predict", str(out), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    assert "note: 1 series not in the training data" in result.stderr and "s2" in result.stderr
    assert sorted(pd.read_csv(tmp_path / "f.csv")["site"].unique()) == ["s0", "s1"]
    alone = runner.invoke(app, ["predict", str(out), "--series", "s2"])
    assert alone.exit_code == 1 and "Series 's2'" in alone.output and "not in the training data" in alone.output


def test_a_series_with_an_empty_target_is_left_out_with_a_note(tmp_path):
    frame = pd.read_csv(_long_csv(tmp_path, rows=(300, 240, 200)))
    frame.loc[frame["site"] == "s1", "load"] = np.nan  # nothing to fill it from
    frame.to_csv(tmp_path / "long.csv", index=False)
    series = load_series(tmp_path / "long.csv", ["load"], options=DataOptions(id="site"))
    assert sorted(series.frames) == ["s0", "s2"]
    assert "series 's1' left out: its load column has no values" in series.notes
    result = runner.invoke(app, ["doctor", str(tmp_path / "long.csv"), "--target", "load", "--id", "site"])
    assert result.exit_code == 0 and "too extreme" not in result.output, result.output
    assert "2 by 'site'" in " ".join(result.output.split())
    assert series.dropped == ["series 's1' left out: its load column has no values"]
    trained = runner.invoke(app, ["train", str(tmp_path / "long.csv"), "--target", "load", "--id", "site", *TINY,
                                  "--no-report", "--out", str(tmp_path / "m")])
    assert trained.exit_code == 0, trained.output
    predicted = runner.invoke(app, ["predict", str(tmp_path / "m")])
    assert predicted.exit_code == 0, predicted.output
    notes = [line for line in predicted.stderr.splitlines() if line.startswith("note:")]
    assert notes[0] == "note: series 's1' left out: its load column has no values"  # the loader's other notes: not
    assert all("series end more than the horizon before the latest" in n for n in notes[1:])  # here (s2 is shorter)
    for command in ("predict", "explain"):  # asked for by name: why it cannot be read, not "not in the file"
        alone = runner.invoke(app, [command, str(tmp_path / "m"), "--series", "s1"])
        assert alone.exit_code == 1 and "Traceback" not in alone.output
        assert "Error: --series 's1' cannot be read from long.csv: its load column has no values there." \
            in " ".join(alone.output.split())


def test_numeric_looking_ids_stay_text_so_padding_is_kept_and_01_is_not_1(tmp_path):
    frame = pd.read_csv(_long_csv(tmp_path))
    frame["site"] = frame["site"].map({"s0": "01", "s1": "1", "s2": "007"})
    frame.to_csv(tmp_path / "long.csv", index=False)
    for options in (DataOptions(id="site"), DataOptions(id="site", thousands=",")):
        series = load_series(tmp_path / "long.csv", ["load"], options=options)
        assert sorted(series.frames) == ["007", "01", "1"]
    out = _train_panel(tmp_path / "long.csv", tmp_path / "m", "load", "site")
    result = runner.invoke(app, ["predict", str(out), "--series", "007", "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "f.csv", dtype={"site": str})
    assert written["site"].unique().tolist() == ["007"]
    resaved = frame.assign(site=frame["site"].str.lstrip("0"))  # a spreadsheet's 01 -> 1, 007 -> 7
    resaved.to_csv(tmp_path / "resaved.csv", index=False)
    merged = runner.invoke(app, ["predict", str(out), "--data", str(tmp_path / "resaved.csv")])
    assert merged.exit_code == 0, merged.output
    notes = [line for line in merged.stderr.splitlines() if line.startswith("note:")]
    assert any(line.startswith("note: 1: ") and "duplicate timestamps merged (mean)" in line for line in notes)
    assert "note: 2 trained series not in resaved.csv are not forecast: 007, 01" in " ".join(merged.stderr.split())
    scored = runner.invoke(app, ["detect", str(out), "--data", str(tmp_path / "resaved.csv"),
                                 "--out", str(tmp_path / "a.csv")])
    assert scored.exit_code == 0, scored.output
    assert "note: 2 trained series not in resaved.csv are not scored: 007, 01" in " ".join(scored.stderr.split())
    frame.drop(columns="site").iloc[:100].to_csv(tmp_path / "noid.csv", index=False)
    for command in ("predict", "detect"):  # neither has --id: the error must not say to use it
        refused = runner.invoke(app, [command, str(out), "--data", str(tmp_path / "noid.csv")])
        assert refused.exit_code == 1 and "--id" not in refused.output
        assert "noid.csv has no 'site' column (columns: when, load)" in " ".join(refused.output.split())


def test_detect_scores_every_series_of_a_panel_and_names_each_flag(tmp_path):
    frame = pd.read_csv(_long_csv(tmp_path))
    spike = frame.index[(frame["site"] == "s1") & (frame["when"] == "2024-01-08 05:00")]
    frame.loc[spike, "load"] += 200.0  # s1 swings 100 +- 6
    frame.to_csv(tmp_path / "long.csv", index=False)
    out = _train_panel(tmp_path / "long.csv", tmp_path / "m", "load", "site")
    result = runner.invoke(app, ["detect", str(out), "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    assert "in 3 series" in result.stdout
    flagged = pd.read_csv(tmp_path / "a.csv")
    assert list(flagged.columns[:2]) == ["when", "site"]
    hit = flagged[(flagged["site"] == "s1") & (flagged["when"].str.startswith("2024-01-08 05:00"))]
    assert len(hit) == 1 and hit["reason"].iloc[0] == "outside"
    alone = runner.invoke(app, ["detect", str(out), "--series", "s0", "--out", str(tmp_path / "b.csv")])
    assert alone.exit_code == 0, alone.output
    assert set(pd.read_csv(tmp_path / "b.csv")["site"]) <= {"s0"}


def test_detect_plot_names_the_series_it_shows(panel, tmp_path, monkeypatch):
    """The plot of a panel shows its first series, titled "Anomalies: 0 of 179 values flagged" beside the
    printed "0 of 218 values flagged in 2 series", without saying which series it was."""
    from forecast import plots

    titles = []
    saved = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: (titles.append(fig.axes[0].get_title()),
                                                                 saved(fig, path)))
    _, out, _ = panel
    for flags in ([], ["--series", "s1"]):
        result = runner.invoke(app, ["detect", str(out), *flags, "--out", str(tmp_path / "a.csv"),
                                     "--plot", str(tmp_path / "a.png")])
        assert result.exit_code == 0, result.output
    assert titles[0].startswith("Anomalies of 's0' (the first of 3 series): ")
    assert titles[1].startswith("Anomalies of 's1': ")


def test_ids_that_differ_only_by_spaces_are_refused_not_merged(tmp_path):
    """'A', 'A ' and ' A' (levels 100, 1000, 5000) were one series forecast at their mean."""
    days = pd.date_range("2024-01-01", periods=60, freq="D").strftime("%Y-%m-%d")
    frame = pd.concat([pd.DataFrame({"day": days, "shop": sid, "sales": level + np.arange(60.0)})
                       for sid, level in (("A", 100), ("A ", 1000), ("B", 5000))])
    path = tmp_path / "ws.csv"
    frame.to_csv(path, index=False)
    for command in (["doctor", str(path), "--target", "sales", "--id", "shop"],
                    ["train", str(path), "--target", "sales", "--id", "shop", *TINY, "--out", str(tmp_path / "m")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1 and "ids that differ only by spaces: 'A', 'A '" in " ".join(result.output.split())
    assert not (tmp_path / "m").exists()


def test_semi_monthly_steps_get_a_calendar_not_a_traceback():
    """--freq SMS passed doctor and broke train: a semi-month has no fixed Timedelta."""
    assert calendar.cycles_for("SMS") == ["day_of_year"] and calendar.cycles_for("SME") == ["day_of_year"]
    assert calendar.cycles_for("MS") == ["month"] and calendar.cycles_for("h") == ["hour", "day_of_week"]


def test_series_of_another_frequency_get_advice_that_works(tmp_path):
    """A daily and a weekly series: the advice was --resample D, which is refused (finer than the
    weekly rows), or --freq D, which invents 6 of every 7 weekly rows."""
    daily = pd.date_range("2024-01-01", periods=120, freq="D")
    weekly = pd.date_range("2024-01-07", periods=40, freq="W-SUN")
    frame = pd.concat([pd.DataFrame({"day": daily.strftime("%Y-%m-%d"), "sid": "d", "v": np.arange(120.0)}),
                       pd.DataFrame({"day": weekly.strftime("%Y-%m-%d"), "sid": "w", "v": np.arange(40.0)})])
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    refused = runner.invoke(app, ["doctor", str(path), "--target", "v", "--id", "sid"])
    assert refused.exit_code == 1 and "Give --resample W-SUN" in " ".join(refused.output.split())
    again = runner.invoke(app, ["doctor", str(path), "--target", "v", "--id", "sid", "--resample", "W-SUN"])
    assert "Ready to train" in again.output, again.output


def test_a_series_of_a_panel_that_filling_would_mostly_make_up_is_left_out_with_a_note(tmp_path):
    frame = pd.read_csv(_long_csv(tmp_path))
    s1 = frame.index[frame["site"] == "s1"]  # 240 hours, newest first: an outage of 160 hours inside
    frame = frame.drop(s1[40:200])
    frame.to_csv(tmp_path / "long.csv", index=False)
    series = load_series(tmp_path / "long.csv", ["load"], options=DataOptions(id="site"))
    assert sorted(series.frames) == ["s0", "s2"]
    note = "s1: left out: more of its steps are missing than present, so most of it would be interpolated"
    assert note in series.notes and note in series.dropped
    doctor = runner.invoke(app, ["doctor", str(tmp_path / "long.csv"), "--target", "load", "--id", "site"])
    assert doctor.exit_code == 0 and "s1: left out" in " ".join(doctor.output.split()), doctor.output
    alone = frame[frame["site"] == "s1"]
    alone.to_csv(tmp_path / "one.csv", index=False)  # the same series on its own: refused, naming the fixes
    with pytest.raises(DataError, match="so most of the series would be interpolated"):
        load_series(tmp_path / "one.csv", ["load"], options=DataOptions(id="site"))


def test_ids_that_spell_missing_words_are_ids_and_only_an_empty_one_is_missing(tmp_path):
    """'NA' is Namibia and 'None' a product line: pandas' missing-value words do not apply to --id."""
    days = pd.date_range("2023-01-01", periods=40, freq="D").strftime("%Y-%m-%d")
    frame = pd.DataFrame([(d, k, 10.0 + i % 7 + j) for j, k in enumerate(["NA", "None", "DE"])
                          for i, d in enumerate(days)], columns=["date", "country", "value"])
    frame.loc[3, "value"] = np.nan  # still missing in a value column, and filled
    frame.to_csv(tmp_path / "ids.csv", index=False)
    series = load_series(tmp_path / "ids.csv", ["value"], options=DataOptions(id="country"))
    assert sorted(series.frames) == ["DE", "NA", "None"] and series.filled == {"value": 1}
    text = (tmp_path / "ids.csv").read_text().replace("\n2023-01-02,NA,", "\n2023-01-02,,")
    (tmp_path / "blank.csv").write_text(text)
    with pytest.raises(DataError, match="Column 'country' has an empty id on row 3"):
        load_series(tmp_path / "blank.csv", ["value"], options=DataOptions(id="country"))
    (tmp_path / "spaces.csv").write_text(text.replace("\n2023-01-02,,", '\n2023-01-02,"  ",'))  # was kept as ''
    with pytest.raises(DataError, match="Column 'country' has an empty id on row 3"):
        load_series(tmp_path / "spaces.csv", ["value"], options=DataOptions(id="country"))


def test_predict_notes_a_series_that_ended_long_before_the_others(tmp_path):
    """A store closed in 2020 beside ones open in 2023 was forecast for 2020 with no word."""
    rows = []
    for name, start in (("A", "2020-01-01"), ("B", "2022-01-01"), ("C", "2022-01-01")):
        for i, day in enumerate(pd.date_range(start, periods=120, freq="D")):
            rows.append((name, day.strftime("%Y-%m-%d"), 10.0 + i % 7))
    pd.DataFrame(rows, columns=["store", "date", "sales"]).to_csv(tmp_path / "s.csv", index=False)
    out = _train_panel(tmp_path / "s.csv", tmp_path / "m", "sales", "store")
    predicted = runner.invoke(app, ["predict", str(out), "--out", str(tmp_path / "f.csv")])
    assert predicted.exit_code == 0, predicted.output
    assert ("note: 1 series end more than the horizon before the latest (2022-04-30), and each is forecast from "
            "its own end: A (2020-04-29, 731 steps before)") in " ".join(predicted.stderr.split())


def test_series_is_one_name_and_only_for_a_several_series_bundle(tmp_path, panel):
    """--series A --series B forecast B alone, without a word; on a one-series bundle, 'not in the file'."""
    out = _copy(panel[1], tmp_path)
    for command in ("predict", "detect", "explain"):
        twice = runner.invoke(app, [command, str(out), "--series", "s0", "--series", "s1"])
        assert twice.exit_code == 2 and "takes one series; got s0, s1" in " ".join(twice.output.split())
    frame = pd.read_csv(_long_csv(tmp_path))
    frame[frame["site"] == "s0"].drop(columns="site").to_csv(tmp_path / "one.csv", index=False)
    trained = runner.invoke(app, ["train", str(tmp_path / "one.csv"), "--target", "load", *TINY,
                                  "--out", str(tmp_path / "one")])
    assert trained.exit_code == 0, trained.output
    for command in ("predict", "detect"):
        result = runner.invoke(app, [command, str(tmp_path / "one"), "--series", "s0"])
        assert result.exit_code == 1
        assert "--series picks one series of a several-series bundle; this bundle holds one" in result.output


def test_absent_series_option_reads_as_an_empty_list():
    """Typer 0.15 (the floor) took len() of what the --series callback returned; None from an absent
    option made every predict without --series a TypeError there."""
    from forecast.commands import _one_series, one_series

    assert _one_series(None) == [] and one_series(_one_series(None)) is None
    assert _one_series(["a", "a"]) == ["a", "a"] and one_series(["a"]) == "a"


def test_a_several_series_bundle_json_without_its_id_or_with_a_name_twice_is_refused(tmp_path, panel):
    """data.id null wrote forecasts under an empty column name; a series named twice was read as is."""
    out = panel[1]  # copied below before each edit
    for field, value, said in (("id", None, "data.id must be the column naming the series"),
                               ("series", ["s0", "s0", "s1"], "data.series must be names each given once")):
        copy = tmp_path / f"copy_{field}"
        shutil.copytree(out, copy)
        meta = json.loads((copy / "bundle.json").read_text())
        meta["data"][field] = value
        write_meta(copy, meta)
        result = runner.invoke(app, ["predict", str(copy), "--out", str(tmp_path / f"{field}.csv")])
        assert result.exit_code == 1 and said in " ".join(result.output.split()), result.output
        assert not (tmp_path / f"{field}.csv").exists()
