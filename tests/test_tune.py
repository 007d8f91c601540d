"""`forecast tune`: the best bundle predicts, the search resumes, impossible searches are refused."""

from __future__ import annotations

import json

import pytest
from conftest import sine_frame
from typer.testing import CliRunner

from forecast.cli import app
from forecast.config import TrainConfig
from forecast.data import load_series
from forecast.errors import ConfigError, DataError
from forecast.plots import tuning_plot
from forecast.tune import project_dir
from forecast.tune_space import check_search, default_values, lookback_unit, trial_params

runner = CliRunner()
TINY = ["--horizon", "4", "--epochs", "1", "--time-budget", "120", "--no-report"]


def _csv(tmp_path, rows=200):
    path = tmp_path / "sine.csv"
    sine_frame(rows=rows).to_csv(path, index=False)
    return path


def _series(path, **settings):
    config = TrainConfig(target="y", **settings)
    return load_series(path, config.columns, options=config.data_options()), config


def test_the_least_budget_the_message_asks_for_runs_a_trial(tmp_path):
    """--time-budget 10, the least check_search takes, was gone before the first trial could start
    (it asked for 10 s still left): "No trial completed". The first trial of a run always starts."""
    out = tmp_path / "least"
    result = runner.invoke(app, ["tune", str(_csv(tmp_path)), "--target", "y", "--horizon", "4", "--epochs", "1",
                                 "--no-report", "--time-budget", "10", "--trials", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(json.loads((out / "bundle.json").read_text())["tuning"]["trials"]) >= 1


def test_two_trials_give_a_bundle_that_predicts_and_the_search_resumes(tmp_path):
    data, out = str(_csv(tmp_path)), tmp_path / "tuned"
    first = runner.invoke(app, ["tune", data, "--target", "y", *TINY, "--trials", "1", "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "Trials" in first.output and "Best configuration written to" in first.output
    before = json.loads((out / "bundle.json").read_text())["tuning"]["trials"]
    assert len(before) == 1

    again = runner.invoke(app, ["tune", data, "--target", "y", *TINY, "--trials", "2", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "Reloading" not in again.output  # KerasTuner's own print, not ours
    meta = json.loads((out / "bundle.json").read_text())
    trials = meta["tuning"]["trials"]
    assert [t["trial"] for t in trials] == ["0000", "0001"]
    assert trials[0]["params"] == before[0]["params"]  # the first trial is kept, not rerun
    # ... and is what `forecast train` would use (auto lookback 78 rounded to whole seasons)
    assert trials[0]["params"] == {"lookback": 72, "units": 64, "layers": 1, "arch": "lstm",
                                   "dropout": 0.0, "learning_rate": 0.003, "batch_size": 32}
    assert all(t["status"] == "completed" and t["score"] > 0 for t in trials)
    best = meta["tuning"]["best"]
    assert best["score"] == min(t["score"] for t in trials)
    assert {k: meta["config"][k] for k in best["params"]} == best["params"]  # the bundle is the best
    assert meta["choice"]["scores"]["lstm"] == pytest.approx(best["score"], abs=1e-6)
    assert "tuning.png" in meta["files"] and (project_dir(out) / "oracle.json").exists()
    page = tmp_path / "tuned.html"  # the report shows the search (it said nothing of it)
    assert runner.invoke(app, ["report", str(out), "--out", str(page)]).exit_code == 0
    html = " ".join(page.read_text().split())
    assert "<h2>Search</h2>" in html and "2 trials (2 scored)" in html
    assert f"this bundle is trial {int(best['trial']) + 1}&#x27;s settings, validation MASE {best['score']:.3f}" in html
    assert 'alt="validation MASE by trial"' in html

    predicted = runner.invoke(app, ["predict", str(out)])
    assert predicted.exit_code == 0, predicted.output
    assert len(predicted.stdout.strip().splitlines()) == 1 + 4  # header + horizon rows

    for name, said in (("search.json", "search.json is damaged"), ("oracle.json", "its saved trials are damaged")):
        saved = project_dir(out) / name  # cut short (a killed write): a JSONDecodeError traceback
        whole = saved.read_text()
        saved.write_text(whole[:50])
        cut = runner.invoke(app, ["tune", data, "--target", "y", *TINY, "--trials", "3", "--out", str(out)])
        assert cut.exit_code == 1 and said in cut.output and "--force" in cut.output, cut.output
        saved.write_text(whole)

    other = runner.invoke(app, ["tune", data, "--target", "y", *TINY, "--horizon", "6", "--trials", "2",
                                "--out", str(out)])
    assert other.exit_code == 1 and "Error: The search in" in other.output and "--force" in other.output
    assert "(--horizon differ)" in " ".join(other.output.split())  # which setting, not "settings"
    assert "Searching for" not in other.output and "Trials:" not in other.output  # refused before the live table
    frame = sine_frame(rows=200)
    frame["y"] *= 3  # the same file, rows and settings, other values: the old scores are not its
    frame.to_csv(data, index=False)
    changed = runner.invoke(app, ["tune", data, "--target", "y", *TINY, "--trials", "2", "--out", str(out)])
    assert changed.exit_code == 1 and "(data differ)" in " ".join(changed.output.split())


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--time-budget", "5"], "Error: --time-budget 5 s is too short for one trial"),
        (["--time-budget", "inf"], "Error: --time-budget must be a finite number of seconds; got inf."),
        (["--horizon", "100"], "Error: The series has 200 rows, too few"),
    ],
)
def test_impossible_searches_are_one_line_errors(tmp_path, flags, message):
    out = tmp_path / "tuned"
    result = runner.invoke(app, ["tune", str(_csv(tmp_path)), "--target", "y", "--out", str(out), *flags])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len([line for line in result.stderr.splitlines() if line.startswith("Error:")]) == 1
    assert not out.exists() and not project_dir(out).exists()
    if "--horizon" in flags:  # tune takes no --lookback, and the automatic one is already 1
        assert "--lookback" not in result.output and "smaller --horizon" in result.output


def test_lookback_is_searched_in_seasons_capped_by_the_data(tmp_path):
    series, config = _series(_csv(tmp_path), horizon=4)
    # 200 hourly rows: test 20, validation 20, training 160 -> (160 - 4) // 2 // 24 = 3 seasons
    assert lookback_unit(series, config) == (24, 3)
    long, config = _series(_csv(tmp_path, rows=5000), horizon=24)
    assert lookback_unit(long, config) == (24, 8)
    assert default_values(series, TrainConfig(target="y", horizon=4, batch_size=100, units=500), 24, 3) == {
        "seasons": 3, "units": 128, "layers": 1, "arch": "lstm", "dropout": 0.0, "learning_rate": 0.003,
        "batch_size": 128}  # clipped into the space
    auto = default_values(series, TrainConfig(target="y", horizon=4), 24, 3)  # --batch-size not given
    assert auto["batch_size"] == 32  # what train would take for ~100 windows
    with pytest.raises(DataError, match="Give a longer series"):
        check_search(series, TrainConfig(target="y", horizon=150), 60, 2)
    with pytest.raises(ConfigError, match="Give --time-budget 10 or more"):
        check_search(series, config, 3, 2)


def test_trial_values_become_train_settings_and_the_plot_is_written(tmp_path):
    values = {"seasons": 3, "units": 17, "layers": 2, "arch": "gru", "dropout": 0.15000000001,
              "learning_rate": 0.000123456, "batch_size": 128}
    params = trial_params(values, 12)
    assert params == {"lookback": 36, "units": 17, "layers": 2, "arch": "gru", "dropout": 0.15,
                      "learning_rate": 0.000123, "batch_size": 128}
    TrainConfig(target="y", **params)  # valid settings
    assert trial_params({**values, "units": 129}, 12)["units"] == 128
    path = tmp_path / "tuning.png"
    tuning_plot([{"score": 0.9}, {"score": None}, {"score": 0.7}], path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_a_search_continued_with_other_flags_or_file_names_them_in_the_users_words(tmp_path):
    """'(seasons, unit, --season differ)' and '(source differ)': the signature's own keys were named."""
    from forecast.tune import _check_project

    project = tmp_path / "m.tuner"
    signature = {"settings": {"season": None}, "rows": {"": 200}, "source": "a.csv", "data": "x", "unit": 24,
                 "seasons": 3}
    _check_project(project, signature, restart=False)
    for change, said in (({"settings": {"season": 12}, "unit": 12, "seasons": 6}, "(--season differ)"),
                         ({"source": "b.csv"}, "(file differ)"), ({"seasons": 2}, "(the lookback's range differ)")):
        with pytest.raises(ConfigError) as refused:
            _check_project(project, {**signature, **change}, restart=False)
        assert said in str(refused.value)
