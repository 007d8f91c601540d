"""Public holidays as known-future inputs on PJME: `python bench/future_holidays.py [--windows W]`.

Runs `forecast backtest` on ../shared/datasets/PJME_hourly.csv (target PJME_MW, H=24) twice,
without and with `--holidays US`, every other flag the same, and prints MASE overall and on the
windows whose 24 steps touch a US public holiday (observed days included), for the forecast
given, the LSTM alone and seasonal naive. Each run writes its `--json` to bench/results/;
`--score-only` rescores those files without training.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout (a worktree sits one level deeper)
DATA = next((p / "shared" / "datasets" / "PJME_hourly.csv" for p in (ROOT.parent, ROOT.parent.parent)
             if (p / "shared" / "datasets").is_dir()), ROOT.parent / "shared" / "datasets" / "PJME_hourly.csv")
RESULTS = ROOT / "bench" / "results"


# the same epochs for both (the default 180 s budget ends training by the clock, so a loaded machine
# would give one run fewer epochs than the other): 20 epochs, early stopping as usual
FIXED = ["--epochs", "20", "--time-budget", "3600"]
VARIANTS = {  # name in the table: (file tag, --holidays, holiday features kept (None: all))
    "no holidays": ("none", None, None),
    "--holidays US": ("us", "US", None),
    "--holidays US, flag only": ("usflag", "US", ["holiday"]),  # library only: without days to/from
}


def command(windows: int, region: str | None, out: Path) -> list[str]:
    return [sys.executable, "-m", "forecast.cli", "backtest", str(DATA), "--target", "PJME_MW",
            "--horizon", "24", "--windows", str(windows), "--seed", "0", *FIXED, "--json", str(out),
            *(["--holidays", region] if region else [])]


def run_library(windows: int, region: str | None, keep: list[str] | None, out: Path) -> None:
    """The same backtest through the library (what the command calls); ``keep`` narrows the
    holiday features (to measure what days to/from add)."""
    from forecast import holiday
    from forecast.backtest import backtest
    from forecast.config import TrainConfig
    from forecast.data import load_series

    if keep is not None:
        full = holiday.spec
        holiday.spec = lambda code, freq: {**full(code, freq), "features": keep}  # type: ignore[assignment]
    series = load_series(DATA, ["PJME_MW"])
    config = TrainConfig(target="PJME_MW", horizon=24, seed=0, holidays=region)
    out.write_text(json.dumps(backtest(series, config, windows), indent=2), encoding="utf-8")


def holiday_windows(result: dict, country: str = "US") -> np.ndarray:
    """Which windows (by origin) have a step on a public holiday: ``(windows,)`` bool."""
    import holidays

    starts = pd.DatetimeIndex(result["protocol"]["origins"])
    h = result["protocol"]["horizon"]
    days = holidays.country_holidays(country, years=range(starts.min().year, starts.max().year + 2))
    marked = set(pd.Timestamp(d) for d in days)
    steps = [pd.date_range(s, periods=h, freq="h").normalize() for s in starts]
    return np.array([any(d in marked for d in w) for w in steps])


def scores(result: dict, actual: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """MASE of the forecast given on all windows and on the holiday windows."""
    point = np.asarray(result["forecasts"])  # (windows, horizon)
    scale = result["protocol"]["mase_scale"]
    err = np.abs(actual - point)
    return {"all": float(err.mean() / scale), "holiday": float(err[mask].mean() / scale),
            "other": float(err[~mask].mean() / scale)}


def actuals(result: dict) -> np.ndarray:
    from forecast.data import load_series

    frame = load_series(DATA, ["PJME_MW"]).frame
    starts = pd.DatetimeIndex(result["protocol"]["origins"])
    rows = frame.index.get_indexer(starts)
    return frame["PJME_MW"].to_numpy()[rows[:, None] + np.arange(result["protocol"]["horizon"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=365)
    parser.add_argument("--score-only", action="store_true")
    parser.add_argument("--library", action="store_true", help="call the library, not the CLI")
    parser.add_argument("--run", type=lambda v: v.split(";"), default=list(VARIANTS)[:2],
                        help="variants to run, ';'-separated (default: without and with --holidays US)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = {}
    for name, (tag, region, keep) in VARIANTS.items():
        # the command's runs (20 epochs) and the library's (default budget) are kept apart
        if keep is not None and not args.library:
            continue  # a library-only variant
        via_library = args.library
        out = RESULTS / f"pjme_holidays_{tag}_w{args.windows}{'' if via_library else '_cli'}.json"
        if name in args.run and not args.score_only:
            cmd = command(args.windows, region, out)
            via = "(through the library" + (f", holiday features {keep})" if keep else ")")
            print("$", " ".join(cmd[1:]), via if via_library else "", flush=True)
            began = time.perf_counter()
            if via_library:
                run_library(args.windows, region, keep, out)
            else:
                subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            print(f"  {time.perf_counter() - began:.0f}s", flush=True)
        if out.exists():
            runs[name] = json.loads(out.read_text())
    first = next(iter(runs.values()))
    actual = actuals(first)
    mask = holiday_windows(first)
    print(f"\n{len(mask)} windows of 24 h, {int(mask.sum())} touch a US holiday\n")
    print("| run | MASE all | MASE holiday windows | MASE other windows | lstm | seasonal naive | chosen |")
    print("|---|---|---|---|---|---|---|")
    for name, result in runs.items():
        s = scores(result, actual, mask)
        m = result["models"]
        print(f"| {name} | {s['all']:.3f} | {s['holiday']:.3f} | {s['other']:.3f} | "
              f"{m.get('lstm', {}).get('mase', float('nan')):.3f} | {m['seasonal_naive']['mase']:.3f} | "
              f"{result['choice']['label']} |")


if __name__ == "__main__":
    main()
