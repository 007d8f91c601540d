"""--distribute: the custom loop against model.fit, and mirrored / two-worker runs end to end."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import sine_frame
from typer.testing import CliRunner

from forecast.cli import app
from forecast.config import TrainConfig
from forecast.data import load_series
from forecast.devices import import_tensorflow
from forecast.errors import TrainingError
from forecast.forecaster import Forecaster
from forecast.training import fit_model
from forecast.windows import Windows, origins

import_tensorflow()

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--epochs", "2", "--units", "4", "--lookback", "12", "--horizon", "4",
        "--time-budget", "60", "--ensemble", "1"]
BUNDLE = ("bundle.json", "model.keras", "weights.npz", "optimizer.npz")
# a CLI run on two logical CPU devices: MirroredStrategy then has two replicas
TWO_CPUS = """
import sys
from forecast.devices import import_tensorflow
tf = import_tensorflow()
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from forecast.cli import main
sys.argv = ["forecast", *sys.argv[1:]]
main()
"""


def _values(rows: int = 400) -> np.ndarray:
    frame = sine_frame(rows=rows)
    return ((frame[["y"]].to_numpy() - 10.0) / 3.0).astype("float32")


def _fit(values, **settings):
    config = TrainConfig(target="y", lookback=12, horizon=4, units=4, **settings)
    return fit_model(_windows(values), config)


def _windows(values: np.ndarray) -> Windows:
    return Windows(values, origins(0, 320, 12, 4), origins(320, 360, 12, 4), 12, 4, lambda y, x: y)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def test_custom_loop_takes_the_decisions_of_model_fit():
    """Early stopping, LR halving, best epoch and losses as with model.fit (one replica).

    One batch of all 305 training windows per epoch: model.fit draws a new shuffle order
    twice per epoch (Keras makes an iterator at the end of each epoch and again at the
    start of the next), the loop once, so with several batches the paths see other orders.
    Here LR halves after epochs 4 and 8 and early stopping ends epoch 9 (best: 7) in both."""
    values = _values()
    settings = dict(epochs=12, patience=2, batch_size=305, learning_rate=0.2, quantiles=None)
    _, fit_hist, fit_sum = _fit(values, **settings)
    _, loop_hist, loop_sum = _fit(values, distribute="mirrored", **settings)
    assert set(loop_hist) == set(fit_hist) == {"loss", "val_loss", "learning_rate"}
    for key in ("epochs", "best_epoch", "stopped_by", "train_windows", "parameters"):
        assert loop_sum[key] == fit_sum[key], key
    assert loop_hist["learning_rate"] == fit_hist["learning_rate"]
    assert len(set(fit_hist["learning_rate"])) > 1 and fit_sum["stopped_by"] == "early stopping"
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(loop_hist[key], fit_hist[key], rtol=1e-4)
    assert loop_sum["distribute"] == "mirrored" and loop_sum["replicas"] == 1
    assert "mirrored over 1 replica" in loop_sum["device"]


def test_custom_loop_stops_on_the_event_and_the_time_budget():
    values = _values()
    stop = threading.Event()
    stop.set()
    config = TrainConfig(target="y", lookback=12, horizon=4, units=4, epochs=5,
                         distribute="mirrored")
    reports = []
    _, _, summary = fit_model(_windows(values), config, lambda e, logs: reports.append((e, logs)), stop)
    assert summary["stopped_by"] == "interrupt" and summary["interrupted"] is True
    assert summary["epochs"] == 1 and len(reports) == 1
    assert set(reports[0][1]) == {"loss", "val_loss", "learning_rate", "seconds", "remaining"}
    _, _, summary = _fit(values, epochs=5, time_budget=1e-3, distribute="mirrored")
    assert summary["stopped_by"] == "time budget" and summary["epochs"] == 1


def test_custom_loop_turns_a_nan_loss_into_a_training_error():
    values = _values()
    values[100] = np.nan
    with pytest.raises(TrainingError, match="non-finite .* at epoch 1"):
        _fit(values, epochs=2, distribute="mirrored")


def test_distributed_training_resumes_from_a_bundle(tmp_path):
    path = tmp_path / "sine.csv"
    sine_frame().to_csv(path, index=False)
    series = load_series(path, ["y"], None, None)
    config = TrainConfig(target="y", lookback=12, horizon=4, units=4, epochs=1,
                         distribute="mirrored")
    first = Forecaster(config).fit(series)
    first.save(tmp_path / "b")  # the fitted state: no pictures
    loaded = Forecaster.load(tmp_path / "b", engine="keras")
    config.epochs = 2
    again = Forecaster(config).fit(series, resume_from=loaded)
    assert again.training_["epochs"] == 2 and again.training_["resumed_from_epoch"] == 1
    assert len(again.history_["loss"]) == 2


def test_mirrored_on_two_cpu_devices_writes_a_bundle_that_predicts(tmp_path):
    data = tmp_path / "sine.csv"
    sine_frame(rows=400).to_csv(data, index=False)
    out = tmp_path / "bundle"
    proc = subprocess.run(
        [sys.executable, "-c", TWO_CPUS, "train", str(data), "--target", "y", *TINY,
         "--distribute", "mirrored", "--out", str(out)],
        capture_output=True, text=True, timeout=240, env=_env(), cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "mirrored over 2 replicas" in proc.stdout
    assert all((out / name).exists() for name in BUNDLE)
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["training"]["replicas"] == 2 and meta["config"]["distribute"] == "mirrored"
    result = CliRunner().invoke(app, ["predict", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("time,forecast")
    assert len(result.stdout.splitlines()) == 5  # header + horizon 4


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def test_two_workers_on_localhost_train_and_only_the_chief_writes(tmp_path):
    try:
        ports = _free_ports(2)
    except OSError as exc:
        pytest.skip(f"cannot open local ports: {exc}")
    data = tmp_path / "sine.csv"
    sine_frame(rows=400).to_csv(data, index=False)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    start = time.perf_counter()
    for i in range(2):
        env = _env()
        env["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "forecast.cli", "train", str(data), "--target", "y", *TINY,
             "--distribute", "multi-worker", "--out", str(tmp_path / f"w{i}")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
        ))
    outputs = []
    try:
        for proc in procs:
            left = max(1.0, 180 - (time.perf_counter() - start))
            outputs.append(proc.communicate(timeout=left)[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print(f"two workers: {time.perf_counter() - start:.1f}s")
    assert [p.returncode for p in procs] == [0, 0], "\n----\n".join(outputs)
    assert "worker 0 of 2 (chief)" in outputs[0] and "worker 1 of 2" in outputs[1]
    assert "non-chief" in outputs[1]
    chief = tmp_path / "w0"
    assert all((chief / name).exists() for name in BUNDLE)
    assert not (tmp_path / "w1").exists()  # the non-chief wrote nothing
    assert not list(tmp_path.glob(".w1*"))  # not even a lock file
    loaded = Forecaster.load(chief)
    assert loaded.training_["replicas"] == 2 and loaded.training_["epochs"] == 2
    forecast = loaded.predict(load_series(data, ["y"], None, None).frame)
    assert len(forecast) == 4 and np.isfinite(forecast["forecast"]).all()
    # both workers logged the same all-reduced losses (the seconds and estimates may differ)
    epochs = [[" ".join(line.split()[:6]) for line in out.splitlines()
               if line.strip().startswith("epoch")] for out in outputs]
    assert len(epochs[0]) == 2 and epochs[0] == epochs[1]
