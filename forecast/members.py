"""Statistical members beside the LSTM: AutoETS, AutoTheta and AutoCES (statsforecast), seasonal naive, naive.

Each member is fitted once on a recent tail of a series' training rows (at most
:data:`MAX_FIT_ROWS`, so a 145k-hour history costs seconds, not minutes) and then
*applied* to any later history without refitting (statsforecast's ``forward``), the
same way the LSTM forecasts each window from the true history with fixed weights.

A fitted member is stored in bundle.json as plain numbers (its parameters and the
timestamp its fit started at), never pickled: predict rebuilds it from those numbers.
ETS's initial seasonal states belong to the phase of the first fitted row, so every
later history is read from a row in the same phase (a whole number of seasons later).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import CES_PARAMS, MEMBERS, SIMPLE, STATISTICAL  # noqa: F401 - declared once, in config

MAX_FIT_ROWS = 2000  # AutoETS/AutoTheta fit on at most this many recent rows (seconds, not minutes)
MIN_FIT_ROWS = 8  # shorter histories get the simple members only
MAX_STAT_SERIES = 50  # more series than this: no AutoETS, and members fitted once (train part only)
VALIDATION_WINDOWS = 60  # rolling origins per series that score the members (evenly spread)
PANEL_WINDOWS = VALIDATION_WINDOWS * MAX_STAT_SERIES  # a panel's origins in all (3,000): each origin
# runs every member over the history before it, so the members' validation costs series x origins
MIN_SERIES_WINDOWS = 10  # a panel's share of PANEL_WINDOWS is at least this many a series
PANEL_FIT_ROWS = MAX_FIT_ROWS * MAX_STAT_SERIES  # a panel's rows fitted in all (100,000): AutoTheta's
# fit grows faster than its rows (0.13 s at 520 weekly rows, 1.07 s at 2,000)
MIN_FIT_SEASONS = 5  # a panel's share of PANEL_FIT_ROWS is at least this many seasons (and 100 rows)
DIVERGED = 4.0  # a member whose one-step errors on a history have this many times naive's
# variance (twice its RMSE) has left its stable region there: AutoCES's fit can (forecasts of 1e20;
# on a clean weekly sine, smoothing just over 1 gave a week's MAE of 29 where naive's is 9, at
# 8.5 times naive's variance, under the 100 this was). The shared sets' figures did not move
# (bench/ACCURACY.md)
UNIT_LEVEL = 1e4  # statistical members are fitted on the tail divided by mean|tail| / UNIT_LEVEL:
# statsforecast's optimisers have absolute constants (AutoTheta: Nelder-Mead stops when its
# objective, SSE / mean|y|, varies by under 1e-4, and bounds the initial level to +-1e10;
# AutoETS: 1e-8 floors in its initial states), so the same series x1e-3 got another fit
# (airline AutoTheta test MASE 1.235 vs 1.069). Scaled to a fixed level the fit is the same
# at any scale; 1e4 keeps the objective far above 1e-4 and the level far below 1e10.


def validation_windows(n_series: int) -> int:
    """Rolling origins per series that score the members: :data:`VALIDATION_WINDOWS` for up to
    :data:`MAX_STAT_SERIES` series, then an even share of :data:`PANEL_WINDOWS` (at least
    :data:`MIN_SERIES_WINDOWS`). Thousands of windows rank a few candidates as well as tens
    of thousands: on a 141-series hourly panel 60 a series made the members' validation
    50 of the fit's 93 seconds (bench/ACCURACY.md)."""
    return max(MIN_SERIES_WINDOWS, min(VALIDATION_WINDOWS, PANEL_WINDOWS // max(1, n_series)))


def fit_rows(n_series: int, season: int) -> int:
    """Recent rows each series' statistical members are fitted on: :data:`MAX_FIT_ROWS` for up
    to :data:`MAX_STAT_SERIES` series, then an even share of :data:`PANEL_FIT_ROWS`, at least
    :data:`MIN_FIT_SEASONS` seasons and 100 rows. m4_weekly_long's 359 series fitted on 2,000
    rows spent 155 of a 280 s fit in AutoTheta (bench/ACCURACY.md)."""
    share = PANEL_FIT_ROWS // max(1, n_series)
    return min(MAX_FIT_ROWS, max(share, MIN_FIT_SEASONS * season, 100))


def _z(q: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


def levels_for(quantiles: list[float]) -> list[int]:
    """statsforecast interval levels (percent) that give each non-median quantile."""
    return sorted({int(round(100 * (1 - 2 * min(q, 1 - q)))) for q in quantiles if q != 0.5})


@dataclass
class Member:
    """One fitted statistical member of one series.

    Attributes:
        name: one of :data:`MEMBERS`.
        season: the seasonal period it was fitted with.
        start: position of the first fitted row in the series it was fitted on (its phase).
        params: what statsforecast needs to apply it again (plain numbers and strings).
        sigma: spread of its one-step errors in the training tail (simple members' intervals).
        rows: the most recent rows it was fitted on, and reads when applied.
    """

    name: str
    season: int
    start: int
    params: dict[str, Any] = field(default_factory=dict)
    sigma: float = 0.0
    rows: int = MAX_FIT_ROWS

    @classmethod
    def fit(cls, name: str, y: np.ndarray, season: int, rows: int = MAX_FIT_ROWS) -> Member:
        """Fit on the last ``rows`` values of ``y`` (float64, no gaps)."""
        y = np.asarray(y, dtype="float64")
        start = max(0, len(y) - rows)
        tail = y[start:]
        member = cls(name, season, start, rows=rows)
        if name == "naive":
            member.sigma = _sd(np.diff(tail))
        elif name == "seasonal_naive":
            member.sigma = _sd(tail[season:] - tail[:-season]) if len(tail) > season else _sd(np.diff(tail))
        elif name in STATISTICAL:
            unit = _unit(tail)
            fit = {"auto_ets": _fit_ets, "auto_theta": _fit_theta, "auto_ces": _fit_ces}[name]
            member.params = {**fit(tail / unit, season), "unit": unit}
        else:
            raise ValueError(f"unknown member {name}")
        return member

    def forecast(
        self, y: np.ndarray, horizon: int, quantiles: list[float], offset: int | None = 0
    ) -> np.ndarray:
        """Forecast the ``horizon`` steps after ``y``: ``(horizon, q)`` at the ascending ``quantiles``.

        Args:
            y: the series so far (float64, no gaps).
            offset: position of ``y[0]`` in the series the member was fitted on (None: unknown,
                then the seasonal phase of ETS's initial states is not lined up).
        """
        y = np.asarray(y, dtype="float64")
        if self.name in SIMPLE:
            return self._simple(y, horizon, quantiles)
        if (offset is None or self.start - offset < 0) and len(y) >= MIN_FIT_ROWS:
            # the history starts after the row the fitted states belong to (predict --data with
            # recent rows only): replayed from there, a slow ETS level stayed at the fit's start
            # (a trend ending near 505 forecast 260-785 by rows given); refit on what is given
            try:
                return Member.fit(self.name, y, self.season, self.rows).forecast(y, horizon, quantiles, 0)
            except Exception:  # noqa: BLE001 - statsforecast fails on some tails: naive, as below
                return _naive(y, y[-self.rows:], self.season, horizon, quantiles)
        # read from a row in the fitted phase, about as many rows as were fitted
        first = self.start - offset if offset is not None else max(0, len(y) - self.rows)
        if first < 0:
            first += self.season * math.ceil(-first / self.season)
        if len(y) - first > self.rows:  # whole seasons later, about self.rows from the end
            first += self.season * math.ceil((len(y) - first - self.rows) / self.season)
        tail = y[first:] if 0 <= first < len(y) - 1 else y[-self.rows:]
        levels = levels_for(quantiles)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = _apply(self.name, self.params, tail, horizon, levels or None)
        except Exception:  # noqa: BLE001 - statsforecast refuses some short tails (AutoCES: "no model
            return _naive(y, tail, self.season, horizon, quantiles)  # able to be fitted"): naive instead
        mean = np.asarray(out["mean"], dtype="float64")
        cols = []
        for q in quantiles:
            if q == 0.5:
                cols.append(mean)
            else:
                lv = int(round(100 * (1 - 2 * min(q, 1 - q))))
                cols.append(np.asarray(out[f"{'lo' if q < 0.5 else 'hi'}-{lv}"], dtype="float64"))
        result = np.stack(cols, axis=-1)
        if not np.isfinite(result).all():  # a degenerate fit: fall back to the naive forecast
            return _naive(y, tail, self.season, horizon, quantiles)
        return np.sort(result, axis=-1)

    def _simple(self, y: np.ndarray, horizon: int, quantiles: list[float]) -> np.ndarray:
        h = np.arange(horizon)
        if self.name == "seasonal_naive" and len(y) >= self.season > 1:
            back = self.season * (h // self.season + 1)
            point = y[len(y) + h - back]
            spread = self.sigma * np.sqrt(h // self.season + 1)
        else:
            point = np.repeat(y[-1], horizon)
            spread = self.sigma * np.sqrt(h + 1)
        return np.stack([point + _z(q) * spread for q in quantiles], axis=-1)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "season": self.season, "start": self.start,
                "params": self.params, "sigma": self.sigma, "rows": self.rows}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Member:
        return cls(str(d["name"]), int(d["season"]), int(d["start"]), dict(d.get("params", {})),
                   float(d.get("sigma", 0.0)), int(d.get("rows", MAX_FIT_ROWS)))


def _naive(y: np.ndarray, tail: np.ndarray, season: int, horizon: int, quantiles: list[float]) -> np.ndarray:
    """The naive forecast after ``y``, its spread from ``tail``: what a failed member gives."""
    return Member("naive", season, 0, sigma=_sd(np.diff(tail)))._simple(y, horizon, quantiles)


def _sd(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(np.std(v, ddof=1)) if len(v) > 1 else 0.0


def _unit(y: np.ndarray) -> float:
    """What a member's history is divided by before statsforecast sees it (see :data:`UNIT_LEVEL`):
    proportional to the series' scale, 1.0 for an all-zero tail."""
    unit = float(np.mean(np.abs(y))) / UNIT_LEVEL
    return unit if math.isfinite(unit) and unit > 0 else 1.0


def _apply(name: str, params: dict[str, Any], y: np.ndarray, horizon: int, levels: list[int] | None) -> Any:
    """:func:`_apply_unit` on ``y`` in the member's fitted unit (``params["unit"]``; 1.0 in bundles
    from before it), its forecasts back in the series' own."""
    unit = float(params.get("unit", 1.0))
    out = _apply_unit(name, params, np.asarray(y, dtype="float64") / unit, horizon, levels)
    return {k: np.asarray(v, dtype="float64") * unit for k, v in out.items()
            if k == "mean" or k.startswith(("lo-", "hi-"))}


def _apply_unit(name: str, params: dict[str, Any], y: np.ndarray, horizon: int, levels: list[int] | None) -> Any:
    """Apply a fitted member to ``y`` without refitting: statsforecast's own forward and forecast
    functions (``statsforecast.ets`` / ``statsforecast.theta``; importing ``statsforecast.models``
    would add seconds of statsmodels to every cold ``forecast predict``)."""
    if name == "auto_ets":
        from statsforecast.ets import forecast_ets, forward_ets

        model = {"m": int(params["m"]), "components": str(params["components"]),
                 "par": np.asarray(params["par"], dtype="float64"),
                 "n_params": int(params["n_params"]), "fit": None}
        return forecast_ets(forward_ets(model, y=y), h=horizon, level=levels)
    if name == "auto_ces":
        from statsforecast.ces import forecast_ces, forward_ces

        model = {"m": int(params["m"]), "seasontype": str(params["seasontype"]),
                 "par": {k: _unused_nan(params["par"][k]) for k in CES_PARAMS}}
        fitted = forward_ces(model, y=y)
        if not float(fitted["sigma2"]) <= DIVERGED * float(np.var(np.diff(y))):  # NaN too
            raise ValueError("AutoCES diverged on this history")  # Member.forecast: naive instead
        out = {"mean": forecast_ces(fitted, horizon)["mean"]}  # its own intervals simulate 5,000
        spread = math.sqrt(max(float(fitted["sigma2"]), 0.0)) * np.sqrt(np.arange(1, horizon + 1))
        for lv in levels or []:  # paths (~0.5 s a window): Gaussian, the spread growing as sqrt(h)
            out[f"lo-{lv}"] = out["mean"] - _z(0.5 + lv / 200) * spread
            out[f"hi-{lv}"] = out["mean"] + _z(0.5 + lv / 200) * spread
        return out
    from statsforecast.theta import forecast_theta, forward_theta

    model = {"m": int(params["m"]), "modeltype": str(params["modeltype"]),
             "par": {k: float(v) for k, v in params["par"].items()}}
    return forecast_theta(forward_theta(model, y=y), horizon, level=levels)


def _unused_nan(value: float | None) -> float:
    """A parameter as statsforecast takes it: null in bundle.json (a parameter the model does not
    use, :func:`forecast.jsonchecks.plain_json`) is NaN."""
    return math.nan if value is None else float(value)


def _statsforecast_fit(model: str, y: np.ndarray, season: int) -> dict[str, Any]:
    """``statsforecast.models.<model>(season_length=season)`` fitted on ``y``: its ``model_`` dict."""
    from statsforecast import models

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return getattr(models, model)(season_length=season).fit(y).model_


def _fit_ets(y: np.ndarray, season: int) -> dict[str, Any]:
    m = _statsforecast_fit("AutoETS", y, season)
    return {"m": int(m["m"]), "components": str(m["components"]),
            "par": [float(v) for v in np.asarray(m["par"], dtype="float64")],
            "n_params": int(m["n_params"])}


def _fit_theta(y: np.ndarray, season: int) -> dict[str, Any]:
    m = _statsforecast_fit("AutoTheta", y, season)
    return {"m": int(m["m"]), "modeltype": str(m["modeltype"]),
            "par": {k: float(v) for k, v in m["par"].items()}}


def _fit_ces(y: np.ndarray, season: int) -> dict[str, Any]:
    m = _statsforecast_fit("AutoCES", y, season)
    params = {"m": int(m["m"]), "seasontype": str(m["seasontype"]),
              "par": {k: float(m["par"][k]) for k in CES_PARAMS}}
    _check_ces(params, y, season)
    return params


def _check_ces(params: dict[str, Any], y: np.ndarray, season: int) -> None:
    """Refuse an AutoCES fit at the edge of its stable region: one that diverges when applied to
    the history it will meet next, one season longer, or read from one season later (a long
    history's tail moves on). Such a fit scores well where it was fitted and is naive anywhere
    else: on 200 short weekly-season series AutoCES fitted on 32 rows had sigma2 1.2 there and 2e6
    one row later, so the validation picked it and the forecast was naive's (test MASE 2.77)."""
    step = max(season, 1)
    for probe in (np.concatenate([y, y[-step:]]), np.concatenate([y[step:], y[-step:]])):
        if len(probe) > 2 * step:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                _apply("auto_ces", params, probe, 1, None)  # raises ValueError where it diverges


def fit_members(
    y: np.ndarray, season: int, names: tuple[str, ...] = MEMBERS, rows: int = MAX_FIT_ROWS
) -> dict[str, Member]:
    """Fit each named member on the last ``rows`` of ``y``; statistical ones only when the tail
    is long enough."""
    y = np.asarray(y, dtype="float64")
    out = {}
    for name in names:
        if name in STATISTICAL and len(y) < MIN_FIT_ROWS:
            continue
        try:
            out[name] = Member.fit(name, y, season, rows)
        except Exception:  # noqa: BLE001 - statsforecast can fail on degenerate tails; skip that member
            if name in SIMPLE:
                raise
    return out


def member_windows(
    member: Member, y: np.ndarray, origins: np.ndarray, horizon: int, quantiles: list[float],
    offset: int | None = 0,
) -> np.ndarray:
    """Forecasts of ``member`` at each origin from ``y[:origin]``: ``(n, horizon, q)``."""
    return np.stack([member.forecast(y[: int(o)], horizon, quantiles, offset) for o in origins])


def member_names(model: str, n_series: int) -> tuple[str, ...]:
    """The members to fit: all of them, or for many series AutoTheta, AutoCES and the
    parameter-free ones (AutoETS costs about a second per series, AutoTheta a tenth, AutoCES
    a few hundredths; on m4_weekly_long's 359 series AutoCES took the forecast's mean MASE from
    0.562 to 0.538 for 3 s more, bench/ACCURACY.md), unless one is asked for."""
    if n_series > MAX_STAT_SERIES and model != "auto_ets":
        return ("auto_theta", "auto_ces", *SIMPLE)
    return MEMBERS


def quantile_grid(quantiles: list[float] | None) -> list[float]:
    """The quantile levels members forecast: the model's, or an 80% interval for point models."""
    return list(quantiles) if quantiles else [0.1, 0.5, 0.9]


