"""Tests for forecast.data and forecast.frequency.

Bad files raise one DataError that names the problem; good files come back sorted,
de-duplicated and on a regular index, with what was changed listed in ``notes``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import frequency
from forecast.data import DataOptions, load_series
from forecast.errors import DataError

pytestmark = [
    # pandas warns about how it guessed day-first dates; guessing them is what these tests check
    pytest.mark.filterwarnings("ignore:Could not infer format:UserWarning"),
    pytest.mark.filterwarnings("ignore:Parsing dates in .* format when dayfirst:UserWarning"),
]


def _stamps(n: int, start: str = "2020-01-01 00:00", freq: str = "h", fmt: str = "%Y-%m-%d %H:%M"):
    return [f"{t:{fmt}}" for t in pd.date_range(start, periods=n, freq=freq)]


def _csv(rows: list[str], header: str = "time,y") -> bytes:
    return (header + "\n" + "".join(f"{r}\n" for r in rows)).encode()


def _write(tmp_path: Path, content: bytes, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


T = _stamps(4)
MISSING = object()  # no file at the path
DIRECTORY = object()  # a folder at the path

BAD_INPUTS = [
    pytest.param(MISSING, ["y"], None, r"series\.csv not found", id="missing-file"),
    pytest.param(DIRECTORY, ["y"], None, r"is a directory, not a CSV file", id="directory"),
    pytest.param(b"", ["y"], None, r"is empty", id="empty-file"),
    pytest.param(b"  \n\n", ["y"], None, r"is empty", id="whitespace-only"),
    pytest.param(b"time,y\n", ["y"], None, r"has a header but no data rows", id="header-only"),
    pytest.param(b"\x00\x01\x02PK\x03\x04\x00\xff" * 8, ["y"], None, r"looks binary", id="binary"),
    pytest.param(
        _csv([f"{T[0]},1", f"{T[1]},caf"]).replace(b"caf", b"caf\xe9"),  # latin-1 é
        ["y"],
        None,
        r"not numeric \(e.g. 'café' on row 3\)",  # read as Windows-1252: the é is right
        id="latin-1",
    ),
    pytest.param(
        _csv([f"{T[0]},1", f"{T[1]},2,99", f"{T[2]},3"]),
        ["y"],
        None,
        r"different number of fields than the header .*line 3, saw 3",
        id="ragged-row",
    ),
    pytest.param(
        _csv([f"{t},1,2" for t in T], header="time,y,y"),
        ["y"],
        None,
        r"duplicate column names: y\. Rename them",
        id="duplicate-columns",
    ),
    pytest.param(
        _csv([f"{t},{i}.5" for i, t in enumerate(T[1:])], header=f"{T[0]},100.25"),
        ["y"],
        None,
        rf"seems to have no header row: its first row \('{T[0]},100.25'\) holds dates and numbers\. Add a header",
        id="no-header",
    ),
    pytest.param(
        _csv(["1,1", "2,2", "3,3"], header="a,y"),
        ["y"],
        None,
        r"No time column found in series\.csv \(columns: a, y\)\. Name it with --time",
        id="no-time-column",
    ),
    pytest.param(
        _csv(["foo,1", "bar,2", "baz,3"], header="when,y"),
        ["y"],
        "when",
        r"Column 'when' has dates that cannot be parsed",
        id="unparseable-dates",
    ),
    pytest.param(
        _csv([f"{t},1" for t in T], header="time,y"),
        ["z"],
        None,
        r"Column 'z' not found in series\.csv\. Columns: time, y\.",
        id="target-missing",
    ),
    pytest.param(
        _csv([f"{T[0]},1", f"{T[1]},abc", f"{T[2]},3"]),
        ["y"],
        None,
        r"Column 'y' is not numeric \(e\.g\. 'abc' on row 3\)",
        id="target-non-numeric",
    ),
    pytest.param(  # not '98,673' on row 2 with "add --decimal ,", a thousandfold misreading
        _csv([f"{T[0]},\"98,673\"", f"{T[1]},\"108,122\"", f"{T[2]},-"]),
        ["y"],
        None,
        r"Column 'y' is not numeric \(e\.g\. '-' on row 4\)\. Choose a numeric column, or mark such values missing",
        id="non-numeric-beside-thousands",
    ),
    pytest.param(
        _csv([f"{t}," for t in T]),
        ["y"],
        None,
        r"Column 'y' has no values \(all empty\)",
        id="target-all-empty",
    ),
    pytest.param(
        _csv([f"{T[0]},1", f"{T[1]},inf", f"{T[2]},3"]),
        ["y"],
        None,
        r"Column 'y' holds infinite values",
        id="infinite",
    ),
    pytest.param(
        _csv([f"{T[0]},1", f"{T[1]},-inf", f"{T[2]},3"]),
        ["y"],
        None,
        r"Column 'y' holds infinite values",
        id="minus-infinite",
    ),
    pytest.param(
        _csv([f"{T[0]},1", f"{T[1]},2"]),
        ["y"],
        None,
        r"only 2 distinct timestamps",
        id="too-short",
    ),
]


@pytest.mark.parametrize(("content", "columns", "time", "match"), BAD_INPUTS)
def test_bad_input_raises_data_error(tmp_path, content, columns, time, match):
    path = tmp_path / "series.csv"
    if content is DIRECTORY:
        path.mkdir()
    elif content is not MISSING:
        path.write_bytes(content)
    with pytest.raises(DataError, match=match):
        load_series(path, columns, time=time)


def test_data_error_message_is_one_line(tmp_path):
    path = _write(tmp_path, _csv([f"{T[0]},1", f"{T[1]},2,99", f"{T[2]},3"]))
    with pytest.raises(DataError) as info:
        load_series(path, ["y"])
    assert "\n" not in str(info.value)


# --- bugs found while writing these tests (see the reason of each marker) ---


def test_blank_time_cell_raises_data_error(tmp_path):
    path = _write(tmp_path, _csv([f"{T[0]},1", ",2", f"{T[2]},3", f"{T[3]},4"]))
    with pytest.raises(DataError, match="time"):
        load_series(path, ["y"], time="time")


def test_unparseable_date_message_names_the_bad_value(tmp_path):
    path = _write(tmp_path, _csv([f"{T[0]},1", "not a date,2", f"{T[2]},3", f"{T[3]},4"]))
    with pytest.raises(DataError, match="not a date"):
        load_series(path, ["y"], time="time")


def test_extra_field_on_first_row_is_reported_as_ragged(tmp_path):
    path = _write(tmp_path, _csv([f"{T[0]},1,99", f"{T[1]},2", f"{T[2]},3"]))
    with pytest.raises(DataError, match="different number of fields"):
        load_series(path, ["y"])


def test_utf8_character_across_the_64k_sniff_limit_loads(tmp_path):
    stamps = _stamps(4000)
    text = "time,y,note\n"
    i = 0
    while len(text.encode()) < 65536 - 64:
        text += f"{stamps[i]},{i},a\n"
        i += 1
    prefix = f"{stamps[i]},{i},"
    pad = 65536 - len(text.encode()) - len(prefix.encode()) - 1
    text += prefix + "a" * pad + "é\n"  # é's two bytes sit at offsets 65535 and 65536
    text += "".join(f"{stamps[j]},{j},b\n" for j in range(i + 1, i + 10))
    assert text.encode()[65535:65537] == "é".encode()
    path = _write(tmp_path, text.encode())
    series = load_series(path, ["y"])
    assert len(series.frame) == i + 10


# --- good files ---


def test_unsorted_rows_are_sorted(tmp_path):
    rows = [f"{T[2]},3", f"{T[0]},1", f"{T[3]},4", f"{T[1]},2"]
    series = load_series(_write(tmp_path, _csv(rows)), ["y"])
    assert series.frame.index.is_monotonic_increasing
    assert series.frame["y"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert "rows sorted by time" in series.notes
    assert series.time == "time"
    assert series.freq == "h"


def test_duplicate_timestamps_are_averaged(tmp_path):
    rows = [f"{T[0]},1", f"{T[1]},2", f"{T[1]},4", f"{T[2]},5", f"{T[3]},6"]
    series = load_series(_write(tmp_path, _csv(rows)), ["y"])
    assert len(series.frame) == 4
    assert not series.frame.index.has_duplicates
    assert series.frame["y"].tolist() == [1.0, 3.0, 5.0, 6.0]
    assert "1 duplicate timestamps merged (mean)" in series.notes


def test_missing_hourly_step_is_inserted_and_interpolated(tmp_path):
    s = _stamps(6)
    rows = [f"{s[0]},1", f"{s[1]},2", f"{s[3]},6", f"{s[4]},7", f"{s[5]},8"]  # s[2] missing
    series = load_series(_write(tmp_path, _csv(rows)), ["y"])
    frame = series.frame
    assert len(frame) == 6
    assert frame.index[2] == pd.Timestamp(s[2])
    assert frame["y"].iloc[2] == pytest.approx(4.0)  # halfway between 2 and 6
    assert series.filled == {"y": 1}
    assert "1 missing time step inserted" in series.notes
    assert any("linear interpolation" in note for note in series.notes)
    assert np.isfinite(frame["y"]).all()


def _dayfirst_file(tmp_path: Path) -> Path:
    stamps = _stamps(48, start="2002-01-13 01:00", fmt="%d-%m-%Y %H:%M")
    assert stamps[0] == "13-01-2002 01:00"
    return _write(tmp_path, _csv([f"{t},{i}" for i, t in enumerate(stamps)]))


def test_dayfirst_dates_are_parsed_to_the_right_day(tmp_path):
    series = load_series(_dayfirst_file(tmp_path), ["y"])
    assert series.frame.index[0] == pd.Timestamp("2002-01-13 01:00")
    assert series.frame.index[-1] == pd.Timestamp("2002-01-15 00:00")
    assert series.freq == "h"
    assert series.notes == [
        "dates read day first (%d-%m-%Y %H:%M): '13-01-2002 01:00' on row 2 can only be day first"
    ]


def test_dayfirst_dates_are_detected(tmp_path):
    series = load_series(_dayfirst_file(tmp_path), ["y"])
    assert series.dayfirst is True


def test_trading_days_get_business_frequency_and_are_not_reindexed(tmp_path):
    holidays = {pd.Timestamp("2023-12-25"), pd.Timestamp("2024-01-01")}
    days = [d for d in pd.bdate_range("2023-12-18", "2024-01-31") if d not in holidays]
    content = _csv([f"{d:%Y-%m-%d},{100 + i}" for i, d in enumerate(days)], header="Date,Close")
    series = load_series(_write(tmp_path, content), ["Close"])
    assert series.freq == "B"
    assert len(series.frame) == len(days)
    assert not holidays & set(series.frame.index)
    assert series.filled == {"Close": 0}
    assert not any("inserted" in note for note in series.notes)


def test_monthly_data_gets_month_start_frequency(tmp_path):
    months = _stamps(24, start="1949-01", freq="MS", fmt="%Y-%m")
    assert months[0] == "1949-01"
    content = _csv([f"{m},{100 + i}" for i, m in enumerate(months)], header="Month,Passengers")
    series = load_series(_write(tmp_path, content), ["Passengers"])
    assert series.freq == "MS"
    assert series.time == "Month"
    assert series.frame.index[0] == pd.Timestamp("1949-01-01")
    assert len(series.frame) == 24


@pytest.mark.parametrize(
    ("freq", "season"), [("h", 24), ("D", 7), ("B", 5), ("MS", 12), ("30min", 48)]
)
def test_season_length(freq, season):
    assert frequency.season_length(freq) == season


def test_future_index_after_friday_skips_the_weekend():
    friday = pd.Timestamp("2024-01-05")
    assert friday.day_name() == "Friday"
    future = frequency.future_index(friday, "B", 3)
    assert list(future) == [pd.Timestamp(d) for d in ("2024-01-08", "2024-01-09", "2024-01-10")]


@pytest.mark.parametrize(("written", "fragment"), [
    ("({:.1f})", "negative number in accounting parentheses: write it with a minus sign"),
    ("{:.1f}-", "negative number with its minus sign after it"),
])
def test_negatives_written_other_ways_are_named_not_sent_to_na_values(tmp_path, written, fragment):
    days = pd.date_range("2023-01-01", periods=30, freq="D").strftime("%Y-%m-%d")
    values = [written.format(abs(v)) if v < 0 else f"{v:.1f}" for v in np.sin(np.arange(30) / 3) * 20]
    path = tmp_path / "neg.csv"
    pd.DataFrame({"date": days, "y": values}).to_csv(path, index=False)
    with pytest.raises(DataError, match=fragment):
        load_series(path, ["y"])


def test_a_unicode_minus_reads_as_a_minus(tmp_path):
    """Word, Excel and PDF exports write U+2212: the same number as '-', with a note."""
    days = pd.date_range("2023-01-01", periods=30, freq="D").strftime("%Y-%m-%d")
    values = np.round(np.sin(np.arange(30) / 3) * 20, 1)
    path = tmp_path / "minus.csv"
    pd.DataFrame({"date": days, "y": [f"{v:.1f}".replace("-", "\u2212") for v in values]}).to_csv(path, index=False)
    series = load_series(path, ["y"])
    assert np.allclose(series.frame["y"].to_numpy(), values)
    assert "'y' writes minus signs as '\u2212' (U+2212): read as '-'" in series.notes


def test_a_thousand_columns_are_listed_short(tmp_path):
    from forecast.timefmt import listed

    assert listed(["a", "b"]) == "a, b" and listed([f"c{i}" for i in range(8)], 3) == "c0, c1, c2 and 5 more"
    frame = pd.DataFrame(np.ones((30, 1000)), columns=[f"c{i}" for i in range(1000)])
    frame.insert(0, "date", pd.date_range("2023-01-01", periods=30).strftime("%Y-%m-%d"))
    frame.to_csv(tmp_path / "wide.csv", index=False)
    with pytest.raises(DataError, match=r"Columns: date, c0, .*, c18 and 981 more\. Use --target") as info:
        load_series(tmp_path / "wide.csv", ["zz"])
    assert len(str(info.value)) < 400


@pytest.mark.parametrize("written", ["blank", "absent", "both"])
def test_a_target_mostly_blank_is_refused_as_one_mostly_absent_is(tmp_path, written):
    """y on 3 of 200 daily rows was 'Ready to train': the blanks were interpolated into a line, and
    the test part scored MASE 0 on it. The same values with the blank rows deleted were refused."""
    days = pd.date_range("2020-01-01", periods=200, freq="D")
    y = np.where(np.arange(200) % 10 < 3, np.arange(200) % 7 + 1.0, np.nan)  # 60 of 200 values, a day apart
    frame = pd.DataFrame({"time": days.strftime("%Y-%m-%d"), "y": y})
    if written == "absent":
        frame = frame.dropna()
    elif written == "both":
        frame = frame[(np.arange(200) < 100) | frame["y"].notna().to_numpy()]  # blanks, then absent rows
    frame.to_csv(tmp_path / "y.csv", index=False)
    with pytest.raises(DataError, match="so most of the series would be interpolated"):
        load_series(tmp_path / "y.csv", ["y"])
    zero = load_series(tmp_path / "y.csv", ["y"], options=DataOptions(fill="zero")).frame  # a blank means none
    assert len(zero) == 193 and (zero["y"] == 0).sum() == 133


def test_a_feature_ending_in_blanks_is_said_to_be_copied_not_interpolated(tmp_path):
    """The note said "linear interpolation (x: 20)", yet the last 20 values of x were copies of the
    last one, and predict then refused the bundle's own training file."""
    days = pd.date_range("2020-01-01", periods=120, freq="D")
    x = np.arange(120, dtype=float)
    x[-20:] = np.nan
    x[50] = np.nan  # one inside: interpolated, and not named
    pd.DataFrame({"time": days.strftime("%Y-%m-%d"), "y": np.sin(np.arange(120)), "x": x}).to_csv(
        tmp_path / "f.csv", index=False)
    series = load_series(tmp_path / "f.csv", ["y", "x"])
    said = [n for n in series.notes if "blank" in n]
    assert said == ["x's last 20 values are blank: they are copies of its value at 2020-04-09, not interpolated, and "
                    "predict refuses a history ending so (fill them in the file, or predict --allow-filled)"]
    assert (series.frame["x"].iloc[-20:] == 99).all() and series.frame["x"].iloc[50] == 50


@pytest.mark.parametrize("freq", ["D", "B"])
def test_a_panels_series_mostly_blank_is_left_out_beside_the_others(tmp_path, freq):
    """Beside other series it is left out with a note, on calendar and on trading days alike."""
    days = pd.date_range("2020-01-06", periods=120, freq=freq)
    rows = []
    for name in ("a", "b", "c"):
        for i, d in enumerate(days):
            value = "" if name == "c" and i % 4 else f"{10 + i % 7}"  # c: one value in four
            rows.append(f"{d:%Y-%m-%d},{name},{value}")
    path = tmp_path / "panel.csv"
    path.write_text("date,store,sales\n" + "\n".join(rows) + "\n")
    series = load_series(path, ["sales"], options=DataOptions(id="store"))
    assert sorted(series.frames) == ["a", "b"]
    assert any("left out: more of its steps are missing than present" in n for n in series.notes), series.notes
