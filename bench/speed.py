"""Training speed, in one run on one machine: `python bench/speed.py` (issue 17).

Prints each figure beside its target and writes bench/results/speed.json:
  throughput  windows/s of the plain Keras reference (``keras.Sequential`` LSTM 64 -> Dense 24,
              lookback 168, 7 features, batch 256, materialised numpy windows, ``model.fit``)
              and of the project's loop (:func:`forecast.training.fit_model`) on the same shape;
              the two take turns, fit by fit, so a noisy neighbour slows both alike
  readme      `forecast train data/energy_demand.csv --target demand`: training seconds,
              epochs, why it stopped, rows per recurrent step (patch), holdout MASE
              (target <= 30 s, MASE <= 0.287)
  repeat      the same command again: the largest difference between the two holdout forecasts
  etth1       `forecast backtest ETTh1.csv --target OT --horizon 24 --windows 10`: fit seconds
              and MASE (targets <= 60 s, <= 0.50)
  panel       a generated 400-series x 700-hour panel (one global model): epochs reached in
              the default budget, seconds per epoch and windows/s, beside windows/s with
              the settings before issue 17 (op determinism, batch 64: "before"), timed in
              today's loop (sampled validation, full batches): the old loop's epoch also
              validated every validation window, so "before" flatters the old code
  batches     the project's loop on the standard shape at batch 256, 512, 1,024 and 2,048: the
              most windows/s this network trains at on this machine, whatever the batch
Options: --skip NAME[,NAME]; --quick (shorter fits: a smoke run, not the figures). The shared
sets are read from ../shared/datasets beside the project, or from $FORECAST_SHARED.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SHARED = Path(os.environ.get("FORECAST_SHARED", ROOT.parent / "shared" / "datasets"))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
FORECAST = [sys.executable, "-m", "forecast.cli"]


def _cli(args: list[str]) -> tuple[float, str]:
    """Run a forecast command; wall seconds and its output (raises on failure)."""
    start = time.perf_counter()
    proc = subprocess.run([*FORECAST, *args], capture_output=True, text=True, env=ENV, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"forecast {' '.join(args)} failed: {proc.stderr[-800:]}")
    return time.perf_counter() - start, proc.stdout


def throughput(quick: bool) -> dict:
    """Steady-state windows/s (the first epoch of each fit, with tracing and XLA, left out)."""
    from forecast.devices import import_tensorflow

    import_tensorflow()
    import keras

    from forecast.config import TrainConfig
    from forecast.training import epoch_steps, fit_model
    from forecast.windows import Windows, gather, origins

    lookback, horizon, features, batch = 168, 24, 7, 256
    n = 16_800
    rows = n + lookback + horizon - 1
    rng = np.random.default_rng(0)
    values = rng.standard_normal((rows, features)).astype("float32")  # (rows, F)
    train = origins(0, rows, lookback, horizon)  # 16.8k windows
    x, y = gather(values, train, lookback, horizon)  # (n, lookback, F), (n, horizon)
    epochs = 2 if quick else 3

    def reference() -> list[float]:
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((lookback, features)), keras.layers.LSTM(64), keras.layers.Dense(horizon)]
        )
        model.compile(optimizer="adam", loss="mae")
        stamps: list[float] = []
        clock = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda e, logs: stamps.append(time.perf_counter())
        )
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[clock])
        ends = [start, *stamps]
        return [len(x) / (b - a) for a, b in zip(ends[1:-1], ends[2:], strict=True)]  # epochs 2..

    def project() -> list[float]:
        # validation: 512 windows of the same array (the loop needs some); counted in its time
        windows = Windows(values, train, train[-512:], lookback, horizon, lambda yy, xx: yy)
        config = TrainConfig(
            target="y",
            batch_size=batch,
            quantiles=None,
            epochs=epochs,
            patience=100,
            time_budget=1e9,
            calendar=False,
        )
        seconds: list[float] = []
        fit_model(windows, config, report=lambda e, logs: seconds.append(logs["seconds"]))
        per_epoch = epoch_steps(len(train), batch) * batch
        return [per_epoch / (b - a) for a, b in zip(seconds[:-1], seconds[1:], strict=True)]

    runs: dict[str, list[float]] = {"reference": [], "project": []}
    for _ in range(2):  # taking turns
        runs["reference"] += reference()
        runs["project"] += project()
    ref, proj = statistics.median(runs["reference"]), statistics.median(runs["project"])
    return {
        "reference_windows_per_s": ref,
        "project_windows_per_s": proj,
        "ratio": proj / ref,
        "runs": runs,
        "target_ratio": 1.3,
    }


def batches(quick: bool) -> dict:
    """Windows/s of the project's loop on the standard shape, with quantile outputs, by batch."""
    from forecast.devices import import_tensorflow

    import_tensorflow()
    from forecast.config import TrainConfig
    from forecast.training import epoch_steps, fit_model
    from forecast.windows import Windows, origins

    lookback, horizon, features, n = 168, 24, 7, 16_800
    rows = n + lookback + horizon - 1
    values = np.random.default_rng(0).standard_normal((rows, features)).astype("float32")
    train = origins(0, rows, lookback, horizon)
    rates: dict[str, float] = {}
    for batch in (256, 512, 1024, 2048):
        windows = Windows(values, train, train[-512:], lookback, horizon, lambda yy, xx: yy)
        config = TrainConfig(target="y", batch_size=batch, epochs=2 if quick else 4, patience=100,
                             time_budget=1e9, calendar=False)
        seconds: list[float] = []
        fit_model(windows, config, report=lambda e, logs: seconds.append(logs["seconds"]))
        per_epoch = epoch_steps(len(train), batch) * batch
        rates[str(batch)] = statistics.median(
            per_epoch / (b - a) for a, b in zip(seconds[:-1], seconds[1:], strict=True)
        )
    return {"windows_per_s": rates}


def _bundle_figures(out: Path) -> dict:
    info = json.loads((out / "bundle.json").read_text())
    t = info["training"]
    return {
        "train_seconds": t["seconds"],
        "epochs": t["epochs"],
        "best_epoch": t["best_epoch"],
        "stopped_by": t["stopped_by"],
        "batch_size": t.get("batch_size"),
        "patch": t.get("patch", 1),  # rows per recurrent step (nets.patch_for)
        "mase": info["metrics"]["model"]["mase"],
    }


def readme(quick: bool) -> dict:
    """The README's first command, twice: time, MASE, and whether the forecast repeats."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = []
        for name in ("a", "b"):
            out = Path(tmp) / name
            wall, _ = _cli(
                [
                    "train",
                    "data/energy_demand.csv",
                    "--target",
                    "demand",
                    "--out",
                    str(out),
                    "--no-report",
                    *(["--epochs", "3"] if quick else []),
                ]
            )
            figures.append({**_bundle_figures(out), "wall_seconds": wall})
        a, b = (pd.read_csv(Path(tmp) / n / "holdout.csv").select_dtypes("number") for n in "ab")
    diff = float((a - b[a.columns]).abs().max().max())
    return {
        "first": figures[0],
        "second": figures[1],
        "repeat_max_abs_diff": diff,
        "target_seconds": 30,
        "target_mase": 0.287,
    }


def etth1(quick: bool) -> dict:
    data = SHARED / "ETTh1.csv"
    if not data.exists():
        return {"skipped": f"{data} is absent"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bt.json"
        wall, _ = _cli(
            [
                "backtest",
                str(data),
                "--target",
                "OT",
                "--horizon",
                "24",
                "--windows",
                "10",
                "--json",
                str(out),
                *(["--epochs", "2"] if quick else []),
            ]
        )
        result = json.loads(out.read_text())
    return {
        "fit_seconds": result["training"]["seconds"],
        "mase": result["models"]["model"]["mase"],
        "wall_seconds": wall,
        "target_seconds": 60,
        "target_mase": 0.50,
    }


def _panel_csv(n: int = 400, rows: int = 700) -> Path:
    """``n`` hourly series of ``rows`` rows, long format: daily and weekly cycles, drift, noise."""
    path = RESULTS / f"panel_{n}x{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    t = pd.date_range("2020-01-01", periods=rows, freq="h").strftime("%Y-%m-%d %H:%M")
    h = np.arange(rows)
    parts = []
    for i in range(n):
        level, amp, week = rng.uniform(10, 1000), rng.uniform(0.05, 0.4), rng.uniform(0, 0.2)
        phase = rng.uniform(0, 2 * np.pi)
        y = level * (
            1
            + amp * np.sin(2 * np.pi * h / 24 + phase)
            + week * np.sin(2 * np.pi * h / 168)
            + 0.005 * rng.standard_normal(rows).cumsum()
            + 0.03 * rng.standard_normal(rows)
        )
        parts.append(pd.DataFrame({"series": f"s{i:03d}", "time": t, "value": y.round(3)}))
    pd.concat(parts).to_csv(path, index=False)
    return path


def panel(quick: bool) -> dict:
    """Default `forecast train` on the panel, then windows/s of the old settings in-process."""
    path = _panel_csv()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "panel"
        wall, _ = _cli(
            [
                "train",
                str(path),
                "--target",
                "value",
                "--id",
                "series",
                "--out",
                str(out),
                "--no-report",
                *(["--time-budget", "30"] if quick else []),
            ]
        )
        info = json.loads((out / "bundle.json").read_text())
    t = info["training"]
    history = info.get("history") or {}
    now = t["epochs"] * t["epoch_windows"] / t["seconds"]
    return {
        "epochs": t["epochs"],
        "seconds": t["seconds"],
        "seconds_per_epoch": t["seconds"] / t["epochs"],
        "stopped_by": t["stopped_by"],
        "train_windows": t["train_windows"],
        "epoch_windows": t["epoch_windows"],
        "batch_size": t["batch_size"],
        "windows_per_s": now,
        "before_windows_per_s": _before(path, quick, t["train_windows"]),
        "mase": info["metrics"]["model"]["mase"],
        "history_epochs": len(history.get("loss", [])),
        "wall_seconds": wall,
        "target_epochs": 10,
        "target_speedup": 5.0,
    }


def _before(path: Path, quick: bool, train_windows: int) -> float:
    """Windows/s on the panel with the settings before issue 17: op determinism (no XLA),
    batch 64, one epoch visiting every window (here: the first 16k, then the time is scaled)."""
    code = f"""
import json
from forecast.config import TrainConfig
from forecast.data import load_series
from forecast.forecaster import Forecaster

class Enough(Exception):
    pass

config = TrainConfig(target="value", id="series", deterministic=True, batch_size=64,
                     learning_rate=1e-3, time_budget={30 if quick else 120})
series = load_series("{path}", config.columns, options=config.data_options())
seen = []

def report(epoch, logs):
    seen.append(logs["seconds"])
    if len(seen) == 2:
        raise Enough  # two epochs are enough to time; skip the scoring of 400 series

try:
    Forecaster(config).fit(series, report=report)
except Enough:
    pass
print(json.dumps(seen))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-800:])
    seconds = json.loads(proc.stdout.strip().splitlines()[-1])
    from forecast.training import EPOCH_WINDOWS

    # epoch 2 alone (epoch 1 holds the tracing); an epoch is EPOCH_WINDOWS windows or all of them
    return (
        min(EPOCH_WINDOWS, train_windows) / (seconds[1] - seconds[0])
        if len(seconds) > 1
        else float("nan")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter fits: a smoke run")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to skip")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    jobs = {"throughput": throughput, "readme": readme, "etth1": etth1, "panel": panel,
            "batches": batches}
    results: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load": os.getloadavg(),
        }
    }
    for name, job in jobs.items():
        if name not in skip:
            print(f"running {name} ...", flush=True)
            results[name] = job(args.quick)
            (RESULTS / "speed.json").write_text(json.dumps(results, indent=2))
    rows = []
    if "throughput" in results:
        r = results["throughput"]
        rows += [
            ("reference", f"plain Keras {r['reference_windows_per_s']:.0f} windows/s", "-"),
            (
                "project",
                f"{r['project_windows_per_s']:.0f} windows/s = {r['ratio']:.2f}x",
                ">= 1.3x",
            ),
        ]
    if "readme" in results:
        r = results["readme"]
        a = r["first"]
        rows += [
            (
                "readme",
                f"{a['train_seconds']:.0f} s training, {a['epochs']} epochs "
                f"({a['stopped_by']}, patch {a['patch']}), MASE {a['mase']:.3f}",
                "<= 30 s, <= 0.287",
            ),
            (
                "repeat",
                f"2nd run {r['second']['train_seconds']:.0f} s, MASE {r['second']['mase']:.3f}; "
                f"max diff {r['repeat_max_abs_diff']:.2g}",
                "<= 1e-6",
            ),
        ]
    if "etth1" in results and "fit_seconds" in results["etth1"]:
        r = results["etth1"]
        rows.append(
            ("etth1", f"fit {r['fit_seconds']:.0f} s, MASE {r['mase']:.3f}", "<= 60 s, <= 0.50")
        )
    if "panel" in results:
        r = results["panel"]
        rows += [
            (
                "panel",
                f"{r['epochs']} epochs in {r['seconds']:.0f} s ({r['stopped_by']}), "
                f"{r['seconds_per_epoch']:.1f} s/epoch",
                ">= 10 epochs",
            ),
            (
                "",
                f"{r['windows_per_s']:.0f} windows/s vs before {r['before_windows_per_s']:.0f} = "
                f"{r['windows_per_s'] / r['before_windows_per_s']:.1f}x",
                ">= 5x",
            ),
        ]
    if "batches" in results:
        rates = results["batches"]["windows_per_s"]
        before = results.get("panel", {}).get("before_windows_per_s")
        rows.append(
            (
                "batches",
                ", ".join(f"{b}: {r:.0f}" for b, r in rates.items())
                + (f" = at most {max(rates.values()) / before:.1f}x before" if before else ""),
                "-",
            )
        )
    print(f"\n{'benchmark':<11} {'measured':>62}   target")
    for name, measured, target in rows:
        print(f"{name:<11} {measured:>62}   {target}")
    print(
        f"\nload average at the start: {results['machine']['load']}; "
        f"written to {RESULTS / 'speed.json'}"
    )


if __name__ == "__main__":
    main()
