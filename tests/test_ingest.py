"""The data flags: time formats, duplicates, gaps and fills, sentinels, resampling, number formats,
Parquet, and several series in one file (long with --id, wide with several targets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.data import DataOptions, load_series
from forecast.errors import ConfigError, DataError


def _write(tmp_path: Path, text: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _hourly(n: int = 10, start: str = "2024-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="h")


def test_epoch_seconds_are_detected_in_a_numeric_time_column(tmp_path):
    stamps = _hourly()
    rows = "".join(f"{int(t.timestamp())},{i}\n" for i, t in enumerate(stamps))
    series = load_series(_write(tmp_path, "timestamp,y\n" + rows), ["y"])
    assert series.frame.index[0] == stamps[0]
    assert series.freq == "h"
    assert any("Unix epoch (s)" in n for n in series.notes)
    assert series.utc  # Unix time is UTC: outputs mark it +00:00


def test_epoch_milliseconds_with_time_format(tmp_path):
    stamps = _hourly()
    rows = "".join(f"{int(t.timestamp()) * 1000},{i}\n" for i, t in enumerate(stamps))
    path = _write(tmp_path, "t,y\n" + rows)
    series = load_series(path, ["y"], options=DataOptions(time="t", time_format="epoch_ms"))
    assert series.frame.index[-1] == stamps[-1]


def test_explicit_time_format(tmp_path):
    rows = "".join(f"{t:%d.%m.%Y %Hh},{i}\n" for i, t in enumerate(_hourly(30, "2024-01-05")))
    path = _write(tmp_path, "when,y\n" + rows)
    series = load_series(path, ["y"], options=DataOptions(time="when", time_format="%d.%m.%Y %Hh"))
    assert series.frame.index[0] == pd.Timestamp("2024-01-05 00:00")
    assert len(series.frame) == 30


def test_wrong_time_format_is_one_line_error(tmp_path):
    path = _write(tmp_path, "when,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    with pytest.raises(DataError, match=r"does not match --time-format '%d/%m/%Y'.*Fix the format"):
        load_series(path, ["y"], options=DataOptions(time="when", time_format="%d/%m/%Y"))


def test_time_split_over_numeric_columns(tmp_path):
    stamps = _hourly(26)
    rows = "".join(f"{t.year},{t.month},{t.day},{t.hour},{i}\n" for i, t in enumerate(stamps))
    path = _write(tmp_path, "Year,Month,Day,Hour,y\n" + rows)
    series = load_series(path, ["y"], options=DataOptions(time="Year,Month,Day,Hour"))
    assert list(series.frame.index) == list(stamps)
    assert series.freq == "h"


def test_time_split_into_date_and_clock_text(tmp_path):
    stamps = _hourly(26)
    rows = "".join(f"{t:%Y-%m-%d},{t:%H:%M},{i}\n" for i, t in enumerate(stamps))
    path = _write(tmp_path, "date,clock,y\n" + rows)
    series = load_series(path, ["y"], options=DataOptions(time="date,clock"))
    assert list(series.frame.index) == list(stamps)


def test_utc_offsets_are_converted_and_stated(tmp_path):
    rows = "".join(f"{t:%Y-%m-%dT%H:%M}+02:00,{i}\n" for i, t in enumerate(_hourly(12)))
    series = load_series(_write(tmp_path, "time,y\n" + rows), ["y"])
    assert series.frame.index[0] == pd.Timestamp("2023-12-31 22:00")
    assert any("converted to UTC" in n for n in series.notes)
    assert series.utc  # outputs mark their times UTC
    given = load_series(tmp_path / "s.csv", ["y"], options=DataOptions(time_format="%Y-%m-%dT%H:%M%z"))
    assert given.utc and given.frame.index[0] == pd.Timestamp("2023-12-31 22:00")
    assert not load_series(_write(tmp_path, "time,y\n" + rows.replace("+02:00", ""), "naive.csv"), ["y"]).utc


def test_days_summed_from_times_with_offsets_are_said_to_be_utc_days(tmp_path):
    """Berlin's hours with +02:00, summed by day: each day ran 02:00-02:00 local, and nothing said so."""
    rows = "".join(f"{t:%Y-%m-%dT%H:%M}+02:00,{i}\n" for i, t in enumerate(pd.date_range("2024-06-01", periods=24 * 9,
                                                                                       freq="h")))
    path = _write(tmp_path, "time,y\n" + rows)
    daily = load_series(path, ["y"], options=DataOptions(resample="D", agg="sum"))
    assert any("--resample D aggregates days in UTC" in n for n in daily.notes), daily.notes
    assert not any("days in UTC" in n for n in load_series(path, ["y"], options=DataOptions(resample="6h")).notes)
    naive = _write(tmp_path, "time,y\n" + rows.replace("+02:00", ""), "naive.csv")
    assert not any("days in UTC" in n for n in load_series(naive, ["y"], options=DataOptions(resample="D")).notes)


def test_forecasts_of_a_file_with_utc_offsets_are_marked_utc(tmp_path):
    """The file said +01:00/+02:00, its times were converted to UTC: a forecast written without a
    zone would read as local time, an hour or two off."""
    from typer.testing import CliRunner

    from forecast.cli import app

    stamps = pd.date_range("2024-03-25", periods=300, freq="h", tz="Europe/Berlin")  # crosses DST
    y = 10 + 3 * np.sin(np.arange(300) * 2 * np.pi / 24)
    pd.DataFrame({"time": [t.isoformat() for t in stamps], "y": y}).to_csv(tmp_path / "berlin.csv", index=False)
    runner = CliRunner()
    trained = runner.invoke(app, ["train", str(tmp_path / "berlin.csv"), "--target", "y", "--epochs", "1",
                                  "--units", "4", "--horizon", "4", "--no-report", "--out", str(tmp_path / "m")])
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(app, ["predict", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[1].split(",")[0]
    assert first == f"{(stamps[-1] + pd.Timedelta(hours=1)).tz_convert('UTC'):%Y-%m-%d %H:%M:%S}+00:00"
    local = tmp_path / "local.csv"  # the same local times without their offsets: hours apart in UTC
    pd.DataFrame({"time": stamps.strftime("%Y-%m-%d %H:%M"), "y": y}).to_csv(local, index=False)
    refused = runner.invoke(app, ["predict", str(tmp_path / "m"), "--data", str(local), "--out", str(tmp_path / "f.csv")])
    assert refused.exit_code == 1 and "Traceback" not in refused.output and not (tmp_path / "f.csv").exists()
    assert "local.csv has times without UTC offsets, but the model was trained on times with them" in " ".join(
        refused.output.split())


@pytest.mark.parametrize(("how", "value"), [("mean", 3.0), ("first", 2.0), ("last", 4.0)])
def test_duplicates_policy(tmp_path, how, value):
    s = _hourly(4)
    text = f"time,y\n{s[0]},1\n{s[1]},2\n{s[1]},4\n{s[2]},5\n{s[3]},6\n"
    series = load_series(_write(tmp_path, text), ["y"], options=DataOptions(duplicates=how))
    assert series.frame["y"].iloc[1] == value
    assert f"1 duplicate timestamps merged ({how})" in series.notes


def test_duplicates_error_names_the_first_repeat(tmp_path):
    s = _hourly(4)
    text = f"time,y\n{s[0]},1\n{s[1]},2\n{s[1]},4\n{s[2]},5\n{s[3]},6\n"
    with pytest.raises(DataError, match=r"1 duplicate timestamps \(first 2024-01-01 01:00\).*--duplicates"):
        load_series(_write(tmp_path, text), ["y"], options=DataOptions(duplicates="error"))


def _gappy(tmp_path: Path) -> Path:
    s = _hourly(12)
    keep = [0, 1, 2, 6, 7, 8, 9, 10, 11]  # rows 3, 4, 5 missing: one gap of 3 steps
    return _write(tmp_path, "time,y\n" + "".join(f"{s[i]},{i}\n" for i in keep))


@pytest.mark.parametrize(("fill", "expected"), [("interpolate", 4.0), ("ffill", 2.0), ("zero", 0.0)])
def test_fill_methods(tmp_path, fill, expected):
    series = load_series(_gappy(tmp_path), ["y"], options=DataOptions(fill=fill))
    assert series.frame["y"].iloc[4] == pytest.approx(expected)
    assert series.filled == {"y": 3}
    assert "3 missing time steps inserted" in series.notes
    assert any("1 gap, the largest 3 steps" in n for n in series.notes)


def test_fill_none_refuses_missing_values(tmp_path):
    with pytest.raises(DataError, match=r"y has 3 missing values \(first at 2024-01-01 03:00\).*--fill none"):
        load_series(_gappy(tmp_path), ["y"], options=DataOptions(fill="none"))


def test_max_gap_names_the_gap(tmp_path):
    with pytest.raises(DataError, match=r"gap of 3 missing steps from 2024-01-01 03:00 to 2024-01-01 "
                                        r"05:00, longer than --max-gap 2"):
        load_series(_gappy(tmp_path), ["y"], options=DataOptions(max_gap=2))
    assert len(load_series(_gappy(tmp_path), ["y"], options=DataOptions(max_gap=3)).frame) == 12


def test_sentinels_become_missing_and_are_counted(tmp_path):
    rows = [f"{t},{-9999 if i in (3, 4) else i}" for i, t in enumerate(_hourly(10))]
    path = _write(tmp_path, "time,y\n" + "\n".join(rows) + "\n")
    series = load_series(path, ["y"], options=DataOptions(na_values=["-9999"]))
    assert series.frame["y"].iloc[3] == pytest.approx(3.0)  # interpolated, not -9999
    assert "2 sentinel values (-9999) in y treated as missing" in series.notes
    assert series.filled == {"y": 2}


def test_freq_override_and_off_grid_stamps(tmp_path):
    path = _write(tmp_path, "time,y\n" + "".join(f"{t},{i}\n" for i, t in enumerate(_hourly(72))))
    with pytest.raises(DataError, match=r"off the D grid.*--resample D"):
        load_series(path, ["y"], options=DataOptions(freq="D"))
    series = load_series(path, ["y"], options=DataOptions(resample="D", agg="sum"))
    assert series.freq == "D"
    assert series.frame["y"].tolist() == [sum(range(24)), sum(range(24, 48)), sum(range(48, 72))]


def test_bad_flag_values_are_config_errors():
    with pytest.raises(ConfigError, match="--fill 'spline'"):
        DataOptions(fill="spline")
    with pytest.raises(ConfigError, match="--resample 'fortnight' is not a pandas frequency"):
        DataOptions(resample="fortnight")


def test_semicolon_decimal_comma_file_is_read_with_a_note(tmp_path):
    rows = "".join(f"{t:%Y-%m-%d %H:%M};{i},5\n" for i, t in enumerate(_hourly(6)))
    path = _write(tmp_path, "time;y\n" + rows)
    series = load_series(path, ["y"])
    assert series.frame["y"].iloc[1] == 1.5
    assert any("decimal comma" in n and "--decimal , says so" in n for n in series.notes)
    flagged = load_series(path, ["y"], options=DataOptions(decimal=","))
    assert flagged.frame["y"].iloc[1] == 1.5 and flagged.notes == []


def test_thousands_separator_is_read_with_a_note(tmp_path):
    rows = "".join(f'{t:%Y-%m-%d %H:%M},"1,{i:03d}.5"\n' for i, t in enumerate(_hourly(6)))
    path = _write(tmp_path, "time,y\n" + rows)
    series = load_series(path, ["y"])
    assert series.frame["y"].iloc[2] == 1002.5
    assert any("--thousands , says so" in n for n in series.notes)
    series = load_series(path, ["y"], options=DataOptions(thousands=","))
    assert series.frame["y"].iloc[2] == 1002.5


def _german(tmp_path, values) -> Path:
    days = pd.date_range("2020-01-01", periods=len(values))
    rows = "".join(f"{d:%d.%m.%Y};{v}\n" for d, v in zip(days, values))
    return _write(tmp_path, "Datum;Menge\n" + rows)


def test_dot_thousands_beside_whole_numbers_are_refused_and_the_flags_read_them(tmp_path):
    """A German export: 1.262 (one thousand two hundred and sixty-two) beside 864. Read with '.'
    as the decimal mark the series jumped a thousandfold, silently."""
    truth = (1000 + 300 * np.sin(np.arange(60) / 3)).round().astype(int)
    path = _german(tmp_path, [f"{v:,}".replace(",", ".") for v in truth])
    assert {"." in f"{v:,}".replace(",", ".") for v in truth} == {True, False}  # both kinds written
    with pytest.raises(DataError, match=r"thousandfold apart .*Add --decimal , --thousands \."):
        load_series(path, ["Menge"])
    series = load_series(path, ["Menge"], options=DataOptions(decimal=",", thousands="."))
    np.testing.assert_array_equal(series.frame["Menge"].to_numpy(), truth)  # and the dates as dates
    assert series.frame.index[0] == pd.Timestamp("2020-01-01") and series.freq == "D"
    decimals = _german(tmp_path, [f"{150 + i / 4:g}" for i in range(60)])  # 150, 150.25, 150.5 ...
    assert load_series(decimals, ["Menge"]).frame["Menge"].iloc[1] == 150.25


def test_dot_thousands_on_every_value_of_a_semicolon_file_get_a_note(tmp_path):
    """Every value 10,000 or more, written 10.856: nothing whole beside them to prove it, but a ';'
    file (a decimal-comma locale's) whose every value needs three decimals is told what to add."""
    truth = (10000 + 900 * np.sin(np.arange(60) / 3)).round().astype(int)
    truth[truth % 10 == 0] += 1  # every one needs its third digit after the dot
    series = load_series(_german(tmp_path, [f"{v:,}".replace(",", ".") for v in truth]), ["Menge"])
    note = next(n for n in series.notes if "three digits after '.'" in n)
    assert "add --decimal , --thousands ." in note and f"meaning {truth[0]}" in note
    decimals = _german(tmp_path, [f"{150 + i / 4:.2f}" for i in range(60)])  # 150.00, 150.25: no note
    assert not any("three digits" in n for n in load_series(decimals, ["Menge"]).notes)
    commas = tmp_path / "comma.csv"  # the same values in a ',' file read as decimals without a note
    commas.write_text("day,v\n" + "".join(f"2020-01-{i + 1:02d},{v / 1000:.3f}\n" for i, v in enumerate(truth[:28])))
    assert not any("three digits" in n for n in load_series(commas, ["v"]).notes)


def test_tab_separated_file_with_bom(tmp_path):
    rows = "".join(f"{t:%Y-%m-%d %H:%M}\t{i}\n" for i, t in enumerate(_hourly(6)))
    path = tmp_path / "s.tsv"
    path.write_bytes("\ufefftime\ty\n".encode() + rows.encode())
    series = load_series(path, ["y"])
    assert series.time == "time"
    assert series.frame["y"].tolist() == [0, 1, 2, 3, 4, 5]


def test_parquet_file(tmp_path):
    frame = pd.DataFrame({"time": _hourly(8), "y": np.arange(8.0)})
    path = tmp_path / "s.parquet"
    frame.to_parquet(path)
    series = load_series(path, ["y"])
    assert series.freq == "h"
    assert series.frame["y"].iloc[-1] == 7.0


def test_long_file_with_id_gives_one_frame_per_series(tmp_path):
    lines = ["when,ticker,close"]
    for name, n in (("B", 12), ("A", 9)):
        lines += [f"{t:%Y-%m-%d},{name},{i}" for i, t in enumerate(pd.bdate_range("2024-01-01", periods=n))]
    text = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"  # newest first, as in many exports
    series = load_series(_write(tmp_path, text), ["close"], options=DataOptions(id="ticker"))
    assert series.is_panel and series.id == "ticker" and series.target == "close"
    assert list(series.frames) == ["A", "B"]
    assert len(series.frames["A"]) == 9 and len(series.frames["B"]) == 12
    assert series.freq == "B"
    assert series.frames["A"]["close"].tolist() == list(range(9))


def test_wide_file_with_several_targets(tmp_path):
    rows = "".join(f"{t},{i},{10 * i},{i % 3}\n" for i, t in enumerate(_hourly(10)))
    path = _write(tmp_path, "time,a,b,x\n" + rows)
    series = load_series(path, ["a", "b", "x"], n_targets=2)
    assert series.id == "series" and series.target == "value"
    assert list(series.frames) == ["a", "b"]
    assert series.frames["b"].columns.tolist() == ["value", "x"]
    assert series.frames["b"]["value"].iloc[2] == 20.0


def test_unknown_id_column(tmp_path):
    path = _write(tmp_path, "time,y\n" + "".join(f"{t},{i}\n" for i, t in enumerate(_hourly(5))))
    with pytest.raises(DataError, match=r"Id column 'sym' not found.*Columns: time, y"):
        load_series(path, ["y"], options=DataOptions(id="sym"))


@pytest.mark.parametrize(("stamps", "rule"), [
    # ten-minute readings a few seconds late each (the most common step 601 s): round to 10min
    (pd.date_range("2023-01-01", periods=300, freq="10min") + pd.to_timedelta(np.arange(300) % 7, unit="s"), "10min"),
    # Friday weeks, five of them moved to Thursday for holidays: weeks ending Friday, not 7D
    (pd.DatetimeIndex([t - pd.Timedelta(days=1) if i % 20 == 7 else t
                       for i, t in enumerate(pd.date_range("2015-01-02", periods=100, freq="W-FRI"))]), "W-FRI"),
], ids=["jittered 10 min", "weekly with holiday shifts"])
def test_off_grid_stamps_get_a_round_resample_rule_that_loads(tmp_path, stamps, rule):
    path = _write(tmp_path, "time,y\n" + "".join(f"{t},{i % 9}\n" for i, t in enumerate(stamps)))
    with pytest.raises(DataError, match=rf"off the .* grid.*--resample {rule} "):
        load_series(path, ["y"])
    series = load_series(path, ["y"], options=DataOptions(resample=rule))
    assert series.freq == rule and len(series.frame) == len(stamps)


def test_days_missing_on_one_weekday_only_suggest_fill_zero(tmp_path):
    days = [d for d in pd.date_range("2024-01-01", periods=70, freq="D") if d.day_name() != "Sunday"]
    path = _write(tmp_path, "day,sales\n" + "".join(f"{d:%Y-%m-%d},{100 + i % 6}\n" for i, d in enumerate(days)))
    notes = load_series(path, ["sales"]).notes
    assert "all 9 inserted days are Sundays" in " ".join(notes) and "--fill zero" in " ".join(notes)
    zeros = load_series(path, ["sales"], options=DataOptions(fill="zero"))
    assert (zeros.frame["sales"][zeros.frame.index.day_name() == "Sunday"] == 0).all()
    assert not any("Sundays" in n for n in zeros.notes)  # said only where interpolation invents them


def test_blank_target_rows_at_the_start_and_end_are_left_out_not_invented(tmp_path):
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    sales = ["" if i < 3 or i >= 33 else str(100 + i) for i in range(40)]  # a --future layout's tail
    path = _write(tmp_path, "day,sales,promo\n" + "".join(f"{d:%Y-%m-%d},{s},{i % 2}\n"
                                                           for i, (d, s) in enumerate(zip(days, sales))))
    series = load_series(path, ["sales", "promo"])
    assert series.frame.index[0] == days[3] and series.frame.index[-1] == days[32]
    assert series.filled == {"sales": 0, "promo": 0}
    assert "3 rows before the first target value (2024-01-04) left out" in series.notes
    assert "7 rows after the last target value (2024-02-02) left out: the forecast starts after it" in series.notes


def test_an_id_column_of_mostly_distinct_values_is_refused_as_no_id(tmp_path):
    rows = "".join(f"{t:%Y-%m-%d %H:%M},{i},{i / 10}\n" for i, t in enumerate(_hourly(40)))
    path = _write(tmp_path, "time,y,temp\n" + rows)
    with pytest.raises(DataError, match="--id column 'temp' has 40 different values in 40 rows"):
        load_series(path, ["y"], options=DataOptions(id="temp"))


def test_resampling_leaves_out_periods_the_rows_do_not_fill(tmp_path):
    """400 days from Wednesday 2020-01-01 summed by week: the first week (5 days) and the last
    (3 days) were kept as weeks, at about half a week's sum."""
    days = pd.date_range("2020-01-01", periods=400, freq="D")
    path = _write(tmp_path, "date,sales\n" + "".join(f"{t:%Y-%m-%d},10\n" for t in days))
    series = load_series(path, ["sales"], options=DataOptions(resample="W", agg="sum"))
    assert (series.frame["sales"] == 70).all()
    assert series.frame.index[0] == pd.Timestamp("2020-01-12") and series.frame.index[-1] == pd.Timestamp("2021-01-31")
    assert any("2 incomplete W period(s) at the ends left out (2020-01-05, 2021-02-07)" in n for n in series.notes)


def test_a_sum_over_a_period_that_misses_rows_is_treated_as_missing(tmp_path):
    """A logger down 12 of a day's 24 hours summed half a day's use: that day is filled instead;
    a shop shut every Sunday sums 6 days every week, and its weeks are all kept."""
    hours = pd.date_range("2023-01-01", periods=20 * 24, freq="h")
    hours = hours[(hours < "2023-01-10 06:00") | (hours >= "2023-01-10 18:00")]
    path = _write(tmp_path, "time,kwh\n" + "".join(f"{t},1\n" for t in hours))
    series = load_series(path, ["kwh"], options=DataOptions(resample="D", agg="sum"))
    assert (series.frame["kwh"] == 24).all() and series.filled == {"kwh": 1}  # interpolated, not 12
    assert any("1 D period(s) miss some of their rows (e.g. 2023-01-10: 12 of 24 values)" in n for n in series.notes)
    days = pd.date_range("2023-01-02", periods=210, freq="D")
    path = _write(tmp_path, "date,sales\n" + "".join(f"{t:%Y-%m-%d},10\n" for t in days if t.dayofweek != 6))
    weeks = load_series(path, ["sales"], options=DataOptions(resample="W", agg="sum"))
    assert (weeks.frame["sales"] == 60).all() and not any("miss some" in n for n in weeks.notes)
    # weekday sales with US holidays (read as trading days): Thanksgiving's week sums its 4 days, as it was;
    # one week in five was masked and interpolated, and the last week (Christmas) left out
    from pandas.tseries.holiday import USFederalHolidayCalendar

    open_days = pd.bdate_range("2022-01-03", "2023-12-29")
    open_days = open_days[~open_days.isin(USFederalHolidayCalendar().holidays("2022-01-01", "2023-12-31"))]
    path = _write(tmp_path, "date,sales\n" + "".join(f"{t:%Y-%m-%d},10\n" for t in open_days))
    trading = load_series(path, ["sales"], options=DataOptions(resample="W-FRI", agg="sum"))
    assert not any(trading.filled.values()) and not any("miss some" in n for n in trading.notes)
    assert trading.frame.loc["2022-11-25", "sales"] == 40 and trading.frame.index[-1] == pd.Timestamp("2023-12-29")
    assert trading.frame["sales"].sum() == 10 * len(open_days)


@pytest.mark.parametrize(("flags", "message"), [
    ({"resample": "h"}, "--resample h is finer than the rows"),
    ({"resample": "W", "freq": "D"}, "--freq and --resample both set the step"),
])
def test_resampling_to_a_finer_step_or_beside_freq_is_refused(tmp_path, flags, message):
    days = pd.date_range("2020-01-01", periods=60, freq="D")
    path = _write(tmp_path, "date,sales\n" + "".join(f"{t:%Y-%m-%d},{i}\n" for i, t in enumerate(days)))
    with pytest.raises((ConfigError, DataError), match=message):
        load_series(path, ["sales"], options=DataOptions(**flags))


def test_freq_b_refuses_weekend_rows_instead_of_shifting_every_step(tmp_path):
    """Weekend rows under --freq B were kept as trading days: the forecast after a Thursday was
    written as Friday, Monday, Tuesday where the rows meant Friday, Saturday, Sunday."""
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    path = tmp_path / "daily.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "y": np.arange(60.0)}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"not business days of --freq B \(e.g. 2024-01-06, a Saturday\)"):
        load_series(path, ["y"], options=DataOptions(freq="B"))
    weekdays = days[days.dayofweek < 5]
    pd.DataFrame({"day": weekdays.strftime("%Y-%m-%d"), "y": np.arange(len(weekdays), dtype=float)}).to_csv(
        path, index=False)
    assert load_series(path, ["y"], options=DataOptions(freq="B")).freq == "B"


def test_a_half_hourly_autumn_clock_change_is_named(tmp_path):
    """Local 30-minute times repeat 02:00 and 02:30 on the night clocks go back: the note was
    given for hourly files only, and only where the file also held the spring gap."""
    stamps = pd.date_range("2023-10-20", "2023-11-05", freq="30min", tz="Europe/Berlin").tz_localize(None)
    path = tmp_path / "dst30.csv"
    pd.DataFrame({"time": stamps.strftime("%Y-%m-%d %H:%M"), "v": np.arange(len(stamps), dtype=float)}).to_csv(
        path, index=False)
    notes = load_series(path, ["v"]).notes
    assert any("2 of the 2 repeated and 0 missing steps fall in daylight-saving months" in n for n in notes), notes


def test_hours_the_clock_turned_back_are_summed_into_their_day(tmp_path):
    """Local hourly kWh summed by day: the repeated 02:00 was averaged first, so 29 October summed 24 hours
    of use where it had 25. --agg mean and a merged export's repeats (not at night) stay averaged."""
    stamps = pd.date_range("2023-10-01", "2023-11-30 23:00", freq="h", tz="Europe/Berlin").tz_localize(None)
    path = tmp_path / "kwh.csv"
    pd.DataFrame({"time": stamps.strftime("%Y-%m-%d %H:%M"), "kwh": 1.0}).to_csv(path, index=False)
    days = load_series(path, ["kwh"], options=DataOptions(resample="D", agg="sum"))
    assert days.frame.loc["2023-10-29", "kwh"] == 25 and (days.frame["kwh"].drop(pd.Timestamp("2023-10-29")) == 24).all()
    assert "1 duplicate timestamps merged (sum: hours the clock turned back, each period's sum holds both)" in days.notes
    assert load_series(path, ["kwh"], options=DataOptions(resample="D", agg="mean")).frame["kwh"].eq(1).all()
    noon = stamps.append(pd.DatetimeIndex(["2023-10-10 12:00"])).sort_values()  # a row exported twice
    pd.DataFrame({"time": noon.strftime("%Y-%m-%d %H:%M"), "kwh": 1.0}).to_csv(path, index=False)
    merged = load_series(path, ["kwh"], options=DataOptions(resample="D", agg="sum"))
    assert merged.frame.loc["2023-10-10", "kwh"] == 24 and "2 duplicate timestamps merged (mean)" in merged.notes


def test_a_value_far_outside_the_rest_gets_a_note_naming_its_row(tmp_path):
    """One 1e9 typed into a series near 1,100 had the forecast in the millions, unremarked."""
    rng = np.random.default_rng(3)
    y = 1100 + rng.normal(0, 40, 60)
    y[41] = 1e9
    days = pd.date_range("2023-01-01", periods=60)
    path = _write(tmp_path, "date,value\n" + "".join(f"{d:%Y-%m-%d},{v:.2f}\n" for d, v in zip(days, y)))
    note = next(n for n in load_series(path, ["value"]).notes if "far outside" in n)
    assert note.startswith("column 'value' has 1 value far outside the rest: 1e+09 on row 43 (most lie in ")
    calm = _write(tmp_path, "date,value\n" + "".join(f"{d:%Y-%m-%d},{v:.2f}\n" for d, v in zip(days, y[:41])),
                  "calm.csv")
    assert not any("far outside" in n for n in load_series(calm, ["value"]).notes)
    spiky = np.zeros(60)  # intermittent: mostly 0, a few orders of any size, is not "far"
    spiky[[5, 20, 47]] = [3.0, 250.0, 12.0]
    lumpy = _write(tmp_path, "date,value\n" + "".join(f"{d:%Y-%m-%d},{v:g}\n" for d, v in zip(days, spiky)), "l.csv")
    assert not any("far outside" in n for n in load_series(lumpy, ["value"]).notes)


def test_each_series_of_a_panel_is_judged_far_or_not_against_its_own_values(tmp_path):
    days = pd.date_range("2023-01-01", periods=60)
    parts = []
    for k in range(20):  # one store 1e6, nineteen near 10-200: the big one is not "far"
        y = (1e6 if k == 0 else 10.0 * (k + 1)) + np.sin(np.arange(60))
        if k == 3:
            y[30] = 1e9
        parts.append(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "id": f"s{k}", "v": y}))
    pd.concat(parts).to_csv(tmp_path / "p.csv", index=False)
    notes = [n for n in load_series(tmp_path / "p.csv", ["v"], options=DataOptions(id="id")).notes if "far" in n]
    assert len(notes) == 1 and notes[0].startswith("column 'v' has 1 value far outside the rest of its series: "
                                                   "1e+09 on row 212")


def test_a_twelve_hour_clock_without_am_pm_is_refused(tmp_path):
    """1:00 pm written 01:00 was merged into 1:00 am, and every afternoon made up by interpolation."""
    hours = pd.date_range("2023-01-01", periods=200, freq="h")
    path = _write(tmp_path, "time,y\n" + "".join(f"{t:%Y-%m-%d %I:%M},{i % 24}\n" for i, t in enumerate(hours)))
    with pytest.raises(DataError, match=r"never pass 12:59 and repeat each day \(96 repeated\): a 12-hour clock "
                                        r"without AM/PM\? Write the times on a 24-hour clock"):
        load_series(path, ["y"])
    path = _write(tmp_path, "time,y\n" + "".join(f"{t:%Y-%m-%d %I:%M %p},{i % 24}\n" for i, t in enumerate(hours)))
    assert len(load_series(path, ["y"]).frame) == 200  # with AM/PM: read right
    half = [t for t in hours if t.hour <= 12]  # a half-day shop, every row exported twice: 00:00 is no 12-hour clock
    path = _write(tmp_path, "time,y\n" + "".join(f"{t:%Y-%m-%d %H:%M},{t.hour}\n" for t in half for _ in (1, 2)))
    assert "duplicate timestamps merged" in " ".join(load_series(path, ["y"]).notes)


def test_resample_to_the_rows_own_month_is_kept_so_a_panels_advice_works(tmp_path):
    """From January a month's next step is February (28 days): MS was called finer than monthly rows."""
    months = pd.date_range("2015-01-01", periods=36, freq="MS")
    path = _write(tmp_path, "date,y\n" + "".join(f"{t:%Y-%m-%d},{i % 12}\n" for i, t in enumerate(months)))
    series = load_series(path, ["y"], options=DataOptions(resample="MS"))
    assert series.freq == "MS" and len(series.frame) == 36
    days = pd.date_range("2015-01-01", periods=365, freq="D")
    rows = [f"A,{t:%Y-%m-%d},1\n" for t in days] + [f"B,{t:%Y-%m-%d},{i}\n" for i, t in enumerate(months[:12])]
    path = _write(tmp_path, "id,date,y\n" + "".join(rows))
    with pytest.raises(DataError, match="Give --resample MS"):
        load_series(path, ["y"], options=DataOptions(id="id"))
    panel = load_series(path, ["y"], options=DataOptions(id="id", resample="MS"))
    assert panel.freq == "MS" and len(panel.frames["B"]) == 12


def test_monthly_rows_on_the_15th_resampled_by_month_keep_their_last_month(tmp_path):
    """One row a month is a full month: December's value was dropped as an 'incomplete period'."""
    months = pd.date_range("2015-01-01", periods=48, freq="MS") + pd.Timedelta(days=14)
    path = _write(tmp_path, "date,y\n" + "".join(f"{t:%Y-%m-%d},{i}\n" for i, t in enumerate(months)))
    series = load_series(path, ["y"], options=DataOptions(resample="ME"))
    assert len(series.frame) == 48 and series.frame["y"].iloc[-1] == 47
    assert series.frame.index[-1] == pd.Timestamp("2018-12-31")
    assert not any("incomplete" in n for n in series.notes)


def test_summing_by_day_names_the_features_it_sums_too(tmp_path):
    """A temperature summed over 24 hours is 24 times itself: said, with the flag that keeps it."""
    hours = pd.date_range("2023-01-01", periods=24 * 20, freq="h")
    path = _write(tmp_path, "time,kwh,temp_c\n" + "".join(f"{t},1,5\n" for t in hours))
    series = load_series(path, ["kwh", "temp_c"], options=DataOptions(resample="D", agg="sum"))
    assert (series.frame["temp_c"] == 120).all()
    assert "--agg sum sums temp_c too; if they are levels (temperatures, prices), --agg mean keeps their units" \
        in series.notes


@pytest.mark.parametrize(("stamps", "name", "rule"), [
    # a monthly report moved from the 15th to the 1st: "60 timestamps off the ME grid, --resample ME"
    (list(pd.date_range("2005-01-01", periods=30, freq="MS") + pd.Timedelta(days=14))
     + list(pd.date_range("2007-07-01", periods=30, freq="MS")), "month", "MS"),
    # quarterly figures dated at quarter ends, later at quarter starts
    (list(pd.date_range("2000-03-31", periods=20, freq="QE")) + list(pd.date_range("2005-01-01", periods=20, freq="QS")),
     "quarter", "QS"),
], ids=["month day moved", "quarter ends then starts"])
def test_one_row_a_period_on_moving_days_is_named_and_resample_reads_it(tmp_path, stamps, name, rule):
    path = _write(tmp_path, "time,y\n" + "".join(f"{t:%Y-%m-%d},{i % 9}\n" for i, t in enumerate(stamps)))
    with pytest.raises(DataError, match=rf"one row a {name}, but not on one day of the {name} \(e.g. "
                                        rf"{stamps[0]:%Y-%m-%d} and .*--resample {rule} "):
        load_series(path, ["y"])
    series = load_series(path, ["y"], options=DataOptions(resample=rule))
    assert len(series.frame) == len(stamps) and series.frame["y"].tolist() == [i % 9 for i in range(len(stamps))]


@pytest.mark.parametrize(("rule", "days"), [("SMS", "the 1st and 15th"), ("SME", "the 15th and last day")])
def test_rows_twice_a_month_are_named_and_the_freq_that_reads_them_given(tmp_path, rule, days):
    """Rows on the 1st and 15th got "off the 14D grid, use --resample 14D", which invented 8 values;
    --freq SMS reads them as they are."""
    stamps = pd.date_range("2015-01-01", periods=100, freq=rule)
    path = _write(tmp_path, "time,y\n" + "".join(f"{t:%Y-%m-%d},{i % 9}\n" for i, t in enumerate(stamps)))
    with pytest.raises(DataError, match=rf"rows on {days} of each month \(e.g. {stamps[0]:%Y-%m-%d} and "
                                        rf"{stamps[1]:%Y-%m-%d}\), not every .*Give --freq {rule} to read them"):
        load_series(path, ["y"])
    series = load_series(path, ["y"], options=DataOptions(freq=rule))
    assert len(series.frame) == 100 and series.frame["y"].tolist() == [i % 9 for i in range(100)]


@pytest.mark.parametrize(("freq", "resample"), [("ME", False), ("QS", True), ("W", False)])
def test_a_freq_other_than_the_rows_own_names_their_own(tmp_path, freq, resample):
    """Monthly rows on the 1st read at --freq ME were "not on one day of the month (e.g. 2015-01-01 and
    2015-01-01)", at --freq QS "rows on the 1st and 15th ... Give --freq SMS": both untrue."""
    stamps = pd.date_range("2015-01-01", periods=40, freq="MS")
    path = _write(tmp_path, "time,y\n" + "".join(f"{t:%Y-%m-%d},{i % 9}\n" for i, t in enumerate(stamps)))
    with pytest.raises(DataError, match=rf"off the {freq} grid .*the rows are every MS \(2015-01-01, 2015-02-01"
                                        rf"\.\.\.\)\. Give --freq MS, or leave --freq out"
                                        + (rf", or --resample {freq} to aggregate them\.$" if resample else r"\.$")):
        load_series(path, ["y"], options=DataOptions(freq=freq))


def test_a_series_of_one_row_beside_longer_ones_is_left_out_with_a_note(tmp_path):
    """A store open one day refused the whole file ("has only 1 distinct timestamps"); too-short series are
    left out with a note. Alone, or when every series is that short, it is still refused."""
    days = pd.date_range("2023-01-01", periods=60, freq="D")
    rows = [f"{d:%Y-%m-%d},{s},{10 + k + i % 7}" for k, s in enumerate(["a", "b"]) for i, d in enumerate(days)]
    path = _write(tmp_path, "date,store,sales\n" + "\n".join([*rows, "2023-03-01,new,5"]) + "\n")
    series = load_series(path, ["sales"], options=DataOptions(id="store"))
    assert sorted(series.frames) == ["a", "b"] and series.freq == "D"
    assert "new: left out: only 1 distinct timestamp(s), too few to read a step from" in series.notes
    alone = _write(tmp_path, "date,store,sales\n2023-03-01,new,5\n2023-03-02,new,6\n", "alone.csv")
    with pytest.raises(DataError, match="alone.csv has only 2 distinct timestamps"):
        load_series(alone, ["sales"], options=DataOptions(id="store"))
    both = _write(tmp_path, "date,store,sales\n2023-03-01,x,5\n2023-03-01,y,6\n", "both.csv")
    with pytest.raises(DataError, match="Series 'x' has only 1 distinct timestamps"):
        load_series(both, ["sales"], options=DataOptions(id="store"))
