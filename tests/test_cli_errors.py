"""CLI tests for user mistakes in `forecast train` and `forecast predict`.

Each mistake must end with exit code 1 and exactly one `Error: ...` line on stderr that
names the problem, no traceback, and nothing written. Note that CliRunner catches
exceptions itself and never prints their traceback, so "no traceback" is checked on
``result.exception`` (only SystemExit from typer.Exit is allowed), not just on the text.

With click >= 8.2 (typer 0.12+), ``CliRunner().invoke`` keeps stdout and stderr apart in
``result.stdout`` / ``result.stderr`` and mixes both in ``result.output``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()

ROWS = 200
HORIZON = 3
TINY = ["--epochs", "1", "--units", "4", "--lookback", "8", "--horizon", str(HORIZON),
        "--time-budget", "30", "--ensemble", "1"]  # fmt: skip


def _sine_csv(path: Path, rows: int = ROWS) -> Path:
    """An hourly sine with a daily period: `time,load`."""
    t = pd.date_range("2024-01-01", periods=rows, freq="h")
    load = 10 + np.sin(np.arange(rows) * 2 * np.pi / 24)
    pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M"), "load": load}).to_csv(path, index=False)
    return path


def _assert_user_error(result, *fragments: str) -> str:
    """Exit 1, one `Error:` line on stderr naming ``fragments``, no exception escaping."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), f"escaped: {result.exception!r}"
    assert result.exit_code == 1, result.output  # 2 would be a Typer usage error
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert errors[0] in result.stderr.splitlines()
    assert "Error: " not in result.stdout
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Run each command from tmp_path so a default `models/...` never lands in the repo."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def sine_csv(tmp_path_factory) -> Path:
    return _sine_csv(tmp_path_factory.mktemp("data") / "sine.csv")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, sine_csv) -> Path:
    """One tiny bundle trained once for the whole module (a few seconds on CPU)."""
    out = tmp_path_factory.mktemp("models") / "sine_load"
    result = runner.invoke(
        app, ["train", str(sine_csv), "--target", "load", *TINY, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"Bundle written to {out}" in " ".join(result.stdout.split())
    return out


# --- train ---


def test_train_missing_file(tmp_path):
    out = tmp_path / "bundle"
    result = runner.invoke(
        app, ["train", str(tmp_path / "nope.csv"), "--target", "load", "--out", str(out)]
    )
    _assert_user_error(result, "nope.csv", "not found")
    assert _siblings(tmp_path) == []


def test_train_target_missing_names_column_and_lists_columns(tmp_path, sine_csv):
    out = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(sine_csv), "--target", "demand", "--out", str(out)])
    line = _assert_user_error(result, "'demand'", "not found", "sine.csv")
    assert re.search(r"Columns: time, load\b", line)
    assert "--target" in line
    assert _siblings(tmp_path) == []


def test_a_target_whose_name_holds_a_comma_is_named_with_the_fix(tmp_path):
    path = tmp_path / "comma.csv"
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=ROWS, freq="h"),
                          "sales, units": np.arange(ROWS, dtype=float)})
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["train", str(path), "--target", "sales, units", "--out", str(tmp_path / "b")])
    line = _assert_user_error(result, "'sales'", "not found", "holds a comma", "rename it in the file")
    assert "'sales, units'" in line
    assert _siblings(tmp_path) == ["comma.csv"]


def test_train_non_numeric_target(tmp_path):
    data = _sine_csv(tmp_path / "labels.csv", rows=50)
    frame = pd.read_csv(data)
    frame["label"] = ["high" if v > 10 else "low" for v in frame["load"]]
    frame.to_csv(data, index=False)
    out = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(data), "--target", "label", "--out", str(out)])
    _assert_user_error(result, "'label'", "not numeric", "'low'")
    assert not out.exists()


def test_train_too_few_rows_for_lookback(tmp_path):
    data = _sine_csv(tmp_path / "short.csv", rows=30)
    out = tmp_path / "bundle"
    result = runner.invoke(
        app, ["train", str(data), "--target", "load", "--lookback", "50", "--out", str(out)]
    )
    line = _assert_user_error(result, "30 rows", "lookback 50", "--lookback")
    assert "too few" in line
    assert _siblings(tmp_path) == ["short.csv"]  # no bundle, no leftover temporary folder


def test_train_too_few_rows_message_gives_enough_rows(tmp_path):
    flags = ["--target", "load", "--lookback", "50", "--horizon", "3", "--epochs", "1",
             "--units", "4", "--time-budget", "30"]  # fmt: skip
    short = _sine_csv(tmp_path / "short.csv", rows=30)
    result = runner.invoke(app, ["train", str(short), *flags, "--out", str(tmp_path / "a")])
    need = int(re.search(r"\((\d+) rows needed\)", _assert_user_error(result)).group(1))
    almost = _sine_csv(tmp_path / "almost.csv", rows=need - 1)
    result = runner.invoke(app, ["train", str(almost), *flags, "--out", str(tmp_path / "c")])
    assert result.exit_code == 1 and "too few" in result.output
    enough = _sine_csv(tmp_path / "enough.csv", rows=need)
    result = runner.invoke(app, ["train", str(enough), *flags, "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output


def test_train_existing_out_without_force(tmp_path, sine_csv):
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["train", str(sine_csv), "--target", "load", "--out", str(out)])
    _assert_user_error(result, str(out), "exists and is not a forecast bundle")  # no --force offered:
    assert _siblings(out) == ["keep.txt"]  # it would not replace a folder of the user's files either
    assert (out / "keep.txt").read_text() == "mine"
    assert _siblings(tmp_path) == ["bundle"]


# --- predict ---


def test_predict_horizon_longer_than_trained(tmp_path, bundle):
    out = tmp_path / "next.csv"
    result = runner.invoke(app, ["predict", str(bundle), "--horizon", "5", "--out", str(out)])
    _assert_user_error(result, "Horizon 5", f"trained horizon {HORIZON}", f"--horizon {HORIZON}")
    assert not out.exists()


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        pytest.param(lambda p: p.mkdir(), "has no bundle.json", id="empty-folder"),
        pytest.param(lambda p: None, "is not a bundle directory", id="missing-folder"),
        pytest.param(lambda p: p.write_text("time,load\n"), "is not a bundle directory", id="a-file"),
    ],
)
def test_predict_on_something_that_is_not_a_bundle(tmp_path, make, fragment):
    target = tmp_path / "not_a_bundle"
    make(target)
    out = tmp_path / "next.csv"
    result = runner.invoke(app, ["predict", str(target), "--out", str(out)])
    _assert_user_error(result, str(target), fragment)
    assert not out.exists()


def test_predict_on_tampered_model(tmp_path, bundle):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    with open(copy / "model.keras", "ab") as fh:
        fh.write(b"tampered")
    out = tmp_path / "next.csv"
    result = runner.invoke(app, ["predict", str(copy), "--out", str(out)])
    _assert_user_error(result, "model.keras", "sha256", "changed after training")
    assert not out.exists()


def test_predict_data_missing_file(tmp_path, bundle):
    out = tmp_path / "next.csv"
    result = runner.invoke(
        app, ["predict", str(bundle), "--data", str(tmp_path / "recent.csv"), "--out", str(out)]
    )
    _assert_user_error(result, "recent.csv", "not found")
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "path", "fragment"),
    [
        ("--out", "no_such_folder/next.csv", "no_such_folder"),
        ("--plot", "no_such_folder/next.png", "no_such_folder"),
        ("--plot", "next.plot", ".plot"),  # not an image format matplotlib knows
    ],
)
def test_predict_into_unwritable_path(tmp_path, bundle, option, path, fragment):
    result = runner.invoke(app, ["predict", str(bundle), option, str(tmp_path / path)])
    _assert_user_error(result, fragment)


# --- happy path ---


def test_train_then_predict_writes_forecast_csv(tmp_path, bundle, sine_csv):
    out = tmp_path / "next.csv"
    result = runner.invoke(app, ["predict", str(bundle), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert f"{HORIZON} steps written to {out}" in result.output
    assert result.stderr == ""

    forecast = pd.read_csv(out)
    assert list(forecast.columns[:2]) == ["time", "forecast"]  # quantile columns may follow
    assert len(forecast) == HORIZON
    assert np.isfinite(forecast.iloc[:, 1:].to_numpy(dtype=float)).all()
    last = pd.Timestamp(pd.read_csv(sine_csv)["time"].iloc[-1])
    expected = pd.date_range(last, periods=HORIZON + 1, freq="h")[1:]
    assert pd.to_datetime(forecast["time"]).tolist() == list(expected)


def test_predict_to_stdout_with_shorter_horizon(bundle):
    result = runner.invoke(app, ["predict", str(bundle), "--horizon", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split(",")[:2] == ["time", "forecast"]
    assert len(lines) == 3
    assert all(np.isfinite(float(v)) for line in lines[1:] for v in line.split(",")[1:])


# --- help ---


def _description(help_text: str) -> str:
    """The docstring part of a --help page: after `Usage:`, before the first panel/section."""
    body = help_text.split("Usage:", 1)[1].split("\n", 1)[1]
    return re.split(r"╭|^\s*(?:Options|Arguments|Commands):", body, maxsplit=1, flags=re.M)[0]


COMMANDS = ["train", "compare", "doctor", "predict", "backtest", "report", "explain", "detect", "tune"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["forecast", *COMMANDS])
def test_every_command_has_help_ending_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    paragraphs = [p for p in re.split(r"\n\s*\n", _description(result.output)) if p.strip()]
    assert len(paragraphs) >= 2  # a summary, then the example
    last = " ".join(paragraphs[-1].split())
    assert last.startswith("Example: forecast " + (command[0] if command else "")), last


def test_every_command_is_tested_for_help():
    from typer.main import get_command

    assert sorted(get_command(app).commands) == sorted(COMMANDS)


def _choices_of(command: str) -> dict[str, tuple[str, ...]]:
    """``{--flag: allowed values}`` of a command's choice options, from the library's tuples."""
    from forecast.config import ANCHORS, ARCHS, BACKENDS, DEVICES, MODELS, STRATEGIES
    from forecast.data_flags import AGGS, DUPLICATES, FILLS

    data = {"--duplicates": DUPLICATES, "--fill": FILLS, "--agg": AGGS}
    model = {"--arch": ARCHS, "--model": MODELS, "--anchor": ANCHORS, "--device": DEVICES,
             "--backend": BACKENDS}
    return {"train": {**data, **model, "--distribute": STRATEGIES},
            "compare": {**data, **model, "--keep": ("best", "all")},
            "backtest": {**data, **model},
            "doctor": data}[command]


@pytest.mark.parametrize("command", ["train", "compare", "backtest", "doctor"])
def test_help_lists_the_allowed_values_of_every_choice(command):
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    lines = [" ".join(re.sub(r"[│╭╮╰╯─]", " ", line).split()) for line in result.output.splitlines()]
    for flag, allowed in _choices_of(command).items():
        row = next((line for line in lines if line.startswith(flag + " ")), None)
        assert row is not None, f"{flag} missing from {command} --help"
        assert all(value in row for value in allowed), (flag, row)
        if flag != "--arch" or command != "compare":  # compare's --arch is a comma list
            assert "|".join(allowed) in row, (flag, row)  # Typer's [a|b|c] choice


@pytest.mark.parametrize(
    ("command", "default"),
    [("train", "(default: models/<file>_<target>)"), ("predict", "(default: the training CSV)"),
     # compare and tune said train's default, not the folders they write
     ("compare", "(default: models/<file>_<target>_compare)"), ("tune", "(default: models/<file>_<target>_tuned)")],
)
def test_help_shows_defaults_written_in_parentheses(command, default):
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    flat = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())
    assert default in flat


# --- every bad file of test_data, through the CLI: one line, exit 1, nothing written ---

from test_data import BAD_INPUTS, DIRECTORY, MISSING  # noqa: E402


@pytest.mark.parametrize(("content", "columns", "time", "match"), BAD_INPUTS)
def test_train_bad_file_is_one_error_line_and_writes_nothing(tmp_path, content, columns, time, match):
    work = tmp_path / "work"
    work.mkdir()
    path = work / "series.csv"
    if content is DIRECTORY:
        path.mkdir()
    elif content is not MISSING:
        path.write_bytes(content)
    before = _siblings(work)
    args = ["train", str(path), "--target", columns[0], "--out", str(work / "b")]
    result = runner.invoke(app, args + (["--time", time] if time else []))
    line = _assert_user_error(result)
    assert re.search(match, line), line
    assert _siblings(work) == before


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--resample", "fortnight"], "--resample 'fortnight' is not a pandas frequency"),
        (["--freq", "xx"], "--freq 'xx' is not a pandas frequency"),
        (["--id", "site"], "Id column 'site' not found"),
        (["--time", "year,month"], "Time column 'year, month' not found"),
        (["--target", "load,load2"], "Column 'load2' not found"),
        (["--id", "load"], "--id names 'load', which is also the target"),
        (["--id", "time"], "--id names 'time', the time column"),
    ],
)
def test_train_bad_data_flags(tmp_path, sine_csv, flags, fragment):
    args = ["train", str(sine_csv), *(["--target", "load"] if "--target" not in flags else []), *flags,
            "--out", str(tmp_path / "b")]
    _assert_user_error(runner.invoke(app, args), fragment)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("command", ["train", "doctor"])
@pytest.mark.parametrize(
    ("flag", "value", "allowed"),
    [
        ("--fill", "spline", "'interpolate', 'ffill', 'zero', 'none'"),
        ("--duplicates", "drop", "'mean', 'first', 'last', 'error'"),
        ("--agg", "median", "'mean', 'sum', 'last', 'first', 'min', 'max'"),
    ],
)
def test_bad_choice_is_one_usage_error_naming_the_choices(tmp_path, sine_csv, command, flag, value,
                                                          allowed):
    """Typer checks the choices itself: exit code 2, one `Error:` line, the allowed values."""
    result = runner.invoke(app, [command, str(sine_csv), "--target", "load", flag, value,
                                 *(["--out", str(tmp_path / "b")] if command == "train" else [])])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0] in result.stderr.splitlines(), result.output
    assert f"Invalid value for '{flag}': '{value}' is not one of {allowed}" in errors[0], errors[0]
    assert not (tmp_path / "b").exists()


def test_a_missing_file_is_named_before_an_existing_out(tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    result = runner.invoke(app, ["train", str(tmp_path / "gone.csv"), "--target", "y", "--out", str(taken)])
    assert "gone.csv not found" in _assert_user_error(result)


def test_predict_data_far_from_the_training_values_gets_a_note(tmp_path, bundle, sine_csv):
    """The same file in other units (x1000) forecast plausible-looking numbers, unremarked."""
    frame = pd.read_csv(sine_csv)
    frame["load"] *= 1000
    frame.to_csv(tmp_path / "kilo.csv", index=False)
    for command in ("predict", "detect"):
        result = runner.invoke(app, [command, str(bundle), "--data", str(tmp_path / "kilo.csv")])
        assert result.exit_code == 0, result.output
        said = " ".join(result.stderr.split())
        assert "standard deviations from the values it was trained on" in said and "other units" in said


@pytest.mark.parametrize("command", ["train", "doctor"])
@pytest.mark.parametrize(("flag", "value", "fragment"), [
    ("--freq", "0D", "--freq '0D' is not a positive step"),
    ("--freq", "-1D", "--freq '-1D' is not a positive step"),
    ("--freq", "1ns", "--freq '1ns' is a step under a second"),
    ("--freq", "1000000D", "--freq '1000000D' is a step over a hundred years; give the rows' own step or a shorter"),
    ("--resample", "0D", "--resample '0D' is not a positive step"),
    ("--resample", "1000000MS", "--resample '1000000MS' is a step over a hundred years"),
])
def test_a_step_of_zero_or_beyond_reason_is_one_line(tmp_path, sine_csv, command, flag, value, fragment):
    """0D divided by zero; 1ns asked for 10^16 rows; a million days overflowed pandas' dates."""
    result = runner.invoke(app, [command, str(sine_csv), "--target", "load", flag, value,
                                 *(["--out", str(tmp_path / "b")] if command == "train" else [])])
    _assert_user_error(result, fragment)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(("header", "fragment"), [
    ("time,load, load", "duplicate column names: load (names differing only by spaces are the same)"),
    ("time,load, ,  ", "has 2 blank column names"),
])
def test_column_names_equal_once_stripped_are_one_line(tmp_path, header, fragment):
    rows = "".join(f"2023-01-{d:02d},{d},{d},{d}\n" for d in range(1, 29))
    path = tmp_path / "d.csv"
    path.write_text(header + "\n" + rows)
    for command in ("train", "doctor"):
        result = runner.invoke(app, [command, str(path), "--target", "load"])
        if command == "train":
            _assert_user_error(result, fragment)
        else:
            assert fragment in result.output and "Traceback" not in result.output


def test_a_folder_that_is_not_a_bundle_is_refused_without_offering_force(tmp_path, sine_csv):
    """--out naming a folder of the user's files said "Use --force to replace it"; --force then refused."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("important")
    for force in ([], ["--force"]):
        result = runner.invoke(app, ["train", str(sine_csv), "--target", "load", *TINY, "--out", str(folder), *force])
        _assert_user_error(result, "exists and is not a forecast bundle; refusing to replace it. Choose another --out.")
        assert "--force" not in result.stderr
    assert (folder / "notes.txt").read_text() == "important"


def test_predict_errors_name_the_training_flags_as_training_flags(tmp_path, sine_csv):
    """predict said "Use --duplicates mean|first|last", a flag it does not take ("No such option")."""
    out = tmp_path / "strict"
    trained = runner.invoke(app, ["train", str(sine_csv), "--target", "load", *TINY, "--duplicates", "error",
                                  "--no-report", "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    frame = pd.read_csv(sine_csv)
    pd.concat([frame, frame.tail(3)]).to_csv(tmp_path / "dup.csv", index=False)
    result = runner.invoke(app, ["predict", str(out), "--data", str(tmp_path / "dup.csv")])
    _assert_user_error(result, "duplicate timestamps", "(--duplicates is a training flag: the bundle reads files as "
                       "it was trained to, so change the file to match, or retrain with it.)")
