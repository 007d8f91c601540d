import numpy as np

from forecast.intervals import (
    TRUST,
    apply_interval_scale,
    conformal_scores,
    fit_interval_scale,
    window_quantile,
)

LEVELS = [0.1, 0.5, 0.9]


def _coverage(actual, q):
    return np.mean((actual >= q[..., 0]) & (actual <= q[..., -1]))


def test_too_narrow_intervals_are_widened_half_way_to_nominal_coverage():
    rng = np.random.default_rng(0)
    actual = rng.normal(0, 1, (400, 6))
    # claimed 80% interval with a quarter of the right width
    narrow = np.stack([np.full_like(actual, -0.32), np.zeros_like(actual), np.full_like(actual, 0.32)], -1)
    assert _coverage(actual, narrow) < 0.3
    full = window_quantile(conformal_scores(actual, narrow, LEVELS), 0.8)  # the conformal factor: nominal coverage
    assert 0.78 <= _coverage(actual, apply_interval_scale(narrow, LEVELS, full)) <= 0.84
    scale = fit_interval_scale(actual, narrow, LEVELS)
    assert TRUST == 0.5 and np.isclose(scale, full**0.5) and 1.5 < scale < full  # half-way in log scale
    calibrated = apply_interval_scale(narrow, LEVELS, scale)
    assert 0.4 <= _coverage(actual, calibrated) <= 0.6
    assert (np.diff(calibrated, axis=-1) >= 0).all()
    np.testing.assert_allclose(calibrated[..., 1], narrow[..., 1])  # the median is untouched


def test_too_wide_intervals_are_narrowed_half_way():
    rng = np.random.default_rng(1)
    actual = rng.normal(0, 1, (400, 6))
    wide = np.stack([np.full_like(actual, -3.0), np.zeros_like(actual), np.full_like(actual, 3.0)], -1)
    full = window_quantile(conformal_scores(actual, wide, LEVELS), 0.8)
    assert full < 0.5
    scale = fit_interval_scale(actual, wide, LEVELS)
    assert np.isclose(scale, full**0.5) and full < scale < 0.7
    assert 0.9 <= _coverage(actual, apply_interval_scale(wide, LEVELS, scale)) < 0.99


def test_conformal_threshold_is_the_order_statistic():
    from forecast.intervals import window_quantile

    scores = np.arange(1.0, 10.0)[::-1]  # 9 scores (one per window), unsorted
    assert window_quantile(scores, 0.8) == 8.0  # ceil(10 * 0.8) = 8th smallest, not interpolated
    assert window_quantile(scores, 0.95) == 9.0  # ceil(10 * 0.95) = 10 > 9 scores: the largest


def test_conformal_threshold_keeps_its_coverage_guarantee():
    from forecast.intervals import window_quantile

    rng = np.random.default_rng(0)
    hits = [rng.exponential(size=20)[-1] <= window_quantile(rng.exponential(size=19), 0.8)
            for _ in range(4000)]
    assert np.mean(hits) >= 0.79  # at least nominal (exactly 16/20 = 0.8 in expectation)


def test_windows_calibrate_at_the_conformal_rank_of_the_rows_they_cover():
    rng = np.random.default_rng(2)
    scores = rng.exponential(size=(13, 12))  # 13 windows of 12 steps one apart: 24 monthly rows
    pooled = np.quantile(scores, 0.8)
    # ceil(25 * 0.8) / 24 = 20/24 of the 156 scores: the 130th smallest, above the plain 0.8 quantile
    assert window_quantile(scores, 0.8) == np.sort(scores.ravel())[130 - 1] > pooled
    many = rng.exponential(size=(400, 12))  # 411 rows: ceil(412 * 0.8) / 411
    assert window_quantile(many, 0.8) == np.sort(many.ravel())[int(np.ceil(330 / 411 * 4800)) - 1]
    one = rng.exponential(size=(1, 3))  # 3 rows: (3 + 1) 0.8 > 3, the largest
    assert window_quantile(one, 0.8) == one.max()
    assert window_quantile(scores[:0], 0.8) == float("inf")


def test_too_few_windows_to_rank_never_narrow_the_models_intervals():
    from forecast.intervals import ranks

    # one validation window whose errors happened to be small (an 89-quarter series
    # backtested over 32 quarters): the factor would be 0.2, it stays 1
    actual = np.array([[0.01, -0.02, 0.015, 0.0, -0.01, 0.02, 0.0, 0.01]])
    wide = np.stack([np.full_like(actual, -1.0), np.zeros_like(actual), np.full_like(actual, 1.0)], -1)
    assert not ranks(1, 0.8) and not ranks(3, 0.8) and ranks(4, 0.8) and not ranks(8, 0.9)
    assert fit_interval_scale(actual, wide, LEVELS) == 1.0
    # ... but what those windows show too narrow is still widened (half-way: a factor of 4 gives 2)
    assert fit_interval_scale(actual * 200, wide, LEVELS) == 2.0
    # four windows rank at 80%: narrowing is allowed again (0.02 half-way is 0.14: the floor 0.2)
    four = np.repeat(actual, 4, axis=0)
    assert fit_interval_scale(four, wide, LEVELS) == 0.2


def test_conformal_scores_do_not_depend_on_the_units():
    """A series of values near 1e-15 (a concentration in mol/L) needs the same factor as the same
    series in other units: an absolute floor on the half-widths read its intervals as none."""
    from forecast.intervals import conformal_scores

    rng = np.random.default_rng(0)
    actual = 10 + rng.normal(size=(20, 4))
    quantiles = 10 + np.stack([np.full((20, 4), -1.28), np.zeros((20, 4)), np.full((20, 4), 1.28)], axis=-1)
    base = conformal_scores(actual, quantiles, [0.1, 0.5, 0.9])
    for units in (1e-15, 1e12):
        assert np.allclose(conformal_scores(actual * units, quantiles * units, [0.1, 0.5, 0.9]), base)
