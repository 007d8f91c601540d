"""Training, saving, loading and predicting with real (tiny) Keras models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import write_meta

from forecast.config import TrainConfig
from forecast.data import load_series
from forecast.errors import BundleError, ConfigError
from forecast.forecaster import Forecaster
from forecast.run import save

TINY = dict(epochs=2, units=8, lookback=24, horizon=6, time_budget=60, seed=3)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from conftest import sine_frame

    path = tmp_path_factory.mktemp("data") / "sine.csv"
    sine_frame(rows=300).to_csv(path, index=False)
    series = load_series(path, ["y", "x"])
    forecaster = Forecaster(TrainConfig(target="y", features=["x"], **TINY)).fit(series)
    return forecaster, series


def test_fit_records_split_metrics_and_history(fitted):
    forecaster, series = fitted
    split = forecaster.data_["split"]
    assert split["train_rows"] + split["val_rows"] + split["test_rows"] == len(series.frame)
    assert split["test_rows"] % 6 == 0 and split["test_rows"] >= 6
    assert set(forecaster.holdout_["metrics"]) == {  # the backtest's models (evaluation.score_windows)
        "model", "lstm", "auto_ets", "auto_theta", "auto_ces", "naive", "seasonal_naive", "drift"
    }
    choice = forecaster.choice_
    assert abs(sum(choice["weights"].values()) - 1) < 1e-9 and choice["scores"][choice["label"]] == min(
        choice["scores"].values()
    )
    for m in forecaster.holdout_["metrics"].values():
        assert np.isfinite([m["mae"], m["rmse"], m["mase"]]).all()
    assert len(forecaster.history_["loss"]) == forecaster.training_["epochs"] <= 2


def test_save_load_predict_gives_identical_numbers(fitted, tmp_path):
    forecaster, series = fitted
    out = save(forecaster, tmp_path / "bundle")  # the fitted state, its plots and report
    names = {p.name for p in out.iterdir()}
    assert {"model.keras", "bundle.json", "history.csv", "loss.png", "holdout.png", "report.html"} <= names
    bare = forecaster.save(tmp_path / "bare")  # the fitted state alone: no pictures
    assert not {p.name for p in bare.iterdir()} & {"loss.png", "holdout.png", "report.html"}
    history = pd.read_csv(out / "history.csv")  # epochs counted from 1, as train prints them and best_epoch
    assert history["epoch"].tolist() == list(range(1, forecaster.training_["epochs"] + 1))
    def refuse(constant: str) -> None:
        raise AssertionError(f"bundle.json holds {constant}, which is not standard JSON")

    meta = json.loads((out / "bundle.json").read_text(), parse_constant=refuse)  # no bare NaN
    assert meta["schema_version"] == 2 and meta["config"]["seed"] == 3
    assert meta["config"]["ensemble"] == 3  # a short series: three networks, their median forecast
    assert meta["preprocessor"]["scaler"]["mean"] and meta["versions"]["keras"]
    assert set(meta["files"]) == names - {"bundle.json"}
    assert not list(tmp_path.glob(".bundle.tmp-*"))  # the temporary sibling is gone

    before = forecaster.predict(series.frame)
    loaded = Forecaster.load(out, engine="keras")
    after = loaded.predict(series.frame)
    pd.testing.assert_frame_equal(before, after)
    # the default engine runs the saved weights in NumPy, without TensorFlow
    fast = Forecaster.load(out)
    assert type(fast.model_).__name__ == "NumpyNet"
    pd.testing.assert_frame_equal(before, fast.predict(series.frame), check_exact=False, rtol=0, atol=1e-5)
    assert len(after) == 6 and after.index[0] == series.frame.index[-1] + pd.Timedelta(hours=1)
    assert np.isfinite(after["forecast"]).all()


def test_existing_bundle_needs_force(fitted, tmp_path):
    forecaster, _ = fitted
    out = forecaster.save(tmp_path / "b")
    with pytest.raises(BundleError, match="already exists"):
        forecaster.save(out)
    forecaster.save(out, force=True)
    assert (out / "bundle.json").exists()


def test_longer_horizon_than_trained_is_refused(fitted):
    forecaster, series = fitted
    with pytest.raises(ConfigError, match="longer than the trained horizon 6"):
        forecaster.predict(series.frame, horizon=7)
    assert len(forecaster.predict(series.frame, horizon=3)) == 3


def test_a_noisy_sine_is_learned_clearly_better_than_naive(tmp_path):
    from conftest import sine_frame

    path = tmp_path / "sine.csv"
    sine_frame(rows=1200, period=24, noise=0.2, seed=1).to_csv(path, index=False)
    series = load_series(path, ["y"])
    config = TrainConfig(target="y", lookback=48, horizon=12, units=16, epochs=15, seed=0)
    metrics = Forecaster(config).fit(series).holdout_["metrics"]
    assert metrics["model"]["mae"] < 0.5 * metrics["naive"]["mae"]


@pytest.mark.parametrize("arch", ["lstm", "gru", "bilstm", "attention"])
def test_each_architecture_round_trips_with_identical_numbers(arch, tmp_path):
    from conftest import sine_frame

    path = tmp_path / "sine.csv"
    sine_frame(rows=200).to_csv(path, index=False)
    series = load_series(path, ["y"])
    config = TrainConfig(target="y", arch=arch, layers=2, dropout=0.1, epochs=1, units=4,
                         lookback=12, horizon=4, seed=1)
    forecaster = Forecaster(config).fit(series)
    before = forecaster.predict(series.frame)
    assert list(before.columns) == ["forecast", "lower", "upper"]
    assert (before["lower"] <= before["forecast"]).all() and (before["forecast"] <= before["upper"]).all()
    path = forecaster.save(tmp_path / arch)
    loaded = Forecaster.load(path, engine="keras")
    pd.testing.assert_frame_equal(before, loaded.predict(series.frame))
    assert loaded.model_.name == f"forecast_{arch}"
    fast = Forecaster.load(path, engine="numpy")
    pd.testing.assert_frame_equal(before, fast.predict(series.frame), check_exact=False, rtol=0, atol=1e-5)


def test_a_long_lookback_trains_in_patches_and_round_trips(tmp_path, monkeypatch):
    from conftest import sine_frame

    import forecast.nets

    monkeypatch.setattr(forecast.nets, "MAX_STEPS", 8)  # lookback 20: patches of 3, 2 rows cropped
    path = tmp_path / "sine.csv"
    sine_frame(rows=200).to_csv(path, index=False)
    series = load_series(path, ["y"])
    config = TrainConfig(target="y", epochs=1, units=4, lookback=20, horizon=4, seed=1)
    forecaster = Forecaster(config).fit(series)
    assert forecaster.training_["patch"] == 3
    before = forecaster.predict(series.frame)
    out = forecaster.save(tmp_path / "patched")
    assert json.loads((out / "bundle.json").read_text())["training"]["patch"] == 3
    keras_engine = Forecaster.load(out, engine="keras")
    pd.testing.assert_frame_equal(before, keras_engine.predict(series.frame))
    fast = Forecaster.load(out, engine="numpy")
    pd.testing.assert_frame_equal(before, fast.predict(series.frame), check_exact=False, rtol=0,
                                  atol=1e-5)
    meta = json.loads((out / "bundle.json").read_text())
    meta["training"]["patch"] = 1  # the weights are 3 rows wide: refused, not misread
    write_meta(out, meta)
    with pytest.raises(BundleError, match="lstm_0/0"):
        Forecaster.load(out)


def test_recursive_rollout_extends_past_the_trained_horizon(fitted, tmp_path):
    from conftest import sine_frame

    path = tmp_path / "sine.csv"
    sine_frame(rows=200).to_csv(path, index=False)
    series = load_series(path, ["y"])
    forecaster = Forecaster(TrainConfig(target="y", **TINY)).fit(series)
    out = forecaster.predict(series.frame, horizon=15, recursive=True)
    assert len(out) == 15 and out.index.is_monotonic_increasing
    assert out.index[0] == series.frame.index[-1] + pd.Timedelta(hours=1)
    first = forecaster.predict(series.frame)
    np.testing.assert_allclose(out.iloc[:6], first)
    # the second block starts from the first's medians, and its interval goes on widening as the
    # first's did: each side at least w_H (t / H)**b, b from the first block's w_1 .. w_H
    read = pd.concat([series.frame[["y"]], first[["forecast"]].set_axis(["y"], axis=1)])
    own = forecaster.predict(read)
    np.testing.assert_allclose(out["forecast"].iloc[6:12], own["forecast"])
    t = np.arange(7, 13)
    for side in ("lower", "upper"):
        w = abs(first[side] - first["forecast"]).to_numpy()
        reach = w[-1] * (t / 6) ** np.clip(np.log(w[-1] / w[0]) / np.log(6), 0, 1)
        expected = np.maximum(abs(own[side] - own["forecast"]).to_numpy(), reach)
        np.testing.assert_allclose(abs(out[side].iloc[6:12] - out["forecast"].iloc[6:12]), expected)
        assert expected[-1] >= w[-1]  # never narrower than the first block's last step
    # a model that also reads a covariate cannot roll forward: its future is unknown
    with_covariate, covariate_series = fitted
    with pytest.raises(ConfigError, match="--recursive needs every input to be the target"):
        with_covariate.predict(covariate_series.frame, horizon=9, recursive=True)


def test_window_scale_is_recorded_and_a_saved_bundle_predicts_the_same(tmp_path):
    t = np.arange(240)
    y = np.exp(t / 80) * (10 + 3 * np.sin(2 * np.pi * t / 12))  # swings growing with the level
    path = tmp_path / "growing.csv"
    pd.DataFrame({"month": pd.date_range("2000-01-01", periods=240, freq="MS"), "y": y}).to_csv(path, index=False)
    series = load_series(path, ["y"])
    forecaster = Forecaster(TrainConfig(target="y", window_scale=True, ensemble=1, **{**TINY, "horizon": 12})).fit(series)
    assert forecaster.preprocessor_.window_scale
    out = forecaster.save(tmp_path / "bundle")
    assert json.loads((out / "bundle.json").read_text())["preprocessor"]["window_scale"] is True
    again = Forecaster.load(out)
    assert again.preprocessor_.window_scale
    pd.testing.assert_frame_equal(forecaster.predict(series.frame), again.predict(series.frame),
                                  check_exact=False, rtol=0, atol=1e-4)


def _faint_csv(tmp_path):
    idx = pd.date_range("2024-01-01", periods=300, freq="h")
    path = tmp_path / "faint.csv"
    pd.DataFrame({"time": idx.strftime("%Y-%m-%d %H:%M"), "y": (1 + np.arange(300) % 5) * 1e-300,
                  "z": np.sin(np.arange(300))}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("config", "columns", "error", "problem"), [
    # values near 1e-300: train refused them, the library fitted them with intervals 1e296 times too wide
    (dict(target="y"), ["y"], "DataError", r"^Column\(s\) y vary too little to scale"),
    # fitted as 'x' on a series loaded as 'z': the bundle saved was then refused at load as damaged
    (dict(target="x"), ["z"], "ConfigError", "loaded with target 'z', but the config's target is 'x'"),
    (dict(target="z", features=["q"]), ["z"], "DataError", r"no column\(s\) q, which the config reads"),
    (dict(target="z"), None, "DataError", "fit needs a Series, not DataFrame"),
])
def test_library_fit_refuses_what_it_would_misfit(tmp_path, config, columns, error, problem):
    import forecast.errors

    path = _faint_csv(tmp_path)
    given = load_series(path, columns) if columns else pd.read_csv(path)
    with pytest.raises(getattr(forecast.errors, error), match=problem):
        Forecaster(TrainConfig(**config, epochs=1, units=4, lookback=12, horizon=4, ensemble=1)).fit(given)


def test_library_arguments_a_python_user_writes_as_text_are_read_as_the_cli_reads_them(tmp_path):
    """features="temp" was read as t, e, m, p; na_values="-9999" made every 9 missing; load_series(path,
    "yz") loaded y and z; target=5 said "TrainConfig has no setting 'targets'"."""
    from forecast.data import DataOptions
    from forecast.errors import ConfigError

    assert TrainConfig(target="y", features="temp, x", future="event").features == ["temp", "x"]
    assert TrainConfig(target="y", future="event").future == ["event"]
    assert DataOptions(na_values="-9999").na_values == ["-9999"]
    path = _faint_csv(tmp_path)
    assert load_series(path, "z").frame.columns.tolist() == ["z"]
    with pytest.raises(ConfigError, match="target must be a column name"):
        TrainConfig(target=5)
    with pytest.raises(ConfigError, match="Give the columns to read"):
        load_series(path, [])


def test_load_refuses_an_engine_it_does_not_have(fitted, tmp_path):
    forecaster, _ = fitted
    out = forecaster.save(tmp_path / "b")
    with pytest.raises(ConfigError, match="engine must be 'auto', 'numpy' or 'keras'; got 'bogus'"):
        Forecaster.load(out, engine="bogus")
    assert Forecaster.load(out, engine="numpy").quantiles == forecaster.quantiles
