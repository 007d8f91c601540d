"""Gates recomputed in NumPy equal Keras's own states; importance and attention are sane."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.devices import import_tensorflow
from forecast.explain import attention_weights, gates, permutation_importance
from forecast.nets import build_model

import_tensorflow()


def _window(seed=0, lookback=10, features=3):
    return np.random.default_rng(seed).normal(size=(lookback, features)).astype("float32")


def _random_weights(model, seed=1):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])


@pytest.mark.parametrize("patch", [1, 3])
@pytest.mark.parametrize("arch", ["lstm", "attention"])
def test_recomputed_hidden_states_equal_keras(arch, patch):
    import keras

    model = build_model(10, 3, 4, units=5, layers=2, arch=arch, quantiles=[0.1, 0.5, 0.9],
                        patch=patch)
    _random_weights(model)
    x = _window()
    ours = gates(model, x)
    assert len(ours) == 2
    for k, layer_out in enumerate(ours):
        assert set(layer_out) == {"input", "forget", "candidate", "output", "cell", "hidden"}
        for name in ("input", "forget", "output"):
            assert ((layer_out[name] >= 0) & (layer_out[name] <= 1)).all()
        layer = model.get_layer(f"lstm_{k}")
        output = layer.output[0] if isinstance(layer.output, (list, tuple)) else layer.output
        theirs = np.asarray(keras.Model(model.input, output)(x[None]))[0]
        expected = layer_out["hidden"] if theirs.ndim == 2 else layer_out["hidden"][-1]
        assert len(layer_out["hidden"]) == 10 // patch  # one state per recurrent step
        np.testing.assert_allclose(expected, theirs, atol=1e-5)


def test_bilstm_forward_direction_equals_keras():
    import keras

    model = build_model(10, 3, 4, units=5, layers=1, arch="bilstm")
    _random_weights(model)
    x = _window()
    ours = gates(model, x)[0]["hidden"][-1]
    theirs = np.asarray(keras.Model(model.input, model.get_layer("bidirectional_0").output)(x[None]))[0]
    np.testing.assert_allclose(ours, theirs[:5], atol=1e-5)  # forward half comes first


def test_attention_weights_equal_keras_attention_scores():
    import keras

    model = build_model(10, 3, 4, units=5, layers=1, arch="attention")
    _random_weights(model)
    x = _window()
    ours = attention_weights(model, x)
    seq = np.asarray(keras.Model(model.input, model.get_layer("lstm_0").output[0])(x[None]))
    _, scores = keras.layers.Attention()([seq[:, -1:], seq], return_attention_scores=True)
    np.testing.assert_allclose(ours, np.asarray(scores)[0, 0], atol=1e-5)
    assert ours.shape == (10,) and abs(ours.sum() - 1) < 1e-6
    assert attention_weights(build_model(10, 3, 4, units=5), x) is None


def test_permutation_importance_finds_the_feature_that_matters():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8, 2))
    actual = x[:, -1, :1] * 3  # only the newest value of feature 0 matters
    result = permutation_importance(lambda w: w[:, -1, :1] * 3, x, actual, ["signal", "noise"])
    assert result["base_mae"] == 0
    assert result["features"]["signal"] > 1 and result["features"]["noise"] == 0
    recent, *older = result["lookback"].values()
    assert recent > 1 and all(v == 0 for v in older)
    # a lookback shorter than the parts asked: one part a step, not "steps 2-1 back" (empty) or labels twice
    short = permutation_importance(lambda w: w[:, -1, :1] * 3, x[:, -2:], actual, ["signal", "noise"], segments=4)
    assert list(short["lookback"]) == ["step 1 back", "step 2 back"]
    assert short["lookback"]["step 1 back"] > 1 and short["lookback"]["step 2 back"] == 0
    assert list(permutation_importance(lambda w: w[:, -1, :1], x, actual, ["a", "b"], segments=4)["lookback"]) == [
        "steps 1-2 back", "steps 3-4 back", "steps 5-6 back", "steps 7-8 back"]


def _trained(tmp_path, *flags):
    """A CLI runner and a tiny bundle of a 240-row sine, trained with ``flags``."""
    from conftest import sine_frame
    from typer.testing import CliRunner

    from forecast.cli import app

    runner = CliRunner()
    data = tmp_path / "sine.csv"
    sine_frame(rows=240).to_csv(data, index=False)
    out = tmp_path / "b"
    result = runner.invoke(app, ["train", str(data), "--target", "y", *flags, "--epochs", "1", "--units", "4",
                                 "--lookback", "12", "--horizon", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return runner, out


def test_explain_command_adds_pictures_to_the_bundle_and_its_report(tmp_path):
    import json

    from forecast.cli import app
    from forecast.forecaster import Forecaster

    runner, out = _trained(tmp_path, "--features", "x", "--arch", "attention")
    result = runner.invoke(app, ["explain", str(out), "--at", "2024-01-08 10:00"])
    assert result.exit_code == 0, result.output
    for name in ("gates.png", "importance.png", "attention.png", "explain.json"):
        assert (out / name).stat().st_size > 0
    summary = json.loads((out / "explain.json").read_text())
    assert summary["window_end"] == "2024-01-08 10:00:00"
    calendar = {f"{c}_{f}" for c in ("hour", "day_of_week") for f in ("sin", "cos")}
    assert set(summary["importance"]["features"]) == {"y", "x"} | calendar
    assert len(summary["attention"]) == 12
    assert "<h2>Inside the model</h2>" in (out / "report.html").read_text()
    Forecaster.load(out)  # checksums were updated with the new files
    bad = runner.invoke(app, ["explain", str(out), "--at", "1999-01-01"])
    assert bad.exit_code == 1 and "Error: --at" in bad.output
    one = runner.invoke(app, ["explain", str(out), "--series", "a"])
    assert one.exit_code == 1 and "Error: --series picks one series of a several-series bundle" in one.output


def test_explain_says_when_the_forecast_does_not_read_the_network(tmp_path):
    from forecast.cli import app

    runner, out = _trained(tmp_path, "--model", "auto_ets", "--no-report")
    result = runner.invoke(app, ["explain", str(out)])
    assert result.exit_code == 0, result.output
    assert "the bundle's forecast is auto_ets, which does not read it" in " ".join(result.output.split())


def test_explain_measures_importance_on_more_than_one_window(tmp_path):
    """A test part of one window (here one horizon of 24 steps, as short monthly series have) gave
    every input +0, shuffling one window with itself, and wrote that into the bundle. The last
    windows are taken instead; a --data file with under two is refused, and nothing is written."""
    import json

    import pandas as pd
    from conftest import sine_frame
    from typer.testing import CliRunner

    from forecast.cli import app

    runner, data, out = CliRunner(), tmp_path / "sine.csv", tmp_path / "b"
    sine_frame(rows=240).to_csv(data, index=False)
    trained = runner.invoke(app, ["train", str(data), "--target", "y", "--model", "lstm", "--no-report", "--epochs",
                                  "1", "--units", "4", "--lookback", "12", "--horizon", "24", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(app, ["explain", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "the test part holds 1 window: importance is measured on the last 4 windows" in said, said
    assert "(report.html written)" in said  # trained with --no-report: it said "updated"
    importance = json.loads((out / "explain.json").read_text())["importance"]
    assert any(abs(v) > 0 for v in importance["features"].values()), importance
    before = (out / "explain.json").read_bytes()
    pd.read_csv(data).tail(12 + 24 + 5).to_csv(tmp_path / "short.csv", index=False)
    refused = runner.invoke(app, ["explain", str(out), "--data", str(tmp_path / "short.csv")])
    assert refused.exit_code == 1 and "short.csv holds 1 window of 24 steps after the 12-row lookback" in \
        " ".join(refused.output.split()), refused.output
    assert (out / "explain.json").read_bytes() == before  # nothing written


def test_explain_reads_and_writes_times_as_the_file_wrote_them(tmp_path):
    """A quarterly file written '2010 Q1': --at '2018 Q4' (as train prints its times) was 'not a time',
    and the window's end was printed as 2018-10-01."""
    import pandas as pd
    from typer.testing import CliRunner

    from forecast.cli import app

    runner, data, out = CliRunner(), tmp_path / "q.csv", tmp_path / "b"
    quarters = pd.period_range("2010Q1", periods=40, freq="Q")
    pd.DataFrame({"time": [f"{q.year} Q{q.quarter}" for q in quarters],
                  "y": 50 + 5 * np.sin(np.arange(40) * np.pi / 2) + np.arange(40) * 0.1}).to_csv(data, index=False)
    trained = runner.invoke(app, ["train", str(data), "--target", "y", "--model", "lstm", "--no-report", "--epochs",
                                  "1", "--units", "4", "--ensemble", "1", "--lookback", "8", "--horizon", "4",
                                  "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(app, ["explain", str(out), "--at", "2018 Q4"])
    assert result.exit_code == 0, result.output
    assert "Window ending 2018 Q4;" in result.output
    late = runner.invoke(app, ["explain", str(out), "--at", "2025 Q1"])
    assert late.exit_code == 1 and "after the last row of the data (2019 Q4)" in " ".join(late.output.split())
