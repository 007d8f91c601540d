"""Generated messy CSVs: every case trains and predicts finite numbers, or ends in our one-line error."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()
TINY = ["--epochs", "1", "--units", "2", "--lookback", "4", "--horizon", "2", "--time-budget", "20", "--ensemble", "1"]


@st.composite
def messy_csv(draw) -> tuple[str, str]:
    """A CSV text and its delimiter, with the quirks real files have."""
    rows = draw(st.integers(12, 90))
    freq = draw(st.sampled_from(["h", "D", "30min"]))
    magnitude = draw(st.sampled_from([1e-6, 1.0, 1e6, 1e300]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    values = (np.sin(t / 3) + 0.1 * rng.standard_normal(rows)) * magnitude
    frame = pd.DataFrame({
        "time": pd.date_range("2021-03-01", periods=rows, freq=freq).strftime("%Y-%m-%d %H:%M"),
        "y": values.astype(object),
        "x": rng.standard_normal(rows).astype(object),
    })
    for _ in range(draw(st.integers(0, 3))):  # runs of missing values
        start = draw(st.integers(0, rows - 1))
        frame.loc[start : start + draw(st.integers(1, 8)), "y"] = np.nan
    if draw(st.integers(0, 3)) == 0:  # a stray string in the target
        frame.loc[draw(st.integers(0, rows - 1)), "y"] = draw(st.sampled_from(["abc", "n/a ", "1,5", "--"]))
    if draw(st.booleans()):  # duplicated timestamps
        frame = pd.concat([frame, frame.sample(n=min(3, rows), random_state=seed)])
    if draw(st.booleans()):  # unsorted rows
        frame = frame.sample(frac=1.0, random_state=seed)
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, sep=sep)
    return buffer.getvalue(), sep


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=messy_csv())
def test_every_generated_csv_trains_or_fails_with_one_line(case):
    text, _ = case
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data.csv"
        data.write_text(text)
        out = Path(folder) / "bundle"
        result = runner.invoke(app, ["train", str(data), "--target", "y", *TINY, "--out", str(out)])
        if result.exit_code != 0:
            _assert_one_line_error(result)
            assert not out.exists()
            event(f"train refused: {result.stderr.split('.')[0][7:60]}")
            return
        predicted = runner.invoke(app, ["predict", str(out)])
        if predicted.exit_code != 0:
            _assert_one_line_error(predicted)
            return
        forecast = pd.read_csv(io.StringIO(predicted.stdout))
        assert len(forecast) == 2
        assert np.isfinite(forecast[["forecast", "lower", "upper"]].to_numpy()).all()
        event("trained and predicted finite numbers")


def _assert_one_line_error(result) -> None:
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
