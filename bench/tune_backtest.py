"""Does `forecast tune` pay? `python bench/tune_backtest.py airline [--budget 300] [--trials 20]`.

The search runs on the rows before the backtest's test region (the last W x H rows), with
the usual test part cut off inside those rows as well, so nothing the backtest scores is
seen by the search. Then the backtest protocol (../shared/DESIGN.md, H and W of
../shared/PEERS.md) runs twice on the whole series: with the default settings and with
the best trial's settings, both with the default training budget (180 s). Prints the
trials and the two backtests as Markdown; writes bench/results/tune_<set>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"
RESULTS = ROOT / "bench" / "results"
SETS = {  # name: (file, target, H, M, W) as in ../shared/PEERS.md
    "airline": ("airline-passengers.csv", "Passengers", 12, 12, 2),
    "ETTh1": ("ETTh1.csv", "OT", 24, 24, 10),
    "daily-min": ("daily-min-temperatures.csv", "Temp", 14, 7, 10),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=sorted(SETS))
    parser.add_argument("--budget", type=float, default=300.0, help="seconds for the search")
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()

    from forecast.backtest import backtest
    from forecast.config import TrainConfig
    from forecast.data import load_series
    from forecast.devices import import_tensorflow
    from forecast.tune import tune

    import_tensorflow()
    file, target, h, m, w = SETS[args.set]
    config = TrainConfig(target=target, horizon=h, season=m)
    series = load_series(SHARED / file, config.columns, options=config.data_options())
    cut = len(series.frame) - w * h
    history = replace(series, frames={k: f.iloc[:cut] for k, f in series.frames.items()},
                      notes=list(series.notes))
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        result = tune(history, config, args.budget, args.trials, Path(tmp) / "search.tuner")
        search_s = time.perf_counter() - began
    if result.best is None:
        raise SystemExit("no trial completed")
    tuned = replace(config, **result.best["params"])
    runs = {}
    for name, cfg in (("default", config), ("tuned", tuned)):
        began = time.perf_counter()
        runs[name] = backtest(series, cfg, w, m)
        runs[name]["wall_s"] = round(time.perf_counter() - began, 1)

    print(f"## {args.set}: {file}, target {target}, H={h}, M={m}, W={w}; search {args.budget:g} s "
          f"({search_s:.0f} s wall, stopped by {result.stopped_by}) on the first {cut} rows\n")
    print("| # | lookback | units | layers | arch | dropout | lr | batch | budget s | s | epochs | val MASE |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(result.trials, 1):
        p = r["params"]
        best = " (best)" if r is result.best or r["trial"] == result.best["trial"] else ""
        print(f"| {i} | {p.get('lookback', '')} | {p.get('units', '')} | {p.get('layers', '')} | "
              f"{p.get('arch', '')} | {p.get('dropout', '')} | {p.get('learning_rate', '')} | "
              f"{p.get('batch_size', '')} | {r['time_budget'] or ''} | {r['seconds'] or ''} | "
              f"{r['epochs'] or ''} | {r['score'] if r['score'] is not None else r['status']}{best} |")
    print("\n| settings | forecast MASE | LSTM MASE | chosen | lstm s | backtest s |")
    print("|---|---|---|---|---|---|")
    for name, run in runs.items():
        ms = run["models"]
        print(f"| {name} | {ms['model']['mase']:.3f} | {ms['lstm']['mase']:.3f} | {run['choice']['label']} | "
              f"{run['training']['lstm_seconds']:.0f} | {run['wall_s']:.0f} |")
    baselines = {k: round(v["mase"], 3) for k, v in runs["default"]["models"].items()
                 if k in ("naive", "seasonal_naive", "auto_ets", "auto_theta")}
    print(f"\nBaselines (MASE): {baselines}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"tune_{args.set}.json").write_text(json.dumps(
        {"set": args.set, "budget": args.budget, "search_seconds": search_s, "tuning": result.info(),
         "tuned_params": result.best["params"],
         "backtest": {n: {"models": r["models"], "choice": r["choice"], "training": r["training"]}
                      for n, r in runs.items()}}, indent=2, default=str))


if __name__ == "__main__":
    main()
