"""Benchmarks for speed and memory: `python bench/run.py` writes bench/results/bench.json and a table.

Each figure is printed beside its target (issue 6). What is measured:
  startup      `forecast --help` wall time (median of 5 runs)
  doctor       `forecast doctor` on ETTh1 (no TensorFlow import), wall time (median of 5 runs)
  ingest       a generated 1,000,000-row x 8-column CSV: read, parse, validate, infer frequency
  throughput   windows/s training the reference set-up (LSTM 64, lookback 168, 7 features,
               horizon 24, batch 256, 16.8k windows): plain Keras on materialised numpy windows,
               lazy index-gathered tf.data windows, and the same with jit_compile
  memory       peak RSS of `forecast train` on the 1M-row CSV (lookback 168, 60 s budget)
  predict      `forecast predict` on a bundle of each shared set, cold process, wall time
Options: --quick (smaller ingest/memory files, for a smoke run), --skip NAME[,NAME].
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
from accuracy import SETS, SHARED

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
FORECAST = [sys.executable, "-m", "forecast.cli"]


def _run(cmd: list[str], timeout: float = 900) -> tuple[float, int]:
    """Wall seconds and the child's peak RSS in KB (from wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-500:]}")
    return wall, usage.ru_maxrss


def startup() -> dict:
    runs = [_run([*FORECAST, "--help"])[0] for _ in range(5)]
    return {"seconds": statistics.median(runs), "target": 0.5}


def doctor() -> dict:
    """`forecast doctor` on ETTh1, wall time of the whole command (median of 5 runs)."""
    data = SHARED / "ETTh1.csv"
    if not data.exists():
        return {"skipped": f"{data} is absent"}
    runs = [_run([*FORECAST, "doctor", str(data), "--target", "OT"])[0] for _ in range(5)]
    return {"seconds": statistics.median(runs), "target": 1.5}


def _big_csv(rows: int) -> Path:
    path = RESULTS / f"big_{rows}.csv"
    if not path.exists():
        rng = np.random.default_rng(0)
        t = np.arange(rows)
        frame = pd.DataFrame({"time": pd.date_range("2000-01-01", periods=rows, freq="min")})
        for j in range(8):
            frame[f"c{j}"] = np.sin(t / (60 + 7 * j)) + 0.1 * rng.standard_normal(rows)
        frame["time"] = frame["time"].dt.strftime("%Y-%m-%d %H:%M")
        frame.to_csv(path, index=False, float_format="%.5f")
    return path


def ingest(rows: int) -> dict:
    from forecast.data import load_series

    path = _big_csv(rows)
    start = time.perf_counter()
    series = load_series(path, [f"c{j}" for j in range(8)])
    seconds = time.perf_counter() - start
    return {"rows": len(series.frame), "freq": series.freq, "seconds": seconds, "target": 3.0}


def throughput() -> dict:
    from forecast.devices import import_tensorflow

    import_tensorflow()
    import keras

    from forecast.nets import build_model
    from forecast.windows import dataset, gather, origins

    lookback, horizon, features, batch = 168, 24, 7, 256
    rows = 16_800 + lookback + horizon - 1
    values = np.random.default_rng(0).standard_normal((rows, features)).astype("float32")
    o = origins(0, rows, lookback, horizon)  # 16.8k windows

    def fresh(jit: bool):
        keras.utils.set_random_seed(0)
        model = build_model(lookback, features, horizon, units=64)
        model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0), loss="mae", jit_compile=jit)
        return model

    x, y = gather(values, o, lookback, horizon)  # materialised: the baseline, plain Keras
    epochs = {}
    model_np = fresh(False)
    epochs["keras_numpy"] = lambda: model_np.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    for name, jit in (("lazy_tfdata", False), ("lazy_tfdata_jit", True)):
        model = fresh(jit)
        ds = dataset(values, o, lookback, horizon, batch, lambda yy, xx: yy, True, 0)
        epochs[name] = lambda model=model, ds=ds: model.fit(ds, epochs=1, shuffle=False, verbose=0)
    for fit_epoch in epochs.values():
        fit_epoch()  # warm-up: graph tracing and compiling
    # variants take turns, epoch by epoch, so a noisy neighbour slows them alike; median of 3
    seconds: dict[str, list[float]] = {name: [] for name in epochs}
    for _ in range(3):
        for name, fit_epoch in epochs.items():
            start = time.perf_counter()
            fit_epoch()
            seconds[name].append(time.perf_counter() - start)
    out = {name: len(o) / statistics.median(s) for name, s in seconds.items()}
    best = max(out["lazy_tfdata"], out["lazy_tfdata_jit"])
    return {"windows_per_s": out, "epoch_seconds": seconds,
            "ratio_best_lazy_vs_numpy": best / out["keras_numpy"],
            "seconds_per_epoch": {k: len(o) / v for k, v in out.items()}, "target_ratio": 1.3}


def memory(rows: int) -> dict:
    path = _big_csv(rows)
    out = RESULTS / "memory_bundle"
    wall, rss_kb = _run([*FORECAST, "train", str(path), "--target", "c0", "--features",
                         ",".join(f"c{j}" for j in range(1, 8)), "--lookback", "168", "--horizon", "24",
                         "--time-budget", "60", "--out", str(out), "--force", "--no-report"])
    return {"rows": rows, "features": 8, "peak_rss_gb": rss_kb / 1024**2, "wall_s": wall, "target_gb": 1.5}


def predict() -> dict:
    """A bundle of every shared set (a short fit: predict's cost is the network's size and the
    statistical members re-applied, not how well it trained), then `forecast predict` on it
    three times, each a fresh process: the first is the cold one."""
    found = {name: spec for name, spec in SETS.items() if (SHARED / spec[0]).exists()}
    if not found:
        return {"skipped": f"no shared set in {SHARED}"}
    sets = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (file, target, horizon, season, _) in found.items():
            bundle = Path(tmp) / name
            _run([*FORECAST, "train", str(SHARED / file), "--target", target, "--horizon", str(horizon),
                  "--season", str(season), "--time-budget", "20", "--out", str(bundle), "--no-report"])
            runs = [_run([*FORECAST, "predict", str(bundle), "--out", str(Path(tmp) / f"{name}.csv")])[0]
                    for _ in range(3)]
            sets[name] = {"cold_seconds": runs[0], "median_seconds": statistics.median(runs)}
            print(f"  {name}: cold {runs[0]:.2f} s, median {sets[name]['median_seconds']:.2f} s", flush=True)
    worst = max(sets, key=lambda n: sets[n]["cold_seconds"])
    return {"sets": sets, "worst": worst, "cold_seconds": sets[worst]["cold_seconds"], "target": 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k-row files instead of 1M")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to skip")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = 100_000 if args.quick else 1_000_000
    skip = set(filter(None, args.skip.split(",")))
    jobs = {"startup": startup, "doctor": doctor, "ingest": lambda: ingest(rows), "throughput": throughput,
            "memory": lambda: memory(rows), "predict": predict}
    results = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                           "platform": platform.platform()}}
    for name, job in jobs.items():
        if name in skip:
            continue
        print(f"running {name} ...", flush=True)
        results[name] = job()
    (RESULTS / "bench.json").write_text(json.dumps(results, indent=2))
    print(f"\n{'benchmark':<12} {'measured':>34}   target")
    rows_out = []
    if "startup" in results:
        rows_out.append(("startup", f"{results['startup']['seconds']:.2f} s", "< 0.5 s"))
    if "doctor" in results and "seconds" in results["doctor"]:
        rows_out.append(("doctor", f"ETTh1 in {results['doctor']['seconds']:.2f} s", "< 1.5 s"))
    if "ingest" in results:
        r = results["ingest"]
        rows_out.append(("ingest", f"{r['rows']:,} rows in {r['seconds']:.2f} s", "< 3 s"))
    if "throughput" in results:
        r = results["throughput"]
        w = r["windows_per_s"]
        rows_out.append(("throughput", f"numpy {w['keras_numpy']:.0f}, lazy {w['lazy_tfdata']:.0f}, "
                         f"jit {w['lazy_tfdata_jit']:.0f} w/s", "-"))
        rows_out.append(("", f"best lazy / numpy = {r['ratio_best_lazy_vs_numpy']:.2f}x", ">= 1.3x"))
    if "memory" in results:
        rows_out.append(("memory", f"{results['memory']['peak_rss_gb']:.2f} GB peak RSS", "< 1.5 GB"))
    if "predict" in results and "cold_seconds" in results["predict"]:
        r = results["predict"]
        rows_out.append(("predict", f"{r['cold_seconds']:.2f} s cold ({r['worst']}, the slowest)", "< 2 s"))
    for name, measured, target in rows_out:
        print(f"{name:<12} {measured:>34}   {target}")
    print(f"\nwritten to {RESULTS / 'bench.json'}")


if __name__ == "__main__":
    main()
