"""Tiny seeded series written to tmp_path, and the path to the shared real datasets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def shared_csv(name: str) -> Path:
    """Path of a shared dataset, or skip the test with a reason when it is absent."""
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"shared dataset {path} is absent")
    return path


def sine_frame(rows: int = 400, period: int = 24, noise: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """An hourly noisy sine with a covariate: columns time, y, x."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    y = 10 + 3 * np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(rows)
    x = np.cos(2 * np.pi * t / period) + noise * rng.standard_normal(rows)
    times = pd.date_range("2024-01-01", periods=rows, freq="h")
    return pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M"), "y": y, "x": x})


def write_meta(folder: Path, meta: Any) -> None:
    """Write an edited bundle.json with its digest made to agree, as a careful attacker would, so
    that the check under test (the typed schema, the weights' shapes) is the one that answers."""
    from forecast.bundle import meta_digest

    if isinstance(meta, dict):
        meta = {**meta, "digest": meta_digest(meta)}
    (Path(folder) / "bundle.json").write_text(json.dumps(meta))


@pytest.fixture
def sine_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sine.csv"
    sine_frame().to_csv(path, index=False)
    return path
