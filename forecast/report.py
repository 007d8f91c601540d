"""One self-contained HTML report of a bundle: images embedded, no network, no JavaScript.

Built from the bundle's files alone (bundle.json, the PNGs, holdout.csv), so it
needs neither the training data nor TensorFlow.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import plots
from .bundle import versions
from .timefmt import when

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.sub{color:#666}table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .8em;
border-bottom:1px solid #eee;text-align:right}th{background:#f6f6f6}td:first-child,th:first-child
{text-align:left}img{max-width:100%;height:auto;display:block;margin:.6em 0}
.good{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em}dt{color:#666}dd{margin:0}
"""


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _file_img(folder: Path, name: str, alt: str) -> str:
    path = folder / name
    return _img(path.read_bytes(), alt) if path.exists() else ""


def _figure_img(draw: Any, alt: str) -> str:
    buffer = io.BytesIO()
    draw(buffer)
    return _img(buffer.getvalue(), alt)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any, spec: str = ".4g") -> str:
    return "" if value is None else format(value, spec)


def _metrics_rows(metrics: dict[str, dict[str, float]]) -> list[list[str]]:
    rows = []
    for name, m in sorted(metrics.items(), key=lambda kv: kv[1]["mase"]):
        rows.append([
            name.replace("_", " "), _fmt(m.get("mae")), _fmt(m.get("rmse")),
            _fmt(m.get("smape"), ".2f"), _fmt(m.get("mase"), ".3f"),
            _fmt(m.get("pinball")), _fmt(m.get("coverage"), ".1%"),
        ])
    return rows


_METRIC_HEADER = ["model", "MAE", "RMSE", "sMAPE %", "MASE", "pinball", "coverage"]


def _card(meta: dict[str, Any]) -> str:
    c, d, t, p = meta["config"], meta["data"], meta["training"], meta["preprocessor"]
    interval = meta.get("interval")
    items = {
        "architecture": f"{c['arch']} x {c['layers']} layer(s), {c['units']} units, "
        f"dropout {c['dropout']}, {t['parameters']:,} parameters",
        "inputs": f"target {p['target']}" + (f", past covariates {', '.join(p['features'])}" if p["features"] else ""),
        "window": f"lookback {p['lookback']}, horizon {p['horizon']} (direct multi-horizon output)",
        "output": f"quantiles {meta['quantiles']} (pinball loss), interval {interval['lower']}-{interval['upper']}, "
        f"scale {meta.get('interval_scale', 1.0):.3g} fitted on validation" if interval else "point forecast (MAE loss)",
        "training": f"{t['epochs']} epochs (best {t['best_epoch']}), stopped by {t['stopped_by']}, "
        f"{t['seconds']:.0f} s; batch {c['batch_size']}, learning rate {c['learning_rate']}, seed {c['seed']}",
        "scaling": "standard scaler fitted on the training part; predicts change from the last value"
        if p["anchor"] == "last" else "standard scaler fitted on the training part",
        "data": f"{Path(d['source']).name}: {when(d['start'])} .. {when(d['end'])}, frequency {d['freq']}, "
        f"season {d['season']}",
        "split": ", ".join(f"{k} {when(v[0])} .. {when(v[1])}" for k, v in d["split_times"].items()),
        "loading": "; ".join(d["notes"]) or "nothing changed",
        "versions": ", ".join(f"{k} {v}" for k, v in versions().items()),
    }
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{html.escape(str(v))}</dd>" for k, v in items.items()) + "</dl>"


def render(folder: Path, meta: dict[str, Any], backtest: dict[str, Any] | None = None) -> str:
    """The report of the bundle in ``folder`` (whose bundle.json content is ``meta``).

    Args:
        backtest: a ``forecast backtest --json`` result to include.
    """
    folder = Path(folder)
    d, p = meta["data"], meta["preprocessor"]
    target = p["target"]
    parts = [
        f"<h1>Forecast report: {html.escape(target)}</h1>",
        f'<p class="sub">{html.escape(Path(d["source"]).name)}'
        + (f' · created {html.escape(str(meta["created"]))}' if meta.get("created") else "") + "</p>",
        "<h2>Data</h2>",
        f"<p>{d['split']['rows']} rows at frequency <b>{html.escape(d['freq'])}</b> from {when(d['start'])} to {when(d['end'])}; "
        f"train {d['split']['train_rows']}, validation {d['split']['val_rows']}, test {d['split']['test_rows']} rows. "
        f"Loading: {html.escape('; '.join(d['notes']) or 'nothing changed')}.</p>",
        _file_img(folder, "overview.png", "the series with its split"),
        "<h2>Training</h2>",
        _file_img(folder, "loss.png", "training curves"),
    ]
    metrics = meta.get("metrics") or {}
    if metrics:
        model, best = metrics["model"]["mase"], min(metrics["naive"]["mase"], metrics["seasonal_naive"]["mase"])
        verdict = (f'<p class="good">The model beats both baselines: MASE {model:.3f} vs {best:.3f}.</p>'
                   if model < best else
                   f'<p class="bad">The model does not beat the best baseline: MASE {model:.3f} vs {best:.3f}.</p>')
        parts += ["<h2>Test part</h2>", verdict, _table(_METRIC_HEADER, _metrics_rows(metrics)),
                  _file_img(folder, "holdout.png", "test part: actual vs forecast")]
        per_series = meta.get("metrics_per_series") or {}
        if per_series:
            parts += [
                f"<p>Metrics above are means over the {len(per_series)} series; the plot shows the first. "
                "MASE per series:</p>",
                _table(["series", "model", "naive", "seasonal naive"], [
                    [name, *(_fmt(m[k]["mase"], ".3f") for k in ("model", "naive", "seasonal_naive"))]
                    for name, m in per_series.items()
                ]),
            ]
    holdout_csv = folder / "holdout.csv"
    if holdout_csv.exists():
        frame = pd.read_csv(holdout_csv)
        per_step = {
            name: frame.assign(err=(frame["actual"] - frame[name]).abs()).groupby("step")["err"].mean().tolist()
            for name in ("forecast", "naive", "seasonal_naive")
        }
        per_step["model"] = per_step.pop("forecast")
        residuals = (frame["actual"] - frame["forecast"]).to_numpy()
        parts += [
            "<h2>Error by horizon step</h2>",
            _figure_img(lambda b: plots.step_error_plot(per_step, b), "MAE by horizon step"),
            "<h2>Residuals</h2>",
            f"<p>Mean {np.mean(residuals):.4g}, standard deviation {np.std(residuals):.4g} "
            f"({target} units). Bars outside the dotted lines are autocorrelation the model left unexplained.</p>",
            _figure_img(lambda b: plots.residual_plot(residuals, int(d["season"]), b), "residuals"),
        ]
    if backtest:
        bp = backtest["protocol"]
        parts += [
            "<h2>Backtest</h2>",
            f"<p>{bp['windows']} windows of {bp['horizon']} steps from {when(bp['test_start'])} to "
            f"{when(bp['test_end'])}, "
            f"season {bp['season']}{', refit per fold' if bp['refit'] else ', trained once'}; skill vs the best "
            f"baseline ({backtest['best_baseline'].replace('_', ' ')}): {backtest['skill']:+.1%}.</p>",
            _table(_METRIC_HEADER, _metrics_rows(backtest["models"])),
        ]
        if backtest["persistence"]["repeats_recent_values"]:
            parts.append('<p class="bad">The model mostly repeats recent values: its forecasts match the actuals '
                         f'shifted by {backtest["persistence"]["best_shift"]} step(s) better than unshifted.</p>')
    inside = [_file_img(folder, name, alt) for name, alt in (
        ("gates.png", "LSTM gate activations over the input window"),
        ("attention.png", "attention weights over the lookback window"),
        ("importance.png", "permutation importance"),
    )]
    if any(inside):
        parts += ["<h2>Inside the model</h2>",
                  "<p>Gates recomputed from the trained weights (input: what the cell adds; forget: what it "
                  "keeps; output: what it exposes as the hidden state), and how much the test error grows "
                  "when an input is shuffled across windows.</p>", *inside]
    parts += ["<h2>Model card</h2>", _card(meta)]
    body = "\n".join(x for x in parts if x)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Forecast report: '
            f"{html.escape(target)}</title><style>{_CSS}</style></head><body>{body}</body></html>")
