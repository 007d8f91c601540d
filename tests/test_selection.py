"""The share of the network's correction kept: fitted on validation, intervals kept."""

from __future__ import annotations

import numpy as np

from forecast.selection import fit_shrink, shrink_correction


def test_a_network_that_only_adds_noise_is_shrunk_to_its_base_and_keeps_its_interval():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 6))
    actual = base + rng.normal(0, 0.1, size=base.shape)  # the base is right
    med = base + rng.normal(0, 2.0, size=base.shape)  # the network's median: noise around it
    lstm = np.stack([med - 1.0, med, med + 1.0], axis=-1)  # an interval 2 wide
    share, shrunk = fit_shrink(actual, lstm, base, median=1)
    assert share == 0.0
    np.testing.assert_allclose(shrunk[..., 1], base)  # the median is the base
    np.testing.assert_allclose(shrunk[..., 2] - shrunk[..., 0], 2.0)  # the interval is not


def test_a_useful_correction_is_kept_whole():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(40, 6))
    actual = base + 3.0
    lstm = np.stack([actual - 0.5, actual, actual + 0.5], axis=-1)
    share, shrunk = fit_shrink(actual, lstm, base, median=1)
    assert share == 1.0
    np.testing.assert_allclose(shrunk, lstm)


def test_shrinking_a_point_correction_scales_it():
    correction = np.arange(12.0).reshape(2, 6)
    np.testing.assert_allclose(shrink_correction(correction, 0.3, None), 0.3 * correction)
    q = np.stack([correction - 1, correction, correction + 2], axis=-1)
    out = shrink_correction(q, 0.3, 1)
    np.testing.assert_allclose(out[..., 1], 0.3 * correction)
    np.testing.assert_allclose(out[..., 2] - out[..., 1], 2.0)


def test_naive_within_the_margin_of_the_best_is_kept():
    """A random walk: a member 2% better than naive on validation is noise, naive stays."""
    from forecast.choice import SIMPLE_MARGIN, choose

    rng = np.random.default_rng(3)
    actual = rng.standard_normal((40, 5))
    naive = actual + 1.0
    close = actual + 1.0 - 0.5 * SIMPLE_MARGIN  # better than naive by less than the margin
    far = actual + 0.5  # better by far
    grid = lambda f: np.stack([f - 1, f, f + 1], -1)  # noqa: E731
    kept = choose(actual, {"naive": grid(naive), "auto_ces": grid(close)}, 1, 1.0)
    assert kept["label"] == "naive" and kept["why"].startswith("within 3% of the best")
    picked = choose(actual, {"naive": grid(naive), "auto_ces": grid(far)}, 1, 1.0)
    assert picked["label"] == "auto_ces" and picked["why"] == "lowest validation MASE"


def test_short_validation_takes_the_mean_of_the_best_three():
    from forecast.choice import choose

    rng = np.random.default_rng(4)
    actual = rng.standard_normal((13, 12))
    f = {name: np.stack([actual + off] * 3, -1) for name, off in
         (("lstm", 0.1), ("auto_ets", 0.15), ("auto_theta", 0.18), ("naive", 2.0))}
    assert choose(actual, f, 1, 1.0)["label"] == "lstm"
    picked = choose(actual, f, 1, 1.0, short=True)
    assert set(picked["weights"]) == {"lstm", "auto_ets", "auto_theta"}
    assert picked["label"] in picked["scores"]
    from forecast.choice import describe

    line = describe(picked)  # says why its validation MASE may be above the best one's
    assert line.endswith("(13 windows; validation under 3 horizons: the mean of the best three, not one pick)")
    assert describe(choose(actual, f, 1, 1.0)).endswith("(13 windows)")


def test_short_validation_leaves_out_of_the_mean_members_twice_as_bad_as_the_best():
    from forecast.choice import choose

    actual = np.random.default_rng(4).standard_normal((13, 12))
    grid = lambda off: np.stack([actual + off] * 3, -1)  # noqa: E731  (validation MASE = off)
    two = choose(actual, {"lstm": grid(0.1), "auto_ets": grid(0.15), "auto_theta": grid(0.25)}, 1, 1.0, short=True)
    assert set(two["weights"]) == {"lstm", "auto_ets"} and "the mean of the best two" in two["why"]
    # a stuck sensor's constant last stretch: naive is exact there, the rest are not ties
    stuck = choose(actual, {"naive": grid(0.0), "lstm": grid(3.7), "seasonal_naive": grid(3.7)}, 1, 1.0, short=True)
    assert stuck["label"] == "naive" and "over twice its error" in stuck["why"]


def test_the_verdict_does_not_read_a_chosen_baseline_as_losing_to_itself():
    from forecast.choice import verdict

    tie = {"model": {"mase": 0.72}, "naive": {"mase": 0.72}, "seasonal_naive": {"mase": 0.9}}
    kind, sentence = verdict(tie, "naive")
    assert kind == "simple" and "naive itself" in sentence and "0.720" in sentence
    assert verdict(tie, "lstm")[0] == "bad"  # a model that only ties the baseline does not beat it
    forced = verdict(tie, "seasonal_naive", forced=True)  # --model seasonal_naive: not "no model beat it"
    assert forced[0] == "simple" and "as --model asks" in forced[1] and "no model beat" not in forced[1]
    kind, sentence = verdict({**tie, "model": {"mase": 0.5}}, "0.5 lstm + 0.5 auto_ets")
    assert kind == "good" and "0.500 vs 0.720" in sentence
    # a noise-free series: seasonal naive exact, the model 1e-8 off it; not "a simple forecast serves better"
    exact = verdict({"model": {"mase": 3.7e-9}, "naive": {"mase": 1.27}, "seasonal_naive": {"mase": 0.0}}, "auto_ets")
    assert exact == ("good", "The model is as exact as the best baseline: MASE 0.000 vs 0.000.")
    assert verdict({"model": {"mase": 0.01}, "naive": {"mase": 1.27}, "seasonal_naive": {"mase": 0.0}}, "lstm")[0] == "bad"
