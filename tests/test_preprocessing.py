import numpy as np
import pandas as pd
import pytest

from forecast.preprocessing import Preprocessor


def _frame(rows=100):
    rng = np.random.default_rng(1)
    return pd.DataFrame({"y": rng.normal(5, 2, rows), "x": rng.normal(-3, 10, rows)})


def test_scaler_statistics_come_from_the_training_part_only():
    frame = _frame()
    train = frame.iloc[:60]
    pre = Preprocessor("y", ["x"], lookback=5, horizon=2).fit(train)
    np.testing.assert_allclose(pre.mean_, train.mean().to_numpy())
    np.testing.assert_allclose(pre.scale_, train.std(ddof=0).to_numpy())
    assert not np.allclose(pre.mean_, frame.mean().to_numpy())


def test_transform_and_inverse_round_trip():
    frame = _frame()
    pre = Preprocessor("y", ["x"], lookback=5, horizon=2, anchor="none").fit(frame.iloc[:60])
    values = pre.transform(frame)
    assert values.shape == (100, 2) and values.dtype == np.float32
    x = values[None, :5]  # (1, lookback, F)
    back = pre.decode_target(values[None, 5:7, 0], x)
    np.testing.assert_allclose(back[0], frame["y"].to_numpy()[5:7], rtol=1e-5)


def test_anchor_last_predicts_change_from_last_value():
    frame = _frame()
    pre = Preprocessor("y", [], lookback=5, horizon=2, anchor="last").fit(frame)
    values = pre.transform(frame)
    x = values[None, :5]
    y = values[None, 5:7, 0]
    encoded = pre.encode_target(y, x)
    np.testing.assert_allclose(encoded, y - values[4, 0])
    np.testing.assert_allclose(pre.decode_target(encoded, x)[0], frame["y"].to_numpy()[5:7], rtol=1e-5)
    # a zero output is the naive forecast
    np.testing.assert_allclose(pre.decode_target(np.zeros((1, 2)), x)[0], frame["y"].iloc[4], rtol=1e-5)


def test_dict_round_trip_and_unfitted_refusal():
    pre = Preprocessor("y", ["x"], 5, 2)
    with pytest.raises(RuntimeError, match="not fitted"):
        pre.transform(_frame())
    pre.fit(_frame())
    again = Preprocessor.from_dict(pre.to_dict())
    np.testing.assert_array_equal(again.transform(_frame()), pre.transform(_frame()))


def _growing(rows=120, season=12):
    """Seasonal swings that grow with the level (J&J, airline): the case window scaling is for."""
    t = np.arange(rows)
    level = np.exp(t / 40)
    return pd.DataFrame({"y": level * (10 + 3 * np.sin(2 * np.pi * t / season))})


@pytest.mark.parametrize("anchor", ["last", "season"])
def test_window_scale_round_trip_and_same_inputs_at_any_level(anchor):
    frame = _growing()
    pre = Preprocessor("y", [], lookback=24, horizon=6, anchor=anchor, relative=True, season=12,
                       window_scale=True).fit(frame.iloc[:90])
    values = pre.transform(frame)
    starts = np.array([0, 36, 84])  # early, middle and late windows: swings about 1x, 2.5x, 8x
    x = values[starts[:, None] + np.arange(24)]
    y = values[starts[:, None] + 24 + np.arange(6), 0]
    encoded = pre.encode_target(y, x)
    back = pre.decode_target(encoded, x)
    np.testing.assert_allclose(back, frame["y"].to_numpy()[starts[:, None] + 24 + np.arange(6)], rtol=1e-4)
    inputs = pre.encode_inputs(x)[:, :, 0]
    # the swings grow eightfold, the network's inputs and targets do not
    assert np.ptp(x[2, :, 0]) > 5 * np.ptp(x[0, :, 0])
    np.testing.assert_allclose(inputs.std(axis=1), 1.0, rtol=1e-4)
    assert np.abs(encoded).max(axis=1).max() < 3 * np.abs(encoded).max(axis=1).min()
    # a zero output is still the base forecast
    base = pre.decode_target(np.zeros((3, 6)), x)
    plain = Preprocessor.from_dict({**pre.to_dict(), "window_scale": False})
    np.testing.assert_allclose(base, plain.decode_target(np.zeros((3, 6)), x), rtol=1e-6)


def test_window_scale_floor_on_a_flat_window_and_only_with_relative_inputs():
    frame = pd.DataFrame({"y": np.r_[np.zeros(30), np.arange(30.0)]})
    pre = Preprocessor("y", [], lookback=10, horizon=2, anchor="last", relative=True,
                       window_scale=True).fit(frame)
    x = pre.transform(frame)[None, :10]  # a flat window: spread 0, held at the floor
    from forecast.preprocessing import WINDOW_SCALE_FLOOR

    np.testing.assert_allclose(pre.spread(x), WINDOW_SCALE_FLOOR)
    y = np.array([[1.0, 2.0]], "float32")
    np.testing.assert_allclose(pre.encode_target(y, x), (y - x[:, -1:, 0]) / WINDOW_SCALE_FLOOR, rtol=1e-5)
    assert Preprocessor.from_dict(pre.to_dict()).window_scale
    for relative, anchor in ((False, "last"), (True, "none")):
        off = Preprocessor("y", [], lookback=10, horizon=2, anchor=anchor, relative=relative, window_scale=True)
        assert not off.window_scale  # the spread divides a difference from the base, so needs both


def test_window_scale_on_tensors_matches_numpy():
    keras = pytest.importorskip("keras")
    frame = _growing()
    pre = Preprocessor("y", [], lookback=24, horizon=6, anchor="season", relative=True, season=12,
                       window_scale=True).fit(frame)
    values = pre.transform(frame)
    x = values[np.array([0, 50])[:, None] + np.arange(24)]
    y = values[np.array([0, 50])[:, None] + 24 + np.arange(6), 0]
    tx, ty = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(pre.encode_inputs(tx)), pre.encode_inputs(x), rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(pre.encode_target(ty, tx)), pre.encode_target(y, x),
                               rtol=1e-5, atol=1e-6)
