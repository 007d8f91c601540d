"""Every Keras 3 backend: train, predict and backtest on JAX and PyTorch (each in its own
process: the backend is chosen before Keras starts), and a JAX bundle read back in NumPy and
in Keras on TensorFlow. Skipped for a backend that is not installed (pip install -e ".[jax]")."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import sine_frame

from forecast.windows import gather

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "--epochs",
    "1",
    "--units",
    "4",
    "--lookback",
    "24",
    "--horizon",
    "6",
    "--time-budget",
    "30",
    "--model",
    "lstm",
]
NAMES = {"jax": "JAX", "torch": "PyTorch"}


def _installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def _needs(backend: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not _installed(backend),
        reason=f'{backend} is not installed (pip install -e ".[{backend}]")',
    )


BACKENDS = [pytest.param(b, marks=_needs(b)) for b in ("jax", "torch")]


def _cli(
    args: list[str], backend: str | None, timeout: int = 300, **env: str
) -> subprocess.CompletedProcess:
    """``python -m forecast.cli ARGS`` in a fresh process with ``KERAS_BACKEND=backend``."""
    environ = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environ.update(
        env,
        PYTHONPATH=os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")]),
        TF_CPP_MIN_LOG_LEVEL="3",
        COLUMNS="200",
    )
    if backend:
        environ["KERAS_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-m", "forecast.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ,
        cwd=ROOT,
    )


def _train(backend: str, tmp_path: Path) -> Path:
    csv, out = tmp_path / "sine.csv", tmp_path / f"model_{backend}"
    sine_frame(rows=300).to_csv(csv, index=False)
    done = _cli(
        ["train", str(csv), "--target", "y", *TINY, "--out", str(out), "--no-report"], backend
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"backend {NAMES[backend]}" in done.stdout and "precision float32" in done.stdout
    assert "tensorflow" not in done.stderr.lower()  # never started on another backend
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``trained(backend)``: the folder holding sine.csv and the bundle _train wrote on that backend,
    trained once for the module; the tests read it (predict, backtest, load) and never write into it."""
    folders: dict[str, Path] = {}

    def get(backend: str) -> Path:
        if backend not in folders:
            folder = tmp_path_factory.mktemp(f"on_{backend}")
            _train(backend, folder)
            folders[backend] = folder
        return folders[backend]

    return get


@pytest.mark.parametrize("backend", BACKENDS)
def test_train_predict_backtest_on_the_backend(backend, trained):
    tmp_path = trained(backend)
    out = tmp_path / f"model_{backend}"
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["training"]["backend"] == backend
    done = _cli(["predict", str(out), "--horizon", "6"], backend)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") >= 6
    done = _cli(
        [
            "backtest",
            str(tmp_path / "sine.csv"),
            "--target",
            "y",
            *TINY,
            "--windows",
            "2",
            "--backend",
            backend,
        ],
        None,
    )  # the flag instead of KERAS_BACKEND
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Backtest: 2 windows x 6 steps" in done.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bundle_forecasts_alike_in_numpy_and_in_keras_on_tensorflow(backend, trained):
    from forecast.devices import import_tensorflow
    from forecast.forecaster import Forecaster

    import_tensorflow()  # this process: the TensorFlow backend
    out = trained(backend) / f"model_{backend}"
    in_numpy = Forecaster.load(out, engine="numpy")
    in_keras = Forecaster.load(out, engine="keras")
    pre = in_numpy.preprocessor_
    frame = sine_frame(rows=300)
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("time")))
    x, _ = gather(pre.transform(frame), np.arange(24, 300, 7), pre.lookback, pre.horizon)
    numpy_out, keras_out = in_numpy.forward(x), in_keras.forward(x)  # (40, 6, 3): original units
    assert numpy_out.shape == (40, 6, 3) and np.isfinite(numpy_out).all()
    np.testing.assert_allclose(numpy_out, keras_out, rtol=1e-5, atol=1e-5 * np.abs(keras_out).max())


def test_a_backend_that_is_not_installed_is_one_error_line(tmp_path):
    csv = tmp_path / "sine.csv"
    sine_frame(rows=300).to_csv(csv, index=False)
    code = (
        "import importlib.util, sys; find = importlib.util.find_spec; "
        "importlib.util.find_spec = lambda n, *a: None if n == 'jax' else find(n, *a); "
        "from forecast.cli import main; sys.argv = ['forecast'] + sys.argv[1:]; main()"
    )
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    for args, env in ((["--backend", "jax"], {}), ([], {"KERAS_BACKEND": "jax"})):
        done = subprocess.run(
            [sys.executable, "-c", code, "train", str(csv), "--target", "y", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**environ, **env},
        )
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert (
            len(lines) == 1
            and lines[0].startswith("Error: ")
            and 'pip install -e ".[jax]"' in lines[0]
        )


def test_an_unknown_backend_and_tf_distribute_elsewhere_are_refused(tmp_path):
    from forecast.config import TrainConfig
    from forecast.errors import ConfigError

    with pytest.raises(ConfigError, match="Unknown --backend 'mxnet'"):
        TrainConfig(target="y", backend="mxnet")
    csv = tmp_path / "sine.csv"
    sine_frame(rows=300).to_csv(csv, index=False)
    if _installed("jax"):
        done = _cli(["train", str(csv), "--target", "y", *TINY, "--distribute", "mirrored"], "jax")
        assert done.returncode == 1
        assert done.stderr.strip() == (
            "Error: --distribute mirrored needs the TensorFlow backend "
            "(tf.distribute); this run uses jax. Use --backend tensorflow, "
            "or --distribute none."
        )
