"""Files read right: encodings, separators, number formats and units (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecast.data import DataOptions, load_series
from forecast.errors import DataError
from forecast.reading import read_table, sniff_delimiter

DAYS = pd.date_range("2024-01-01", periods=30, freq="D")


def _text(sep: str = ",", values: list[str] | None = None, newline: str = "\n") -> str:
    values = values or [str(i) for i in range(len(DAYS))]
    return newline.join([f"date{sep}y", *(f"{d:%Y-%m-%d}{sep}{v}" for d, v in zip(DAYS, values))]) + newline


def _load(tmp_path: Path, data: bytes, name: str = "s.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return load_series(path, ["y"])


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")],
)
def test_utf8_and_utf16_with_a_bom_are_read(tmp_path, encoding, bom):
    series = _load(tmp_path, bom + _text().encode(encoding))
    assert series.freq == "D" and series.frame["y"].tolist() == list(range(30))
    assert series.time == "date"


def test_excel_unicode_text_export_is_read(tmp_path):
    """Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated, CRLF, decimal commas."""
    values = [f"{i},25" for i in range(30)]
    data = "\ufeff".encode("utf-16-le") + _text("\t", values, "\r\n").encode("utf-16-le")
    series = _load(tmp_path, data, "export.txt")
    assert series.frame["y"].iloc[3] == 3.25
    assert any("UTF-16" in n for n in series.notes)


def test_latin1_file_is_read_with_a_note(tmp_path):
    text = "date;y;Ort\n" + "".join(f"{d:%Y-%m-%d};{i};Köln\n" for i, d in enumerate(DAYS))
    path = tmp_path / "s.csv"
    path.write_bytes(text.encode("cp1252"))
    series = load_series(path, ["y"])
    assert len(series.frame) == 30
    assert any("not UTF-8: read as Windows-1252" in n for n in series.notes)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separators_are_sniffed(tmp_path, sep):
    assert _load(tmp_path, _text(sep).encode()).frame["y"].iloc[-1] == 29


def test_semicolon_beats_decimal_commas():
    assert sniff_delimiter("time;y\n2024-01-01;1,5\n2024-01-02;2,5\n") == ";"
    assert sniff_delimiter('time,y\n2024-01-01,"1,5"\n2024-01-02,"2,5"\n') == ","


def test_decimal_comma_flag_reads_a_comma_file_of_quoted_numbers(tmp_path):
    """"98,67" quoted in a comma file: read without flags, but --decimal , (which the note names) took the comma
    out of the delimiters and read one column 'date,y': 'No time column found'."""
    path = tmp_path / "s.csv"
    path.write_text(_text(",", [f'"{i},5"' for i in range(30)]))
    series = load_series(path, ["y"], options=DataOptions(decimal=","))
    assert series.frame["y"].iloc[3] == 3.5 and series.freq == "D"
    assert sniff_delimiter("time;y\n2024-01-01;1,5\n2024-01-02;2,5\n", exclude=",") == ";"


@pytest.mark.parametrize(
    ("values", "first", "flags"),
    [
        ([f"1.{i:03d},51" for i in range(30)], 1000.51, "--decimal , --thousands ."),
        ([f"1 {i:03d},51" for i in range(30)], 1000.51, "--decimal , --thousands ' '"),
        ([f"1\u202f{i:03d},5" for i in range(30)], 1000.5, "--decimal , --thousands ' '"),
        ([f"{i},5" for i in range(30)], 0.5, "--decimal ,"),
    ],
)
def test_european_numbers_are_read_with_a_note_naming_the_flags(tmp_path, values, first, flags):
    series = _load(tmp_path, _text(";", values).encode())
    assert series.frame["y"].iloc[0] == pytest.approx(first)
    assert any(f"({flags} says so)" in n for n in series.notes), series.notes


def test_ambiguous_numbers_name_both_readings(tmp_path):
    values = [f"1,{i + 100:03d}" for i in range(30)]
    with pytest.raises(DataError, match=r"'1,100' that read two ways: --decimal , reads 1.1, --thousands , "
                                        r"reads 1100"):
        _load(tmp_path, _text(";", values).encode())


@pytest.mark.parametrize(
    ("values", "unit"), [([f"{i}.3 kWh" for i in range(30)], "kWh"), ([f"{i}%" for i in range(30)], "%")]
)
def test_units_in_values_are_named_with_the_advice_to_strip_them(tmp_path, values, unit):
    with pytest.raises(DataError, match=rf"holds numbers with a unit \('0.3 kWh' on row 2\)|Strip '{unit}'"):
        _load(tmp_path, _text(",", values).encode())


def test_binary_file_is_still_refused(tmp_path):
    with pytest.raises(DataError, match="looks binary"):
        _load(tmp_path, b"\x00\x01\x02\xff" * 40)


def test_a_preamble_of_comment_lines_above_the_header_is_skipped(tmp_path):
    days = pd.date_range("2020-01-01", periods=30, freq="D")
    path = tmp_path / "agency.csv"
    path.write_text("# Source: some agency\n# Units: MW\n\ndate;load\n"
                    + "".join(f"{d:%Y-%m-%d};{i},5\n" for i, d in enumerate(days)), encoding="utf-8")
    series = load_series(path, ["load"])
    assert len(series.frame) == 30 and series.frame["load"].iloc[2] == pytest.approx(2.5)
    assert "3 comment lines above the header skipped" in series.notes


def test_a_title_line_above_the_header_is_skipped_with_a_note(tmp_path):
    days = pd.date_range("2021-01-01", periods=40).strftime("%Y-%m-%d")
    path = tmp_path / "report.csv"
    path.write_text("Sales report 2021\ndate;sales\n" + "".join(f"{d};{i},5\n" for i, d in enumerate(days)))
    series = load_series(path, ["sales"])
    assert len(series.frame) == 40 and series.frame["sales"].iloc[1] == 1.5
    assert any("('Sales report 2021') has no delimiter: read as a title" in n for n in series.notes)


def test_empty_rows_after_the_data_are_skipped_with_a_note(tmp_path):
    days = pd.date_range("2021-01-01", periods=40).strftime("%Y-%m-%d")
    path = tmp_path / "export.csv"
    path.write_text("date,sales\n" + "".join(f"{d},{i}\n" for i, d in enumerate(days)) + ",\n,\n\n")
    series = load_series(path, ["sales"])
    assert len(series.frame) == 40 and "2 empty rows at the end of the file skipped" in series.notes
    inside = tmp_path / "hole.csv"  # an empty row between data rows is still named, not dropped
    inside.write_text("date,sales\n" + "".join(f"{d},{i}\n" for i, d in enumerate(days[:20])) + ",\n"
                      + "".join(f"{d},{i}\n" for i, d in enumerate(days[20:])))
    with pytest.raises(DataError, match="empty time on row 22"):
        load_series(inside, ["sales"])


@pytest.mark.parametrize(("above", "line"), [("", 4), ("Sales report 2021\n", 5), ("# exported\n# by a tool\n", 6)])
def test_error_rows_are_the_files_lines_after_a_skipped_title_or_comments(tmp_path, above, line):
    body = "date,sales\n2021-01-01,5\n2021-01-02,6\n2021-01-03,x7\n2021-01-04,8\n"
    (tmp_path / "s.csv").write_text(above + body)
    with pytest.raises(DataError, match=rf"'x7' on row {line}\)"):
        load_series(tmp_path / "s.csv", ["sales"])
    (tmp_path / "d.csv").write_text(above + body.replace("x7", "7").replace("2021-01-03", "Total"))
    with pytest.raises(DataError, match=rf"'Total' on row {line}, which is not a date"):
        load_series(tmp_path / "d.csv", ["sales"])


def test_a_compressed_file_is_named_with_the_tool_to_extract_it(tmp_path):
    import gzip

    from forecast.reading import read_table

    path = tmp_path / "g.csv.gz"
    path.write_bytes(gzip.compress(b"time,y\n2024-01-01,1\n2024-01-02,2\n"))
    with pytest.raises(DataError, match=r"is gzip-compressed, not a CSV text file. Extract it first \(gunzip\)"):
        read_table(path)


def test_excels_separator_line_above_the_header_says_the_delimiter(tmp_path):
    days = pd.date_range("2023-01-01", periods=30)
    path = tmp_path / "excel.csv"
    path.write_text("sep=;\nDatum;Wert\n" + "".join(f"{d:%d.%m.%Y};{i},5\n" for i, d in enumerate(days)))
    series = load_series(path, ["Wert"], options=DataOptions(decimal=","))
    assert series.frame["Wert"].iloc[3] == 3.5 and series.freq == "D"
    assert "the first line ('sep=;', Excel's delimiter line) skipped" in series.notes


def test_a_header_longer_than_the_sniffed_head_is_read_whole(tmp_path):
    """12,000 columns: the 64 KiB head cut the last name (s1094 of s10946), which 'duplicated' s1094."""
    names = [f"s{i}" for i in range(12000)]
    days = pd.date_range("2023-01-01", periods=30, freq="D")
    rows = "".join(f"{t:%Y-%m-%d}," + ",".join(["1"] * len(names)) + "\n" for t in days)
    path = tmp_path / "wide.csv"
    path.write_text("date," + ",".join(names) + "\n" + rows)
    frame = read_table(path)
    assert list(frame.columns[-2:]) == ["s11998", "s11999"] and len(frame) == 30


def test_column_names_in_decomposed_unicode_read_as_typed(tmp_path):
    """macOS tools write é as e + a combining accent (NFD); a keyboard types the composed é (NFC)."""
    import unicodedata

    text = "date,région,ventes_é\n" + "".join(f"2023-01-{d:02d},Zürich,{d}\n" for d in range(1, 11))
    path = tmp_path / "nfd.csv"
    path.write_text(unicodedata.normalize("NFD", text))
    frame = read_table(path, text=("région",))
    assert list(frame.columns) == ["date", "région", "ventes_é"]
    assert frame["ventes_é"].sum() == 55 and frame["région"].dtype == object


def test_utf32_text_is_named_not_read_as_empty(tmp_path):
    from forecast.errors import DataError

    path = tmp_path / "u32.csv"
    path.write_bytes("date,y\n2023-01-01,1\n2023-01-02,2\n".encode("utf-32"))
    with pytest.raises(DataError, match="is UTF-32 text, which is not read. Re-save it as UTF-8"):
        read_table(path)
