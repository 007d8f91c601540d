"""Never lose work, never run a stranger's code: kills, interrupts, resume, locks, tampering."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import sine_frame, write_meta

from forecast.bundle import read_meta
from forecast.config import FitOptions, TrainConfig
from forecast.data import load_series
from forecast.errors import BundleError, DataError, TrainingError
from forecast.forecaster import Forecaster

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "120"}
TINY = ["--units", "4", "--lookback", "12", "--horizon", "4", "--time-budget", "60", "--ensemble", "1"]


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "forecast.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, **kwargs,
    )


def _complete_or_absent(out: Path) -> str:
    """'absent' or 'complete' (bundle.json, every file's sha256, and the model load); else fail."""
    if not out.exists():
        return "absent"
    read_meta(out)
    Forecaster.load(out, engine="keras")
    return "complete"


@pytest.fixture(scope="module")
def csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("safety") / "sine.csv"
    sine_frame(rows=600).to_csv(path, index=False)
    return path


def test_sigkill_at_any_moment_leaves_a_complete_bundle_or_none(csv, tmp_path):
    out = tmp_path / "bundle"
    seen = []
    for delay in (0.3, 4.0, 7.0):  # during start-up, TensorFlow import, training
        proc = _cli("train", str(csv), "--target", "y", *TINY, "--epochs", "40", "--out", str(out), "--force")
        time.sleep(delay)
        proc.kill()
        proc.wait()
        seen.append(_complete_or_absent(out))
    # kill while the bundle is being written: wait for the temporary sibling to appear
    for _ in range(2):  # once with no bundle there, once replacing a complete one
        had = _complete_or_absent(out)
        before = (out / "bundle.json").read_text() if had == "complete" else None
        proc = _cli("train", str(csv), "--target", "y", *TINY, "--epochs", "2", "--out", str(out), "--force")
        deadline = time.time() + 120
        while not list(tmp_path.glob(".bundle.tmp-*")) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        proc.kill()
        proc.wait()
        state = _complete_or_absent(out)
        seen.append(state)
        if before is not None and state == "complete":
            # either the old bundle, untouched, or the new one: never a mix
            assert json.loads((out / "bundle.json").read_text())["files"]
    assert set(seen) <= {"absent", "complete"}
    # the next run cleans up whatever temporary folders the killed ones left
    done = _cli("train", str(csv), "--target", "y", *TINY, "--epochs", "1", "--out", str(out), "--force")
    assert done.wait(timeout=180) == 0, done.stderr.read()
    assert _complete_or_absent(out) == "complete"
    assert not list(tmp_path.glob(".bundle.tmp-*")) and not list(tmp_path.glob(".bundle.old-*"))


def test_ctrl_c_saves_best_so_far_then_resume_continues(tmp_path):
    data = tmp_path / "long.csv"
    sine_frame(rows=3000).to_csv(data, index=False)
    out = tmp_path / "b"
    proc = _cli("train", str(data), "--target", "y", *TINY, "--epochs", "500", "--out", str(out))
    for line in proc.stdout:  # wait for the second epoch, then press Ctrl-C
        if line.strip().startswith("epoch   2"):
            proc.send_signal(signal.SIGINT)
            break
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "--resume" in stdout
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["interrupted"] is True and meta["training"]["stopped_by"] == "interrupt"
    done = meta["training"]["epochs"]
    assert 2 <= done < 500 and "optimizer.npz" in meta["files"]

    resumed = _cli("train", str(data), "--target", "y", *TINY, "--epochs", str(done + 2),
                   "--out", str(out), "--resume")
    stdout, stderr = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, stderr
    assert f"Resuming after epoch {done}" in stdout
    assert re.search(rf"after {done + 2} epochs \(\d+s for the 2 of this run\)", stdout), stdout  # the seconds are this run's
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["interrupted"] is False and meta["training"]["resumed_from_epoch"] == done
    assert meta["training"]["epochs"] == done + 2 and len(meta["history"]["loss"]) == done + 2


def test_two_runs_aimed_at_one_out_leave_one_bundle_and_one_error(csv, tmp_path):
    out = tmp_path / "shared"
    runs = [_cli("train", str(csv), "--target", "y", *TINY, "--epochs", "1", "--out", str(out))
            for _ in range(2)]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert loser.startswith("Error: ") and ("Another forecast run is writing" in loser or "already exists" in loser)
    assert _complete_or_absent(out) == "complete"


@pytest.fixture(scope="module")
def bundle(csv, tmp_path_factory) -> Path:
    series = load_series(csv, ["y"])
    config = TrainConfig(target="y", epochs=1, units=4, lookback=12, horizon=4)
    return Forecaster(config).fit(series).save(tmp_path_factory.mktemp("b") / "bundle")


def _copy(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bundle, target)
    return target


def _rehash(folder: Path, name: str) -> None:
    """Make bundle.json agree with a replaced file, as a careful attacker would."""
    import hashlib

    meta = json.loads((folder / "bundle.json").read_text())
    meta["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    write_meta(folder, meta)


def test_changed_file_is_refused(bundle, tmp_path):
    b = _copy(bundle, tmp_path)
    with open(b / "model.keras", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(BundleError, match="does not match its sha256"):
        Forecaster.load(b)


def test_a_hand_edit_of_bundle_json_is_refused(bundle, tmp_path):
    """bundle.json carries the sha256 of its own content: an edit that every type check accepts
    (a statistical member's start, the choice deleted) is caught, as an edit of model.keras is."""
    b = _copy(bundle, tmp_path)
    meta = json.loads((b / "bundle.json").read_text())
    assert len(meta["digest"]) == 64 and meta["schema_version"] == 2
    for change in (lambda m: m["config"].update(seed=m["config"]["seed"] + 1),  # a number edited
                   lambda m: m.pop("metrics")):  # a field deleted
        edited = json.loads(json.dumps(meta))
        change(edited)
        (b / "bundle.json").write_text(json.dumps(edited, indent=2))
        with pytest.raises(BundleError, match="does not match its digest: it was edited after training"):
            read_meta(b)
    (b / "bundle.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "digest"}))
    with pytest.raises(BundleError, match="has no digest of its own content"):
        read_meta(b)
    (b / "bundle.json").write_text(json.dumps(meta))  # reformatted, the same content: still intact
    assert Forecaster.load(b).config.seed == meta["config"]["seed"]


def test_a_bundle_of_schema_version_1_without_a_digest_still_loads(bundle, tmp_path, csv):
    """Bundles written before the digest (schema version 1) are read as they were."""
    b = _copy(bundle, tmp_path)
    meta = json.loads((b / "bundle.json").read_text())
    older = {k: v for k, v in meta.items() if k != "digest"} | {"schema_version": 1}
    (b / "bundle.json").write_text(json.dumps(older, indent=2))
    frame = load_series(csv, ["y"]).frame
    older_forecast, forecast = Forecaster.load(b).predict(frame), Forecaster.load(bundle).predict(frame)
    assert len(forecast) == 4
    pd.testing.assert_frame_equal(older_forecast, forecast)


def test_newer_schema_is_refused(bundle, tmp_path):
    b = _copy(bundle, tmp_path)
    meta = json.loads((b / "bundle.json").read_text())
    meta["schema_version"] = 99
    write_meta(b, meta)
    with pytest.raises(BundleError, match="schema version 99.*Upgrade forecast"):
        Forecaster.load(b)


def test_missing_file_is_refused(bundle, tmp_path):
    b = _copy(bundle, tmp_path)
    (b / "history.csv").unlink()
    with pytest.raises(BundleError, match="missing history.csv"):
        Forecaster.load(b)


def test_a_lambda_layer_never_runs(bundle, tmp_path):
    import keras

    marker = tmp_path / "pwned.txt"
    b = _copy(bundle, tmp_path)
    inputs = keras.Input((12, 1))
    # the path is a literal inside the function's code, as it would be in a stranger's file
    writes_a_file = eval(f"lambda x: (open({str(marker)!r}, 'w').write('ran'), x)[1]")  # noqa: S307
    evil = keras.layers.Lambda(writes_a_file)(inputs)
    outputs = keras.layers.Dense(4)(keras.layers.Flatten()(evil))
    keras.Model(inputs, outputs).save(b / "model.keras")
    marker.unlink()  # building the model ran it once; loading must not run it again
    _rehash(b, "model.keras")
    with pytest.raises(BundleError, match="could not be loaded safely"):
        Forecaster.load(b, engine="keras")
    Forecaster.load(b)  # the NumPy engine reads weights.npz only: model.keras is never deserialized
    assert not marker.exists()


def test_an_unknown_custom_layer_is_refused(bundle, tmp_path):
    import keras

    class Sneaky(keras.layers.Layer):
        def call(self, x):
            return x

    b = _copy(bundle, tmp_path)
    inputs = keras.Input((12, 1))
    outputs = keras.layers.Dense(4)(keras.layers.Flatten()(Sneaky()(inputs)))
    keras.Model(inputs, outputs).save(b / "model.keras")
    _rehash(b, "model.keras")
    with pytest.raises(BundleError, match="could not be loaded safely"):
        Forecaster.load(b, engine="keras")


def test_predict_data_is_checked_against_the_bundle(bundle, tmp_path):
    from forecast.predicting import load_histories

    forecaster = Forecaster.load(bundle)
    wrong_columns = tmp_path / "cols.csv"
    sine_frame(rows=50).rename(columns={"y": "z"}).to_csv(wrong_columns, index=False)
    with pytest.raises(DataError, match="Column 'y' not found.*trained on these columns"):
        load_histories(forecaster, wrong_columns)
    daily = tmp_path / "daily.csv"
    frame = sine_frame(rows=50)
    frame["time"] = [f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(50)]
    frame.to_csv(daily, index=False)
    with pytest.raises(DataError, match="trained on h data"):
        load_histories(forecaster, daily)
    short = tmp_path / "short.csv"
    sine_frame(rows=8).to_csv(short, index=False)
    with pytest.raises(DataError, match=f"needs the last {forecaster.min_history()} "):
        load_histories(forecaster, short)


def test_non_finite_loss_stops_with_advice(csv, monkeypatch):
    series = load_series(csv, ["y"])
    # an infinite step size makes the weights, then the loss, non-finite: a diverging run
    # (FitOptions refuses it up front, so its range check is lifted here)
    monkeypatch.setattr(FitOptions, "__post_init__", lambda self: None)
    config = TrainConfig(target="y", epochs=3, units=4, lookback=12, horizon=4,
                         learning_rate=float("inf"), quantiles=None)
    with pytest.raises(TrainingError, match="non-finite.*--learning-rate"):
        Forecaster(config).fit(series)


def test_same_seed_gives_identical_weights_and_forecasts(csv):
    series = load_series(csv, ["y"])
    config = TrainConfig(target="y", epochs=2, units=4, lookback=12, horizon=4, seed=11)
    a, b = Forecaster(config).fit(series), Forecaster(config).fit(series)
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.predict(series.frame).to_numpy(), b.predict(series.frame).to_numpy())
