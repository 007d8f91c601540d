import numpy as np

from forecast.windows import dataset, gather, origins, py_dataset


def test_origins_keep_targets_inside_the_part():
    # rows 10..19 are the part; lookback 3, horizon 2: origins 10..18
    o = origins(10, 20, lookback=3, horizon=2)
    assert o.tolist() == list(range(10, 19))
    assert origins(0, 10, lookback=4, horizon=2).tolist() == [4, 5, 6, 7, 8]
    assert origins(0, 10, lookback=4, horizon=2, stride=2).tolist() == [4, 6, 8]
    assert origins(0, 5, lookback=4, horizon=2).size == 0


def test_gather_matches_hand_computed_windows():
    values = np.arange(20, dtype="float32").reshape(10, 2)  # row r = [2r, 2r+1]
    x, y = gather(values, np.array([3, 7]), lookback=3, horizon=2)
    assert x.shape == (2, 3, 2) and y.shape == (2, 2)
    # origin 3: inputs rows 0,1,2; targets column 0 of rows 3,4
    np.testing.assert_array_equal(x[0], [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(y[0], [6, 8])
    np.testing.assert_array_equal(x[1], [[8, 9], [10, 11], [12, 13]])
    np.testing.assert_array_equal(y[1], [14, 16])


def test_gather_past_the_end_gives_nan_targets():
    values = np.arange(10, dtype="float32").reshape(10, 1)
    x, y = gather(values, np.array([10]), lookback=2, horizon=3)
    np.testing.assert_array_equal(x[0, :, 0], [8, 9])
    assert np.isnan(y).all()


def test_tf_dataset_gathers_the_same_windows():
    values = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    o = origins(0, 50, lookback=5, horizon=4)
    ds = dataset(values, o, 5, 4, batch_size=8, encode=lambda y, x: y, shuffle=False, seed=0)
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    x_ref, y_ref = gather(values, o, 5, 4)
    np.testing.assert_allclose(np.concatenate(xs), x_ref)
    np.testing.assert_allclose(np.concatenate(ys), y_ref)


def test_repeated_dataset_streams_full_batches_reshuffled_each_pass():
    values = np.arange(40, dtype="float32").reshape(20, 2)
    o = origins(0, 20, lookback=2, horizon=1)  # 18 windows
    ds = dataset(values, o, 2, 1, batch_size=6, encode=lambda y, x: y, shuffle=True, seed=0, repeat=True)
    batches = [y.numpy()[:, 0] for _, y in ds.take(6)]  # two passes
    assert all(b.shape == (6,) for b in batches)  # full batches only: one shape to compile
    first, second = np.concatenate(batches[:3]), np.concatenate(batches[3:])
    assert sorted(first) == sorted(second) == sorted(values[o, 0])  # every window once per pass
    assert first.tolist() != second.tolist()  # fresh order each pass


def test_py_dataset_serves_the_windows_of_the_tf_dataset():
    """JAX and PyTorch read windows from a PyDataset: the same windows, targets and encoding."""
    values = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    o = origins(0, 50, lookback=5, horizon=4)  # 42 windows: 6 batches of 8, the last of 2
    encode = lambda y, x: y - x[:, -1, 0:1]  # noqa: E731  (as the "last" anchor does)
    batches = py_dataset(values, o, 5, 4, 8, encode, shuffle=False, seed=0)
    assert len(batches) == 6
    xs, ys = zip(*[batches[i] for i in range(len(batches))])
    x_ref, y_ref = gather(values, o, 5, 4)
    np.testing.assert_allclose(np.concatenate(xs), x_ref)
    np.testing.assert_allclose(np.concatenate(ys), encode(y_ref, x_ref))


def test_repeated_py_dataset_streams_full_batches_reshuffled_each_pass():
    values = np.arange(40, dtype="float32").reshape(20, 2)
    o = origins(0, 20, lookback=2, horizon=1)  # 18 windows
    stream = py_dataset(values, o, 2, 1, 4, lambda y, x: y, shuffle=True, seed=0, repeat=True)
    assert stream.num_batches is None  # endless: model.fit's steps_per_epoch makes the epochs
    batches = [stream[i][1][:, 0] for i in range(9)]  # 36 windows: two passes, across a boundary
    assert all(b.shape == (4,) for b in batches)  # full batches only: one shape to compile
    flat = np.concatenate(batches)
    first, second = flat[:18], flat[18:]
    assert sorted(first) == sorted(second) == sorted(values[o, 0])  # every window once per pass
    assert first.tolist() != second.tolist()  # fresh order each pass
    again = py_dataset(values, o, 2, 1, 4, lambda y, x: y, shuffle=True, seed=0, repeat=True)
    assert np.concatenate([again[i][1][:, 0] for i in range(9)]).tolist() == flat.tolist()  # seeded
