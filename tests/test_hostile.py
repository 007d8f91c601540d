"""Hostile input (issue 21): bad flags, damaged bundles, unwritable paths, holes in the data
predict reads, HTML in names, other machines.

Every refusal must be: a non-zero exit code (1, or 2 for what Typer checks itself), exactly one
line starting ``Error: `` on stderr naming the problem, no exception escaping (so no traceback),
and nothing left behind (no bundle, no temporary folder, no half-written file).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_meta
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
ROWS = 200
TINY = ["--epochs", "1", "--units", "4", "--lookback", "8", "--horizon", "3", "--time-budget", "30", "--ensemble", "1"]
REPO = Path(__file__).resolve().parents[1]


def _without(flag: str) -> list[str]:
    """TINY less one flag and its value (a value such as "1" may be another flag's too)."""
    at = TINY.index(flag)
    return TINY[:at] + TINY[at + 2:]


def _csv(path: Path, rows: int = ROWS, start: str = "2024-01-01", target: str = "load") -> Path:
    """An hourly sine with a daily period and a covariate: `time,<target>,x`."""
    t = pd.date_range(start, periods=rows, freq="h")
    y = 10 + np.sin(np.arange(rows) * 2 * np.pi / 24)
    frame = pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M"), target: y, "x": np.cos(np.arange(rows))})
    frame.to_csv(path, index=False)
    return path


def refused(result, code: int = 1, *fragments: str) -> str:
    """The exit code, one `Error:` line on stderr naming ``fragments``, no exception escaping."""
    assert isinstance(result.exception, SystemExit), f"escaped: {result.exception!r}\n{result.output}"
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert errors[0] in result.stderr.splitlines()
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default models/ never lands in the repository


@pytest.fixture(scope="module")
def csv(tmp_path_factory) -> Path:
    return _csv(tmp_path_factory.mktemp("data") / "sine.csv")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, csv) -> Path:
    out = tmp_path_factory.mktemp("models") / "sine_load"
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def readonly(tmp_path, monkeypatch) -> Path:
    """A folder nothing can be created in (as root, where mode bits do not stop writes,
    creating a file there fails as it would on a read-only mount)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        fd, probe = tempfile.mkstemp(dir=folder)
    except PermissionError:
        pass
    else:
        import os

        os.close(fd)
        os.unlink(probe)
        real = tempfile.mkstemp

        def mkstemp(*args, **kwargs):
            if Path(kwargs.get("dir") or "") == folder:
                raise PermissionError(13, "Permission denied", str(folder / "probe"))
            return real(*args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    yield folder
    folder.chmod(0o755)


# --- 1. flags: range and meaning checked before any work --------------------------------------

FLAG_CASES = [
    (["--horizon", "1000000000"], 1, ["200 rows", "horizon 1000000000", "rows needed"]),
    (["--lookback", "1000000000"], 1, ["200 rows", "lookback 1000000000", "rows needed"]),
    (["--horizon", "1000000000", "--lookback", "1000000000"], 1, ["rows needed"]),
    (["--lookback", "150", "--horizon", "30"], 1, ["too few", "rows needed"]),
    (["--units", "1000000000"], 1, ["--units must be between 1 and 4096"]),
    (["--layers", "1000000000"], 1, ["--layers must be between 1 and 16"]),
    (["--units", "0"], 2, ["--units"]),
    (["--seed", "-1"], 2, ["--seed"]),
    (["--seed", str(2**32)], 1, ["--seed must be between 0 and 4294967295"]),
    (["--learning-rate", "0"], 1, ["--learning-rate must be above 0", "0 trains nothing"]),
    (["--learning-rate", "nan"], 1, ["--learning-rate"]),
    (["--learning-rate", "5"], 1, ["at most 1"]),
    (["--dropout", "nan"], 2, ["--dropout"]),
    (["--time-budget", "nan"], 2, ["--time-budget"]),
    (["--features", "load"], 1, ["--features names the target 'load'"]),
    (["--features", "x", "--features", "x"], 1, ["--features names x more than once"]),
    (["--features", "nope", "--features", "x"], 1, ["'nope'"]),  # repeated: both kept
    (["--quantiles", "0.1,1.5"], 1, ["Quantiles must lie strictly between 0 and 1"]),
    (["--quantiles", "1e-9,0.999999999"], 1, ["Quantiles must lie between 0.001 and 0.999"]),  # trained, then
    # refused by predict as a damaged bundle (coverage 1.0)
    (["--quantiles", ""], 1, ["--quantiles is empty"]),  # an empty shell variable was a point forecast
    # choices: Typer's own check (exit 2), naming the values --help lists
    (["--arch", "transformer"], 2, ["'--arch': 'transformer' is not one of 'lstm', 'gru'"]),
    (["--model", "arima"], 2, ["'--model': 'arima' is not one of 'auto', 'lstm'"]),
    (["--anchor", "mean"], 2, ["'--anchor': 'mean' is not one of 'auto', 'last'"]),
    (["--device", "tpu"], 2, ["'--device': 'tpu' is not one of 'auto', 'cpu', 'gpu'"]),
    (["--distribute", "ring"], 2, ["'--distribute': 'ring' is not one of 'none'"]),
]


@pytest.mark.parametrize(("flags", "code", "fragments"), FLAG_CASES,
                         ids=[" ".join(f)[:40] for f, _, _ in FLAG_CASES])
def test_bad_flag_is_refused_before_any_work(tmp_path, csv, flags, code, fragments):
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *flags, "--out", str(tmp_path / "b")])
    refused(result, code, *fragments)
    assert "Training" not in result.output  # refused before any training started
    assert _listing(tmp_path) == []


def test_compare_keep_bogus_is_refused_before_training(tmp_path, csv):
    result = runner.invoke(app, ["compare", str(csv), "--target", "load", "--keep", "bogus", *TINY])
    refused(result, 2, "Invalid value for '--keep': 'bogus' is not one of 'best', 'all'")
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("archs", ["", ", "])
def test_compare_with_an_empty_arch_is_refused_before_training(tmp_path, csv, archs):
    """An empty --arch (an unset shell variable) trained all four architectures without a word."""
    result = runner.invoke(app, ["compare", str(csv), "--target", "load", "--arch", archs, *TINY,
                                 "--out", str(tmp_path / "c")])
    refused(result, 1, "--arch is empty", "leave --arch out to compare all of them")
    assert "Training" not in result.output and _listing(tmp_path) == []


def test_doctor_with_a_huge_horizon_answers_at_once(csv):
    result = runner.invoke(app, ["doctor", str(csv), "--target", "load", "--horizon", "1000000000"])
    assert "Traceback" not in result.output
    assert "rows needed" in result.output or result.exit_code != 0, result.output


def test_rows_needed_is_arithmetic_and_exact():
    from forecast.rowcount import rows_needed, train_rows

    cases = [(8, 3, 0.1, 0.1), (50, 24, 0.1, 0.1), (1, 1, 0, 0.1), (333, 7, 0.2, 0.15)]
    for lookback, horizon, tf, vf in cases:
        for start in (1, 100, 5000):
            need = rows_needed(lookback, horizon, tf, vf, start)
            brute = next(n for n in range(start, 10**6)
                         if train_rows(n, horizon, tf, vf) >= lookback + horizon)
            assert need == brute
    assert rows_needed(10**9, 10**9, 0.1, 0.1) >= 3 * 10**9  # instantly, no search


# --- 2. output paths: checked before training, one line for every OS error ---------------------


def test_train_into_a_read_only_folder_is_refused_before_training(csv, readonly):
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *TINY, "--out", str(readonly / "b")])
    refused(result, 1, "Cannot write into", str(readonly))
    assert "Training" not in result.output
    assert _listing(readonly) == []


def test_train_out_that_is_a_file_is_refused_even_with_force(tmp_path, csv):
    target = tmp_path / "some_file.txt"
    target.write_text("keep me")
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *TINY, "--out", str(target), "--force"])
    refused(result, 1, "is a file")
    assert target.read_text() == "keep me" and _listing(tmp_path) == ["some_file.txt"]


def test_force_never_deletes_files_the_bundle_did_not_write(tmp_path, bundle, csv):
    """--force swaps the folder whole: a user's file in it (the training CSV itself) would go too."""
    out = tmp_path / "b"
    shutil.copytree(bundle, out)
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *TINY, "--out", str(out), "--force"])
    refused(result, 1, "holds files that are not part of its bundle (notes.txt)", "Move them out")
    assert (out / "notes.txt").read_text() == "mine" and (out / "bundle.json").exists()
    (out / "notes.txt").unlink()
    inside = out / "history.csv"  # a bundle's own file name, trained on
    shutil.copy(csv, inside)
    result = runner.invoke(app, ["train", str(inside), "--target", "load", *TINY, "--out", str(out), "--force"])
    refused(result, 1, "the file trained on, is inside --out", "Move the file out")
    assert inside.read_text() == csv.read_text()


def test_backtest_json_never_replaces_its_data_or_a_bundle_file(tmp_path, bundle, csv):
    data = tmp_path / "data.json"  # a CSV named .json: any suffix is read as CSV
    shutil.copy(csv, data)
    result = runner.invoke(app, ["backtest", str(data), "--target", "load", *TINY, "--windows", "2",
                                 "--json", str(data)])
    refused(result, 1, "is a file this command reads")
    assert data.read_text() == csv.read_text()
    copy = tmp_path / "b"
    shutil.copytree(bundle, copy)
    before = (copy / "bundle.json").read_text()
    result = runner.invoke(app, ["backtest", str(csv), "--target", "load", *TINY, "--windows", "2",
                                 "--json", str(copy / "bundle.json")])
    refused(result, 1, "is a file of the bundle")
    assert (copy / "bundle.json").read_text() == before


def test_a_json_without_schema_version_is_not_a_bundle(tmp_path, bundle):
    copy = tmp_path / "b"
    shutil.copytree(bundle, copy)
    (copy / "bundle.json").write_text('{"models": {}}')
    refused(runner.invoke(app, ["predict", str(copy)]), 1, "has no schema_version: it is not a bundle's")


@pytest.mark.parametrize("option", ["--out", "--plot"])
def test_predict_into_a_read_only_folder(bundle, readonly, option):
    name = "f.csv" if option == "--out" else "f.png"
    refused(runner.invoke(app, ["predict", str(bundle), option, str(readonly / name)]), 1, "Cannot write into")
    assert _listing(readonly) == []


def test_predict_out_that_is_a_folder(bundle, tmp_path):
    (tmp_path / "f.csv").mkdir()
    refused(runner.invoke(app, ["predict", str(bundle), "--out", str(tmp_path / "f.csv")]), 1, "is a folder")


def test_report_into_a_read_only_folder(bundle, readonly):
    refused(runner.invoke(app, ["report", str(bundle), "--out", str(readonly / "r.html")]), 1, "Cannot write into")
    assert _listing(readonly) == []


def test_backtest_json_into_a_read_only_folder_fails_before_training(csv, readonly):
    result = runner.invoke(app, ["backtest", str(csv), "--target", "load", *TINY, "--windows", "2",
                                 "--json", str(readonly / "bt.json")])
    refused(result, 1, "Cannot write into")
    assert "rows" not in result.stdout  # not even the data was read
    assert _listing(readonly) == []


def test_default_out_creates_models_outside_the_project(tmp_path, csv):
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *TINY])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "models" / "sine_load" / "bundle.json").exists()


def test_refused_default_out_leaves_no_models_folder(tmp_path, csv):
    refused(runner.invoke(app, ["train", str(csv), "--target", "load", "--units", "99999"]), 1, "--units")
    assert _listing(tmp_path) == []


def test_os_errors_become_one_line():
    from forecast.commands import os_error

    line = os_error(PermissionError(13, "Permission denied", "/x/y.csv"))
    assert line.startswith("Cannot use /x/y.csv: permission denied.") and "\n" not in line


# --- 3. damaged bundles: bundle.json checked against a typed schema by every command ----------


def _rehash(folder: Path) -> None:
    """Make bundle.json's checksums agree with the files, as a careful attacker would."""
    meta = json.loads((folder / "bundle.json").read_text())
    if isinstance(meta, dict) and isinstance(meta.get("files"), dict):
        meta["files"] = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in meta["files"]}
        write_meta(folder, meta)


def _edit(path: Path, change) -> None:
    meta = json.loads((path / "bundle.json").read_text())
    meta = change(meta) or meta
    write_meta(path, meta)


def _set(keys: str, value):
    def change(meta):
        *parents, last = keys.split(".")
        node = meta
        for key in parents:
            node = node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return change


_DELETE = object()


def _each_member(key: str, value):
    def change(meta):
        assert meta["members"]  # the fixture's bundle has statistical members to damage
        for group in meta["members"].values():
            for member in group.values():
                member[key] = value

    return change

def _member_par(name: str, change_par):
    def change(meta):
        found = [m for group in meta["members"].values() for m in group.values() if m["name"] == name]
        assert found, f"the fixture's bundle has no {name} to damage"
        for member in found:
            change_par(member["params"]["par"])

    return change


DAMAGE = [
    ("list instead of object", lambda m: [m], "bundle.json must hold an object, found a list"),
    ("negative horizon", _set("preprocessor.horizon", -5), "preprocessor.horizon must be >= 1, found -5"),
    ("negative config horizon", _set("config.horizon", -5), "config.horizon must be >= 1, found -5"),
    ("empty scaler mean", _set("preprocessor.scaler.mean", []), "preprocessor.scaler.mean must be a list of 1"),
    ("zero scale", _set("preprocessor.scaler.scale", [0.0]), "preprocessor.scaler.scale"),
    ("deleted freq", _set("data.freq", _DELETE), "data.freq must be a string"),
    ("text years", _set("data.years", "yes"), "data.years must be true or false"),
    ("day 31 of every month", _set("data.day", 31), "data.day must be <= 28, found 31"),
    ("a template reading attributes", _set("data.periods", "{y.__class__} Q{q}"), "data.periods must be a template"),
    ("text window scale", _set("preprocessor.window_scale", "yes"), "preprocessor.window_scale must be true or false"),
    ("deleted parameters (report)", _set("training.parameters", _DELETE), "training.parameters"),
    ("deleted metrics", _set("metrics", _DELETE), "metrics must be an object"),
    ("negative interval scale", _set("interval_scale", -3), "interval_scale must be a number in [0.2, 5.0]"),
    ("text interval scale", _set("interval_scale", "big"), "interval_scale"),
    ("text member rows", _each_member("rows", "many"), "rows must be a whole number"),
    ("ces parameter deleted", _member_par("auto_ces", lambda par: par.pop("alpha_0")),
     "par.alpha_0 must be a number, found 'nothing (field missing)'"),
    ("ets parameter text", _member_par("auto_ets", lambda par: par.__setitem__(0, "x")), "par must be a list of numbers"),
    ("quantiles disagree", _set("quantiles", [0.2, 0.5, 0.8]), "config.quantiles"),
    ("unknown arch", _set("config.arch", "transformer"), "config.arch must be one of"),
    ("huge units", _set("config.units", 10**9), "config.units must be <= 4096"),
    ("units of another model", _set("config.units", 8), "weights.npz does not fit bundle.json"),
    ("bad start", _set("data.start", "yesterday-ish"), "data.start must be a timestamp"),
    ("split does not add up", _set("data.split.rows", 5), "data.split must be parts adding up to rows"),
    ("unknown calendar", _set("preprocessor.calendar", ["moon"]), "preprocessor.calendar"),
    ("another target", _set("preprocessor.target", "zzz"), "preprocessor.target must be equal to the target trained"),
    ("unknown freq", _set("preprocessor.freq", "zz"), "preprocessor.freq must be equal to data.freq (h)"),
    ("another freq", _set("preprocessor.freq", "D"), "preprocessor.freq must be equal to data.freq (h)"),
    ("path in files", lambda m: m["files"].update({"../escape": "0" * 64}), "not a file name in the bundle"),
    ("newer schema", _set("schema_version", 99), "Upgrade forecast"),
    # train --resume trained in full on it, then failed to save (a ValueError traceback)
    ("history of two lengths", _set("history.loss", []), "history must be lists of one length"),
    ("members emptied", lambda m: m.update(members={}) if set(m["choice"]["weights"]) - {"lstm", "naive", "seasonal_naive"}
     else m.update(members={}, choice={**m["choice"], "weights": {"auto_ets": 1.0}}), "members must be the chosen members"),
]


@pytest.mark.parametrize("command", ["predict", "report"])
@pytest.mark.parametrize(("change", "fragment"), [d[1:] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_damaged_bundle_json_names_the_field(bundle, tmp_path, command, change, fragment):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    _edit(copy, change)
    before = _listing(tmp_path)
    refused(runner.invoke(app, [command, str(copy), "--out", str(tmp_path / ("o.csv" if command == "predict"
                                                                           else "o.html"))]), 1, fragment)
    assert _listing(tmp_path) == before


def test_random_bytes_in_weights_are_refused_without_numpy_internals(bundle, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    (copy / "weights.npz").write_bytes(np.random.default_rng(0).bytes(4096))
    _rehash(copy)
    line = refused(runner.invoke(app, ["predict", str(copy)]), 1, "weights.npz", "not an archive of plain arrays")
    assert "pickle" not in line.lower()


def test_garbled_holdout_csv_is_one_line_in_report(bundle, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    (copy / "holdout.csv").write_text("step,actual\n1,<b>\n")
    _rehash(copy)
    refused(runner.invoke(app, ["report", str(copy), "--out", str(tmp_path / "r.html")]), 1, "holdout.csv")
    assert not (tmp_path / "r.html").exists()
    holdout = pd.read_csv(bundle / "holdout.csv")
    holdout["actual"] = np.nan  # blank actuals, checksums redone: the residual histogram's ValueError traceback
    holdout.to_csv(copy / "holdout.csv", index=False)
    _rehash(copy)
    refused(runner.invoke(app, ["report", str(copy), "--out", str(tmp_path / "r.html")]), 1, "holdout.csv")
    assert not (tmp_path / "r.html").exists()


def test_another_models_weights_with_matching_checksums_are_refused(bundle, tmp_path):
    from forecast.schema_weights import expected_shapes

    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    meta = json.loads((copy / "bundle.json").read_text())
    other = {**meta, "config": {**meta["config"], "units": 6}}  # a 6-unit model's arrays
    rng = np.random.default_rng(0)
    with open(copy / "weights.npz", "wb") as fh:
        np.savez(fh, **{k: rng.normal(size=s) for k, s in expected_shapes(other).items()})
    _rehash(copy)
    refused(runner.invoke(app, ["predict", str(copy)]), 1, "weights.npz does not fit", "expected")


def test_keras_model_is_checked_against_the_settings_too(bundle, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)

    def change(meta):
        meta["config"]["units"] = 8
        del meta["files"]["weights.npz"]  # so the Keras model is what gets loaded

    _edit(copy, change)
    refused(runner.invoke(app, ["predict", str(copy)]), 1, "model.keras does not fit bundle.json")


def test_resume_refuses_another_architecture(bundle, csv, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    before = (copy / "bundle.json").read_bytes()
    flags = _without("--units")
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *flags, "--units", "8",
                                 "--arch", "gru", "--out", str(copy), "--resume"])
    refused(result, 1, "--resume", "--arch lstm (now gru)", "--units 4 (now 8)")
    assert (copy / "bundle.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]


@pytest.mark.parametrize(("write", "fragment"), [
    (lambda p: np.savez(p, np.array([{"a": 1}], dtype=object), allow_pickle=True), "it holds Python objects"),
    (lambda p: p.write_bytes(b"not a zip"), "optimizer.npz in"),
    (lambda p: np.savez(p, other=np.zeros(3)), "does not hold the optimizer's arrays"),
], ids=["pickled objects", "garbage", "other arrays"])
def test_resume_from_a_damaged_optimizer_checkpoint_is_one_line(bundle, csv, tmp_path, write, fragment):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    write(copy / "optimizer.npz")
    _rehash(copy)
    flags = _without("--epochs")
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *flags, "--epochs", "3",
                                 "--out", str(copy), "--resume"])
    refused(result, 1, fragment)
    assert "pickle.load" not in result.output and "allow_pickle" not in result.output


# --- 4. the data given to predict -------------------------------------------------------------


def _holed(tmp_path: Path, rows: list[int], drop: bool = False) -> Path:
    frame = pd.read_csv(_csv(tmp_path / "recent.csv"))
    frame = frame.drop(index=rows) if drop else frame.assign(load=frame["load"].where(~frame.index.isin(rows)))
    frame.to_csv(tmp_path / "recent.csv", index=False)
    return tmp_path / "recent.csv"


def test_predict_leaves_out_blank_last_values_and_forecasts_after_the_last_one(bundle, tmp_path):
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(_holed(tmp_path, [197, 198, 199])),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 rows after the last target value" in " ".join(result.output.split())
    times = pd.to_datetime(pd.read_csv(out)["time"])
    assert times.iloc[0] == pd.Timestamp("2024-01-01") + pd.Timedelta(hours=197)  # the first blank row's hour


def test_predict_refuses_a_covariate_ending_in_filled_values(csv, tmp_path):
    out = tmp_path / "m"
    trained = runner.invoke(app, ["train", str(csv), "--target", "load", "--features", "x", *TINY, "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    frame = pd.read_csv(csv)
    frame.loc[frame.index[-2:], "x"] = np.nan  # the covariate's last two values blank: carried forward
    data, forecast = tmp_path / "recent.csv", tmp_path / "f.csv"
    frame.to_csv(data, index=False)
    refused(runner.invoke(app, ["predict", str(out), "--data", str(data), "--out", str(forecast)]),
            1, "2 of the last 8 rows", "the last row", "--allow-filled")
    assert not forecast.exists()
    allowed = runner.invoke(app, ["predict", str(out), "--data", str(data), "--out", str(forecast), "--allow-filled"])
    assert allowed.exit_code == 0, allowed.output
    assert "note: 2 of the last 8 rows" in allowed.stderr and forecast.exists()


@pytest.mark.parametrize(("rows", "drop", "count"), [
    ([194], False, "1 of the last 8 rows"),  # a blank inside the window
    ([195, 196], True, "2 of the last 8 rows"),  # missing time steps inside the window
], ids=["blank inside window", "rows missing inside window"])
def test_predict_notes_values_filled_between_real_ones(bundle, tmp_path, rows, drop, count):
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(_holed(tmp_path, rows, drop)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"note: {count}" in result.stderr and "the last row" not in result.stderr
    assert np.isfinite(pd.read_csv(out)["forecast"]).all()


def test_predict_ignores_holes_before_its_window(bundle, tmp_path):
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(_holed(tmp_path, [50, 51]))])
    assert result.exit_code == 0, result.output


def test_predict_horizon_longer_than_trained_is_refused_before_reading_data(bundle, tmp_path):
    missing = tmp_path / "nowhere.csv"  # never read: the horizon is refused first
    refused(runner.invoke(app, ["predict", str(bundle), "--data", str(missing), "--horizon", "1000000000"]),
            1, "Horizon 1000000000 is longer than the trained horizon 3")


def test_predict_huge_recursive_horizon(bundle):
    refused(runner.invoke(app, ["predict", str(bundle), "--horizon", "1000000000", "--recursive"]),
            1, "--horizon 1000000000", "at most 100")


def test_predict_past_the_last_date_pandas_holds(bundle, tmp_path):
    data = _csv(tmp_path / "late.csv", start="2262-04-03 03:00")  # ends 2262-04-11 10:00
    refused(runner.invoke(app, ["predict", str(bundle), "--data", str(data), "--horizon", "60", "--recursive"]),
            1, "the last date pandas can hold")
    end = _csv(tmp_path / "end.csv", start="2262-04-03 14:00")  # ends 2262-04-11 21:00: 3 steps pass 23:47
    refused(runner.invoke(app, ["predict", str(bundle), "--data", str(end)]),  # no --horizon: the trained one
            1, "The trained horizon, 3 steps of h after", "Give --horizon with fewer steps")


@pytest.mark.parametrize(("at", "fragment"), [
    ("2099-01-01", "after the last row"),
    ("9999-01-01", "outside the dates pandas can hold"),
    ("soon", "is not a time"),
])
def test_explain_at_a_time_outside_the_data(bundle, at, fragment):
    refused(runner.invoke(app, ["explain", str(bundle), "--at", at]), 1, fragment)


# --- 5. the HTML report: nothing from the data becomes an element or an attribute -------------

EVIL = '<img src=x onerror=alert(1)>'
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "img", "table",
                "tr", "th", "td", "dl", "dt", "dd"}
ALLOWED_ATTRS = {"lang", "charset", "class", "alt", "src"}


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def _assert_inert(page: str, *shown: str) -> None:
    parser = _Collect()
    parser.feed(page)
    tags = {t for t, _ in parser.tags}
    attrs = {a for _, pairs in parser.tags for a, _ in pairs}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    assert attrs <= ALLOWED_ATTRS, attrs - ALLOWED_ATTRS
    for tag, pairs in parser.tags:
        if tag == "img":
            assert dict(pairs)["src"].startswith("data:image/png;base64,")
    text = "".join(parser.text)
    for value in shown:
        assert value in text  # shown as text, not run


@pytest.fixture(scope="module")
def evil_bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("evil")
    data = _csv(folder / '"><svg onload=alert(2)>.csv', target=EVIL)
    out = folder / "bundle"
    result = runner.invoke(app, ["train", str(data), "--target", EVIL, *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_html_in_column_and_file_names_stays_text_in_the_trained_report(evil_bundle):
    _assert_inert((evil_bundle / "report.html").read_text(), EVIL, '"><svg onload=alert(2)>.csv')


def test_html_in_a_backtest_json_stays_text(evil_bundle, tmp_path):
    backtest = {
        "protocol": {"windows": 2, "horizon": 3, "test_start": "<script>alert(3)</script>",
                     "test_end": "2024-01-09", "season": 24, "refit": False},
        "models": {"<b onmouseover=alert(4)>model": {"mae": 1.0, "mase": 0.5},
                   "naive": {"mae": 2.0, "mase": 1.0}},
        "best_baseline": "<iframe src=javascript:alert(5)>",
        "skill": 0.5,
        "persistence": {"repeats_recent_values": True, "best_shift": 1, "vs_naive": "<u>0.97</u>"},
    }
    path = tmp_path / "bt.json"
    path.write_text(json.dumps(backtest))
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(evil_bundle), "--backtest", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    _assert_inert(out.read_text(), "<script>alert(3)</script>", "<iframe src=javascript:alert(5)>", "<u>0.97</u>")
    assert "mostly repeats recent values" in out.read_text()


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda b: b.update(skill="high"), "skill must be a number"),
    (lambda b: b["protocol"].update(windows="<b>"), "protocol.windows"),
    (lambda b: b.pop("models"), "models must be"),
    (lambda b: b.update(training="x"), "training must be an object"),  # were AttributeError tracebacks
    (lambda b: b.update(training={"config": [1]}), "training must be an object whose config"),
    (lambda b: b.pop("skill"), "skill must be a number"),
], ids=["skill text", "windows text", "no models", "training text", "config a list", "no skill"])
def test_malformed_backtest_json_is_one_line(bundle, tmp_path, change, fragment):
    backtest = {"protocol": {"windows": 2, "horizon": 3, "test_start": "a", "test_end": "b", "season": 24,
                             "refit": False},
                "models": {"model": {"mase": 1.0}}, "best_baseline": "naive", "skill": 0.1}
    change(backtest)
    (tmp_path / "bt.json").write_text(json.dumps(backtest))
    refused(runner.invoke(app, ["report", str(bundle), "--backtest", str(tmp_path / "bt.json"),
                                "--out", str(tmp_path / "r.html")]), 1, fragment)
    assert not (tmp_path / "r.html").exists()


# --- 6. other machines: no Unix-only import, no global matplotlib backend, portable swap --------


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)


def test_every_module_imports_without_fcntl():
    code = ("import sys, pkgutil, importlib; sys.modules['fcntl'] = None\n"
            "import forecast.bundle, forecast.cli, forecast\n"
            "for m in pkgutil.walk_packages(forecast.__path__, 'forecast.'):\n"
            "    importlib.import_module(m.name)\n"
            "print('ok')")
    done = _python(code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_bundle_lock_works_without_fcntl(tmp_path):
    code = ("import sys; sys.modules['fcntl'] = None\n"
            "from forecast.bundle import writing_lock\n"
            f"with writing_lock({str(tmp_path / 'b')!r}): print('locked')")
    done = _python(code)
    assert done.returncode == 0 and "locked" in done.stdout, done.stderr[-2000:]


def test_swap_without_renameat2_replaces_the_bundle(tmp_path, monkeypatch):
    from forecast import bundle, locking

    monkeypatch.setattr(locking.sys, "platform", "win32")  # no renameat2 there
    assert bundle.swap_paths(tmp_path, tmp_path) is False
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    (out / "old.txt").write_text("old")
    tmp.mkdir()
    (tmp / "new.txt").write_text("new")
    bundle._swap_in(tmp, out)
    assert _listing(tmp_path) == ["out", "out/new.txt"]


def test_plots_leave_the_global_matplotlib_backend_alone(tmp_path):
    code = ("import sys, matplotlib; matplotlib.use('svg')\n"
            "from forecast import plots\n"
            f"plots.loss_plot({{'loss': [1.0, 0.5], 'val_loss': [1.1, 0.6]}}, {str(tmp_path / 'l.png')!r})\n"
            "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)")
    done = _python(code)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["svg", "False"]
    assert (tmp_path / "l.png").read_bytes()[:4] == b"\x89PNG"


def test_repeated_list_options_equal_comma_lists():
    from forecast.commands import parse_quantiles, split_list

    assert split_list(["a", "b,c"]) == split_list("a,b,c") == ["a", "b", "c"]
    assert parse_quantiles(["0.1", "0.9"]) == parse_quantiles("0.1,0.9") == [0.1, 0.9]


def test_resume_refuses_another_window_scale(bundle, csv, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    before = (copy / "bundle.json").read_bytes()
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *TINY, "--window-scale",
                                 "--out", str(copy), "--resume"])
    refused(result, 1, "--resume needs the bundle's settings", "window scale off")
    assert (copy / "bundle.json").read_bytes() == before


def test_resume_refuses_other_data_and_spent_epochs_and_keeps_the_best_epoch(bundle, csv, tmp_path):
    """--resume kept the first run's scaling on other data (x1000: intervals 1000x too narrow),
    trained one more epoch past --epochs, and forgot the earlier best epoch."""
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    before = (copy / "bundle.json").read_bytes()
    frame = pd.read_csv(csv)
    frame["load"] *= 1000
    bigger = tmp_path / "bigger.csv"
    frame.to_csv(bigger, index=False)
    flags = _without("--epochs")
    refused(runner.invoke(app, ["train", str(bigger), "--target", "load", *flags, "--epochs", "3",
                                "--out", str(copy), "--resume"]), 1, "--resume continues training on the data",
            "Train a new bundle without --resume")
    refused(runner.invoke(app, ["train", str(csv), "--target", "load", *TINY, "--out", str(copy), "--resume"]),
            1, "has trained 1 epoch, and --epochs (1) counts them all")
    assert (copy / "bundle.json").read_bytes() == before
    resumed = runner.invoke(app, ["train", str(csv), "--target", "load", *flags, "--epochs", "4",
                                  "--out", str(copy), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    training = json.loads((copy / "bundle.json").read_text())
    losses = training["history"]["val_loss"]
    assert training["training"]["epochs"] == len(losses) >= 2
    assert training["training"]["best_epoch"] == int(np.argmin(losses)) + 1  # the best over both runs
    # the first run's note on its base (season 24 beside lookback 8) was lost from the resumed bundle
    assert training["data"]["fit_notes"] == json.loads(before)["data"]["fit_notes"] != []


def test_force_through_a_symlinked_out_replaces_its_target_and_keeps_the_link(tmp_path, bundle, csv):
    """models/current -> models/v3: the link stays, v3 gets the new bundle, nothing is left behind."""
    target, link = tmp_path / "v3", tmp_path / "current"
    shutil.copytree(bundle, target)
    link.symlink_to(target.name)
    before = json.loads((target / "bundle.json").read_text())["created"]
    flags = _without("--horizon")
    result = runner.invoke(app, ["train", str(csv), "--target", "load", *flags, "--horizon", "2",
                                 "--out", str(link), "--force", "--no-report"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert json.loads((target / "bundle.json").read_text())["preprocessor"]["horizon"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "v3"], before


@pytest.mark.parametrize("make", ["fifo", "dir"])
def test_a_pipe_or_folder_as_the_data_is_refused_at_once(tmp_path, make):
    path = tmp_path / "data.csv"
    os.mkfifo(path) if make == "fifo" else path.mkdir()
    result = runner.invoke(app, ["train", str(path), "--target", "y"])
    refused(result, 1, "is a pipe or device, not a file" if make == "fifo" else "is a directory")


def test_odd_inputs_and_outputs_are_named_for_what_they_are(tmp_path, bundle, csv):
    page = tmp_path / "login.csv"
    page.write_text("<!DOCTYPE html>\n<html><body>Sign in</body></html>\n")
    refused(runner.invoke(app, ["train", str(page), "--target", "y"]), 1, "is a web page (HTML), not a CSV")
    refused(runner.invoke(app, ["train", "-", "--target", "y"]), 1, "standard input ('-') is not read")
    refused(runner.invoke(app, ["predict", str(bundle), "--out", str(csv / "f.csv")]), 1,
            "the folder of --out, is a file")
    refused(runner.invoke(app, ["train", str(csv), "--target", "load", *TINY, "--out", str(csv / "b")]), 1,
            "the folder of --out, is a file")


def test_a_data_folder_given_as_the_bundle_is_named_so(tmp_path, csv):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(csv, folder / "sine.csv")
    refused(runner.invoke(app, ["report", str(folder)]), 1, "is not a bundle (no bundle.json; it holds sine.csv)")
