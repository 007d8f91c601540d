"""The architectures: cuDNN eligibility, safe loading, and quantiles that never cross."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.devices import import_tensorflow
from forecast.nets import ARCHS, MAX_STEPS, build_model, patch_for, patch_of

import_tensorflow()

LEVELS = [0.05, 0.1, 0.5, 0.9, 0.95]


def _recurrent_configs(model):
    """Configs of every LSTM/GRU layer, looking inside Bidirectional wrappers."""
    found = []
    for layer in model.layers:
        cfg = layer.get_config()
        if layer.__class__.__name__ == "Bidirectional":
            found += [("LSTM", layer.forward_layer.get_config()), ("LSTM", layer.backward_layer.get_config())]
        elif layer.__class__.__name__ in ("LSTM", "GRU"):
            found.append((layer.__class__.__name__, cfg))
    return found


@pytest.mark.parametrize("arch", ARCHS)
def test_every_recurrent_layer_meets_the_cudnn_conditions(arch):
    model = build_model(16, 3, 4, units=8, layers=2, arch=arch, dropout=0.2, quantiles=LEVELS)
    configs = _recurrent_configs(model)
    assert configs, "no recurrent layer found"
    for kind, cfg in configs:
        assert cfg["activation"] == "tanh"
        assert cfg["recurrent_activation"] == "sigmoid"
        assert cfg["recurrent_dropout"] == 0
        assert cfg["unroll"] is False
        assert cfg["use_bias"] is True
        if kind == "GRU":
            assert cfg["reset_after"] is True


@pytest.mark.parametrize("arch", ARCHS)
def test_output_shapes(arch):
    x = np.zeros((2, 16, 3), dtype="float32")
    assert build_model(16, 3, 4, units=8, arch=arch)(x).shape == (2, 4)
    assert build_model(16, 3, 4, units=8, arch=arch, quantiles=LEVELS)(x).shape == (2, 4, 5)


@pytest.fixture(scope="module")
def quantile_model():
    return build_model(12, 2, 5, units=6, arch="lstm", quantiles=LEVELS)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    magnitude=st.sampled_from([1e-3, 1.0, 1e2, 1e4]),
    weight_scale=st.sampled_from([0.1, 1.0, 10.0]),
)
def test_quantiles_never_cross_for_random_weights_and_inputs(quantile_model, seed, magnitude, weight_scale):
    rng = np.random.default_rng(seed)
    model = quantile_model
    cumsum = model.get_layer("quantile_cumsum")
    fixed = cumsum.get_weights()[0]
    model.set_weights([rng.normal(0, weight_scale, w.shape).astype("float32") for w in model.get_weights()])
    cumsum.set_weights([fixed])  # the fixed summing matrix is part of the architecture
    x = (rng.standard_normal((8, 12, 2)) * magnitude).astype("float32")
    out = np.asarray(model(x, training=False))  # (8, 5, 5)
    assert np.isfinite(out).all()
    assert (np.diff(out, axis=-1) >= 0).all()


@pytest.mark.parametrize("arch", ARCHS)
def test_untrained_network_forecasts_its_base(arch):
    """Zero output weights: before training the correction is 0 and the median is the base."""
    x = np.random.default_rng(0).normal(size=(3, 16, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(build_model(16, 3, 4, units=8, arch=arch)(x)), 0.0)
    out = np.asarray(build_model(16, 3, 4, units=8, arch=arch, quantiles=LEVELS)(x))  # (3, 4, 5)
    np.testing.assert_allclose(out[..., LEVELS.index(0.5)], 0.0, atol=1e-6)
    assert (np.diff(out, axis=-1) > 0).all()


def test_long_lookbacks_are_read_in_patches_of_at_most_max_steps():
    rows = (1, MAX_STEPS, MAX_STEPS + 1, 2 * MAX_STEPS + 1, 2 * MAX_STEPS + 2)
    assert [patch_for(n) for n in rows] == [1, 1, 2, 2, 3]
    for lookback in range(1, 800, 7):
        patch = patch_for(lookback)
        assert lookback // patch <= MAX_STEPS  # the recurrence's steps
        assert patch == 1 or lookback // (patch - 1) > MAX_STEPS  # and no wider than needed


@pytest.mark.parametrize("arch", ARCHS)
def test_a_patched_network_reads_rows_side_by_side(arch):
    model = build_model(14, 3, 4, units=8, arch=arch, patch=4)  # 14 rows: 2 cropped, 3 steps of 4
    assert patch_of(model) == 4 and patch_of(build_model(14, 3, 4, units=8, arch=arch)) == 1
    first = next(layer for layer in model.layers if layer.__class__.__name__ in ("LSTM", "GRU",
                                                                                 "Bidirectional"))
    assert first.input.shape[1:] == (3, 12)  # (steps, patch x F)
    _random = np.random.default_rng(0)
    model.set_weights([_random.normal(0, 0.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    x = _random.normal(size=(2, 14, 3)).astype("float32")
    changed = x.copy()
    changed[:, :2] += 5.0  # only the cropped oldest rows: the forecast cannot move
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(model(changed)), atol=1e-6)
    changed[:, 2] += 5.0  # the first row of the first patch: it must
    assert np.abs(np.asarray(model(x)) - np.asarray(model(changed))).max() > 1e-4


@pytest.mark.parametrize("n", [1, 5, 40, 1100])
def test_compiled_forecast_of_any_batch_equals_the_eager_call(n):
    """forecaster._run pads batches to a power of two for the compiled predict step; the rows it
    hands back are the network's outputs for exactly the rows given, in order."""
    from forecast.forecaster import _run

    model = build_model(12, 2, 5, units=6, arch="lstm", quantiles=LEVELS)
    x = np.random.default_rng(n).standard_normal((n, 12, 2)).astype("float32")
    got = _run(model, x)
    assert got.shape == (n, 5, len(LEVELS))
    np.testing.assert_allclose(got, np.asarray(model(x, training=False)), atol=1e-5)
