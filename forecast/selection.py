"""Beside the trained network: the statistical members, the forecast chosen on validation
windows, the share of the network's correction kept, and the calibrated intervals.

Runs once the network is trained, on the validation part of every series (rolling
origins, at most :func:`forecast.members.validation_windows` per series, never the test
part), and leaves the results on the forecaster: ``members_``, ``choice_``, ``shrink_``
and ``interval_scale_``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .choice import SHORT_HORIZONS, choose
from .config import STATISTICAL
from .errors import ConfigError
from .intervals import fit_interval_scale
from .members import MAX_STAT_SERIES, fit_members, fit_rows, member_names, validation_windows
from .metrics import mase_scale
from .windows import origins

if TYPE_CHECKING:
    from .layout import Layout


def fit_shrink(
    actual: np.ndarray, lstm: np.ndarray, base: np.ndarray, median: int
) -> tuple[float, np.ndarray]:
    """The share ``a`` of the network's correction to its base (``base + a (lstm - base)``)
    with the lowest validation MAE, on a grid of 0, 0.1, ... 1, and the shrunk forecasts.

    A network that cannot beat its own base on validation falls back towards it (a = 0 is
    the base itself: naive or seasonal naive), instead of adding noise to it.

    Args:
        actual: ``(n, horizon)``; lstm: ``(n, horizon, q)``; base: ``(n, horizon)``.
    """
    delta = lstm - base[..., None]
    errors = {a: float(np.mean(np.abs(actual - base - a * delta[..., median]))) for a in np.linspace(0, 1, 11)}
    best = round(float(min(errors, key=lambda a: (errors[a], -a))), 2)
    return best, base[..., None] + shrink_correction(delta, best, median)


def shrink_correction(correction: np.ndarray, share: float, median: int | None) -> np.ndarray:
    """The network's correction to its base with only ``share`` of its median kept.

    The quantiles keep their distances from the median: shrinking the whole correction
    would shrink the interval with it (to nothing at ``share`` 0: 0% coverage on
    monthly-milk), though the uncertainty around the base is no smaller.

    Args:
        correction: ``(n, horizon, q)`` with ``median`` the 0.5 level's index, or a point
            ``(n, horizon)`` (``median`` None), in any units linear in the target's.
    """
    if median is None or correction.ndim < 3:
        return share * correction
    return correction - (1.0 - share) * correction[..., median : median + 1]


def fit_forced(model: str, layout: Layout, target: str, season: int) -> dict[str, dict[str, Any]] | None:
    """With ``--model`` a statistical member: every series' members fitted on its training part before the
    network trains (``select`` then uses them), so one the member cannot be fitted on is refused in
    seconds, not after the whole training. None for ``auto`` and ``lstm``, whose members ``select`` fits."""
    if model not in STATISTICAL:
        return None
    fitted = _fit_all(model, layout, target, season)
    _check_forced(model, fitted)
    return fitted


def _fit_all(model: str, layout: Layout, target: str, season: int) -> dict[str, dict[str, Any]]:
    """Each series' members (:func:`member_names`), fitted on its training part."""
    names, rows = member_names(model, len(layout.names)), fit_rows(len(layout.names), season)
    return {layout.key(i) or "": fit_members(frame[target].to_numpy(dtype="float64")[: split.train_end],
                                             season, names, rows)
            for i, (frame, split) in enumerate(zip(layout.frames, layout.splits))}


def select(forecaster: Any, layout: Layout, parts: list[np.ndarray],
           fitted: dict[str, dict[str, Any]] | None = None) -> None:
    """Given a :class:`forecast.forecaster.Forecaster` whose network is trained: fit the statistical members on each series' training part, choose the forecast on
    the validation windows (see :mod:`forecast.choice`), calibrate its intervals there,
    then refit the members on training + validation rows for the final forecaster. ``fitted``: the
    members :func:`fit_forced` fitted already (a forced ``--model``), used as they are."""
    pre, cfg = forecaster.preprocessor_, forecaster.config
    names = member_names(cfg.model, len(layout.names))
    forecaster.members_ = (fitted if fitted is not None  # each series' members on its training part
                           else _fit_all(cfg.model, layout, pre.target, forecaster.season_))
    forecaster.choice_ = {"weights": {"lstm": 1.0}, "label": "lstm", "scores": {}, "windows": 0}
    actual, forecasts, span = [], {}, 0
    per_series = validation_windows(len(layout.names))
    rows = fit_rows(len(layout.names), forecaster.season_)
    for i, (frame, values, split) in enumerate(zip(layout.frames, parts, layout.splits)):
        key = layout.key(i) or ""
        y = frame[pre.target].to_numpy(dtype="float64")
        o = origins(split.train_end, split.val_end, 0, pre.horizon)  # a panel's short series: padded
        o = o[np.unique(np.linspace(0, len(o) - 1, min(len(o), per_series)).astype(int))] if len(o) else o
        if not len(o):
            continue
        span += int(o[-1] - o[0]) + pre.horizon  # validation rows the windows cover
        scale = mase_scale(y[: split.train_end], forecaster.season_)
        actual.append(y[o[:, None] + np.arange(pre.horizon)] / scale)  # scale-free: series comparable
        for name, f in forecaster._member_windows(values, o, layout.key(i)).items():
            forecasts.setdefault(name, []).append(f / scale)
    _check_forced(cfg.model if cfg.model != "auto" else "lstm", forecaster.members_)
    unfitted = [n for n in names if any(n not in group for group in forecaster.members_.values())]
    if unfitted:  # AutoCES refused as unstable had left its row and its score out without a word
        missing = sum(any(n not in g for n in unfitted) for g in forecaster.members_.values())
        where = f" of {missing} of {len(forecaster.members_)} series" if len(forecaster.members_) > 1 else ""
        forecaster.notes_.append(f"{', '.join(unfitted)} left out of the choice: not fitted on the training rows"
                                 f"{where} (too few rows, or statsforecast finds no stable model there)")
    forecasts = {n: np.concatenate(f) for n, f in forecasts.items() if len(f) == len(actual)}
    if actual:
        actual_ = np.concatenate(actual)
        levels = forecaster.levels
        base = {"last": "naive", "season": "seasonal_naive"}.get(pre.anchor)
        if base in forecasts:  # how much of the network's correction to its base to keep
            forecaster.shrink_, forecasts["lstm"] = fit_shrink(
                actual_, forecasts["lstm"], forecasts[base][..., levels.index(0.5)], levels.index(0.5)
            )
        if cfg.model == "auto":
            forecaster.choice_ = choose(actual_, forecasts, levels.index(0.5), 1.0,
                                        short=span < SHORT_HORIZONS * pre.horizon)
        else:
            forecaster.choice_ = {"weights": {cfg.model: 1.0}, "label": cfg.model, "windows": len(actual_),
                            "scores": choose(actual_, forecasts, levels.index(0.5), 1.0)["scores"],
                            "why": "as --model asks, not chosen"}  # else it read as the pick of lower scores
        if forecaster.quantiles:
            combined = forecaster._combine(forecasts)
            forecaster.interval_scale_ = fit_interval_scale(actual_, combined, forecaster.quantiles)
    if len(layout.names) <= MAX_STAT_SERIES:  # many series: the fits on the training part stay
        for i, (frame, split) in enumerate(zip(layout.frames, layout.splits)):  # final members
            key = layout.key(i) or ""
            y = frame[pre.target].to_numpy(dtype="float64")[: split.val_end]
            # a member that fails its refit on the longer history (AutoCES refused as unstable
            # there) keeps its fit on the training part, the one the choice scored
            forecaster.members_[key] = {**forecaster.members_[key], **fit_members(y, forecaster.season_, names, rows)}


def _check_forced(model: str, members: dict[str, dict[str, Any]]) -> None:
    """A member forced with ``--model`` is fitted on every series' training part, else the
    bundle would name a member it does not hold (and be refused on load)."""
    for key, group in members.items():
        if model not in ("lstm", *group):
            where = f" on series '{key}'" if key else ""
            raise ConfigError(
                f"--model {model} cannot be fitted{where} (too few rows, or statsforecast finds no stable model in "
                "its training rows). Choose another --model, or leave --model out to choose on validation."
            )

