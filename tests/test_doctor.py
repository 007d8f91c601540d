"""`forecast doctor`: each finding, the flag it names, and the exit code (0 trainable, 1 not)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_csv
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()


def _doctor(path: Path, *flags: str):
    return runner.invoke(app, ["doctor", str(path), *flags])


def _hourly_csv(tmp_path: Path, n: int = 400, values=None, extra: str = "", name: str = "s.csv") -> Path:
    stamps = pd.date_range("2024-01-01", periods=n, freq="h")
    values = values if values is not None else [float(i % 24) for i in range(n)]
    rows = [f"{t:%Y-%m-%d %H:%M},{v}{extra}" for t, v in zip(stamps, values)]
    path = tmp_path / name
    path.write_text("time,y" + ("," + "note" if extra else "") + "\n" + "\n".join(rows) + "\n")
    return path


def test_clean_file_is_ready(tmp_path):
    result = _doctor(_hourly_csv(tmp_path), "--target", "y")
    assert result.exit_code == 0, result.output
    assert "frequency    h" in result.output
    assert "lookback" in result.output and "Ready to train." in result.output


def test_sentinels_are_found_and_the_flag_is_named(tmp_path):
    values = [float(i % 24) for i in range(400)]
    values[100] = values[200] = -9999.0
    result = _doctor(_hourly_csv(tmp_path, values=values), "--target", "y")
    assert result.exit_code == 1
    assert "2 values of -9999" in result.output and "--na-values -9999" in result.output
    fixed = _doctor(_hourly_csv(tmp_path, values=values), "--target", "y", "--na-values", "-9999")
    assert fixed.exit_code == 0, fixed.output
    assert "2 sentinel values (-9999) in y treated as missing" in fixed.output


def test_duplicates_and_gaps_are_reported_with_their_flags(tmp_path):
    path = _hourly_csv(tmp_path)
    lines = path.read_text().splitlines()
    del lines[50:53]  # a 3-hour gap
    lines.insert(10, lines[10])  # one repeated hour
    path.write_text("\n".join(lines) + "\n")
    result = _doctor(path, "--target", "y")
    assert result.exit_code == 0, result.output
    assert "1 duplicate timestamps merged (mean)" in result.output
    assert "--duplicates" in result.output
    assert "3 missing time steps inserted" in result.output
    assert "the largest 3 steps from 2024-01-03 01:00:00" in result.output
    assert "--max-gap" in result.output
    refused = _doctor(path, "--target", "y", "--max-gap", "2")
    assert refused.exit_code == 1 and "longer than --max-gap 2" in refused.output


def test_series_too_short_for_the_window(tmp_path):
    result = _doctor(_hourly_csv(tmp_path, n=60), "--target", "y", "--lookback", "48", "--horizon", "24")
    assert result.exit_code == 1
    assert "too few for lookback 48 + horizon 24" in result.output


def test_constant_target(tmp_path):
    result = _doctor(_hourly_csv(tmp_path, values=[5.0] * 400), "--target", "y")
    assert result.exit_code == 1
    assert "is constant" in result.output


def test_non_numeric_column_and_missing_target(tmp_path):
    path = _hourly_csv(tmp_path, extra=",abc")
    result = _doctor(path)
    assert result.exit_code == 1
    assert "No --target given. Numeric columns: y" in result.output
    assert "column 'note' is not numeric" in result.output


def test_decimal_comma_is_read_and_the_flags_named(tmp_path):
    stamps = pd.date_range("2024-01-01", periods=300, freq="h")
    path = tmp_path / "s.csv"
    path.write_text("time;y\n" + "".join(f"{t:%Y-%m-%d %H:%M};1.{i % 24:03d},5\n" for i, t in enumerate(stamps)))
    result = _doctor(path, "--target", "y")
    assert result.exit_code == 0, result.output
    assert "decimal comma and '.' thousands (e.g. '1.000,5')" in result.output
    assert "--decimal , --thousands . says so" in result.output
    assert "--thousands ," not in result.output
    assert _doctor(path, "--target", "y", "--decimal", ",", "--thousands", ".").exit_code == 0


def test_long_file_without_id_is_a_problem_naming_the_column(tmp_path):
    days = pd.bdate_range("2024-01-01", periods=120)
    rows = [f"{d:%Y-%m-%d},{name},{i}" for name in ("AA", "BB", "CC") for i, d in enumerate(days)]
    path = tmp_path / "long.csv"
    path.write_text("Date,Sym,Close\n" + "\n".join(rows) + "\n")
    result = _doctor(path, "--target", "Close")
    assert result.exit_code == 1
    assert "3 series in long format, named by column 'Sym'" in result.output and "--id Sym" in result.output
    fixed = _doctor(path, "--target", "Close", "--id", "Sym")
    assert fixed.exit_code == 0, fixed.output
    assert "3 by 'Sym': 120 rows" in fixed.output


def test_unreadable_file_is_a_problem(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\x00\x01\x02" * 30)
    result = _doctor(path, "--target", "y")
    assert result.exit_code == 1 and "looks binary" in result.output


def test_doctor_imports_no_tensorflow(tmp_path):
    path = _hourly_csv(tmp_path)
    code = (
        "import sys; from forecast.cli import main; sys.argv = ['forecast', 'doctor', %r, '--target', 'y'];\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules and 'sklearn' not in sys.modules"
    ) % str(path)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("name", "flags", "expected"),
    [
        ("PJME_hourly.csv", ["--target", "PJME_MW"], ["day first", "4 duplicate timestamps", "30 missing time steps"]),
        ("stocks_multi_ticker_daily.csv", ["--target", "Close"], ["--id Stock"]),
        ("aapl_daily_1984_2016.csv", ["--target", "Close"], ["trading days"]),
    ],
)
def test_shared_files(name, flags, expected):
    result = _doctor(shared_csv(name), *flags)
    for text in expected:
        assert text in result.output, result.output
