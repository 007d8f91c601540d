"""Write a generated quarterly panel: `python bench/quarterly_panel.py OUT.csv`.

120 series of 31-120 quarters ending 2023Q4: a level of 50-5,000, a trend, a multiplicative
season of amplitude 5-40% in one of four phases, a random-walk level and noise (seed 0). Series
of very different lengths, like tourism or M4's quarterly part: the case of
`layout.panel_lookback` (bench/ACCURACY.md). Backtest it with
`forecast backtest OUT.csv --target value --id series --time quarter --horizon 8 --windows 1`.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def panel(series: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(series):
        n = int(rng.integers(30, 121))
        t = np.arange(n)
        level = rng.uniform(50, 5000)
        trend = rng.normal(0, 0.01) * level
        amp = rng.uniform(0.05, 0.4)
        phase = rng.integers(0, 4)
        season = 1 + amp * np.array([1.0, 0.2, -0.6, -0.6])[(t + phase) % 4]
        walk = np.cumsum(rng.normal(0, 0.02, n))
        y = np.maximum((level + trend * t) * season * np.exp(walk + rng.normal(0, 0.04, n)), 0)
        stamps = pd.period_range(end=pd.Period("2023Q4", "Q"), periods=n, freq="Q").to_timestamp()
        rows += [{"series": f"s{i}", "quarter": d.strftime("%Y-%m-%d"), "value": round(v, 2)}
                 for d, v in zip(stamps, y)]
    return pd.DataFrame(rows)


if __name__ == "__main__":
    panel().to_csv(sys.argv[1] if len(sys.argv) > 1 else "quarterly_panel.csv", index=False)
