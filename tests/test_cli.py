"""Happy paths of the commands beyond train/predict: point forecasts, compare, recursive predict."""

from __future__ import annotations

import html
import json
import re
import shutil

import pandas as pd
import pytest
from conftest import sine_frame
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
TINY = ["--epochs", "1", "--units", "4", "--lookback", "12", "--horizon", "4", "--time-budget", "30", "--ensemble", "1"]


def _csv(tmp_path, rows=200):
    path = tmp_path / "sine.csv"
    sine_frame(rows=rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The tiny model trained once on the 200-row sine with no other flag: (data, bundle, train's output)."""
    folder = tmp_path_factory.mktemp("plain")
    data = _csv(folder, rows=200)
    trained = runner.invoke(app, ["train", str(data), "--target", "y", *TINY, "--no-report",
                                  "--out", str(folder / "m")])
    assert trained.exit_code == 0, trained.output
    return data, folder / "m", trained.output


@pytest.fixture(scope="module")
def ets_beside_networks(tmp_path_factory):
    """--model auto_ets with --ensemble 2 and a --season longer than the history, trained once with its
    report: (bundle, train's output)."""
    folder = tmp_path_factory.mktemp("ets")
    trained = runner.invoke(app, ["train", str(_csv(folder, rows=200)), "--target", "y", *TINY,
                                  "--model", "auto_ets", "--ensemble", "2", "--season", "500",
                                  "--out", str(folder / "m")])
    assert trained.exit_code == 0, trained.output
    return folder / "m", trained.output


def _copy(bundle, tmp_path):
    """A copy of a module's bundle that this test's commands may write beside or into."""
    return shutil.copytree(bundle, tmp_path / "b")


def test_quantiles_none_gives_a_point_forecast(tmp_path):
    out = tmp_path / "point"
    result = runner.invoke(app, ["train", str(_csv(tmp_path)), "--target", "y", *TINY,
                                 "--quantiles", "none", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "coverage" not in result.output
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["quantiles"] is None and meta["interval"] is None
    result = runner.invoke(app, ["predict", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "time,forecast"


def test_bad_quantiles_and_arch_are_one_line_errors(tmp_path):
    data = str(_csv(tmp_path))
    result = runner.invoke(app, ["train", data, "--target", "y", "--quantiles", "0.1,1.5"])
    assert result.exit_code == 1 and "Error: Quantiles must lie strictly between 0 and 1" in result.output
    result = runner.invoke(app, ["train", data, "--target", "y", "--arch", "transformer"])
    assert result.exit_code == 2, result.output
    assert "Error: Invalid value for '--arch': 'transformer' is not one of" in result.output
    result = runner.invoke(app, ["compare", data, "--target", "y", "--arch", "lstm,tcn"])
    assert result.exit_code == 1 and "Error: Unknown --arch tcn" in result.output
    result = runner.invoke(app, ["compare", data, "--target", "y", "--arch", "lstm,gru,lstm"])
    assert result.exit_code == 1 and "Error: --arch names lstm more than once" in result.output
    assert not (tmp_path / "models").exists()


def test_compare_ranks_architectures_and_keeps_every_bundle(tmp_path):
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(_csv(tmp_path)), "--target", "y", *TINY,
                                 "--arch", "lstm,gru", "--keep", "all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ranked by the network's test MASE" in " ".join(result.output.split())
    rows = [[c.strip() for c in line.split("│")] for line in result.output.splitlines()]
    ranked = [float(cells[3]) for cells in rows if len(cells) > 4 and cells[1] in ("1", "2")]
    assert len(ranked) == 2 and ranked[0] <= ranked[1]  # the network's MASE, not the chosen forecast's
    for arch in ("lstm", "gru"):
        assert arch in result.output
        assert json.loads((out / arch / "bundle.json").read_text())["config"]["arch"] == arch
    parent = runner.invoke(app, ["predict", str(out)])  # the folder of bundles, not one of them
    assert parent.exit_code == 1 and f"holds bundles, not one: gru, lstm. Give one of them, e.g. {out / 'gru'}" \
        in " ".join(parent.output.split())
    again = runner.invoke(app, ["compare", str(tmp_path / "sine.csv"), "--target", "y", *TINY, "--arch", "lstm,gru",
                                "--keep", "all", "--out", str(out)])
    assert again.exit_code == 1 and "already exists. Use --force" in again.output
    again = runner.invoke(app, ["compare", str(tmp_path / "sine.csv"), "--target", "y", *TINY, "--arch", "lstm,gru",
                                "--keep", "all", "--out", str(out), "--force"])  # its own output: replaced
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir()) == ["gru", "lstm"]
    one = runner.invoke(app, ["compare", str(tmp_path / "sine.csv"), "--target", "y", *TINY, "--arch", "lstm,bilstm",
                              "--keep", "all", "--out", str(out), "--force"])
    assert one.exit_code == 0, one.output
    assert f"note: {out} also holds gru from an earlier compare, not this one's" in " ".join(one.stderr.split())


def test_compare_keep_all_refuses_a_single_bundle_before_training(tmp_path, plain):
    """--keep all --force onto a train bundle wrote lstm/ and gru/ inside it and left the old bundle
    in place: predict still read it, and train --force then refused the folder."""
    out = _copy(plain[1], tmp_path)
    before = sorted(p.name for p in out.iterdir())
    result = runner.invoke(app, ["compare", str(plain[0]), "--target", "y", *TINY, "--arch", "lstm,gru",
                                 "--keep", "all", "--out", str(out), "--force"])
    assert result.exit_code == 1 and "is one bundle, and --keep all writes a folder of bundles" in \
        " ".join(result.output.split()), result.output
    assert "Training" not in result.output and sorted(p.name for p in out.iterdir()) == before


def test_compare_keeps_the_best_bundle_by_default(tmp_path):
    out = tmp_path / "best"
    result = runner.invoke(app, ["compare", str(_csv(tmp_path)), "--target", "y", *TINY,
                                 "--arch", "gru,lstm", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [[c.strip() for c in line.split("│")] for line in result.output.splitlines()]
    first = [cells[2] for cells in rows if len(cells) > 3 and cells[1] == "1"]
    assert first and first[0] in ("lstm", "gru")
    assert json.loads((out / "bundle.json").read_text())["config"]["arch"] == first[0]


def test_predict_recursive_past_the_trained_horizon(tmp_path, plain):
    out = _copy(plain[1], tmp_path)
    refused = runner.invoke(app, ["predict", str(out), "--horizon", "10"])
    assert refused.exit_code == 1 and "--recursive" in refused.output
    result = runner.invoke(app, ["predict", str(out), "--horizon", "10", "--recursive",
                                 "--out", str(tmp_path / "f.csv"), "--plot", str(tmp_path / "f.png")])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "f.csv")
    assert len(frame) == 10 and list(frame.columns) == ["time", "forecast", "lower", "upper"]
    assert (tmp_path / "f.png").stat().st_size > 10_000


def test_a_file_of_years_gets_its_forecast_in_years(tmp_path):
    """`year` 1900..2019 is read as yearly dates; predict writes 2020, not 2020-01-01."""
    path = tmp_path / "yearly.csv"
    years = range(1900, 2020)
    pd.DataFrame({"year": years, "y": [100 + 0.5 * i + (i % 7) for i in range(len(years))]}).to_csv(path, index=False)
    out = tmp_path / "yb"
    result = runner.invoke(app, ["train", str(path), "--target", "y", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "bundle.json").read_text())["data"]["years"] is True
    result = runner.invoke(app, ["predict", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("year,") and [line.split(",")[0] for line in lines[1:]] == ["2020", "2021", "2022", "2023"]
    # a file of dates keeps its dates
    dated = tmp_path / "dated.csv"
    pd.DataFrame({"date": pd.date_range("1900-01-01", periods=len(years), freq="YS"),
                  "y": range(len(years))}).to_csv(dated, index=False)
    out2 = tmp_path / "db"
    assert runner.invoke(app, ["train", str(dated), "--target", "y", *TINY, "--out", str(out2)]).exit_code == 0
    assert runner.invoke(app, ["predict", str(out2)]).stdout.splitlines()[1].startswith("2020-01-01")


def test_written_files_and_bundles_get_the_users_umask_not_owner_only(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = tmp_path / "m"
        trained = runner.invoke(app, ["train", str(_csv(tmp_path)), "--target", "y", *TINY, "--out", str(out)])
        assert trained.exit_code == 0, trained.output
        predicted = runner.invoke(app, ["predict", str(out), "--out", str(tmp_path / "f.csv")])
        assert predicted.exit_code == 0, predicted.output
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.csv").stat().st_mode) == 0o644  # mkstemp's own would be 0600
    assert stat.S_IMODE(out.stat().st_mode) == 0o755  # mkdtemp's own would be 0700
    assert stat.S_IMODE((out / "bundle.json").stat().st_mode) == 0o644
    for command in (["predict", str(out), "--out", str(out / "holdout.csv")],
                    ["detect", str(out), "--out", str(out / "holdout.csv")],
                    ["report", str(out), "--out", str(out / "report.html")]):
        refused = runner.invoke(app, command)  # the bundle's own files: its checksums would refuse it after
        assert refused.exit_code == 1 and "is a file of the bundle" in refused.output
    assert runner.invoke(app, ["predict", str(out)]).exit_code == 0


def test_predict_from_recent_rows_asks_for_the_seasons_a_statistical_forecast_reads(tmp_path):
    """From 30 hourly rows AutoETS, refitted, had no day to find and forecast a flat line; the
    history must hold three seasons when the chosen forecast reads a statistical member."""
    out = tmp_path / "m"
    trained = runner.invoke(app, ["train", str(_csv(tmp_path, rows=300)), "--target", "y", *TINY,
                                  "--model", "auto_ets", "--no-report", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    frame = sine_frame(rows=300)
    frame.iloc[-30:].to_csv(tmp_path / "recent.csv", index=False)
    short = runner.invoke(app, ["predict", str(out), "--data", str(tmp_path / "recent.csv")])
    assert short.exit_code == 1
    assert "has 30 rows; the model needs the last 72 (its forecast reads auto_ets, which finds the season of 24" \
        in " ".join(short.output.split())
    frame.iloc[-72:].to_csv(tmp_path / "recent.csv", index=False)
    enough = runner.invoke(app, ["predict", str(out), "--data", str(tmp_path / "recent.csv")])
    assert enough.exit_code == 0, enough.output
    values = pd.read_csv(pd.io.common.StringIO(enough.stdout))["forecast"]
    assert values.max() - values.min() > 2  # the day's swing (6), not a flat line


def test_ensemble_beside_a_forced_statistical_model_is_named_and_long_season_labelled(ets_beside_networks, plain):
    """--ensemble with --model auto_ets trains networks the forecast never reads: train says so.
    A --season longer than the history makes seasonal naive the last value, and its row says so."""
    out, output = ets_beside_networks
    text = " ".join(output.split())
    assert "--ensemble 2 trains the networks of the lstm row; the forecast is auto_ets alone" in text
    assert "seasonal naive (= naive)" in text
    # the forced member's line read as a pick on validation, beside members that scored lower
    assert re.search(r"forecast = auto_ets, validation MASE [0-9.]+ vs .*; as --model asks, not chosen\)", text)
    assert "as --model asks, not chosen" in html.unescape((out / "report.html").read_text())
    meta = json.loads((out / "bundle.json").read_text())
    assert any("--ensemble 2" in n for n in meta["data"]["fit_notes"])
    assert not any("--ensemble" in n for n in meta["data"]["notes"])  # a fit note, not a loading one
    plain_output = plain[2]  # the same file and flags without --model, --ensemble or --season
    assert "(M=24)" in plain_output and "= naive" not in plain_output and "--ensemble" not in plain_output


def test_report_puts_fit_notes_under_training_not_loading(ets_beside_networks):
    out = ets_beside_networks[0]
    html = (out / "report.html").read_text()
    loading = html.split("Loading: ", 1)[1].split("</p>", 1)[0]
    fitting = html.split("Fitting: ", 1)[1].split("</p>", 1)[0]
    assert "--ensemble 2 trains" in fitting and "--ensemble" not in loading
    assert html.index("<h2>Training</h2>") < html.index("Fitting: ")


def test_predict_and_detect_refuse_to_write_over_the_data_they_read(tmp_path, plain):
    data = plain[0]  # the bundle's training file
    out = _copy(plain[1], tmp_path)
    before = data.read_bytes()
    copy = tmp_path / "copy.csv"
    copy.write_bytes(before)
    for command, what in ((["predict", str(out), "--out", str(data)], "the bundle's training file"),
                          (["predict", str(out), "--data", str(copy), "--out", str(copy)], "a file this command reads"),
                          (["detect", str(out), "--data", str(copy), "--out", str(copy)], "a file this command reads")):
        refused = runner.invoke(app, command)
        assert refused.exit_code == 1 and what in " ".join(refused.output.split()), refused.output
    assert data.read_bytes() == before and copy.read_bytes() == before
    fine = runner.invoke(app, ["predict", str(out), "--data", str(copy), "--out", str(tmp_path / "next.csv")])
    assert fine.exit_code == 0, fine.output
