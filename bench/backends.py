"""Training speed per Keras backend on this machine's CPU: `python bench/backends.py` (issue 18).

The standard shape of bench/speed.py: LSTM 64 units, lookback 168, 7 features, horizon 24,
batch 256, point forecast (MAE), 16.8k training windows (XLA on for TensorFlow, as in
`forecast train` from 8k windows). Each backend trains in its own process (the backend is
chosen before Keras starts) through the project's loop, :func:`forecast.training.fit_model`:
tf.data windows on TensorFlow, a ``keras.utils.PyDataset`` on JAX and PyTorch. Prints steady
windows/s (the first epoch, with tracing and compiling, left out) and the ratio to TensorFlow,
and writes bench/results/backends.json. Backends that are not installed are skipped.

Options: --backends tensorflow,jax,torch; --epochs N (default 3, at least 2); --windows N.
PyTorch on CPUs is slow (Keras' generic LSTM loop: ~17 windows/s here): measure it alone with
`--backends torch --windows 512 --epochs 2` (about a minute).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LOOKBACK, HORIZON, FEATURES, BATCH, UNITS = 168, 24, 7, 256, 64


def measure(epochs: int, n: int) -> dict:
    """In this process, on KERAS_BACKEND: windows/s of each epoch after the first."""
    import numpy as np

    from forecast.config import TrainConfig
    from forecast.devices import import_keras
    from forecast.training import epoch_steps, fit_model
    from forecast.windows import Windows, origins

    keras = import_keras()
    rows = n + LOOKBACK + HORIZON - 1
    values = (
        np.random.default_rng(0).standard_normal((rows, FEATURES)).astype("float32")
    )  # (rows, F)
    train = origins(0, rows, LOOKBACK, HORIZON)  # n windows
    windows = Windows(values, train, train[-512:], LOOKBACK, HORIZON, lambda yy, xx: yy)
    config = TrainConfig(
        target="y",
        batch_size=BATCH,
        units=UNITS,
        quantiles=None,
        epochs=epochs,
        patience=100,
        time_budget=1e9,
        calendar=False,
    )
    seconds: list[float] = []
    _, _, summary = fit_model(
        windows, config, report=lambda e, logs: seconds.append(logs["seconds"])
    )
    per_epoch = epoch_steps(len(train), BATCH) * BATCH
    rates = [per_epoch / (b - a) for a, b in zip(seconds[:-1], seconds[1:], strict=True)]
    return {
        "backend": keras.backend.backend(),
        "device": summary["device"],
        "windows_per_s": statistics.median(rates),
        "epochs": rates,
        "first_epoch_s": seconds[0],
        "epoch_windows": per_epoch,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--windows", type=int, default=16_800)
    parser.add_argument(
        "--one", help=argparse.SUPPRESS
    )  # the child process: measure and print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(max(args.epochs, 2), args.windows)))
        return
    results: dict[str, dict] = {}
    for backend in args.backends.split(","):
        if importlib.util.find_spec(backend) is None:
            print(f'{backend:<11} not installed (pip install -e ".[{backend}]"): skipped')
            continue
        env = {
            **os.environ,
            "KERAS_BACKEND": backend,
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": str(ROOT),
        }
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                backend,
                "--epochs",
                str(args.epochs),
                "--windows",
                str(args.windows),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if proc.returncode != 0:
            print(f"{backend:<11} failed: {proc.stderr.strip()[-600:]}")
            continue
        results[backend] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = results[backend]
        print(
            f"{backend:<11} {r['windows_per_s']:8.0f} windows/s  "
            f"(first epoch {r['first_epoch_s']:.1f} s, {r['device']})",
            flush=True,
        )
    base = results.get("tensorflow", {}).get("windows_per_s")
    if base:
        for r in results.values():
            r["ratio_to_tensorflow"] = r["windows_per_s"] / base
        print(
            "ratio to TensorFlow: "
            + ", ".join(f"{b} {r['ratio_to_tensorflow']:.2f}" for b, r in results.items())
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    shape = {
        "units": UNITS,
        "lookback": LOOKBACK,
        "features": FEATURES,
        "horizon": HORIZON,
        "batch": BATCH,
        "windows": args.windows,
    }
    (RESULTS / "backends.json").write_text(
        json.dumps(
            {
                "machine": platform.processor() or platform.machine(),
                "cpus": os.cpu_count(),
                "shape": shape,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
