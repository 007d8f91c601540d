"""Regenerate the sample CSVs in data/ from real data shipped inside PyPI wheels.

Needs the `samples` extra (pmdarima, vega_datasets); the tool itself does not.
Run: pip install -e ".[samples]" && python scripts/make_samples.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent.parent / "data"


def energy_demand() -> pd.DataFrame:
    """Half-hourly electricity demand, England and Wales, Mon 5 June - Sun 27 August 2000 (MW)."""
    from pmdarima.datasets import load_taylor

    demand = load_taylor(as_series=True).to_numpy()
    times = pd.date_range("2000-06-05 00:00", periods=len(demand), freq="30min")
    return pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M"), "demand": demand})


def seattle_weather() -> pd.DataFrame:
    """Daily Seattle weather 2012-2015: precipitation (mm), max/min temperature (C), wind (m/s)."""
    from vega_datasets import local_data

    df = local_data("seattle-weather")
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d")
    return df[["date", "temp_max", "temp_min", "precipitation", "wind"]]


def msft_daily() -> pd.DataFrame:
    """Microsoft daily prices (USD) and volume on trading days, 2012-01-03 .. 2017-11-10."""
    from pmdarima.datasets import load_msft

    df = load_msft()
    df = df[df["Date"] >= "2012-01-01"]
    return df[["Date", "Open", "High", "Low", "Close", "Volume"]].round(4)


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for name, make in {
        "energy_demand.csv": energy_demand,
        "seattle_weather.csv": seattle_weather,
        "msft_daily.csv": msft_daily,
    }.items():
        frame = make()
        frame.to_csv(DATA / name, index=False)
        print(f"{name}: {len(frame)} rows")


if __name__ == "__main__":
    main()
