"""Plots written to PNG files (Agg backend; nothing is ever shown on screen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

COLOURS = {  # one colour per role, in every plot
    "actual": "#222222",
    "forecast": "#1f77b4",
    "interval": "#1f77b4",
    "naive": "#aaaaaa",
    "seasonal_naive": "#ff7f0e",
    "train": "#1f77b4",
    "validation": "#d62728",
}


def _figure(width: float = 9, height: float = 4) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), dpi=100)


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def loss_plot(history: dict[str, list[float]], path: Path) -> None:
    """Training and validation loss (MAE on scaled values) per epoch."""
    fig, ax = _figure(7, 4)
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], color=COLOURS["train"], label="training")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], color=COLOURS["validation"], label="validation")
        best = int(np.argmin(history["val_loss"]))
        ax.axvline(best + 1, color="#999999", ls=":", label=f"best epoch ({best + 1})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (MAE, scaled units)")
    ax.set_title("Training curves")
    ax.legend()
    _save(fig, path)


def holdout_plot(series: pd.Series, holdout: dict[str, Any], path: Path) -> None:
    """Actual values of the test part (with some context) against the forecasts of each window."""
    fig, ax = _figure()
    o = holdout["origins"]
    h = holdout["actual"].shape[1]
    start = max(0, int(o[0]) - 2 * h) if len(o) else 0
    shown = series.iloc[start:]
    ax.plot(shown.index, shown.to_numpy(), color=COLOURS["actual"], lw=1, label="actual")
    bands = holdout.get("quantiles")
    for i, origin in enumerate(o if bands is not None else []):
        times = series.index[origin : origin + h]
        ax.fill_between(times, bands[i, :, 0], bands[i, :, -1], color=COLOURS["interval"],
                        alpha=0.2, lw=0, label=holdout.get("interval_label") if i == 0 else None)
    for name in ("seasonal_naive", "model"):
        label = "forecast" if name == "model" else "seasonal naive"
        colour = COLOURS["forecast" if name == "model" else name]
        for i, origin in enumerate(o):
            times = series.index[origin : origin + h]
            ax.plot(times, holdout["forecasts"][name][i], color=colour, lw=1.2,
                    alpha=0.9 if name == "model" else 0.6, label=label if i == 0 else None)
    if len(o):
        ax.axvline(series.index[o[0]], color="#999999", ls=":", label="test part starts")
    ax.set_xlabel(series.index.name or "time")
    ax.set_ylabel(str(series.name))
    ax.set_title("Test part: actual vs forecast (each window from the true history)")
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    _save(fig, path)


def forecast_plot(
    history: pd.Series, forecast: pd.DataFrame, path: Path, interval_label: str = "interval"
) -> None:
    """Recent history followed by the forecast and, when present, its interval band."""
    fig, ax = _figure()
    recent = history.iloc[-max(4 * len(forecast), 48):]
    ax.plot(recent.index, recent.to_numpy(), color=COLOURS["actual"], lw=1, label="history")
    joined_t = [recent.index[-1], *forecast.index]
    joined_v = [recent.iloc[-1], *forecast["forecast"].to_numpy()]
    if "lower" in forecast:
        ax.fill_between(forecast.index, forecast["lower"], forecast["upper"],
                        color=COLOURS["interval"], alpha=0.2, lw=0, label=interval_label)
    ax.plot(joined_t, joined_v, color=COLOURS["forecast"], lw=1.5, marker=".", label="forecast (median)")
    ax.set_xlabel(history.index.name or "time")
    ax.set_ylabel(str(history.name))
    ax.set_title(f"Forecast: next {len(forecast)} steps")
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    _save(fig, path)
