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
