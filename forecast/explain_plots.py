"""Pictures of what the model does inside: gate heatmaps, importance bars, attention weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .plots import COLOURS, date_ticks, save_figure


def gates_plot(
    history: pd.Series,
    steps: dict[str, np.ndarray],
    path: Path,
    edges: pd.DatetimeIndex | None = None,
) -> None:
    """The input window above heatmaps (units x time) of the input, forget and output gates
    and the cell state of the first LSTM layer, on one time axis.

    Args:
        edges: where each recurrent step starts, and the last one ends (default: one step per
            row of ``history``; a network reading patches of rows has fewer, wider steps).
    """
    from matplotlib.figure import Figure

    rows = [("input gate: what to add", "input", "viridis", (0, 1)),
            ("forget gate: what to keep", "forget", "viridis", (0, 1)),
            ("output gate: what to expose", "output", "viridis", (0, 1)),
            ("cell state", "cell", "coolwarm", None)]
    fig = Figure(figsize=(10, 11), dpi=100)  # no pyplot: the global backend stays the user's
    axes = fig.subplots(len(rows) + 1, 1, sharex=True,
                        gridspec_kw={"height_ratios": [1.2] + [1] * len(rows)})
    times = history.index
    axes[0].plot(times, history.to_numpy(), color=COLOURS["actual"], lw=1)
    axes[0].set_ylabel(str(history.name))
    axes[0].set_title("Input window and the first LSTM layer's gates")
    edges = cell_edges(times) if edges is None else edges
    for ax, (title, key, cmap, limits) in zip(axes[1:], rows):
        values = steps[key].T  # (units, time)
        if limits is None:
            bound = float(np.abs(values).max()) or 1.0
            limits = (-bound, bound)
        mesh = ax.pcolormesh(edges, np.arange(values.shape[0] + 1), values, cmap=cmap,
                             vmin=limits[0], vmax=limits[1], shading="flat")
        ax.set_ylabel("unit")
        ax.set_title(title, fontsize=10, loc="left")
        fig.colorbar(mesh, ax=ax, pad=0.01)
    axes[-1].set_xlabel(times.name or "time")
    date_ticks(axes[-1])
    spacer = fig.colorbar(axes[1].collections[0], ax=axes[0], pad=0.01)
    spacer.ax.set_visible(False)  # keeps the top axis as wide as the heatmaps below
    save_figure(fig, path)


def cell_edges(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    step = times[-1] - times[-2] if len(times) > 1 else pd.Timedelta(1, "h")
    return times.append(pd.DatetimeIndex([times[-1] + step]))


def importance_plot(result: dict[str, Any], path: Path) -> None:
    """Two bar charts: MAE increase when each feature, or each part of the lookback, is shuffled."""
    from .plots import new_figure

    fig, (left, right) = new_figure(10, 3.6, ncols=2)
    for ax, key, title in ((left, "features", "Input features"), (right, "lookback", "Parts of the lookback")):
        names = list(result[key])
        ax.barh(names[::-1], [result[key][n] for n in names][::-1], color=COLOURS["forecast"])
        ax.axvline(0, color="#222222", lw=0.8)
        ax.set_xlabel("test MAE increase when shuffled (data units)")
        ax.set_title(title)
    save_figure(fig, path)


def attention_plot(times: pd.DatetimeIndex, weights: np.ndarray, path: Path) -> None:
    """Attention weight on each step of the lookback window."""
    from .plots import new_figure

    fig, ax = new_figure(9, 3)
    ax.bar(times, weights, width=(times[1] - times[0]) * 0.9 if len(times) > 1 else 1,
           color=COLOURS["forecast"])
    ax.set_xlabel(times.name or "time")
    ax.set_ylabel("attention weight")
    ax.set_title("Where the attention layer looks in the lookback window")
    date_ticks(ax)
    save_figure(fig, path)
