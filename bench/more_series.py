"""Accuracy on real series outside ../shared: `python bench/more_series.py [DIR]`.

The defaults are judged on series the team did not tune them on. These come with two
libraries' bundled datasets (no download): pmdarima's Taylor half-hourly electricity demand,
monthly sunspots, quarterly Australian residents and daily MSFT closes, and statsmodels'
weekly Mauna Loa CO2 and quarterly US macro data (real GDP, unemployment). They need
`pip install pmdarima statsmodels` in the Python that runs this (bench only; not project
dependencies). The series are written as CSVs to DIR (default: a temporary folder), then
each runs the default `forecast backtest` in its own process (bench/accuracy.py's row).
Results: bench/results/more_series.json.
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd
from accuracy import RESULTS, _cell, backtest_row

# name: (file, target, H, W): H one season or two (8 quarters), W as the shared sets of that step
SERIES = {
    "taylor (30 min)": ("taylor_30min.csv", "demand", 48, 10),
    "co2 (weekly)": ("co2_weekly.csv", "co2", 13, 10),
    "msft (daily)": ("msft.csv", "Close", 5, 20),
    "sunspots (monthly)": ("sunspots_monthly.csv", "sunspots", 12, 10),
    "austres (quarterly)": ("austres_q.csv", "residents", 8, 4),
    "us gdp (quarterly)": ("macro_q.csv", "realgdp", 8, 4),
    "us unemp (quarterly)": ("macro_q.csv", "unemp", 8, 4),
}


def export(folder: Path) -> None:
    """Write the series as CSVs with a time column, as a user would have them."""
    try:
        import pmdarima.datasets as pm
        import statsmodels.api as sm
    except ImportError:
        sys.exit("bench/more_series.py needs pmdarima and statsmodels: pip install pmdarima statsmodels")
    taylor = pm.load_taylor()  # Monday 5 June 2000 .. Sunday 27 August 2000, half-hourly (MW)
    pd.DataFrame({"time": pd.date_range("2000-06-05", periods=len(taylor), freq="30min"),
                  "demand": taylor}).to_csv(folder / "taylor_30min.csv", index=False)
    spots = pm.load_sunspots(as_series=True)  # Jan 1749 .. Dec 1983
    pd.DataFrame({"month": pd.date_range("1749-01-01", periods=len(spots), freq="MS"),
                  "sunspots": spots.to_numpy()}).to_csv(folder / "sunspots_monthly.csv", index=False)
    res = pm.load_austres()  # 1971 Q2 .. 1993 Q2
    pd.DataFrame({"quarter": pd.period_range("1971Q2", periods=len(res), freq="Q").to_timestamp(),
                  "residents": res}).to_csv(folder / "austres_q.csv", index=False)
    pm.load_msft()[["Date", "Close", "Volume"]].to_csv(folder / "msft.csv", index=False)
    sm.datasets.co2.load_pandas().data.reset_index(names="week").to_csv(folder / "co2_weekly.csv", index=False)
    macro = sm.datasets.macrodata.load_pandas().data
    macro["quarter"] = pd.PeriodIndex.from_fields(year=macro["year"].astype(int),
                                                  quarter=macro["quarter"].astype(int), freq="Q").to_timestamp()
    macro[["quarter", "realgdp", "unemp"]].to_csv(folder / "macro_q.csv", index=False)


def main() -> None:
    keep = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        export(folder)
        print(f"{'series':21} {'forecast':>8} {'lstm':>6} {'naive':>6} {'snaive':>6} {'ets':>6} {'theta':>6} "
              f"{'ces':>6} {'cover':>6} {'fit s':>6}  chosen", flush=True)
        rows = []
        for name, (file, target, h, w) in SERIES.items():
            r = backtest_row(name, folder / file, ["--target", target, "--horizon", str(h), "--windows", str(w)])
            rows.append(r)
            if "error" in r:
                print(f"{name:21} error: {r['error']}", flush=True)
                continue
            f = functools.partial(_cell, r)
            cover = "-" if r["coverage"] is None else round(r["coverage"], 2)
            print(f"{name:21} {r['forecast']:8.3f} {f('lstm')} {f('naive')} {f('seasonal_naive')} "
                  f"{f('auto_ets')} {f('auto_theta')} {f('auto_ces')} {cover:>6} {r['fit_s']:6.0f}  "
                  f"{r['choice']}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "more_series.json").write_text(json.dumps(rows, indent=2))
    stats = ("naive", "seasonal_naive", "auto_ets", "auto_theta")
    won = sum(1 for r in rows if "error" not in r and r["forecast"] <= min(r[k] for k in stats if k in r))
    print(f"forecast <= the best of naive, seasonal naive, AutoETS, AutoTheta on {won} of {len(rows)} series")


if __name__ == "__main__":
    main()
