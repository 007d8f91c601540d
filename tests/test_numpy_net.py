"""The NumPy forward pass equals Keras to 1e-5 for every architecture and head."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.devices import import_tensorflow
from forecast.nets import ARCHS, build_model
from forecast.numpy_net import NumpyNet, ensemble_median, export_weights

import_tensorflow()


@pytest.mark.parametrize("patch", [1, 5], ids=["rows", "patches"])  # 12 rows: 2 cropped, 2 steps
@pytest.mark.parametrize("quantiles", [None, [0.1, 0.5, 0.9]], ids=["point", "quantiles"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("arch", ARCHS)
def test_numpy_forward_equals_keras(arch, layers, quantiles, patch, tmp_path):
    rng = np.random.default_rng(layers)
    model = build_model(12, 3, 5, units=6, layers=layers, arch=arch, dropout=0.2, quantiles=quantiles,
                        patch=patch)
    model.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in model.get_weights()])
    export_weights(model, tmp_path / "weights.npz")
    net = NumpyNet.load(tmp_path, {"arch": arch, "layers": layers, "quantiles": quantiles})
    x = rng.normal(size=(7, 12, 3)).astype("float32")
    expected = np.asarray(model(x, training=False))
    np.testing.assert_allclose(net(x), expected, atol=1e-5)


@pytest.mark.parametrize("patch", [1, 5], ids=["rows", "patches"])
@pytest.mark.parametrize("quantiles", [None, [0.1, 0.5, 0.9]], ids=["point", "quantiles"])
@pytest.mark.parametrize("arch", ["lstm", "bilstm"])
def test_numpy_forward_equals_keras_for_an_ensemble(arch, quantiles, patch, tmp_path):
    rng = np.random.default_rng(3)
    model = build_model(12, 3, 5, units=6, arch=arch, quantiles=quantiles, ensemble=3, patch=patch)
    model.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in model.get_weights()])
    export_weights(model, tmp_path / "weights.npz")
    net = NumpyNet.load(tmp_path, {"arch": arch, "layers": 1, "quantiles": quantiles, "ensemble": 3})
    x = rng.normal(size=(7, 12, 3)).astype("float32")
    expected = np.asarray(model(x, training=False))
    assert expected.shape == ((7, 3, 5, 3) if quantiles else (7, 3, 5))  # a members axis
    out = net(x)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    # the members differ (their own initial weights), and the forecast is their median
    assert not np.allclose(out[:, 0], out[:, 1])
    np.testing.assert_allclose(ensemble_median(out, quantiles), np.median(expected, axis=1), atol=1e-5)
    assert ensemble_median(out[:, 0], quantiles).shape == out[:, 0].shape  # one network: unchanged


def test_the_ensemble_loss_is_the_mean_of_each_members_own_loss():
    from forecast.nets import window_loss

    rng = np.random.default_rng(0)
    y = rng.normal(size=(4, 5)).astype("float32")
    for quantiles, shape in (([0.1, 0.5, 0.9], (4, 3, 5, 3)), (None, (4, 3, 5))):
        pred = rng.normal(size=shape).astype("float32")
        loss = window_loss(quantiles)
        each = [np.asarray(loss(y, pred[:, k])) for k in range(3)]  # (batch,) per member
        np.testing.assert_allclose(np.asarray(loss(y, pred)), np.mean(each, axis=0), rtol=1e-5)
