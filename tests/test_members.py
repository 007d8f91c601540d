"""Statistical members, the seasonal base and the validation choice."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import shared_csv

from forecast import baselines
from forecast.choice import choose, combine, label
from forecast.jsonchecks import plain_json
from forecast.members import MAX_FIT_ROWS, Member, fit_members, member_windows
from forecast.metrics import mae, mase_scale
from forecast.preprocessing import Preprocessor

Q = [0.1, 0.5, 0.9]


def seasonal(rows: int = 240, period: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    return 100 + 0.3 * t + 20 * np.sin(2 * np.pi * t / period) + rng.standard_normal(rows)


@pytest.mark.parametrize("name", ["auto_ets", "auto_theta", "auto_ces", "seasonal_naive", "naive"])
def test_member_round_trips_through_json_with_identical_forecasts(name):
    y = seasonal()
    member = Member.fit(name, y[:200], 12)
    text = json.dumps(plain_json(member.to_dict()), allow_nan=False)  # standard JSON, as bundles
    if name in ("auto_ets", "auto_ces"):
        assert "null" in text  # statsforecast's NaN for a parameter the model does not use
    again = Member.from_dict(json.loads(text))
    a = member_windows(member, y, np.array([200, 212, 228]), 12, Q)
    b = member_windows(again, y, np.array([200, 212, 228]), 12, Q)
    assert a.shape == (3, 12, 3)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    assert np.all(np.diff(a, axis=-1) >= 0)  # levels never cross


@pytest.mark.parametrize("name", ["auto_ets", "auto_theta", "auto_ces"])
def test_a_member_forecasts_the_same_series_at_any_scale(name):
    """statsforecast's optimisers have absolute constants (AutoTheta's Nelder-Mead tolerance, a
    bound on the initial level): fitted on the raw values, the same series x1e-3 got another
    AutoTheta fit (airline test MASE 1.235 vs 1.069). Members fit at a fixed level instead."""
    y = seasonal()
    o = np.array([200, 212, 228])
    one = member_windows(Member.fit(name, y[:200], 12), y, o, 12, Q)
    for factor in (1e-6, 1e-3, 1e3, 1e9):
        member = Member.fit(name, y[:200] * factor, 12)
        again = Member.from_dict(json.loads(json.dumps(plain_json(member.to_dict()))))  # as bundles keep it
        np.testing.assert_allclose(member_windows(again, y * factor, o, 12, Q) / factor, one, rtol=1e-6)


def test_a_member_fitted_on_fewer_recent_rows_keeps_and_reads_that_many():
    y = seasonal()
    full, recent = Member.fit("auto_theta", y[:200], 12), Member.fit("auto_theta", y[:200], 12, rows=60)
    assert (full.start, full.rows) == (0, MAX_FIT_ROWS) and (recent.start, recent.rows) == (140, 60)
    again = Member.from_dict(json.loads(json.dumps(recent.to_dict())))
    assert again.rows == 60
    origins = np.array([200, 212, 228])
    np.testing.assert_allclose(member_windows(again, y, origins, 12, Q), member_windows(recent, y, origins, 12, Q))
    assert not np.allclose(member_windows(full, y, origins, 12, Q), member_windows(recent, y, origins, 12, Q))
    legacy = recent.to_dict()
    del legacy["rows"]  # bundles from before the field: the rows every member used to read
    assert Member.from_dict(legacy).rows == MAX_FIT_ROWS


def test_statistical_members_beat_naive_on_a_seasonal_series():
    y = seasonal(rows=300)
    members = fit_members(y[:240], 12)
    o = np.arange(240, 289, 12)
    actual = y[o[:, None] + np.arange(12)]
    naive = mae(actual, baselines.naive(y, o, 12))
    for name in ("auto_ets", "auto_theta", "auto_ces", "seasonal_naive"):
        assert mae(actual, member_windows(members[name], y, o, 12, Q)[..., 1]) < 0.5 * naive, name


def test_ets_reads_later_histories_in_the_fitted_seasonal_phase():
    """A history longer than MAX_FIT_ROWS is read from whole seasons after the fitted start,
    and a history given from another first row (offset) forecasts the same numbers."""
    y = seasonal(rows=MAX_FIT_ROWS + 300, period=24)
    member = Member.fit("auto_ets", y[: MAX_FIT_ROWS + 100], 24)
    full = member.forecast(y, 24, Q, offset=0)
    cut = 37
    shifted = member.forecast(y[cut:], 24, Q, offset=cut)
    np.testing.assert_allclose(full, shifted, atol=1e-8)


def test_seasonal_anchor_makes_doing_nothing_the_seasonal_naive_forecast():
    """With a zero network output, the decoded forecast is last season's values."""
    y = seasonal(rows=100)
    frame = pd.DataFrame({"y": y}, index=pd.date_range("2000-01-01", periods=100, freq="MS"))
    pre = Preprocessor("y", [], lookback=24, horizon=18, anchor="season", season=12).fit(frame)
    values = pre.transform(frame)
    o = np.array([40, 60, 82])
    x = values[o[:, None] + np.arange(-24, 0)]
    decoded = pre.decode_target(np.zeros((3, 18)), x)
    np.testing.assert_allclose(decoded, baselines.seasonal_naive(y, o, 18, 12), rtol=1e-5)
    # and encode -> decode returns the targets
    target = values[o[:, None] + np.arange(18), 0]
    back = pre.decode_target(pre.encode_target(target, x), x)
    np.testing.assert_allclose(back, y[o[:, None] + np.arange(18)], rtol=1e-5)


def test_choice_prefers_the_better_member_and_can_combine():
    rng = np.random.default_rng(1)
    actual = rng.standard_normal((20, 6))
    good = actual + 0.1 * rng.standard_normal((20, 6))
    bad = actual + 2.0
    f = {"lstm": np.stack([good - 1, good, good + 1], -1), "naive": np.stack([bad - 1, bad, bad + 1], -1)}
    picked = choose(actual, f, 1, 1.0)
    assert picked["weights"] == {"lstm": 1.0} and picked["label"] == "lstm"
    assert set(picked["scores"]) == {"lstm", "naive", "0.5 lstm + 0.5 naive"}
    # two members with errors of opposite sign: their mean wins
    up, down = actual + 1.0, actual - 1.0
    f = {"a": np.stack([up] * 3, -1), "b": np.stack([down] * 3, -1)}
    picked = choose(actual, f, 1, 1.0)
    assert picked["weights"] == {"a": 0.5, "b": 0.5}
    np.testing.assert_allclose(combine(f, picked["weights"])[..., 1], actual)
    assert label({"a": 0.5, "b": 0.5}) == "0.5 a + 0.5 b"


def test_members_match_statsforecast_peers_on_airline():
    """The backtest protocol on airline-passengers (H12, W2): AutoTheta 1.069 and AutoETS 1.458
    in ../shared/PEERS.md (AutoCES 0.540: statsforecast AutoCES on the same protocol, not in PEERS.md);
    fitted once on the rows before the test region, never refitted."""
    frame = pd.read_csv(shared_csv("airline-passengers.csv"))
    y = frame["Passengers"].to_numpy(dtype="float64")
    start = len(y) - 24
    members = fit_members(y[:start], 12)
    o = np.array([start, start + 12])
    actual = y[o[:, None] + np.arange(12)]
    scale = mase_scale(y[:start], 12)
    for name, peer in (("auto_theta", 1.069), ("auto_ets", 1.458), ("auto_ces", 0.540), ("seasonal_naive", 1.665)):
        got = mae(actual, member_windows(members[name], y, o, 12, Q)[..., 1]) / scale
        assert got == pytest.approx(peer, abs=0.01), name


def test_a_series_too_short_for_its_season_gets_a_non_seasonal_base_with_a_note(tmp_path):
    from typer.testing import CliRunner

    from forecast.cli import app

    y = seasonal(rows=30)
    path = tmp_path / "short.csv"
    pd.DataFrame({"month": pd.date_range("2020-01-01", periods=30, freq="MS").strftime("%Y-%m"),
                  "y": y}).to_csv(path, index=False)
    out = tmp_path / "b"
    result = CliRunner().invoke(app, ["train", str(path), "--target", "y", "--horizon", "6", "--epochs", "1",
                                      "--units", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert said.count("note: season 12") == 1 and "Traceback" not in said  # one note says it all
    assert "more than half the 18 training rows and the lookback 6 is shorter: the network's base is the last" in said
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["preprocessor"]["anchor"] == "last" and meta["season"] == 12
    assert meta["choice"]["label"] in meta["choice"]["scores"]


def test_predict_from_the_training_files_end_uses_the_cached_member_forecasts(tmp_path):
    """bundle.json keeps the chosen statistical members' forecasts from the end of the training
    file: predict on that file gives the same numbers as applying the members again, without
    importing statsforecast; any other history recomputes them."""
    import subprocess
    import sys

    from forecast.config import TrainConfig
    from forecast.data import load_series
    from forecast.forecaster import Forecaster

    y = seasonal(rows=120)
    path = tmp_path / "m.csv"
    pd.DataFrame({"month": pd.date_range("2000-01-01", periods=120, freq="MS").strftime("%Y-%m"),
                  "y": y}).to_csv(path, index=False)
    series = load_series(path, ["y"])
    fitted = Forecaster(TrainConfig(target="y", horizon=6, epochs=1, units=4, model="auto_theta")).fit(series)
    fitted.save(tmp_path / "b")
    loaded = Forecaster.load(tmp_path / "b")
    assert set(loaded.member_cache_[""]["forecasts"]) == {"auto_theta"}
    cached = loaded.predict(series.frame)
    loaded.member_cache_ = {}
    again = loaded.predict(series.frame)
    np.testing.assert_allclose(cached.to_numpy(), again.to_numpy(), rtol=1e-6)
    other = series.frame.copy()
    other.iloc[-1, 0] += 50.0  # another history: the cache does not apply
    assert loaded._cached_members(other, None) == {}
    code = ("import sys; from forecast.cli import main; sys.argv = ['forecast', 'predict', sys.argv[1]];\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('statsforecast' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "b")], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr


def test_a_member_statsforecast_refuses_forecasts_naive(monkeypatch):
    """AutoCES raises "no model able to be fitted" on some short tails: naive, never a traceback."""
    import forecast.members as members

    y = seasonal(rows=80)
    member = Member.fit("auto_ces", y[:60], 12)

    def refuse(*args, **kwargs):
        raise Exception("no model able to be fitted")

    monkeypatch.setattr(members, "_apply", refuse)
    got = member.forecast(y[:70], 6, Q)
    np.testing.assert_allclose(got[:, 1], np.repeat(y[69], 6))
    assert np.all(np.diff(got, axis=-1) >= 0)


def test_many_series_leave_out_autoets_only():
    from forecast.members import MAX_STAT_SERIES, MEMBERS, member_names

    assert member_names("auto", 1) == MEMBERS
    many = member_names("auto", MAX_STAT_SERIES + 1)
    assert "auto_ets" not in many and {"auto_theta", "auto_ces", "seasonal_naive", "naive"} <= set(many)
    assert member_names("auto_ets", MAX_STAT_SERIES + 1) == MEMBERS


def test_a_diverging_auto_ces_falls_back_to_naive_instead_of_forecasting_1e20():
    """These parameters are AutoCES's own fit on 28 months of a seasonal series (alpha_1 just
    over 1): applied to a longer history its states grow without bound, yet stay finite."""
    params = {"m": 12, "seasontype": "P",
              "par": {"alpha_0": 0.8646519810870715, "alpha_1": 1.0002322844489888,
                      "beta_0": 0.22603378718654465, "beta_1": float("nan")}}
    member = Member("auto_ces", 12, 0, params)
    y = seasonal(rows=60)
    out = member_windows(member, y, np.array([28, 40, 60]), 12, Q)
    assert np.all(np.isfinite(out))
    assert np.abs(out).max() < 10 * np.abs(y).max()
    np.testing.assert_allclose(out[-1, :, 1], y[-1])  # the naive forecast


def test_an_autoces_fit_that_diverges_one_season_on_is_not_kept():
    """Short weekly-season series (32 days): AutoCES often fits at the edge of its stable region,
    scores well where it was fitted and diverges a row later (then naive stands in, unseen by
    the validation). Such a fit is refused; every one kept forecasts the next week."""
    from forecast.members import _apply

    rng = np.random.default_rng(0)
    refused = 0
    for _ in range(12):
        y = (rng.uniform(10, 100) + 5 * np.sin(2 * np.pi * np.arange(39) / 7) + rng.normal(0, 1, 39)).round(2)
        members = fit_members(y[:32], 7, ("naive", "auto_ces"))
        assert "naive" in members
        if "auto_ces" not in members:
            refused += 1
            continue
        for later in (y, y[7:]):  # a season longer, and read from a season later
            out = _apply("auto_ces", members["auto_ces"].params, later, 7, None)
            assert np.isfinite(out["mean"]).all()
    assert refused >= 1  # the case is real on such series (19 of 30 with statsforecast 2.x)


def test_a_chosen_autoces_that_fails_its_refit_keeps_its_training_fit_and_the_bundle_loads(tmp_path):
    """AutoCES fitted on the training part, then refused as unstable on training + validation:
    the bundle named it in the choice but held no AutoCES, and predict refused it as damaged."""
    from typer.testing import CliRunner

    from forecast.cli import app

    rng = np.random.default_rng(7)
    t = np.arange(300)
    y = (100 + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, 300)).round(2)
    path = tmp_path / "daily.csv"
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=300).strftime("%Y-%m-%d"), "sales": y}).to_csv(
        path, index=False)
    out = tmp_path / "b"
    runner = CliRunner()
    result = runner.invoke(app, ["train", str(path), "--target", "sales", "--model", "auto_ces", "--epochs", "1",
                                 "--units", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    split = json.loads((out / "bundle.json").read_text())["data"]["split"]
    train_end = split["train_rows"]
    val_end = train_end + split["val_rows"]
    assert "auto_ces" in fit_members(y[:train_end], 7, ("naive", "auto_ces"))
    assert "auto_ces" not in fit_members(y[:val_end], 7, ("naive", "auto_ces"))  # the case is real here
    predicted = runner.invoke(app, ["predict", str(out), "--out", str(tmp_path / "f.csv")])
    assert predicted.exit_code == 0, predicted.output
    assert len(pd.read_csv(tmp_path / "f.csv")) == json.loads((out / "bundle.json").read_text())["preprocessor"]["horizon"]


def _unfittable_ces(tmp_path, monkeypatch, *flags: str):
    """`forecast train` of 60 seasonal months where AutoCES is refused as unstable: (result, bundle path)."""
    from typer.testing import CliRunner

    from forecast import members
    from forecast.cli import app

    def unstable(y, season):
        raise ValueError("no stable model")

    monkeypatch.setattr(members, "_fit_ces", unstable)
    path = tmp_path / "m.csv"
    pd.DataFrame({"month": pd.date_range("2015-01-01", periods=60, freq="MS").strftime("%Y-%m"),
                  "y": seasonal(rows=60)}).to_csv(path, index=False)
    out = tmp_path / "b"
    return CliRunner().invoke(app, ["train", str(path), "--target", "y", "--horizon", "6", "--epochs", "1",
                                    "--units", "4", "--ensemble", "1", "--no-report", *flags, "--out", str(out)]), out


def test_a_member_that_cannot_be_fitted_is_named_in_a_note(tmp_path, monkeypatch):
    """AutoCES refused as unstable on the training rows left its row and its score out of train's
    output without a word (backtest named it, train did not)."""
    result, out = _unfittable_ces(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    note = ("auto_ces left out of the choice: not fitted on the training rows (too few rows, or statsforecast finds no "
            "stable model there)")
    assert note in " ".join(result.output.split())
    assert note in json.loads((out / "bundle.json").read_text())["data"]["fit_notes"]


def test_a_forced_member_missing_on_a_series_is_refused_by_name():
    """--model auto_ces where a series has no AutoCES fit: one Error line at train, never a
    bundle naming a member it does not hold."""
    from forecast.errors import ConfigError
    from forecast.selection import _check_forced

    y = seasonal()
    fitted = {"a": fit_members(y, 12, ("naive", "auto_ces")), "b": fit_members(y, 12, ("naive",))}
    _check_forced("lstm", fitted)
    _check_forced("naive", fitted)
    with pytest.raises(ConfigError, match="--model auto_ces cannot be fitted on series 'b'"):
        _check_forced("auto_ces", fitted)


def test_a_forced_member_that_cannot_be_fitted_is_refused_before_the_network_trains(tmp_path, monkeypatch):
    """--model auto_ces on rows AutoCES cannot fit was refused only after the whole training."""
    from forecast import training

    def trains(*args, **kwargs):
        raise AssertionError("the network trained before the refusal")

    monkeypatch.setattr(training, "fit_model", trains)
    result, out = _unfittable_ces(tmp_path, monkeypatch, "--model", "auto_ces")
    assert result.exit_code == 1 and "Error: --model auto_ces cannot be fitted" in " ".join(result.output.split())
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize("name", ["auto_ets", "auto_theta"])
def test_a_history_starting_after_the_fit_forecasts_as_the_full_one(name):
    """predict --data with recent rows only: the fitted states belong to the fit's first row, and
    replayed from a later one a slow level stayed there (a trend ending near 505 forecast 260-785
    by the rows given). Such a history is fitted again."""
    rng = np.random.default_rng(3)
    y = 10 + 0.5 * np.arange(1000) + rng.normal(0, 3, 1000)
    member = Member.fit(name, y, 7)
    full = member.forecast(y, 7, Q, 0)[:, 1]
    for rows in (100, 365, 900):
        recent = member.forecast(y[-rows:], 7, Q, 1000 - rows)[:, 1]
        np.testing.assert_allclose(recent, full, rtol=0.02)


def test_autoces_at_the_edge_of_its_stable_region_is_refused_not_kept_worse_than_naive():
    """A clean weekly sine (noise sd 1, swing 10; a generated file kept in tests/data): AutoCES on
    its first 210 days fits alpha_1, beta_1 just over 1 and, applied to later histories, forecast
    a week with mean absolute error 29 where naive's is ~9. One-step errors with four times naive's
    variance on the probe histories now refuse the fit (the other members carry the series)."""
    from pathlib import Path

    y = pd.read_csv(Path(__file__).parent / "data" / "weekly_sine_ces_edge.csv")["sales"].to_numpy(float)
    with pytest.raises(ValueError, match="diverged"):
        Member.fit("auto_ces", y[:210], 7)
    ets = Member.fit("auto_ets", y[:210], 7)  # the series itself is easy
    error = np.mean([np.abs(ets.forecast(y[:e], 7, [0.5], 0)[:, 0] - y[e : e + 7]).mean() for e in range(217, 294, 7)])
    assert error < 2
