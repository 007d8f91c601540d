"""80% coverage of `forecast predict --recursive` past the trained horizon, with and without the
earlier blocks' uncertainty carried (`forecasting.widened`).

`python bench/recursive_intervals.py` (about a minute a series here): for each series, trains the
default model with a short horizon H on all but the last year-ish of rows, then forecasts 4 x H
steps recursively from 30 origins spread over the rows it never saw, and prints the share of
actuals inside the interval per block of H steps, as predict writes it and as it was before the
blocks' uncertainty was carried (every block as narrow as the first). Needs ../shared/datasets
(FORECAST_SHARED). Captures: bench/results/recursive_intervals.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from forecast import forecasting
from forecast.config import TrainConfig
from forecast.data import load_series
from forecast.forecaster import Forecaster

SHARED = Path(os.environ.get("FORECAST_SHARED", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
RESULTS = Path(__file__).resolve().parent / "results"
# name: (file, target, H trained, rows held out for the origins)
SERIES = {
    "daily-min": ("daily-min-temperatures.csv", "Temp", 7, 400),
    "ETTh1": ("ETTh1.csv", "OT", 24, 1000),
    "ILINet": ("ILINet.csv", "% WEIGHTED ILI", 4, 150),
    "aapl": ("aapl_daily_1984_2016.csv", "Close", 5, 500),
}
BLOCKS, ORIGINS = 4, 30


def coverage(forecaster: Forecaster, frame, h: int, held: int, carry: bool) -> list[float]:
    """Per block of ``h`` steps: the share of actuals inside [lower, upper] over the origins."""
    y = frame.iloc[:, 0].to_numpy()
    first = len(frame) - held
    origins = np.linspace(first, len(frame) - BLOCKS * h, ORIGINS).astype(int)
    inside = np.zeros((ORIGINS, BLOCKS * h), dtype=bool)
    kept = forecasting.widened
    if not carry:
        forecasting.widened = lambda step, *_: step  # every block as narrow as the first
    try:
        for i, o in enumerate(origins):
            out = forecaster.predict(frame.iloc[:o], horizon=BLOCKS * h, recursive=True)
            actual = y[o:o + BLOCKS * h]
            inside[i] = (actual >= out["lower"].to_numpy()) & (actual <= out["upper"].to_numpy())
    finally:
        forecasting.widened = kept
    return [round(float(inside[:, b * h:(b + 1) * h].mean()), 3) for b in range(BLOCKS)]


def main() -> None:
    names = sys.argv[1:] or list(SERIES)
    rows = {}
    for name in names:
        file, target, h, held = SERIES[name]
        series = load_series(SHARED / file, [target])
        frame = series.frame
        train = type(series)(**{**series.__dict__, "frames": {k: f.iloc[:-held] for k, f in series.frames.items()}})
        forecaster = Forecaster(TrainConfig(target=target, horizon=h)).fit(train)
        rows[name] = {"horizon": h, "carried": coverage(forecaster, frame[[target]], h, held, True),
                      "first block's width": coverage(forecaster, frame[[target]], h, held, False)}
        print(name, rows[name], flush=True)
    print("\n| series (H) | interval | block 1 | block 2 | block 3 | block 4 |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        for key in ("first block's width", "carried"):
            print(f"| {name} ({r['horizon']}) | {key} | " + " | ".join(f"{v:.2f}" for v in r[key]) + " |")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "recursive_intervals.json"  # the series run now replace their earlier rows
    earlier = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**earlier, **rows}, indent=2))


if __name__ == "__main__":
    main()
