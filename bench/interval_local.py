"""Replay locally scaled intervals on captured backtests: `python bench/interval_local.py`.

Reads bench/results/interval_rules.json (written by `python bench/interval_rules.py`, which
captures each series' validation scores and origins, test windows and target). A local scale
at an origin is the mean absolute one-step change over the ``L`` rows before it. The
validation scores are divided by their origin's local scale (relative to the validation
origins' mean) before the conformal factor is taken, and each test window's interval is
multiplied by its own origin's relative local scale (to the power ``p``): intervals widen
where the series has grown wilder than in validation, and narrow where it calmed.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
from accuracy import RESULTS

from forecast.intervals import SCALE_RANGE, TRUST, order_statistic, ranks


def local(y: np.ndarray, o: np.ndarray, span: int) -> np.ndarray:
    """Mean |y_t - y_{t-1}| over the ``span`` rows before each origin."""
    d = np.abs(np.diff(y, prepend=y[0]))
    c = np.concatenate([[0.0], np.cumsum(d)])
    lo = np.maximum(o - span, 1)
    return (c[o] - c[lo]) / np.maximum(o - lo, 1)


def conformal(need: np.ndarray) -> float:
    n, h = need.shape
    rows = n + h - 1
    c = order_statistic(need, min(1.0, math.ceil((rows + 1) * 0.8) / rows))
    if not ranks(n, 0.8):
        c = max(c, 1.0)
    return float(np.clip(c**TRUST, *SCALE_RANGE))


def spans(h: int, m: int) -> dict[str, int]:
    return {"h": h, "2h": 2 * h, "m": max(m, 2), "max(m,2h)": max(m, 2 * h), "2max(m,h)": 2 * max(m, h),
            "4max(m,h)": 4 * max(m, h)}


def replay(caps: dict, powers=(0.5, 1.0)) -> None:
    rules = [("now", None, 0.0)] + [(f"L={k} p={p}", k, p) for k in spans(1, 1) for p in powers]
    results = {r[0]: [] for r in rules}
    for name, x in caps.items():
        if "val_origins" not in x:
            continue
        actual, raw, need = (np.asarray(x[k]) for k in ("actual", "raw", "need"))
        y, to, vo = np.asarray(x["target"]), np.asarray(x["test_origins"], int), np.asarray(x["val_origins"], int)
        if len(vo) != need.shape[0]:
            print(f"{name}: {len(vo)} origins for {need.shape[0]} windows, skipped")
            continue
        h, m = actual.shape[1], int(x["season"])
        med, cells = raw[..., 1], []
        for label, key, p in rules:
            if key is None:
                rv, rt = np.ones(len(vo)), np.ones(len(to))
            else:
                span = spans(h, m)[key]
                lv, lt = local(y, vo, span), local(y, to, span)
                ref = float(np.mean(lv)) or 1.0
                rv, rt = (np.maximum(lv, 1e-12 * ref) / ref) ** p, (np.maximum(lt, 1e-12 * ref) / ref) ** p
            c = conformal(need / rv[:, None])
            k = (c * rt / x["factor"])[:, None]
            lo, hi = med + k * (raw[..., 0] - med), med + k * (raw[..., -1] - med)
            cover = float(np.mean((actual >= lo - 1e-9) & (actual <= hi + 1e-9)))
            iscore = float(np.mean(hi - lo + 10 * np.maximum(lo - actual, 0) + 10 * np.maximum(actual - hi, 0)))
            results[label].append((name, cover, iscore))
            cells.append(cover)
        print(f"{name:28}" + " ".join(f"{c:.2f}" for c in cells), flush=True)
    base = {n: s for n, _, s in results["now"]}
    print("rules: " + " | ".join(r[0] for r in rules))
    for label, _, _ in rules:
        rows = results[label]
        covers = np.array([c for _, c, _ in rows])
        ratio = np.array([s / base[n] for n, _, s in rows])
        print(f"{label:22} in 0.70-0.90: {int(np.sum((covers >= 0.695) & (covers <= 0.905)))} of {len(rows)}, "
              f"interval score x{np.exp(np.mean(np.log(ratio))):.3f}, lower on {int(np.sum(ratio < 0.999))}, "
              f"mean |cover-0.8| {np.mean(np.abs(covers - 0.8)):.3f}")


if __name__ == "__main__":
    caps = json.loads((RESULTS / sys.argv[1] if len(sys.argv) > 1 else RESULTS / "interval_rules.json").read_text())
    replay(caps)
