"""Dates read right: ISO never day first, day first only when proved, offsets to UTC, mixed formats,
and the frequencies people use (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import frequency
from forecast.data import DataOptions, load_series
from forecast.errors import DataError
from forecast.timeparse import parse_times


def _write(tmp_path: Path, lines: list[str], header: str = "date,y", name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _series(tmp_path: Path, stamps: list[str], **options) -> object:
    rows = [f"{t},{i % 7 + i / 10}" for i, t in enumerate(stamps)]
    return load_series(_write(tmp_path, rows), ["y"], options=DataOptions(**options))


def test_iso_monthly_dates_are_never_read_day_first(tmp_path):
    stamps = pd.date_range("1980-01-01", periods=176, freq="MS").strftime("%Y-%m-%d").tolist()
    series = _series(tmp_path, stamps)
    assert series.freq == "MS" and len(series.frame) == 176
    assert series.dayfirst is None and series.filled == {"y": 0}  # no order to decide
    assert not any("inserted" in n for n in series.notes)
    forced = _series(tmp_path, stamps, dayfirst=True)  # --dayfirst cannot turn ISO into Y-D-M
    assert forced.freq == "MS" and forced.frame.index[1] == pd.Timestamp("1980-02-01")


def test_wineind_layout_value_before_date(tmp_path):
    stamps = pd.date_range("1980-01-01", periods=40, freq="MS")
    path = _write(tmp_path, [f"{15000 + i},{t:%Y-%m-%d}" for i, t in enumerate(stamps)], header='"Y","date"')
    series = load_series(path, ["Y"])
    assert series.freq == "MS" and len(series.frame) == 40


def test_day_first_only_when_a_value_proves_it():
    index, dayfirst, notes = parse_times(pd.Series(["01/02/2020", "13/02/2020", "14/02/2020"]), None, "d")
    assert dayfirst is True and index[0] == pd.Timestamp("2020-02-01")
    assert notes == ["dates read day first (%d/%m/%Y): '13/02/2020' on row 3 can only be day first"]
    index, dayfirst, notes = parse_times(pd.Series(["02/8/1991", "02/15/1991", "02/22/1991"]), None, "d")
    assert dayfirst is False and index[0] == pd.Timestamp("1991-02-08")
    assert "can only be month first" in notes[0]


def test_ambiguous_dates_default_to_month_first_and_say_how_to_change_it():
    values = pd.Series(["01/02/2020", "01/03/2020", "01/04/2020"])
    index, dayfirst, notes = parse_times(values, None, "d")
    assert dayfirst is False and index[0] == pd.Timestamp("2020-01-02")
    assert "give --dayfirst" in notes[0]
    index, dayfirst, _ = parse_times(values, True, "d")
    assert dayfirst is True and index[0] == pd.Timestamp("2020-02-01")


def test_ambiguous_monthly_dates_take_the_order_that_is_regular():
    stamps = pd.date_range("2020-01-01", periods=14, freq="MS").strftime("%d/%m/%Y")
    index, dayfirst, notes = parse_times(pd.Series(stamps), None, "d")
    assert dayfirst is True and index[12] == pd.Timestamp("2021-01-01")
    assert "only day first gives a regular series" in notes[0]


def test_dates_in_both_orders_are_refused_naming_a_row_of_each():
    with pytest.raises(DataError, match=r"mixes date orders: '01/13/2020' on row 3 can only be month first, "
                                        r"'14/02/2020' on row 4 only day first"):
        parse_times(pd.Series(["01/02/2020", "01/13/2020", "14/02/2020"]), None, "d")


def test_explicit_order_contradicted_by_the_values_is_one_line():
    with pytest.raises(DataError, match=r"cannot be month first \(e.g. '13/02/2020' on row 3\), but "
                                        r"--monthfirst says so .* Drop --monthfirst"):
        parse_times(pd.Series(["01/02/2020", "13/02/2020"]), False, "d")


def test_offsets_changing_at_daylight_saving_are_converted_to_utc(tmp_path):
    local = pd.date_range("2021-03-27 20:00", periods=30, freq="h", tz="Europe/Berlin")
    stamps = [t.isoformat(sep=" ", timespec="minutes") for t in local]
    assert "2021-03-28 01:00+01:00" in stamps and "2021-03-28 03:00+02:00" in stamps
    series = _series(tmp_path, stamps)
    assert series.freq == "h" and len(series.frame) == 30 and series.filled == {"y": 0}
    assert series.frame.index[0] == pd.Timestamp("2021-03-27 19:00")
    assert series.notes.count("times carry UTC offsets: converted to UTC") == 1


def test_z_suffix_and_fall_back_change(tmp_path):
    local = pd.date_range("2021-10-30 20:00", periods=30, freq="h", tz="Europe/Berlin")
    series = _series(tmp_path, [t.isoformat() for t in local])
    assert series.freq == "h" and len(series.frame) == 30
    utc = pd.date_range("2021-03-01", periods=24, freq="h").strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
    assert _series(tmp_path, utc).freq == "h"


def test_two_formats_in_one_column_are_each_recognised(tmp_path):
    days = pd.date_range("2021-03-01", periods=20, freq="D")
    stamps = [f"{d:%Y-%m-%d}" if i < 10 else f"{d:%d.%m.%Y}" for i, d in enumerate(days)]
    series = _series(tmp_path, stamps)
    assert series.freq == "D" and len(series.frame) == 20
    assert any("mixes 2 date formats" in n for n in series.notes)


def test_an_unreadable_second_format_names_a_row_of_each(tmp_path):
    stamps = ["2021-03-01", "2021-03-02", "March the 3rd", "2021-03-04"]
    with pytest.raises(DataError, match=r"mixes 2 date formats \(row 2 '2021-03-01' and row 4 'March the 3rd'\)"):
        _series(tmp_path, stamps)


def test_times_with_and_without_offsets_are_refused(tmp_path):
    stamps = ["2021-03-01 00:00+01:00", "2021-03-01 01:00", "2021-03-01 02:00+01:00"]
    with pytest.raises(DataError, match="mixes times with and without UTC offsets"):
        _series(tmp_path, stamps)


FREQS = {
    "MS": 12, "ME": 12, "QS-JAN": 4, "QE-DEC": 4, "QS-FEB": 4, "W-SUN": 52, "W-WED": 52,
    "W-FRI": 52, "YS-JAN": 1, "YE-DEC": 1, "B": 5, "30min": 48, "10min": 144, "h": 24, "D": 7,
}


@pytest.mark.parametrize("freq", FREQS)
def test_each_frequency_is_read_back_with_its_season_and_gaps_filled(tmp_path, freq):
    stamps = pd.date_range("2001-02-01", periods=40, freq=freq)
    kept = stamps.delete([7, 20, 21])  # two gaps inside
    fmt = "%Y-%m-%d %H:%M" if freq.endswith("min") or freq == "h" else "%Y-%m-%d"
    series = _series(tmp_path, kept.strftime(fmt).tolist())
    assert series.freq == freq
    assert frequency.season_length(series.freq) == FREQS[freq]
    if freq == "B":  # trading days: holidays are never invented
        assert len(series.frame) == 37
    else:
        assert series.frame.index.equals(stamps) and series.filled == {"y": 3}


@pytest.mark.parametrize(
    ("freq", "season"),
    [("30min", 48), ("h", 24), ("D", 7), ("B", 5), ("W-MON", 52), ("W", 52), ("MS", 12), ("ME", 12),
     ("QS", 4), ("QE", 4), ("QS-OCT", 4), ("YS", 1), ("YE", 1)],
)
def test_season_length_of_every_frequency(freq, season):
    assert frequency.season_length(freq) == season


def test_quarterly_strings_and_years(tmp_path):
    quarters = [f"{y}Q{q}" for y in range(2001, 2011) for q in range(1, 5)]
    assert _series(tmp_path, quarters).freq == "QS-JAN"
    path = _write(tmp_path, [f"{y},{y % 7}" for y in range(1960, 2000)], header="year,y")
    series = load_series(path, ["y"])
    assert series.freq == "YS-JAN" and len(series.frame) == 40


@pytest.mark.parametrize(("header", "clock"), [
    ("Date;Time;y", lambda t: t.strftime("%d/%m/%Y;%H:%M:%S")),  # UCI household power: a date, then a time
    ("date,hour,y", lambda t: f"{t:%Y-%m-%d},{t.hour}"),  # whole hours 0-23
    ("time,date,y", lambda t: f"{t:%H:%M},{t:%Y-%m-%d}"),  # the clock first, named like a time column
], ids=["date;time", "date,hour", "time,date"])
def test_a_date_column_and_a_time_of_day_column_make_the_time(tmp_path, header, clock):
    stamps = pd.date_range("2006-12-16 17:00", periods=24 * 20, freq="h")
    sep = ";" if ";" in header else ","
    lines = [f"{clock(t)}{sep}{i % 24 + 0.5}" for i, t in enumerate(stamps)]
    series = load_series(_write(tmp_path, lines, header=header), ["y"])
    assert series.freq == "h" and len(series.frame) == len(stamps)
    assert series.frame.index[0] == stamps[0] and series.frame.index[-1] == stamps[-1]
    assert any("time assembled from columns" in n for n in series.notes)


def test_times_of_day_alone_are_still_one_day(tmp_path):
    lines = [f"{h:02d}:{m:02d},{h + m / 60}" for h in range(9, 17) for m in (0, 30)]
    series = load_series(_write(tmp_path, lines, header="time,y"), ["y"])
    assert series.freq == "30min" and len(series.frame) == 16


def test_one_row_a_day_keeps_the_date_alone(tmp_path):
    days = pd.date_range("2020-01-01", periods=60, freq="D")
    lines = [f"{d:%Y-%m-%d},{d.day % 24},{i}" for i, d in enumerate(days)]  # an 'hour' column of readings
    series = load_series(_write(tmp_path, lines, header="date,hour,y"), ["y"])
    assert series.freq == "D" and not any("assembled" in n for n in series.notes)


@pytest.mark.parametrize("write", [lambda y, q: f"{y} Q{q}", lambda y, q: f"Q{q} {y}", lambda y, q: f"{y}-q{q}"],
                         ids=["1990 Q1", "Q1 1990", "1990-q1"])
def test_quarters_written_the_common_ways(tmp_path, write):
    quarters = [write(y, q) for y in range(1990, 2000) for q in range(1, 5)]
    series = load_series(_write(tmp_path, [f"{t},{i % 4 + i}" for i, t in enumerate(quarters)],
                                header="quarter,y"), ["y"])
    assert series.freq == "QS-JAN" and len(series.frame) == 40
    assert series.frame.index[0] == pd.Timestamp("1990-01-01") and series.frame.index[-1] == pd.Timestamp("1999-10-01")


def test_iso_weeks_are_their_mondays(tmp_path):
    weeks = [f"{y}-W{w:02d}" for y in (2015, 2016) for w in range(1, 53)]
    series = _series(tmp_path, weeks)
    assert series.freq == "W-MON" and series.frame.index[0] == pd.Timestamp("2014-12-29")
    assert series.filled == {"y": 1}  # 2015 has 53 ISO weeks: its week 53 is absent, filled and counted


def test_hour_ending_clocks_read_24_00_as_the_next_midnight(tmp_path):
    stamps = pd.date_range("2021-02-01 01:00", periods=72, freq="h")  # hour-ending: 01:00 .. 24:00
    written = [f"{t - pd.Timedelta(days=1):%m/%d/%Y} 24:00" if t.hour == 0 else f"{t:%m/%d/%Y %H:%M}" for t in stamps]
    series = load_series(_write(tmp_path, [f"{w},{i}" for i, w in enumerate(written)], header="Date,MW"), ["MW"])
    assert series.freq == "h" and series.filled == {"MW": 0}
    assert series.frame.index.equals(pd.DatetimeIndex(stamps, name="Date"))
    assert "3 times at 24:00 read as 00:00 of the next day" in series.notes
    # a date and an hour-ending column (HE 1-24), as grid operators publish them
    lines = [f"{(t - pd.Timedelta(hours=1)):%m/%d/%Y},{(t - pd.Timedelta(hours=1)).hour + 1},{i}" for i, t in enumerate(stamps)]
    series = load_series(_write(tmp_path, lines, header="Date,HE,MW", name="he.csv"), ["MW"])
    assert series.freq == "h" and series.frame.index[0] == stamps[0] and series.frame.index[-1] == stamps[-1]


def test_a_total_row_among_dates_is_named_as_not_a_date_with_the_fix():
    text = pd.Series([f"2015-{m:02d}" for m in range(1, 13)] + ["Total"])
    with pytest.raises(DataError, match=r"holds 'Total' on row 14, which is not a date .*Remove that row"):
        parse_times(text, None, "Month")
    with pytest.raises(DataError, match="mixes 2 date formats"):  # digits: a date in another format
        parse_times(pd.Series([f"2015-{m:02d}-01" for m in range(1, 13)] + ["13.13.2016"]), None, "Month")


@pytest.mark.parametrize("fmt", ["%d/%m/%y", "%d-%m-%y", "%d.%m.%y", "%m/%d/%y", "%d/%m/%y %H:%M", "%y-%m-%d",
                                 "%y/%m/%d"])
def test_two_digit_years_are_read_in_one_order_for_the_whole_column(fmt):
    """pandas guesses no format for 13/01/20: each value was read on its own, days 1-12 month
    first and the rest day first (300 days read as 345 with 45 'filled')."""
    days = pd.date_range("2020-01-01", periods=300)
    index, _, notes = parse_times(pd.Series(days.strftime(fmt)), None, "date")
    assert index.equals(pd.DatetimeIndex(days))
    assert any(fmt in note for note in notes), notes  # the order read is said
    months = pd.date_range("2015-01-01", periods=60, freq="MS")  # every value fits several orders
    assert parse_times(pd.Series(months.strftime(fmt)), None, "date")[0].equals(pd.DatetimeIndex(months))


def test_excel_serial_days_are_named_and_read_with_time_format_excel(tmp_path):
    path = tmp_path / "serial.csv"
    pd.DataFrame({"date": range(43831, 43871), "sales": range(40)}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"'date' holds numbers like 43831, not dates.*--time date --time-format excel"):
        load_series(path, ["sales"])
    series = load_series(path, ["sales"], options=DataOptions(time="date", time_format="excel"))
    assert series.frame.index[0] == pd.Timestamp("2020-01-01") and series.freq == "D"
    hours = tmp_path / "hours.csv"  # fractions of a day are times
    pd.DataFrame({"t": [45000 + h / 24 for h in range(48)], "y": range(48)}).to_csv(hours, index=False)
    hourly = load_series(hours, ["y"], options=DataOptions(time="t", time_format="excel"))
    assert hourly.freq == "h" and hourly.frame.index[1] == pd.Timestamp("2023-03-15 01:00")


def test_times_outside_pandas_range_are_one_error_in_doctor_and_train(tmp_path):
    """Years 1600-1699 and daily data ending 2262-04-05 (its forecast steps past 2262-04-11)
    were tracebacks; doctor called the second one ready."""
    from typer.testing import CliRunner

    from forecast.cli import app

    runner = CliRunner()
    old = tmp_path / "old.csv"
    pd.DataFrame({"year": np.arange(1600, 1700), "v": np.arange(100.0)}).to_csv(old, index=False)
    late = tmp_path / "late.csv"
    days = pd.date_range(end="2262-04-05", periods=200, freq="D")
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "v": np.sin(np.arange(200.0))}).to_csv(late, index=False)
    for path, says in ((old, "holds times outside 1677-09-21 .. 2262-04-11"),
                       (late, "14 steps of D after 2262-04-05 pass 2262-04-11")):
        for command in (["doctor", str(path), "--target", "v"],
                        ["train", str(path), "--target", "v", "--epochs", "1", "--units", "4",
                         "--out", str(tmp_path / "m")]):
            result = runner.invoke(app, command)
            assert result.exit_code == 1 and says in " ".join(result.output.split()), result.output
            assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "m").exists()


def test_times_of_day_alone_that_turn_back_at_midnight_are_refused(tmp_path):
    """Three days of 5-minute rows written as 00:00 .. 23:55 three times were folded into one day
    (dated today), each time of day the mean of three days."""
    clocks = pd.date_range("2024-01-01", periods=3 * 288, freq="5min").strftime("%H:%M").tolist()
    with pytest.raises(DataError, match=r"times of day without dates, and they turn back at row 290 \(00:00\): "
                                        r"the file spans several days\. Add the dates"):
        _series(tmp_path, clocks)
    one_day = _series(tmp_path, clocks[:288])  # one day's clock, forward or newest first: still read
    assert len(one_day.frame) == 288 and one_day.freq == "5min"
    assert len(_series(tmp_path, clocks[:288][::-1]).frame) == 288


def test_unix_times_in_a_column_not_named_as_time_get_the_flags_that_read_them(tmp_path):
    stamps = pd.date_range("2023-01-01", periods=40, freq="D")
    path = tmp_path / "ms.csv"
    pd.DataFrame({"ts": stamps.asi8 // 10**6, "value": np.arange(40.0)}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'ts' holds numbers like 1672531200000: Unix time in "
                                        r"milliseconds\? Add --time ts --time-format epoch_ms\."):
        load_series(path, ["value"])
    read = load_series(path, ["value"], options=DataOptions(time="ts", time_format="epoch_ms"))
    assert read.frame.index[0] == stamps[0] and read.freq == "D"


def test_date_parts_in_another_order_are_one_line_naming_the_order(tmp_path):
    path = tmp_path / "parts.csv"
    days = pd.date_range("2023-01-01", periods=30)
    pd.DataFrame({"dd": days.day, "mo": days.month, "yr": days.year, "a": np.arange(30.0)}).to_csv(path, index=False)
    with pytest.raises(DataError) as caught:
        load_series(path, ["a"], options=DataOptions(time="dd,mo,yr"))
    message = str(caught.value)
    assert "\n" not in message and "You might" not in message
    assert message.startswith("Columns dd, mo, yr do not form dates (") and "Give them in order year, month, day" in message


def test_a_yearly_panel_repeating_each_year_per_series_reads_its_years(tmp_path):
    path = tmp_path / "years.csv"
    years = list(range(1990, 2020))
    pd.DataFrame({"store": ["A"] * 30 + ["B"] * 30, "year": years * 2,
                  "value": np.r_[np.arange(30.0), 100 + np.arange(30.0)]}).to_csv(path, index=False)
    series = load_series(path, ["value"], options=DataOptions(id="store"))  # was: no time column found
    assert sorted(series.frames) == ["A", "B"] and series.years and series.freq.startswith("YS")
    assert series.frames["B"].index[0] == pd.Timestamp("1990-01-01")


def _on_day(tmp_path, day: int, name: str, fmt: str = "%Y-%m-%d", freq: str = "MS", n: int = 60) -> Path:
    """Monthly (or quarterly) readings taken on one day of the month, the 15th or the 5th."""
    t = pd.date_range("2015-01-01", periods=n, freq=freq) + pd.Timedelta(days=day - 1)
    y = 100 + 10 * np.sin(np.arange(n) * 2 * np.pi / 12) + np.random.default_rng(0).normal(0, 1, n)
    path = tmp_path / name
    pd.DataFrame({"date": t.strftime(fmt), "y": y.round(2)}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("day", "freq", "read"), [(15, "MS", "MS"), (5, "QS-JAN", "QS-JAN"), (28, "MS", "MS")])
def test_readings_on_one_day_of_the_month_are_read_as_months(tmp_path, day, freq, read):
    series = load_series(_on_day(tmp_path, day, "m.csv", freq=freq), ["y"])
    assert series.freq == read and series.day == day
    assert series.frame.index[0] == pd.Timestamp("2015-01-01") and len(series.frame) == 60
    assert f"every date is day {day} of its month: read as months" in " ".join(series.notes)
    ends = "ME" if freq == "MS" else "QE-DEC"
    resampled = load_series(tmp_path / "m.csv", ["y"], options=DataOptions(resample=ends))
    assert resampled.day == 1 and resampled.frame.index[0] == pd.Timestamp("2015-01-31" if freq == "MS" else "2015-03-31")
    if freq == "MS":  # by quarter: the last quarter's three months are all there (its 15ths read as month ends
        # had put December 15th's next step in December)
        quarters = load_series(tmp_path / "m.csv", ["y"], options=DataOptions(resample="QS", agg="sum"))
        assert len(quarters.frame) == 20 and not any("incomplete" in n for n in quarters.notes)


def test_monthly_dd_mm_dates_on_the_5th_are_read_day_first(tmp_path):
    """05/01, 05/02, 05/03 ... fit both orders; day first is the regular reading (month first made a
    daily series with 1,060 of 1,108 values filled in)."""
    series = load_series(_on_day(tmp_path, 5, "m.csv", fmt="%d/%m/%Y"), ["y"])
    assert series.dayfirst is True and series.freq == "MS" and len(series.frame) == 60


def test_a_forecast_of_readings_on_the_15th_is_dated_on_the_15th(tmp_path):
    from typer.testing import CliRunner

    from forecast.cli import app

    path, out = _on_day(tmp_path, 15, "m.csv"), tmp_path / "b"
    runner = CliRunner()
    trained = runner.invoke(app, ["train", str(path), "--target", "y", "--horizon", "6", "--epochs", "1",
                                  "--units", "4", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    predicted = runner.invoke(app, ["predict", str(out), "--data", str(path), "--out", str(tmp_path / "f.csv")])
    assert predicted.exit_code == 0, predicted.output
    dates = pd.read_csv(tmp_path / "f.csv")["date"].tolist()
    assert dates == ["2020-01-15", "2020-02-15", "2020-03-15", "2020-04-15", "2020-05-15", "2020-06-15"]
    later = _on_day(tmp_path, 20, "m20.csv")  # the same months read on the 20th: written so, as the file wrote them
    predicted = runner.invoke(app, ["predict", str(out), "--data", str(later), "--out", str(tmp_path / "f.csv")])
    assert predicted.exit_code == 0, predicted.output
    assert pd.read_csv(tmp_path / "f.csv")["date"].tolist()[:2] == ["2020-01-20", "2020-02-20"]


def test_a_short_future_file_on_the_bundles_day_is_read_on_its_months(tmp_path):
    """One or two rows cannot show a day of the month; the bundle's day reads them."""
    from typer.testing import CliRunner

    from forecast.cli import app

    path, out = _on_day(tmp_path, 15, "m.csv"), tmp_path / "b"
    frame = pd.read_csv(path).assign(promo=lambda f: np.arange(len(f)) % 2)
    frame.to_csv(path, index=False)
    runner = CliRunner()
    trained = runner.invoke(app, ["train", str(path), "--target", "y", "--future", "promo", "--horizon", "2",
                                  "--epochs", "1", "--units", "4", "--model", "lstm", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    pd.DataFrame({"date": ["2020-01-15", "2020-02-15"], "promo": [1, 0]}).to_csv(tmp_path / "fut.csv", index=False)
    predicted = runner.invoke(app, ["predict", str(out), "--future-data", str(tmp_path / "fut.csv"),
                                    "--out", str(tmp_path / "f.csv")])
    assert predicted.exit_code == 0, predicted.output
    assert pd.read_csv(tmp_path / "f.csv")["date"].tolist() == ["2020-01-15", "2020-02-15"]


@pytest.mark.parametrize(("freq", "zone"), [("D", "Europe/Berlin"), ("MS", "Europe/Berlin"), ("D", "America/New_York"),
                                           ("D", "UTC")])
def test_local_midnights_with_offsets_are_read_as_their_dates(tmp_path, freq, zone):
    """ISO exports of daily data: in UTC, Berlin's midnights were the day before (and off the grid at
    daylight saving), so every date, weekday and forecast moved a day early, or the file was refused."""
    stamps = pd.date_range("2023-01-01", periods=200 if freq == "D" else 48, freq=freq, tz=zone)
    path = tmp_path / "d.csv"
    pd.DataFrame({"date": [t.isoformat() for t in stamps], "y": np.arange(len(stamps)) % 7}).to_csv(path, index=False)
    series = load_series(path, ["y"])
    assert series.freq == freq and not series.utc
    assert (series.frame.index == stamps.tz_localize(None)).all()
    assert any("every one at local midnight: read as those dates (daily data)" in n for n in series.notes)
    given = load_series(path, ["y"], options=DataOptions(time_format="%Y-%m-%dT%H:%M:%S%z"))
    assert (given.frame.index == series.frame.index).all() and not given.utc  # the same with the format given
    if freq == "D":
        texts = [t.isoformat() for t in stamps]
        texts[60] = texts[60].replace("T00:00", "T01:00")  # one row off midnight: read in UTC, every day moved
        pd.DataFrame({"date": texts, "y": np.arange(len(stamps)) % 7}).to_csv(path, index=False)
        with pytest.raises(DataError, match=r"local midnight with UTC offsets \(daily data\), but row 62"):
            load_series(path, ["y"])
    hourly = pd.date_range("2023-01-01", periods=100, freq="h", tz=zone)  # not midnights: converted to UTC
    pd.DataFrame({"date": [t.isoformat() for t in hourly], "y": np.arange(100)}).to_csv(path, index=False)
    assert load_series(path, ["y"]).utc


def test_a_constant_report_date_before_the_time_column_is_not_the_time(tmp_path):
    """'report_date' (one date on every row) came first and was taken: "only 1 distinct timestamp"."""
    hours = pd.date_range("2023-01-01", periods=100, freq="h")
    path = tmp_path / "d.csv"
    pd.DataFrame({"report_date": "2024-01-01", "obs_time": hours.strftime("%Y-%m-%d %H:%M"),
                  "mw": np.arange(100.0)}).to_csv(path, index=False)
    series = load_series(path, ["mw"])
    assert series.time == "obs_time" and series.freq == "h" and len(series.frame) == 100


@pytest.mark.parametrize("first", [1600, 9999])
def test_dates_past_what_pandas_holds_are_named_as_such(tmp_path, first):
    """Well-formed dates of 1600 or 9999 were "no time column" or "give --time-format"."""
    rows = [f"{first + i // 12}-{i % 12 + 1:02d}-01" for i in range(40)]
    path = tmp_path / "old.csv"
    pd.DataFrame({"time": rows, "y": range(40)}).to_csv(path, index=False)
    for options in (DataOptions(), DataOptions(time="time")):
        with pytest.raises(DataError, match=rf"dates outside the years 1678-2261 that forecast can hold "
                                            rf"\(e.g. '{first}-01-01' on row 2\)"):
            load_series(path, ["y"], options=options)


@pytest.mark.parametrize(("written", "template"), [
    (lambda p: f"{p.year} Q{p.quarter}", "{y} Q{q}"),
    (lambda p: f"Q{p.quarter}-{p.year}", "Q{q}-{y}"),
    (lambda p: f"{p.year}q{p.quarter}", "{y}q{q}"),
])
def test_quarters_are_written_back_as_the_file_wrote_them(tmp_path, written, template):
    from typer.testing import CliRunner

    from forecast.cli import app

    quarters = pd.period_range("2000Q1", periods=48, freq="Q")
    path, out = tmp_path / "q.csv", tmp_path / "b"
    pd.DataFrame({"quarter": [written(p) for p in quarters], "y": np.arange(48) % 4 + 10.0}).to_csv(path, index=False)
    assert load_series(path, ["y"]).periods == template
    runner = CliRunner()
    trained = runner.invoke(app, ["train", str(path), "--target", "y", "--horizon", "4", "--epochs", "1",
                                  "--units", "4", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    predicted = runner.invoke(app, ["predict", str(out), "--out", str(tmp_path / "f.csv")])
    assert predicted.exit_code == 0, predicted.output
    following = pd.period_range("2012Q1", periods=4, freq="Q")
    assert pd.read_csv(tmp_path / "f.csv")["quarter"].tolist() == [written(p) for p in following]
    holdout = pd.read_csv(out / "holdout.csv")  # the bundle's test part too
    assert holdout["quarter"].iloc[-1] == written(quarters[-1])


def test_iso_weeks_are_written_back_as_weeks(tmp_path):
    from forecast.predicting import as_written

    mondays = pd.date_range("2020-12-21", periods=3, freq="W-MON")  # 2020-W52, 2020-W53, 2021-W01
    table = pd.DataFrame({"forecast": [1.0, 2.0, 3.0]}, index=pd.DatetimeIndex(mondays, name="week"))
    from types import SimpleNamespace

    written = as_written(table, SimpleNamespace(years=False, utc=False, day=1, periods="{y}-W{w:02d}"))
    assert written.index.tolist() == ["2020-W52", "2020-W53", "2021-W01"]


def test_spans_name_the_times_as_the_file_wrote_them(tmp_path):
    """doctor, train, backtest (console and JSON) and report named day-15 months by the month starts
    they are read on (2005-01-01), and quarters as dates; they name them as the file did."""
    import json

    from typer.testing import CliRunner

    from forecast.cli import app

    months = pd.date_range("2005-01-01", periods=48, freq="MS") + pd.Timedelta(days=14)
    path, out = tmp_path / "m.csv", tmp_path / "b"
    pd.DataFrame({"date": months.strftime("%Y-%m-%d"), "y": np.arange(48) % 12 + 10.0}).to_csv(path, index=False)
    runner = CliRunner()
    doctor = runner.invoke(app, ["doctor", str(path), "--target", "y"])
    assert "2005-01-15 .. 2008-12-15" in doctor.output, doctor.output
    tiny = ["--target", "y", "--horizon", "3", "--epochs", "1", "--units", "4"]
    trained = runner.invoke(app, ["train", str(path), *tiny, "--out", str(out)])
    text = " ".join(trained.output.split())
    assert trained.exit_code == 0 and "2005-01-15 .. 2008-12-15" in text and "(2008-07-15 .. 2008-12-15)" in text, text
    assert "-01 " not in text.split("Split by time")[1].split("lookback")[0]
    scored = runner.invoke(app, ["backtest", str(path), *tiny, "--windows", "2", "--json", str(tmp_path / "bt.json")])
    assert scored.exit_code == 0 and "(2008-07-15 .. 2008-12-15)" in " ".join(scored.output.split()), scored.output
    protocol = json.loads((tmp_path / "bt.json").read_text())["protocol"]
    assert protocol["origins"] == ["2008-07-15", "2008-10-15"] and protocol["test_end"] == "2008-12-15"
    report = runner.invoke(app, ["report", str(out), "--backtest", str(tmp_path / "bt.json"),
                                 "--out", str(tmp_path / "r.html")])
    assert report.exit_code == 0 and "another file" not in report.output, report.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "from 2005-01-15 to 2008-12-15" in html and "from 2008-07-15 to 2008-12-15" in html
    assert "2008-12-01" not in html


def test_loading_notes_and_errors_name_times_as_the_file_wrote_them(tmp_path):
    """The gap notes and the --max-gap error were written while the times are month starts, so
    day-15 months read '2007-07-01' and quarters '2002-07-01'; they name the file's own times."""
    months = pd.date_range("2005-01-01", periods=60, freq="MS") + pd.Timedelta(days=14)
    frame = pd.DataFrame({"date": months.strftime("%Y-%m-%d"), "y": np.arange(60.0)}).drop(index=[30, 31])
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    notes = " | ".join(load_series(path, ["y"]).notes)
    assert "1 gap, the largest 2 steps from 2007-07-15; first: 2007-07-15 (2)" in notes, notes
    assert "2 missing time steps inserted" in notes and "-01" not in notes, notes
    with pytest.raises(DataError, match="gap of 2 missing steps from 2007-07-15 to 2007-08-15"):
        load_series(path, ["y"], options=DataOptions(max_gap=1))
    quarters = pd.period_range("2000Q1", periods=40, freq="Q")
    path = tmp_path / "q.csv"
    pd.DataFrame({"q": [f"{p.year} Q{p.quarter}" for p in quarters], "y": np.arange(40.0)}).drop(index=[10]).to_csv(
        path, index=False)
    notes = " | ".join(load_series(path, ["y"]).notes)
    assert "1 gap, the largest 1 step from 2002 Q3; first: 2002 Q3 (1)" in notes, notes


@pytest.mark.parametrize("first", [1500, 2200])
def test_iso_dates_pandas_cannot_hold_are_named_in_a_column_not_named_like_time(first):
    """A 'ts' column of ISO dates before 1678 or past 2261 said "No time column found ... add a column
    of dates"; the range was named only once --time was given."""
    from forecast.timeparse import find_time_column

    df = pd.DataFrame({"ts": [f"{first + i}-06-01" for i in range(100)], "y": np.arange(100.0)})
    with pytest.raises(DataError, match="Column 'ts' has dates outside the years 1678-2261"):
        find_time_column(df, None, "f.csv")
    with pytest.raises(DataError, match="No time column found"):  # numbers that are not dates: as before
        find_time_column(pd.DataFrame({"code": [f"{i:04d}-1" for i in range(100)], "y": np.arange(100.0)}), None, "f")


def test_one_impossible_date_in_joined_columns_names_its_row(tmp_path):
    """2023-02-30 in year, month, day columns said "at position 59" (pandas' count) and asked to give
    the columns in an order they already had."""
    days = pd.date_range("2023-01-01", periods=100, freq="D")
    frame = pd.DataFrame({"year": days.year, "month": days.month, "day": days.day, "y": np.arange(100.0)})
    frame.loc[59, ["month", "day"]] = [2, 30]
    path = tmp_path / "ymd.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"Columns year, month, day give no date on row 61 \(year 2023, month 2, "
                                        r"day 30\)\. Fix or remove that row\."):
        load_series(path, ["y"], time="year,month,day")


@pytest.mark.parametrize("fmt, freq", [("%Y%m", "MS"), ("%Y%m%d%H", "h"), ("%Y%m%d%H%M", "30min"),
                                       ("%Y%m%d%H%M%S", "10min")])
def test_compact_numeric_times_are_read_as_dates_not_epoch(tmp_path, fmt, freq):
    stamps = pd.date_range("2024-01-01", periods=60, freq=freq)  # 2024010100 was read as Unix seconds (2034)
    series = _series(tmp_path, stamps.strftime(fmt).tolist())
    assert series.freq == freq and series.frame.index[0] == stamps[0] and series.frame.index[-1] == stamps[-1]
    assert f"read as dates written {fmt}" in " ".join(series.notes)
