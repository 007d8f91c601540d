"""`forecast doctor`: each finding, the flag it names, and the exit code (0 trainable, 1 not)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
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
    assert "the largest 3 steps from 2024-01-03 01:00;" in result.output  # no seconds
    assert "--max-gap" in result.output
    refused = _doctor(path, "--target", "y", "--max-gap", "2")
    assert refused.exit_code == 1 and "longer than --max-gap 2" in refused.output


def test_daily_dates_are_written_without_a_midnight_time(tmp_path):
    days = pd.date_range("2020-01-01", periods=60, freq="D").delete([10, 11, 30])
    path = tmp_path / "daily.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "y": np.arange(len(days), dtype=float)}).to_csv(path, index=False)
    result = _doctor(path, "--target", "y")
    assert result.exit_code == 0, result.output
    assert "2020-01-01 .. 2020-02-29" in result.output
    assert "the largest 2 steps from 2020-01-11; first: 2020-01-11 (2), 2020-01-31 (1)" in result.output
    assert "00:00" not in result.output
    refused = _doctor(path, "--target", "y", "--max-gap", "1")
    assert refused.exit_code == 1 and "missing steps from 2020-01-11 to 2020-01-12," in refused.output


def test_series_too_short_for_the_window(tmp_path):
    result = _doctor(_hourly_csv(tmp_path, n=60), "--target", "y", "--lookback", "48", "--horizon", "24")
    assert result.exit_code == 1
    assert "too few for lookback 48 + horizon 24" in result.output
    assert "smaller --lookback or --horizon" in result.output  # a lookback given can shrink
    automatic = _doctor(_hourly_csv(tmp_path, n=60), "--target", "y", "--horizon", "24")
    assert automatic.exit_code == 1 and "too few for lookback 1 + horizon 24" in automatic.output
    assert "--lookback" not in automatic.output  # the automatic lookback is 1 already


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


# --- doctor and train: one verdict, and one line for every unreadable file (issue 16) ---


def _verdicts(tmp_path: Path, path: Path, *flags: str):
    out = tmp_path / "bundle"
    doctor = _doctor(path, "--target", "y", *flags)
    train = runner.invoke(app, ["train", str(path), "--target", "y", "--epochs", "1", "--out", str(out), *flags])
    return doctor, train, out


def _hours(n: int = 300) -> list[str]:
    return [f"{t:%Y-%m-%d %H:%M}" for t in pd.date_range("2024-01-01", periods=n, freq="h")]


BAD_FILES = {
    "constant": ("time,y\n" + "".join(f"{t},5\n" for t in _hours()), "is constant"),
    "near-1e308": ("time,y\n" + "".join(f"{t},{(1 + i % 5) * 3e307:.17g}\n" for i, t in enumerate(_hours())),
                   "too extreme to scale"),
    # values near 1e-300: scaled by 1 as a constant, trained on 0 and forecast 0 with exit 0
    "near-1e-300": ("time,y\n" + "".join(f"{t},{(1 + i % 5) * 1e-300:.17g}\n" for i, t in enumerate(_hours())),
                    "vary too little to scale"),
    "sentinel": ("time,y\n" + "".join(f"{t},{-9999 if i == 50 else i % 24}\n" for i, t in enumerate(_hours())),
                 "--na-values -9999"),
    "unit": ("time,y\n" + "".join(f"{t},{i % 24}.5 kWh\n" for i, t in enumerate(_hours())), "Strip 'kWh'"),
    "both-orders": ("time,y\n01/02/2020,1\n01/13/2020,2\n14/02/2020,3\n15/02/2020,4\n", "mixes date orders"),
    "offsets-and-none": ("time,y\n2021-03-01 00:00+01:00,1\n2021-03-01 01:00,2\n2021-03-01 02:00+01:00,3\n",
                         "with and without UTC offsets"),
    "ambiguous-numbers": ("time;y\n" + "".join(f"{t};1,{100 + i % 50}\n" for i, t in enumerate(_hours())),
                          "read two ways"),
    "binary": (b"\x00\x01\x02\xff" * 50, "looks binary"),
    "empty": ("", "is empty"),
    "ragged": ("time,y\n2024-01-01 00:00,1\n2024-01-01 01:00,2,7\n2024-01-01 02:00,3\n",
               "different number of fields"),
    "too-short": ("time,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n2024-01-04,4\n", "too few"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_doctor_and_train_refuse_alike_with_one_line_and_no_files(tmp_path, case):
    content, expected = BAD_FILES[case]
    path = tmp_path / "s.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    doctor, train, out = _verdicts(tmp_path, path)
    assert doctor.exit_code == 1 and expected in doctor.output, doctor.output
    assert train.exit_code == 1 and isinstance(train.exception, SystemExit), train.output
    lines = [line for line in train.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], train.stderr
    assert "Traceback" not in train.output and not out.exists()


def test_problem_fixes_are_flags_train_accepts(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(BAD_FILES["sentinel"][0])
    doctor, train, _ = _verdicts(tmp_path, path)
    assert "Try: forecast doctor" in doctor.output and "--na-values -9999" in doctor.output
    tried = next(line for line in doctor.output.splitlines() if line.startswith("Try: "))
    assert "--anchor" not in tried and "--season" not in tried  # only the flags given or needed
    assert "Fix: --na-values -9999." in train.stderr
    assert _doctor(path, "--target", "y", "--na-values", "-9999").exit_code == 0


def test_problems_in_columns_training_does_not_read_do_not_block(tmp_path):
    rows = "".join(f"{t},{i % 24},{-9999 if i == 9 else i}\n" for i, t in enumerate(_hours()))
    path = tmp_path / "s.csv"
    path.write_text("time,y,other\n" + rows)
    result = _doctor(path, "--target", "y")
    assert result.exit_code == 0, result.output
    assert "values of -9999" in result.output


@pytest.mark.parametrize(
    ("name", "target", "freq", "rows"),
    [
        ("wineind.csv", "Y", "MS", 176),
        ("ausbeer.csv", "Y", "QS-JAN", 211),
        ("woolyrnq.csv", "Y", "QS-JAN", 119),
        ("us_gasoline.csv", "Gasoline", "W-FRI", 1578),
        ("ILINet.csv", "% WEIGHTED ILI", "W-SUN", 1305),
    ],
)
def test_monthly_quarterly_and_weekly_shared_files(name, target, freq, rows):
    result = _doctor(shared_csv(name), "--target", target)
    assert result.exit_code == 0, result.output
    assert f"frequency    {freq}\n" in result.output
    assert f"rows         {rows} after loading" in result.output
    assert "day first" not in result.output


def test_doctor_takes_the_anchor_and_season_and_agrees_with_train(tmp_path):
    from typer.testing import CliRunner

    from forecast.cli import app

    months = pd.date_range("2020-01-01", periods=20, freq="MS")
    data = tmp_path / "m.csv"
    pd.DataFrame({"month": months, "y": np.arange(20.0) % 12}).to_csv(data, index=False)
    args = [str(data), "--target", "y", "--horizon", "3", "--anchor", "season"]
    runner = CliRunner()
    doctor = runner.invoke(app, ["doctor", *args])
    train = runner.invoke(app, ["train", *args, "--out", str(tmp_path / "b")])
    assert doctor.exit_code == 1 and train.exit_code == 1
    message = ("--anchor season needs a lookback of at least the season (12); the lookback is 5. The longest "
               "series holds a lookback of at most 11 at --horizon 3: give a shorter --horizon")  # not "--lookback 12"
    assert message in " ".join(doctor.output.split()) and message in " ".join(train.output.split())
    longer = tmp_path / "m60.csv"
    pd.DataFrame({"month": pd.date_range("2020-01-01", periods=60, freq="MS"), "y": np.arange(60.0) % 12}).to_csv(
        longer, index=False)
    doctor = runner.invoke(app, ["doctor", str(longer), *args[1:], "--lookback", "5"])
    assert doctor.exit_code == 1 and "lookback is 5. Give --lookback 12, or" in " ".join(doctor.output.split())
    assert runner.invoke(app, ["doctor", *args, "--season", "4"]).exit_code == 0  # a season the window holds
    assert not (tmp_path / "b").exists()


def test_a_future_column_that_is_the_target_later_is_refused_by_doctor_and_train(tmp_path):
    from typer.testing import CliRunner

    from forecast.cli import app

    days = pd.date_range("2020-01-01", periods=200, freq="D")
    sales = 100 + 10 * np.sin(np.arange(200) * 2 * np.pi / 7) + np.arange(200) % 5
    frame = pd.DataFrame({"day": days, "sales": sales, "promo": np.arange(200) % 3 == 0,
                          "next_sales": np.r_[sales[2:], [np.nan, np.nan]]})  # the target two days later
    data = tmp_path / "d.csv"
    frame.assign(promo=frame["promo"].astype(int)).to_csv(data, index=False)
    runner = CliRunner()
    for command in (["doctor"], ["train", "--out", str(tmp_path / "b")]):
        result = runner.invoke(app, [command[0], str(data), "--target", "sales", "--future", "next_sales", *command[1:]])
        assert result.exit_code == 1, result.output
        assert "--future column 'next_sales' is the target 2 step(s) later" in " ".join(result.output.split())
    assert runner.invoke(app, ["doctor", str(data), "--target", "sales", "--future", "promo"]).exit_code == 0


def test_a_season_longer_than_half_the_training_rows_is_noted_by_doctor_as_by_train(tmp_path):
    days = pd.date_range("2021-01-01", periods=400)
    path = tmp_path / "daily.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "y": np.sin(np.arange(400) / 5) + 5}).to_csv(path, index=False)
    result = _doctor(path, "--target", "y", "--season", "400")
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "season 400 is more than half the" in said and "-> --season" in said
    assert "season 7" not in _doctor(path, "--target", "y").output  # the default weekly season fits


def test_a_series_mostly_made_up_by_filling_is_refused_by_doctor_and_train(tmp_path):
    """Daily rows read at --freq h (or dd/mm dates read month first): 23 of every 24 values were
    interpolated, and doctor called it ready."""
    from typer.testing import CliRunner

    from forecast.cli import app

    days = pd.date_range("2023-01-01", periods=90, freq="D")
    path = tmp_path / "daily.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "y": np.sin(np.arange(90) / 5) + 3}).to_csv(path, index=False)
    said = " ".join(_doctor(path, "--target", "y", "--freq", "h").output.split())
    assert "! daily.csv: 2047 of the 2137 steps of h from its first time to its last are not in the file" in said
    assert "(most rows are 1 day apart), so most of the series would be interpolated" in said
    trained = CliRunner().invoke(app, ["train", str(path), "--target", "y", "--freq", "h", "--epochs", "1",
                                       "--out", str(tmp_path / "m")])
    assert trained.exit_code == 1 and "2047 of the 2137 steps of h" in " ".join(trained.output.split())
    assert not (tmp_path / "m").exists()
    zeros = _doctor(path, "--target", "y", "--freq", "h", "--fill", "zero")  # missing means none: as asked
    assert zeros.exit_code == 0, zeros.output


def test_doctor_refuses_several_targets_with_id_in_trains_words(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("date,a,b\n" + "".join(f"2023-01-{d:02d},{d},{2 * d}\n" for d in range(1, 29)))
    doctor = _doctor(path, "--target", "a,b", "--id", "date")
    train = runner.invoke(app, ["train", str(path), "--target", "a,b", "--id", "date", "--out", str(tmp_path / "m")])
    said = "Error: Give one --target with --id; several targets are for wide files."
    assert doctor.exit_code == train.exit_code == 1
    assert said in doctor.output and said in train.output and not (tmp_path / "m").exists()


def test_a_repeated_target_is_every_column_given_as_train_reads_it(tmp_path):
    """doctor kept only the last --target: x (values near 1e300) was never checked, and doctor said
    ready where train refused."""
    hours = _hours()
    path = tmp_path / "two.csv"
    path.write_text("time,x,y\n" + "".join(f"{t},{(1 + i % 5) * 3e307:.17g},{i % 24}\n" for i, t in enumerate(hours)))
    repeated = _doctor(path, "--target", "x", "--target", "y")
    assert repeated.exit_code == 1 and "too extreme to scale" in repeated.output, repeated.output
    assert _doctor(path, "--target", "x,y").output == repeated.output
    assert _doctor(path, "--target", "y").exit_code == 0


def test_a_wide_files_column_is_named_as_the_file_names_it(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("time,y,z\n" + "".join(f"{t},{i % 24},{(1 + i % 5) * 1e-300:.17g}\n"
                                           for i, t in enumerate(_hours())))
    result = _doctor(path, "--target", "y,z")
    assert result.exit_code == 1 and "column(s) z vary too little to scale" in result.output, result.output
    assert "value" not in result.output.split("vary too little")[0].splitlines()[-1]


def test_a_target_constant_through_training_is_said_to_make_mase_the_mae(tmp_path):
    values = [5.0] * 250 + [float(i % 7) for i in range(50)]  # steps only in the test part
    result = _doctor(_hourly_csv(tmp_path, n=300, values=values), "--target", "y")
    assert result.exit_code == 0, result.output
    assert "target 'y' is constant (5) through the training part (until 2024-01-" in result.output
    assert "MASE, with no change to scale by, is the MAE" in " ".join(result.output.split())
    assert "through the training part" not in _doctor(_hourly_csv(tmp_path, name="ok.csv"), "--target", "y").output
