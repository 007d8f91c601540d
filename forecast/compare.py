"""Train several architectures on the same split and seed, and rank them by their network's test
MASE (the chosen forecast may be a statistical member that ignores the architecture: ranking by it
gave ties)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .config import TrainConfig
from .data import Series
from .nets import ARCHS as ARCHS_ALL

__all__ = ["ARCHS_ALL", "compare_archs", "network_mase"]


def network_mase(forecaster: Any) -> float:
    """The test MASE of the network alone (the chosen forecast's where it was not scored)."""
    metrics = forecaster.holdout_["metrics"]
    return float(metrics.get("lstm", metrics["model"])["mase"])


def compare_archs(
    series: Series,
    config: TrainConfig,
    archs: list[str],
    started: Callable[[str], None] | None = None,
) -> list[tuple[str, Any]]:
    """Fit one forecaster per architecture with otherwise identical settings.

    Returns:
        ``[(arch, fitted Forecaster), ...]`` ranked by the network's test MASE, then the chosen
        forecast's, best first.
    """
    from .forecaster import Forecaster

    fitted = []
    for arch in archs:
        if started:
            started(arch)
        fitted.append((arch, Forecaster(replace(config, arch=arch)).fit(series)))
    return sorted(fitted, key=lambda item: (network_mase(item[1]), item[1].holdout_["metrics"]["model"]["mase"]))
