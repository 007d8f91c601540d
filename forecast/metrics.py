"""Point-forecast error measures. Arrays are ``(windows, horizon)`` in original units."""

from __future__ import annotations

import numpy as np

EXACT_MASE = 5e-4  # a MASE below this is exact within rounding: seasonal naive of a noise-free sine
# errs by 4e-15, a float32 network by 3e-8 (a skill of -185291353% had been printed between them)


def skill(error: float, best: float) -> float | None:
    """The share of the best baseline's error a forecast removes, ``1 - error / best`` (+0.2: a fifth less
    error). None where that baseline is exact (MASE under ``EXACT_MASE``) and the forecast is not: no share
    of 0 measures it; 0 where both are."""
    if best >= EXACT_MASE:
        return 1.0 - error / best
    return 0.0 if error < EXACT_MASE else None


def skill_text(value: float | None) -> str:
    """A :func:`skill` as people read it: ``+12.5%``, or why there is none."""
    return format(value, "+.1%") if value is not None else "none (that baseline is exact there)"


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(forecast))))


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(forecast)) ** 2)))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent: mean of 200 |a - f| / (|a| + |f|) (0 where both are 0)."""
    a, f = np.asarray(actual, dtype="float64"), np.asarray(forecast, dtype="float64")
    denom = np.abs(a) + np.abs(f)
    ratio = np.divide(2 * np.abs(a - f), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100 * np.mean(ratio))


def mape(actual: np.ndarray, forecast: np.ndarray) -> float | None:
    """MAPE in percent, or None when an actual touches zero (the measure is undefined there)."""
    a, f = np.asarray(actual, dtype="float64"), np.asarray(forecast, dtype="float64")
    if np.any(np.abs(a) <= 1e-8 * np.max(np.abs(a), initial=0.0)):  # relative: values near 1e-10 are not 0
        return None
    return float(100 * np.mean(np.abs((a - f) / a)))


def score_all(actual: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float]:
    """:func:`score` plus sMAPE and MAPE (MAPE left out when actuals touch zero)."""
    out = score(actual, forecast, scale)
    out["smape"] = smape(actual, forecast)
    value = mape(actual, forecast)
    if value is not None:
        out["mape"] = value
    return out


def pinball(actual: np.ndarray, quantiles: np.ndarray, levels: list[float]) -> float:
    """Mean pinball loss of ``(windows, horizon, q)`` quantile forecasts, averaged over levels."""
    err = np.asarray(actual)[..., None] - np.asarray(quantiles)
    q = np.asarray(levels)
    return float(np.mean(np.maximum(q * err, (q - 1) * err)))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside ``[lower, upper]``."""
    actual = np.asarray(actual)
    return float(np.mean((actual >= lower) & (actual <= upper)))


def mase_scale(train: np.ndarray, season: int) -> float:
    """In-sample MAE of the seasonal-naive forecast (period ``season``) on the training part.

    Falls back to period 1 when the training part is shorter than two seasons or
    repeats itself exactly each season (a zero scale would make MASE meaningless),
    and to 1.0 when the training part is constant.
    """
    train = np.asarray(train, dtype="float64")
    tiny = 1e-9 * float(np.mean(np.abs(train)))  # relative: a series of values near 1e-9 has a scale
    for m in (season, 1):
        if len(train) > 2 * m:
            scale = float(np.mean(np.abs(train[m:] - train[:-m])))
            if scale > tiny:
                return scale
    return 1.0


def score(actual: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float]:
    """MAE, RMSE and MASE (MAE divided by ``scale``, see :func:`mase_scale`)."""
    m = mae(actual, forecast)
    return {"mae": m, "rmse": rmse(actual, forecast), "mase": m / scale}


def run_lengths(values: np.ndarray) -> np.ndarray:
    """How many identical values end at each position: ``[1, 1, 2, 3, 1]`` for ``a b c c c d``."""
    same = np.concatenate([[False], np.diff(values) == 0])
    runs = np.ones(len(values), dtype=int)
    for i in np.flatnonzero(same):
        runs[i] = runs[i - 1] + 1
    return runs


def longest_run(values: np.ndarray) -> int:
    """The longest stretch of identical consecutive values."""
    return int(run_lengths(values).max()) if len(values) else 1
