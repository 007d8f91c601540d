"""The training loop's schedule: batch size, epoch length, validation sample, progress."""

from __future__ import annotations

import numpy as np
from conftest import sine_frame

from forecast.config import TrainConfig
from forecast.devices import import_tensorflow
from forecast.training import EPOCH_WINDOWS, batch_for, epoch_steps, fit_model, listening, sample
from forecast.windows import Windows, origins

import_tensorflow()


def test_batch_size_grows_with_the_windows_within_bounds():
    assert batch_for(100) == 32 and batch_for(3_000) == 64
    assert batch_for(14_000) == 256 and batch_for(350_000) == 512
    sizes = [batch_for(n) for n in (10, 1_000, 5_000, 20_000, 10**6)]
    assert sizes == sorted(sizes)


def test_an_epoch_is_every_window_or_at_most_epoch_windows():
    assert epoch_steps(1_000, 64) == 16  # 1,024 windows: every window once
    assert epoch_steps(10**6, 512) * 512 == EPOCH_WINDOWS


def test_validation_sample_is_evenly_spaced_and_keeps_small_parts():
    o = np.arange(100, 10_100)
    picked = sample(o, 100)
    assert len(picked) == 100 and picked[0] == o[0] and picked[-1] == o[-1]
    assert np.all(np.diff(picked) > 0)
    assert len(sample(o[:50], 100)) == 50


def _windows() -> Windows:
    values = ((sine_frame(rows=400)[["y"]].to_numpy() - 10.0) / 3.0).astype("float32")
    return Windows(values, origins(0, 320, 12, 4), origins(320, 360, 12, 4), 12, 4, lambda y, x: y)


def test_progress_reports_elapsed_and_remaining_to_a_listener():
    config = TrainConfig(
        target="y", lookback=12, horizon=4, units=4, epochs=3, patience=2, quantiles=None
    )
    heard = []
    with listening(lambda epoch, logs: heard.append((epoch, logs))):
        _, _, summary = fit_model(_windows(), config)
    assert [e for e, _ in heard] == list(range(1, summary["epochs"] + 1))
    for _, logs in heard:
        assert logs["seconds"] > 0 and 0 <= logs["remaining"] <= config.time_budget
    assert (
        heard[-1][1]["remaining"] == 0.0 or summary["epochs"] < 3
    )  # epoch limit reached: none left
    assert (
        summary["batch_size"] == 32 and summary["epoch_windows"] == 320
    )  # 305 windows, full batches


def test_seeded_runs_repeat_without_op_determinism():
    config = TrainConfig(target="y", lookback=12, horizon=4, units=4, epochs=2, quantiles=None)
    assert config.deterministic is False
    x = np.random.default_rng(0).normal(size=(5, 12, 1)).astype("float32")
    a, b = (np.asarray(fit_model(_windows(), config)[0](x)) for _ in range(2))
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_steps_per_execution_divides_the_epoch():
    from forecast.training import per_execution

    assert [per_execution(s) for s in (1, 10, 32, 44, 11)] == [1, 5, 8, 4, 1]


def test_resumed_early_stopping_starts_from_the_earlier_runs_best_epoch():
    """A fresh EarlyStopping on resume kept the last epoch's weights though an earlier was better."""
    import keras

    from forecast.config import TrainConfig
    from forecast.schedule import Resume, schedule_callbacks

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    saved = [w.copy() for w in model.get_weights()]  # the bundle's weights: its best epoch's
    resume = Resume(model, [], {"loss": [1.0, 0.8, 0.9], "val_loss": [0.5, 0.2, 0.3]}, 3)
    stopper, _ = schedule_callbacks(TrainConfig(target="y", patience=5), resume)
    stopper.set_model(model)
    stopper.on_train_begin()
    model.set_weights([w + 1.0 for w in saved])  # a worse epoch 4
    stopper.on_epoch_end(3, {"val_loss": 0.4})
    stopper.on_train_end()
    assert stopper.best_epoch == 1 and stopper.best == 0.2
    for now, before in zip(model.get_weights(), saved):
        np.testing.assert_array_equal(now, before)
