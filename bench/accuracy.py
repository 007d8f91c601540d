"""Accuracy on every shared set: `python bench/accuracy.py [--only NAME,NAME] [--budget S]`.

Runs the default `forecast backtest` (the protocol of ../shared/DESIGN.md with the H, M, W of
../shared/PEERS.md) on each set in ../shared/datasets and prints one table: the forecast a
user gets, the LSTM alone, naive, seasonal naive, AutoETS, AutoTheta (MASE), the forecast's
80% interval coverage, what was chosen, and the fit seconds. Each set runs in its own process
(one set's memory or a crash does not touch the next). Results: bench/results/accuracy.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("FORECAST_SHARED", ROOT.parent / "shared" / "datasets"))
RESULTS = ROOT / "bench" / "results"

# name: (file, target, H, M, W) as in ../shared/PEERS.md
SETS = {
    "ETTh1": ("ETTh1.csv", "OT", 24, 24, 10),
    "daily-min": ("daily-min-temperatures.csv", "Temp", 14, 7, 10),
    "airline": ("airline-passengers.csv", "Passengers", 12, 12, 2),
    "aapl": ("aapl_daily_1984_2016.csv", "Close", 5, 5, 20),
    "PJME": ("PJME_hourly.csv", "PJME_MW", 24, 24, 10),
    "ILINet": ("ILINet.csv", "% WEIGHTED ILI", 8, 52, 10),
    "us_gasoline": ("us_gasoline.csv", "Gasoline", 8, 52, 10),
    "monthly-milk": ("monthly-milk.csv", "Pounds per cow", 12, 12, 2),
    "wineind": ("wineind.csv", "Y", 12, 12, 2),
    "ice_cream": ("ice_cream_heater.csv", "ice cream", 12, 12, 2),
    "ausbeer": ("ausbeer.csv", "Y", 8, 4, 4),
    "woolyrnq": ("woolyrnq.csv", "Y", 8, 4, 2),
}
# best of naive / seasonal naive / AutoETS / AutoTheta in ../shared/PEERS.md, and the best deep peer
PEER_BEST = {
    "ETTh1": (0.558, 0.494), "daily-min": (0.841, 0.769), "airline": (1.069, 0.790),
    "aapl": (2.421, 3.398), "PJME": (1.134, 0.978), "ILINet": (0.837, None),
    "us_gasoline": (2.109, None), "monthly-milk": (0.477, None), "wineind": (0.779, None),
    "ice_cream": (0.631, None), "ausbeer": (0.674, None), "woolyrnq": (0.797, None),
}


def run_one(name: str, extra: list[str]) -> dict:
    file, target, h, m, w = SETS[name]
    return backtest_row(name, SHARED / file, ["--target", target, "--horizon", str(h), "--season", str(m),
                                              "--windows", str(w), *extra])


def backtest_row(name: str, path: Path, options: list[str]) -> dict:
    """One `forecast backtest PATH OPTIONS` in its own process, as a row of the table."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bt.json"
        cmd = [sys.executable, "-m", "forecast.cli", "backtest", str(path), *options, "--json", str(out)]
        began = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        wall = time.perf_counter() - began
        if proc.returncode != 0:
            return {"name": name, "error": (proc.stderr.strip().splitlines() or ["?"])[-1], "wall": wall}
        result = json.loads(out.read_text())
    models = result["models"]
    return {
        "name": name,
        "forecast": models["model"]["mase"],
        "coverage": models["model"].get("coverage"),
        **{k: models[k]["mase"] for k in ("lstm", "naive", "seasonal_naive", "auto_ets", "auto_theta", "auto_ces")
           if k in models},
        "choice": result["choice"]["label"],
        "fit_s": result["training"]["seconds"],
        "lstm_s": result["training"].get("lstm_seconds"),
        "epochs": result["training"].get("epochs"),
        "wall": wall,
    }


def _cell(row: dict, key: str) -> str:
    return f"{row[key]:6.3f}" if row.get(key) is not None else "     -"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated set names")
    parser.add_argument("--out", default=str(RESULTS / "accuracy.json"))
    args, extra = parser.parse_known_args()
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found: the shared datasets sit beside the project "
                 "(or set FORECAST_SHARED).")
    names = [n for n in args.only.split(",") if n] or list(SETS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    head = (f"{'set':13} {'forecast':>8} {'lstm':>6} {'naive':>6} {'snaive':>6} {'ets':>6} {'theta':>6} "
            f"{'ces':>6} {'peer':>6} {'deep':>6} {'cover':>6} {'fit s':>6}  chosen")
    print(head, flush=True)
    for name in names:
        r = run_one(name, extra)
        rows.append(r)
        if "error" in r:
            print(f"{name:13} error: {r['error']}", flush=True)
            continue
        peer, deep = PEER_BEST[name]
        f = functools.partial(_cell, r)
        print(f"{name:13} {r['forecast']:8.3f} {f('lstm')} {f('naive')} {f('seasonal_naive')} {f('auto_ets')} "
              f"{f('auto_theta')} {f('auto_ces')} {peer:6.3f} {deep if deep else '-':>6} "
              f"{r['coverage'] if r['coverage'] is None else round(r['coverage'], 2):>6} {r['fit_s']:6.0f}  "
              f"{r['choice']}", flush=True)
    Path(args.out).write_text(json.dumps(rows, indent=2))
    won = sum(1 for r in rows if "error" not in r and r["forecast"] <= PEER_BEST[r["name"]][0])
    print(f"forecast <= best statistical peer on {won} of {len(rows)} sets; results in {args.out}")


if __name__ == "__main__":
    main()
