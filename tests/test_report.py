"""The HTML report: self-contained; in headless Chromium it renders to a non-blank picture with no
console error, no broken image and no layout wider than the page."""

from __future__ import annotations

import html as html_module
import json
import re
import shutil
import subprocess
from html import escape as html_escape

import numpy as np
import pytest
from conftest import sine_frame
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
TINY = ["--epochs", "2", "--units", "4", "--lookback", "12", "--horizon", "4", "--time-budget", "30", "--ensemble", "1"]


@pytest.fixture(scope="module")
def bundle_and_backtest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    data = folder / "sine.csv"
    sine_frame(rows=240).to_csv(data, index=False)
    out = folder / "bundle"
    assert runner.invoke(app, ["train", str(data), "--target", "y", *TINY, "--out", str(out)]).exit_code == 0
    bt = folder / "bt.json"
    result = runner.invoke(app, ["backtest", str(data), "--target", "y", *TINY, "--windows", "3",
                                 "--json", str(bt)])
    assert result.exit_code == 0, result.output
    return out, bt


def test_train_writes_a_self_contained_report_into_the_bundle(bundle_and_backtest):
    out, _ = bundle_and_backtest
    html = (out / "report.html").read_text()
    meta = json.loads((out / "bundle.json").read_text())
    assert "report.html" in meta["files"]  # covered by the sha256 check like every file
    for section in ("Data", "Training", "Test part", "Error by horizon step", "Residuals", "Model card"):
        assert f"<h2>{section}</h2>" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) >= 5
    chosen = f"<dt>forecast</dt><dd>forecast = {html_escape(meta['choice']['label'])}, validation MASE"
    assert chosen in html  # the forecast given, as train printed it (issue 15: report records it)
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_report_command_adds_the_backtest(bundle_and_backtest, tmp_path):
    out, bt = bundle_and_backtest
    page = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(out), "--backtest", str(bt), "--out", str(page)])
    assert result.exit_code == 0, result.output
    assert "note: the backtest's windows end" not in result.output  # the bundle's own file
    html = page.read_text()
    assert "<h2>Backtest</h2>" in html and "drift" in html
    older = json.loads(bt.read_text())
    older["protocol"]["test_end"] = "2001-02-03 00:00:00"  # same target, another file
    (tmp_path / "older.json").write_text(json.dumps(older))
    noted = runner.invoke(app, ["report", str(out), "--backtest", str(tmp_path / "older.json"), "--out", str(page)])
    assert noted.exit_code == 0 and "note: the backtest's windows end at 2001-02-03, this bundle's data at" in (
        " ".join(noted.stderr.split()))
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = runner.invoke(app, ["report", str(out), "--backtest", str(bad), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 1 and "Error: --backtest" in result.output
    assert not (tmp_path / "x.html").exists()
    other = json.loads(bt.read_text())
    other["training"]["config"]["target"] = "units"  # another series' backtest
    bad.write_text(json.dumps(other))
    result = runner.invoke(app, ["report", str(out), "--backtest", str(bad), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 1 and "backtests 'units', but this bundle forecasts 'y'" in result.output
    assert not (tmp_path / "x.html").exists()
    assert re.search(r"batch \d+, learning rate", html)  # the batch trained with, not the auto setting


def test_a_backtest_of_other_settings_is_noted(bundle_and_backtest, tmp_path):
    """A backtest of --horizon 6 --model lstm went into the report of an auto, horizon-4 bundle without a
    word: its 'model' row read as the bundle's chosen forecast."""
    out, bt = bundle_and_backtest
    other = json.loads(bt.read_text())
    other["protocol"]["horizon"] = 6
    other["training"]["config"]["model"] = "lstm"
    (tmp_path / "other.json").write_text(json.dumps(other))
    result = runner.invoke(app, ["report", str(out), "--backtest", str(tmp_path / "other.json"),
                                 "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert ("note: the backtest was run with --horizon 6 (this bundle: 4), --model lstm (this bundle: auto): "
            "its rows are not this bundle's forecasts") in " ".join(result.stderr.split())


def test_report_of_dot_from_inside_the_bundle_is_written_beside_it(bundle_and_backtest, tmp_path, monkeypatch):
    """`report .` wrote '-report.html' into the bundle (the name of Path('.') is empty)."""
    import shutil

    out, _ = bundle_and_backtest
    copy = tmp_path / "b"
    shutil.copytree(out, copy)
    monkeypatch.chdir(copy)
    result = runner.invoke(app, ["report", "."])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b-report.html").exists() and not list(copy.glob("*-report.html"))


def test_backtest_json_has_the_documented_keys(bundle_and_backtest):
    _, bt = bundle_and_backtest
    result = json.loads(bt.read_text())
    assert {"protocol", "models", "per_step_mae"} <= set(result)
    assert {"model", "naive", "seasonal_naive", "drift"} <= set(result["models"])
    for m in result["models"].values():
        assert {"mae", "rmse", "smape", "mase"} <= set(m)


def test_report_renders_in_headless_chromium(bundle_and_backtest, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`)")
    out, _ = bundle_and_backtest
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1000,2400",
         f"--screenshot={shot}", (out / "report.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]  # (height, width, rgb) in 0..1
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 900
    rows_with_content = (pixels.std(axis=(1, 2)) > 0.02).mean()
    assert pixels.std() > 0.05 and rows_with_content > 0.3  # text and plots, not a blank page
    assert np.mean(pixels < 0.5) > 0.01  # dark ink exists


_CHECK = """<script>
window.__errors = [];
const __error = console.error;
console.error = (...args) => { window.__errors.push(args.join(" ")); __error(...args); };
addEventListener("error", ev => window.__errors.push(
  ev.message || "failed to load " + (ev.target.src || ev.target.href || ev.target.tagName)), true);
addEventListener("load", () => {
  const root = document.documentElement;
  document.body.setAttribute("data-check", JSON.stringify({
    errors: window.__errors,
    broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt),
    scroll_width: root.scrollWidth, client_width: root.clientWidth,
  }));
});
</script>"""


def _browse(browser: str, page, tmp_path) -> dict:
    """Open ``page`` (with the checker injected first in <head>) in headless Chromium, 1000 px
    wide; returns the checker's findings and every console line Chromium logged."""
    html = page.read_text(encoding="utf-8").replace("<head>", "<head>" + _CHECK, 1)
    probe = tmp_path / f"probe-{page.name}"
    probe.write_text(html, encoding="utf-8")
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1000,2400",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom",
         probe.as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    )
    found = re.search(r'data-check="([^"]*)"', done.stdout)
    assert found, done.stdout[-2000:]
    result = json.loads(html_module.unescape(found.group(1)))
    result["console"] = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return result


def _problems(result: dict) -> list[str]:
    out = [f"console: {line}" for line in result["console"]]
    out += [f"error: {e}" for e in result["errors"]]
    out += [f"broken image: {alt}" for alt in result["broken"]]
    if result["scroll_width"] > result["client_width"]:
        out.append(f"layout {result['scroll_width']} px wide on a {result['client_width']} px page")
    return out


def test_report_has_no_console_error_broken_image_or_overflow_in_chromium(bundle_and_backtest, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`)")
    out, bt = bundle_and_backtest
    page = tmp_path / "full.html"  # the bundle's report, and the report with a backtest
    assert runner.invoke(app, ["report", str(out), "--backtest", str(bt), "--out", str(page)]).exit_code == 0
    for report in (out / "report.html", page):
        assert _problems(_browse(browser, report, tmp_path)) == [], report
    # the check sees each kind of fault (else it could pass a broken page)
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head></head><body><img src="data:image/png;base64,AAAA" '
                   'alt="x"><div style="width:3000px">wide</div><script>console.error("boom")</script>'
                   "</body></html>", encoding="utf-8")
    problems = " | ".join(_problems(_browse(browser, bad, tmp_path)))
    assert "error: boom" in problems and "broken image: x" in problems and "px wide" in problems


def test_loading_notes_end_in_one_period_not_two():
    from forecast.report import _loading

    notes = ["2 values filled", "Forecasts stop at 0: the history is whole numbers, none negative (--floor none lets them go below)."]
    assert f"Loading: {_loading(notes)}." == ("Loading: 2 values filled; Forecasts stop at 0: the history is whole "
                                              "numbers, none negative (--floor none lets them go below).")
    assert _loading([]) == "nothing changed"


def test_counts_are_singular_for_one():
    from forecast.timefmt import count

    assert (count(1, "window"), count(2, "window"), count(0, "epoch")) == ("1 window", "2 windows", "0 epochs")
