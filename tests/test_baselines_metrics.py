import numpy as np
import pytest

from forecast import baselines
from forecast.metrics import mase_scale, score


def test_naive_and_seasonal_naive_by_hand():
    y = np.arange(20, dtype=float)
    o = np.array([10, 15])
    np.testing.assert_array_equal(baselines.naive(y, o, 3), [[9, 9, 9], [14, 14, 14]])
    # season 4: step h copies y[o + h - 4 * ceil((h+1)/4)]
    np.testing.assert_array_equal(
        baselines.seasonal_naive(y, o, 6, 4), [[6, 7, 8, 9, 6, 7], [11, 12, 13, 14, 11, 12]]
    )


def test_mase_scale_is_seasonal_naive_in_sample_mae():
    y = np.array([1.0, 2, 3, 1, 2, 4, 1, 2, 3, 1])
    assert mase_scale(y, 3) == np.mean(np.abs(y[3:] - y[:-3]))
    s = score(np.array([[1.0, 2.0]]), np.array([[2.0, 4.0]]), scale=0.5)
    assert s == {"mae": 1.5, "rmse": np.sqrt(2.5), "mase": 3.0}


def test_mase_scale_of_a_series_of_tiny_values_is_its_own():
    """Concentrations near 1e-9: an absolute floor of 1e-9 made every scale 1.0, every MASE 0.000."""
    from forecast.metrics import mase_scale

    t = np.arange(200)
    y = 1e-11 * (100 + 10 * np.sin(2 * np.pi * t / 7.5))
    assert mase_scale(y, 7) == np.mean(np.abs(y[7:] - y[:-7])) and 1e-12 < mase_scale(y, 7) < 1e-10
    assert mase_scale(np.full(50, 3e-9), 7) == 1.0  # constant: no scale


def test_mape_is_undefined_at_zero_only_relative_to_the_values():
    from forecast.metrics import mape

    actual, forecast = np.array([2e-12, 4e-12]), np.array([1e-12, 5e-12])
    assert mape(actual, forecast) == pytest.approx(37.5)  # values near 1e-12 are not zeros
    assert mape(actual * 1e12, forecast * 1e12) == pytest.approx(37.5)
    assert mape(np.array([0.0, 4.0]), np.array([1.0, 5.0])) is None
