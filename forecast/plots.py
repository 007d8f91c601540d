"""Plots written to PNG files: Figure objects drawn off screen, never pyplot or its global backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MAX_WINDOWS = 40  # test windows drawn in holdout.png

COLOURS = {  # one colour per role, in every plot
    "actual": "#222222",
    "forecast": "#1f77b4",
    "interval": "#1f77b4",
    "naive": "#aaaaaa",
    "seasonal_naive": "#ff7f0e",
    "train": "#1f77b4",
    "validation": "#d62728",
}


def new_figure(
    width: float = 9, height: float = 4, ncols: int = 1, nrows: int = 1, **kwargs: Any
) -> tuple[Any, Any]:
    """A :class:`matplotlib.figure.Figure` and its axes, made without pyplot: the global
    backend (a notebook's, a GUI's) is never touched, and nothing is kept in a registry."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def date_ticks(ax: Any) -> None:
    """Date ticks that fit the span and frequency (hours for days of data, years for decades)."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def save_figure(fig: Any, path: Any) -> None:
    """Write ``fig`` to a path or a binary file (PNG unless the path's suffix says otherwise)."""
    fig.tight_layout()
    fig.savefig(path)


def loss_plot(history: dict[str, list[float]], path: Path) -> None:
    """Training and validation loss (MAE on scaled values) per epoch."""
    fig, ax = new_figure(7, 4)
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
    save_figure(fig, path)


def holdout_plot(series: pd.Series, holdout: dict[str, Any], path: Path) -> None:
    """Actual values of the test part (with some context) against the forecasts of each window.

    Long test parts show their last ``MAX_WINDOWS`` windows, so the lines stay readable.
    """
    fig, ax = new_figure()
    keep = slice(-MAX_WINDOWS, None)
    o = holdout["origins"][keep]
    h = holdout["actual"].shape[1]
    start = max(0, int(o[0]) - 2 * h) if len(o) else 0
    shown = series.iloc[start:]
    ax.plot(shown.index, shown.to_numpy(), color=COLOURS["actual"], lw=1, label="actual")
    bands = holdout.get("quantiles")
    bands = None if bands is None else bands[keep]
    for i, origin in enumerate(o if bands is not None else []):
        times = series.index[origin : origin + h]
        ax.fill_between(times, bands[i, :, 0], bands[i, :, -1], color=COLOURS["interval"],
                        alpha=0.2, lw=0, label=holdout.get("interval_label") if i == 0 else None)
    for name in ("seasonal_naive", "model"):
        label = "forecast" if name == "model" else "seasonal naive"
        colour = COLOURS["forecast" if name == "model" else name]
        for i, origin in enumerate(o):
            times = series.index[origin : origin + h]
            ax.plot(times, holdout["forecasts"][name][keep][i], color=colour, lw=1.2,
                    alpha=0.9 if name == "model" else 0.6, label=label if i == 0 else None)
    if len(o):
        ax.axvline(series.index[o[0]], color="#999999", ls=":", label="test part starts")
    ax.set_xlabel(series.index.name or "time")
    ax.set_ylabel(str(series.name))
    ax.set_title("Test part: actual vs forecast (each window from the true history)")
    ax.legend(loc="upper left")
    date_ticks(ax)
    save_figure(fig, path)


def forecast_plot(
    history: pd.Series, forecast: pd.DataFrame, path: Path, interval_label: str = "interval"
) -> None:
    """Recent history followed by the forecast and, when present, its interval band."""
    fig, ax = new_figure()
    _forecast_axes(ax, history, forecast, interval_label, f"Forecast: next {len(forecast)} steps")
    save_figure(fig, path)


PANEL_SHOWN = 6  # series drawn by panel_forecast_plot, one row each


def panel_forecast_plot(
    parts: list[tuple[str, pd.Series, pd.DataFrame]], path: Path, interval_label: str = "interval", total: int = 0
) -> None:
    """Several series' forecasts, one row each (the first :data:`PANEL_SHOWN`): ``(name, history, forecast)``."""
    parts = parts[:PANEL_SHOWN]
    fig, axes = new_figure(9, 2.6 * len(parts) + 0.6, nrows=len(parts), squeeze=False)
    for ax, (name, history, forecast) in zip(axes[:, 0], parts):
        _forecast_axes(ax, history, forecast, interval_label, f"{name}: next {len(forecast)} steps")
    if total > len(parts):
        fig.suptitle(f"The first {len(parts)} of {total} series")
    save_figure(fig, path)


def _forecast_axes(ax: Any, history: pd.Series, forecast: pd.DataFrame, interval_label: str, title: str) -> None:
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
    ax.set_title(title)
    ax.legend(loc="upper left")
    date_ticks(ax)


def overview_plot(series: pd.Series, split: dict[str, int], path: Path) -> None:
    """The whole target series with the train / validation / test parts shaded."""
    fig, ax = new_figure(9, 3.5)
    ax.plot(series.index, series.to_numpy(), color=COLOURS["actual"], lw=0.6)
    edges = [0, split["train_rows"], split["train_rows"] + split["val_rows"], len(series)]
    for (a, b), (name, colour) in zip(
        zip(edges[:-1], edges[1:]), [("train", "#1f77b4"), ("validation", "#d62728"), ("test", "#2ca02c")]
    ):
        if b > a:
            ax.axvspan(series.index[a], series.index[b - 1], color=colour, alpha=0.08, label=name)
    ax.set_xlabel(series.index.name or "time")
    ax.set_ylabel(str(series.name))
    ax.set_title("Data and the split by time")
    ax.legend(loc="upper left")
    date_ticks(ax)
    save_figure(fig, path)


def step_error_plot(per_step: dict[str, list[float]], path: Path) -> None:
    """MAE at each horizon step, for the model and each baseline."""
    fig, ax = new_figure(7, 3.5)
    for name, values in per_step.items():
        colour = COLOURS.get(name, COLOURS["forecast"] if name == "model" else "#7f7f7f")
        ax.plot(np.arange(1, len(values) + 1), values, marker=".", color=colour,
                label=name.replace("_", " "))
    ax.set_xlabel("horizon step")
    ax.set_ylabel("MAE (data units)")
    ax.set_title("Error by horizon step")
    ax.legend()
    save_figure(fig, path)


def residual_plot(residuals: np.ndarray, season: int, path: Path) -> None:
    """Histogram and autocorrelation of one-step-ahead-and-later residuals (actual - forecast)."""
    fig, (left, right) = new_figure(9, 3.5, ncols=2)
    r = np.asarray(residuals, dtype="float64").ravel()
    left.hist(r, bins=40, color=COLOURS["forecast"], alpha=0.8)
    left.axvline(0, color="#222222", lw=1)
    left.set_xlabel("residual (actual - forecast, data units)")
    left.set_ylabel("count")
    left.set_title("Residuals")
    lags = np.arange(1, max(2, min(2 * season, len(r) // 3, 96)))
    centred = r - r.mean()
    denom = float(np.sum(centred**2)) or 1.0
    acf = [float(np.sum(centred[k:] * centred[:-k]) / denom) for k in lags]
    right.bar(lags, acf, color=COLOURS["forecast"], width=0.8)
    bound = 1.96 / np.sqrt(max(len(r), 1))
    right.axhline(bound, color="#999999", ls=":")
    right.axhline(-bound, color="#999999", ls=":")
    right.set_xlabel("lag (steps)")
    right.set_ylabel("autocorrelation")
    right.set_title("Residual autocorrelation")
    save_figure(fig, path)


def anomaly_plot(result: pd.DataFrame, name: str, path: Path, series: str | None = None) -> None:
    """Actual values with the expected interval, flagged values marked; ``series`` names which
    series of a several-series bundle it shows (its counts are that series' alone)."""
    fig, ax = new_figure(10, 4)
    ax.fill_between(result.index, result["lower"], result["upper"], color=COLOURS["interval"],
                    alpha=0.2, lw=0, label="expected interval")
    ax.plot(result.index, result["actual"], color=COLOURS["actual"], lw=0.7, label="actual")
    flagged = result[result["anomaly"]]
    for reason, marker in (("outside", "x"), ("stuck", "s")):
        part = flagged[flagged["reason"] == reason]
        if len(part):
            ax.scatter(part.index, part["actual"], color="#d62728", marker=marker, s=28, zorder=3,
                       label=f"anomaly ({'outside the expected range' if reason == 'outside' else 'stuck value'})")
    ax.set_xlabel(result.index.name or "time")
    ax.set_ylabel(name)
    ax.set_title(f"Anomalies{f' of {series}' if series else ''}: {int(result['anomaly'].sum())} of {len(result)} "
                 "values flagged")
    ax.legend(loc="upper left")
    date_ticks(ax)
    save_figure(fig, path)


def tuning_plot(trials: list[dict[str, Any]], path: Path) -> None:
    """Validation MASE of each trial, in order, and the best so far (``tuning.png``)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    done = [(i, r["score"]) for i, r in enumerate(trials, 1) if r.get("score") is not None]
    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    if done:
        x, y = zip(*done)
        ax.plot(x, y, "o", label="trial")
        best = [min(y[: k + 1]) for k in range(len(y))]
        ax.step(x, best, where="post", label="best so far")
        ax.legend()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel("validation MASE (LSTM)")
    ax.set_title("Hyperparameter search")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
