"""--device, --mixed-precision and the TF_CONFIG roles: checks that need no GPU."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import sine_frame
from typer.testing import CliRunner

from forecast.config import TrainConfig
from forecast.devices import import_tensorflow, place
from forecast.distribute import is_chief, worker_role
from forecast.errors import ConfigError
from forecast.nets import ARCHS, build_model, precision
from forecast.numpy_net import NumpyNet, export_weights

tf = import_tensorflow()
import keras  # noqa: E402  (after the quiet import)

HAS_GPU = bool(tf.config.list_physical_devices("GPU"))
no_gpu_only = pytest.mark.skipif(HAS_GPU, reason="checks the behaviour without a GPU")


def _recurrent(model):
    """Every LSTM/GRU layer, looking inside Bidirectional wrappers."""
    found = []
    for layer in model.layers:
        if layer.__class__.__name__ == "Bidirectional":
            found += [layer.forward_layer, layer.backward_layer]
        elif layer.__class__.__name__ in ("LSTM", "GRU"):
            found.append(layer)
    return found


@pytest.mark.parametrize("quantiles", [None, [0.1, 0.5, 0.9]], ids=["point", "quantiles"])
@pytest.mark.parametrize("arch", ARCHS)
def test_mixed_precision_builds_float16_layers_with_a_float32_output(arch, quantiles, tmp_path):
    with precision(True):
        model = build_model(12, 2, 4, units=8, layers=2, arch=arch, quantiles=quantiles)
    assert keras.mixed_precision.global_policy().name == "float32"  # reset for later models
    assert build_model(12, 2, 4, units=4, arch=arch).layers[1].compute_dtype == "float32"
    layers = _recurrent(model)
    assert layers
    for layer in layers:
        assert layer.compute_dtype == "float16" and layer.variable_dtype == "float32"
        cfg = layer.get_config()  # the cuDNN conditions hold under mixed precision too
        assert (cfg["activation"], cfg["recurrent_activation"]) == ("tanh", "sigmoid")
        assert cfg["recurrent_dropout"] == 0 and cfg["unroll"] is False and cfg["use_bias"] is True
    assert model.output.dtype == "float32"
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    x = np.random.default_rng(0).normal(size=(5, 12, 2)).astype("float32")
    y = np.asarray(model(x, training=False))
    assert y.dtype == np.float32
    # the NumPy engine reads float32 weights and agrees to float16 accuracy
    export_weights(model, tmp_path / "weights.npz")
    with np.load(tmp_path / "weights.npz") as saved:
        assert {saved[k].dtype for k in saved.files} == {np.dtype("float32")}
    net = NumpyNet.load(tmp_path, {"arch": arch, "layers": 2, "quantiles": quantiles})
    np.testing.assert_allclose(net(x), y, atol=2e-2)
    # and model.keras loads with safe_mode
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", compile=False, safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), y, atol=1e-6)


@no_gpu_only
def test_device_gpu_without_a_gpu_is_a_one_line_error():
    with pytest.raises(ConfigError, match=r"--device gpu: TensorFlow sees no GPU.*--device auto"):
        place("gpu")


def test_mixed_precision_with_device_cpu_is_refused():
    with pytest.raises(ConfigError, match="--mixed-precision needs a GPU"):
        place("cpu", mixed_precision=True)


@no_gpu_only
def test_device_cpu_and_auto_mixed_precision_fall_back_to_float32():
    assert place("cpu").device == "CPU" and place("cpu").description.startswith("CPU (")
    placed = place("auto", mixed_precision=True)
    assert placed.mixed_precision is False and placed.notes
    assert "float32" in placed.description
    assert placed.to_dict()["precision"] == "float32"


def test_unknown_device_or_strategy_is_a_config_error():
    with pytest.raises(ConfigError, match="Unknown --device 'tpu'"):
        TrainConfig(target="y", device="tpu")
    with pytest.raises(ConfigError, match="Unknown --distribute 'ring'"):
        TrainConfig(target="y", distribute="ring")


@no_gpu_only
def test_cli_device_gpu_fails_with_error_line(tmp_path):
    from forecast.cli import app

    data = tmp_path / "sine.csv"
    sine_frame(rows=200).to_csv(data, index=False)
    out = tmp_path / "b"
    result = CliRunner().invoke(app, ["train", str(data), "--target", "y", "--device", "gpu",
                                      "--out", str(out)])
    assert result.exit_code == 1 and "Error: --device gpu: TensorFlow sees no GPU" in result.output
    assert not out.exists()


def _cluster(monkeypatch, spec):
    monkeypatch.setenv("TF_CONFIG", json.dumps(spec) if isinstance(spec, dict) else spec)


def test_worker_roles_from_tf_config(monkeypatch):
    workers = ["127.0.0.1:1", "127.0.0.1:2"]
    _cluster(monkeypatch, {"cluster": {"worker": workers}, "task": {"type": "worker", "index": 0}})
    assert worker_role() == ("worker 0 of 2 (chief)", True)
    _cluster(monkeypatch, {"cluster": {"worker": workers}, "task": {"type": "worker", "index": 1}})
    assert worker_role() == ("worker 1 of 2", False) and not is_chief("multi-worker")
    assert is_chief("mirrored") and is_chief("none")
    spec = {"cluster": {"chief": ["127.0.0.1:3"], "worker": workers},
            "task": {"type": "worker", "index": 0}}
    _cluster(monkeypatch, spec)
    assert worker_role()[1] is False  # a cluster with a chief: worker 0 is not it
    _cluster(monkeypatch, {**spec, "task": {"type": "chief", "index": 0}})
    assert worker_role() == ("chief 0 of 1 (chief)", True)


def test_bad_tf_config_is_a_one_line_error(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="needs TF_CONFIG"):
        worker_role()
    _cluster(monkeypatch, "{not json")
    with pytest.raises(ConfigError, match="TF_CONFIG is not a cluster description"):
        worker_role()
    _cluster(monkeypatch, {"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}})
    with pytest.raises(ConfigError, match="task worker 3 is not"):
        worker_role()
