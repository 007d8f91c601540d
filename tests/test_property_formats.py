"""Generated files at every frequency people use, in several date formats, encodings and separators:
the frequency read back is the one written, and nothing ends in a traceback (issue 16)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecast.cli import app
from forecast.data import load_series
from forecast.frequency import season_length

runner = CliRunner()
SEASONS = {
    "30min": 48, "10min": 144, "h": 24, "D": 7, "B": 5, "W-SUN": 52, "W-WED": 52, "MS": 12, "ME": 12,
    "QS-JAN": 4, "QE-DEC": 4, "YS-JAN": 1,
}
INTRADAY = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M"]
DAILY = ["%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%b-%Y", "%Y%m%d"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]


@st.composite
def series_file(draw) -> tuple[bytes, str, str]:
    """A file's bytes, the frequency written, and a description for failure messages."""
    freq = draw(st.sampled_from(sorted(SEASONS)))
    rows = draw(st.integers(30, 80))
    intraday = freq.endswith(("min", "h"))
    starts = ["2001-01-01", "2013-06-01", "1998-11-01"] + (["2021-03-27 20:00"] if intraday else [])
    start = draw(st.sampled_from(starts))
    # intraday stamps may carry UTC offsets that change at daylight saving (+01:00 -> +02:00)
    tz = draw(st.sampled_from([None, "Europe/Berlin"])) if intraday else None
    stamps = pd.date_range(start, periods=rows, freq=freq, tz="UTC" if tz else None)
    fmt = draw(st.sampled_from(INTRADAY if intraday else DAILY))
    if tz:
        stamps = stamps.tz_convert(tz)
        fmt = draw(st.sampled_from(["%Y-%m-%d %H:%M%z", "%Y-%m-%dT%H:%M:%S%z"]))
    gaps = draw(st.lists(st.integers(2, rows - 3), max_size=2, unique=True))
    kept = stamps.delete(gaps) if freq != "B" else stamps
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    decimal = "." if sep == "," else draw(st.sampled_from([".", ","]))
    encoding = draw(st.sampled_from(ENCODINGS))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = 100 + 10 * np.sin(np.arange(len(kept))) + rng.standard_normal(len(kept))
    order = draw(st.sampled_from(["oldest first", "newest first"]))
    lines = [f"{t.strftime(fmt)}{sep}{f'{v:.2f}'.replace('.', decimal)}" for t, v in zip(kept, values)]
    lines = [f"{line}{sep}Köln" for line in lines]
    if order == "newest first":
        lines.reverse()
    text = "\n".join([f"date{sep}y{sep}place", *lines]) + "\n"
    about = f"{freq} {fmt!r} tz={tz} sep={sep!r} decimal={decimal!r} {encoding} gaps={gaps} {order}"
    return text.encode(encoding), freq, about


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=series_file())
def test_frequency_read_back_is_the_one_written(case):
    data, freq, about = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(data)
        series = load_series(path, ["y"])
        assert series.freq == freq, about
        assert season_length(series.freq) == SEASONS[freq]
        assert series.frame["y"].notna().all() and series.frame["y"].between(80, 120).all(), about
        result = runner.invoke(app, ["doctor", str(path), "--target", "y"])
        assert result.exception is None or isinstance(result.exception, SystemExit), about
        assert f"frequency    {freq}" in result.output, result.output
