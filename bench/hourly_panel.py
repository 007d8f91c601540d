"""Write a panel of real hourly series: `python bench/hourly_panel.py [OUT.csv]`.

The shared sets hold no hourly panel, and the sets we are judged on again include one (M4's
hourly part is 414 series of 700-960 hours). This one is cut from real hourly data of
different kinds: every other 960-hour stretch of the seven ETTh1 columns (transformer loads
and oil temperature) and of PJME's load, and Taylor's half-hourly demand averaged to hours
(pmdarima's dataset; left out when pmdarima is not installed). About 140 series, long format
`series,time,value`. Backtest it as M4 hourly is scored:
`forecast backtest OUT.csv --target value --id series --horizon 48 --windows 1`.
Needs ../shared/datasets (or FORECAST_SHARED).
"""

from __future__ import annotations

import sys

import pandas as pd
from accuracy import SHARED

STRETCH = 960  # hours in each series (M4 hourly's longest)


def stretches(name: str, times: pd.Series, values: pd.Series) -> list[pd.DataFrame]:
    """Every other STRETCH-hour piece of one series, each a series of its own."""
    out = []
    for k, start in enumerate(range(0, len(values) - STRETCH + 1, 2 * STRETCH)):
        out.append(pd.DataFrame({"series": f"{name}_{k}", "time": times.iloc[start:start + STRETCH].to_numpy(),
                                 "value": values.iloc[start:start + STRETCH].to_numpy()}))
    return out


def panel() -> pd.DataFrame:
    parts = []
    ett = pd.read_csv(SHARED / "ETTh1.csv", parse_dates=["date"])
    for column in ett.columns.drop("date"):
        parts += stretches(column, ett["date"], ett[column])
    pjme = pd.read_csv(SHARED / "PJME_hourly.csv")
    pjme["Datetime"] = pd.to_datetime(pjme["Datetime"], format="%d-%m-%Y %H:%M")
    pjme = pjme.sort_values("Datetime")
    pjme = pjme.drop_duplicates("Datetime").set_index("Datetime").asfreq("h").interpolate().reset_index()
    parts += stretches("PJME", pjme["Datetime"], pjme["PJME_MW"])
    try:
        import pmdarima.datasets as pm
    except ImportError:
        print("pmdarima not installed: Taylor's demand left out", file=sys.stderr)
    else:
        taylor = pd.Series(pm.load_taylor()).groupby(lambda i: i // 2).mean()
        parts += stretches("taylor", pd.Series(pd.date_range("2000-06-05", periods=len(taylor), freq="h")), taylor)
    frame = pd.concat(parts, ignore_index=True)
    frame["time"] = pd.to_datetime(frame["time"]).dt.strftime("%Y-%m-%d %H:%M")
    return frame


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "hourly_panel.csv"
    frame = panel()
    frame.to_csv(out, index=False)
    print(f"{out}: {frame['series'].nunique()} series of {STRETCH} hours")
