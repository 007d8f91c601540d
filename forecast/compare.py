"""Train several architectures on the same split and seed, and rank them by test MASE."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .config import TrainConfig
from .data import Series
from .nets import ARCHS as ARCHS_ALL

__all__ = ["ARCHS_ALL", "compare_archs"]


def compare_archs(
    series: Series,
    config: TrainConfig,
    archs: list[str],
    started: Callable[[str], None] | None = None,
) -> list[tuple[str, Any]]:
    """Fit one forecaster per architecture with otherwise identical settings.

    Returns:
        ``[(arch, fitted Forecaster), ...]`` ranked by test MASE, best first.
    """
    from .forecaster import Forecaster

    fitted = []
    for arch in archs:
        if started:
            started(arch)
        fitted.append((arch, Forecaster(replace(config, arch=arch)).fit(series)))
    return sorted(fitted, key=lambda item: item[1].holdout_["metrics"]["model"]["mase"])
