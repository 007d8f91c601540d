"""The recipe of `forecast train`, one call a step: fit → save → draw.

``fit`` is :meth:`Forecaster.fit` (plan the geometry, scale on the training part, train the
network, fit the statistical members, choose and calibrate the intervals on validation
windows, score the test part); ``save`` writes the fitted state and, in the same atomic
write, the pictures and report drawn by :mod:`forecast.report`. The CLI calls the steps
one by one so that it can print between them; :func:`train` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import bundle
from .config import TrainConfig
from .data import Series
from .forecaster import Forecaster
from .report import drawings


def fit(
    series: Series,
    config: TrainConfig,
    progress: Callable[[int, dict[str, float]], None] | None = None,
    stop: Any = None,
    resume_from: Forecaster | None = None,
) -> Forecaster:
    """A fitted forecaster: trained, chosen and calibrated on validation, scored on the test part.

    Args:
        progress: called after each epoch with ``(epoch, logs)``.
        stop: a ``threading.Event``: set, training ends after the current batch (best kept).
        resume_from: a loaded bundle of the same settings to continue training.
    """
    return Forecaster(config).fit(series, report=progress, stop=stop, resume_from=resume_from)


def save(forecaster: Forecaster, out: Path, force: bool = False, report: bool = True) -> Path:
    """Write the bundle: the fitted state, then its plots and (``report``) report.html, all in
    one atomic write (no partial bundle on any error). Returns ``out``."""
    info = forecaster.info()
    files = {**forecaster.files(), **drawings(info, forecaster.holdout_, report)}
    return bundle.save(Path(out), forecaster.model_, info, files, force=force)


def train(series: Series, config: TrainConfig, out: Path, force: bool = False,
          report: bool = True) -> Forecaster:
    """fit → save: the whole recipe, for library users."""
    forecaster = fit(series, config)
    save(forecaster, out, force=force, report=report)
    return forecaster
