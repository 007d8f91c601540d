"""The NumPy forward pass equals Keras to 1e-5 for every architecture and head."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.devices import import_tensorflow
from forecast.nets import ARCHS, build_model
from forecast.numpy_net import NumpyNet, export_weights

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
