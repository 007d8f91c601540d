"""Replay interval calibration rules on real series: `python bench/interval_rules.py [NAME ...]`.

Runs the default `forecast backtest` of each series in this process, captures the validation
part's conformal scores (what `intervals.fit_interval_scale` sees) and the test windows'
quantiles, then replays each rule's factor on the same test windows: 80% coverage, and the
interval score (width + 10 x the miss beyond a bound, a proper score for an 80% interval),
as a geometric mean over the series relative to the full conformal factor. The series are the
shared sets and bench/more_series.py's single series (its CSVs written with `python
bench/more_series.py DIR --only none`; DIR defaults to /tmp/ms, or FORECAST_MORE).
Captures: bench/results/interval_rules.json.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
from accuracy import RESULTS, SETS, SHARED
from more_series import MORE as MORE_SERIES
from more_series import SERIES

from forecast.intervals import SCALE_RANGE, order_statistic, ranks

MORE = Path(os.environ.get("FORECAST_MORE", "/tmp/ms"))
LEFT_OUT = ("seattle temp (hourly)", "sf temp (hourly)")  # climate normals, not observations
# name: (path, target, H, W): the shared sets as bench/accuracy.py runs them, then more_series'
# single series (its panels, with --id, left out)
RUNS = {name: (SHARED / f, target, h, w) for name, (f, target, h, _, w) in SETS.items()}
RUNS.update({name: (MORE / f, target, h, w) for name, (f, target, h, w) in SERIES.items()})
RUNS.update({name: (MORE / f, target, h, w) for name, (f, target, h, w, extra) in MORE_SERIES.items()
             if not extra and name not in LEFT_OUT})


def factor(rule: str, need: np.ndarray) -> float:
    """The factor a rule gives on validation scores ``need`` (windows, horizon)."""
    n, h = need.shape
    if rule == "models' own":
        return 1.0
    rows = n + h - 1 if rule.startswith("rows") else n  # the conformal rank over rows or windows
    c = order_statistic(need, min(1.0, math.ceil((rows + 1) * 0.8) / rows))
    if not ranks(n, 0.8):  # too few windows to rank: never narrow
        c = max(c, 1.0)
    if rule.endswith("half-way"):
        c = math.sqrt(c)
    return float(np.clip(c, *SCALE_RANGE))


RULES = ("models' own", "windows, full", "rows, full", "windows, half-way", "rows, half-way")


def capture(names: list[str]) -> dict:
    from typer.testing import CliRunner

    import forecast.backtest as bt
    import forecast.intervals as intervals
    import forecast.selection as selection
    from forecast.cli import app

    seen: dict = {}
    score, scores, origins = bt.score_windows, intervals.conformal_scores, selection.origins

    def score_spy(fitted, actual, raw, each, target, test_origins, *rest):
        seen.update(actual=actual, raw=raw, factor=fitted.interval_scale_, target=target,
                    test_origins=test_origins, season=fitted.season_)
        return score(fitted, actual, raw, each, target, test_origins, *rest)

    def scores_spy(*args):
        seen["need"] = scores(*args)
        return seen["need"]

    def origins_spy(*args):  # the validation origins, as selection.select thins them (one series)
        o = origins(*args)
        keep = np.unique(np.linspace(0, len(o) - 1, min(len(o), selection.validation_windows(1))).astype(int))
        seen["val_origins"] = o[keep] if len(o) else o
        return o

    bt.score_windows, intervals.conformal_scores, selection.origins = score_spy, scores_spy, origins_spy
    out = {}
    for name in names:
        path, target, h, w = RUNS[name]
        seen.clear()
        result = CliRunner().invoke(app, ["backtest", str(path), "--target", target, "--horizon", str(h),
                                          "--windows", str(w)])
        if result.exit_code != 0 or "need" not in seen:
            print(f"{name}: not run ({result.output.strip().splitlines()[-1:] or '?'})", flush=True)
            continue
        out[name] = {k: np.asarray(v).tolist() for k, v in seen.items()}
        print(f"{name}: captured", flush=True)
    return out


def replay(caps: dict) -> None:
    scores = {r: [] for r in RULES}
    print(f"{'series':28}" + "".join(f"{r:>20}" for r in RULES))
    for name, x in caps.items():
        actual, raw, need = (np.asarray(x[k]) for k in ("actual", "raw", "need"))
        med, cells = raw[..., 1], []
        for r in RULES:
            k = factor(r, need) / x["factor"]  # the test quantiles were stretched by x["factor"]
            lo, hi = med + k * (raw[..., 0] - med), med + k * (raw[..., -1] - med)
            cover = float(np.mean((actual >= lo - 1e-9) & (actual <= hi + 1e-9)))
            scores[r].append((cover, float(np.mean(hi - lo + 10 * np.maximum(lo - actual, 0)
                                                   + 10 * np.maximum(actual - hi, 0)))))
            cells.append(f"{cover:.2f} ({factor(r, need):.2f})")
        print(f"{name:28}" + "".join(f"{c:>20}" for c in cells))
    base = np.array([s for _, s in scores["windows, full"]])
    for r in RULES:
        covers, iscore = np.array([c for c, _ in scores[r]]), np.array([s for _, s in scores[r]])
        print(f"{r:18} coverage in 0.70-0.90 on {int(np.sum((covers >= 0.7) & (covers <= 0.9)))} of {len(covers)}, "
              f"interval score x{np.exp(np.mean(np.log(iscore / base))):.3f} of 'windows, full', "
              f"lower on {int(np.sum(iscore < base * 0.999))}")


if __name__ == "__main__":
    names = sys.argv[1:] or list(RUNS)
    caps = capture(names)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "interval_rules.json").write_text(json.dumps(caps))
    replay(caps)
