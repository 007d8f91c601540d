"""One self-contained HTML report of a bundle: images embedded, no network, no JavaScript.

Built from the bundle's files alone (bundle.json, the PNGs, holdout.csv), so it
needs neither the training data nor TensorFlow. Every string that comes from the
data or a file (column and file names, notes, a backtest's fields) goes through
:func:`_e` (HTML-escaped), so a column named ``<script>`` is shown, never run.
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
from .choice import describe, verdict
from .data import written
from .metrics import skill_text
from .timefmt import count, when

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


def _e(value: Any) -> str:
    """Any value as HTML text: escaped, quotes included."""
    return html.escape(str(value), quote=True)


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


def _known_future(p: dict[str, Any]) -> str:
    """The known-future inputs of the card's inputs line (read over the lookback and the horizon)."""
    parts = []
    if p.get("future"):
        parts.append(f"known-future columns {', '.join(p['future'])} (given for the forecast steps)")
    if p.get("holidays"):
        h = p["holidays"]
        region = "-".join(x for x in (h["country"], h.get("subdiv")) if x)
        parts.append(f"public holidays of {region} ({', '.join(h['features'])})")
    if p.get("calendar"):
        parts.append(f"calendar ({', '.join(p['calendar'])})")
    return "".join(f"; {x}" for x in parts)


def _card(meta: dict[str, Any]) -> str:
    c, d, t, p = meta["config"], meta["data"], meta["training"], meta["preprocessor"]
    interval = meta.get("interval")
    items = {
        "architecture": f"{c['arch']} x {c['layers']} layer(s), {c['units']} units, "
        f"dropout {c['dropout']}, {t['parameters']:,} parameters",
        "inputs": f"target {p['target']}" + (f", past covariates {', '.join(p['features'])}" if p["features"] else "")
        + _known_future(p),
        "window": f"lookback {p['lookback']}, horizon {p['horizon']} (direct multi-horizon output)",
        "output": f"quantiles {meta['quantiles']} (pinball loss), interval {interval['lower']}-{interval['upper']}, "
        f"scale {meta.get('interval_scale', 1.0):.3g} fitted on validation" if interval else "point forecast (MAE loss)",
        "forecast": describe(meta["choice"]) + (f"; the LSTM keeps {meta['lstm_shrink']:.0%} of its "
                                                "correction to its base" if "lstm_shrink" in meta else "")
        if meta.get("choice") else "the LSTM",
        "floor": ("forecasts and intervals stop at 0 " + ("(--floor zero)" if c.get("floor") == "zero"
                                                          else "(the history is never negative: counts, or 0 often)"))
        if meta.get("floor") is not None else "none: forecasts may take any value",
        "training": f"{count(t['epochs'], 'epoch')} (best {t['best_epoch']}), stopped by {t['stopped_by']}, "
        f"{t['seconds']:.0f} s; batch {t.get('batch_size') or c['batch_size']}, learning rate {c['learning_rate']}, seed {c['seed']}",
        "scaling": "standard scaler fitted on the training part; predicts change from the last value"
        if p["anchor"] == "last" else "standard scaler fitted on the training part",
        "data": f"{Path(d['source']).name}: {written(d['start'], d)} .. {written(d['end'], d)}, frequency {d['freq']}, "
        f"season {d['season']}",
        "split": ", ".join(f"{k} {written(v[0], d)} .. {written(v[1], d)}" for k, v in d["split_times"].items()),
        "loading": _loading(d["notes"]),
        "fitting": _loading(d.get("fit_notes", [])),
        "versions": ", ".join(f"{k} {v}" for k, v in versions().items()),
    }
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items.items()) + "</dl>"


def _holdout_errors(path: Path) -> tuple[dict[str, list[float]], np.ndarray]:
    """MAE by horizon step of the model and the baselines, and the model's residuals."""
    from .errors import BundleError

    columns = ["step", "actual", "forecast", "naive", "seasonal_naive"]
    try:
        frame = pd.read_csv(path)
        values = frame[columns].astype("float64")
        if not np.isfinite(values[["actual", "forecast"]].to_numpy()).all():  # blank: the residuals' histogram failed
            raise ValueError("a value is blank or not finite")
    except (KeyError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise BundleError(
            f"{path.name} in {path.parent} lacks the columns {', '.join(columns)} or holds non-numbers "
            f"({type(exc).__name__}). Retrain the bundle or get an intact copy."
        ) from None
    per_step = {
        name: (values["actual"] - values[name]).abs().groupby(values["step"]).mean().tolist()
        for name in ("forecast", "naive", "seasonal_naive")
    }
    per_step["model"] = per_step.pop("forecast")
    return per_step, (values["actual"] - values["forecast"]).to_numpy()


def _backtest_section(backtest: dict[str, Any]) -> list[str]:
    """A `forecast backtest --json` result (checked by :func:`check_backtest`), escaped."""
    bp = backtest["protocol"]
    parts = [
        "<h2>Backtest</h2>",
        f"<p>{_e(count(bp['windows'], 'window'))} of {_e(bp['horizon'])} steps from {_e(when(bp['test_start']))} "
        f"to {_e(when(bp['test_end']))}, season {_e(bp['season'])}"
        f"{', refit per fold' if bp['refit'] else ', trained once'}; skill vs the best baseline "
        f"({_e(str(backtest['best_baseline']).replace('_', ' '))}): "
        f"{_e(skill_text(backtest['skill']))}.</p>",
        _table(_METRIC_HEADER, _metrics_rows(backtest["models"])),
    ]
    persistence = backtest.get("persistence") or {}
    if persistence.get("repeats_recent_values"):
        parts.append('<p class="bad">The model mostly repeats recent values: its forecasts match the actuals '
                     f'shifted by {_e(persistence.get("best_shift"))} step(s) better than unshifted, with an error '
                     f'{_e(persistence.get("vs_naive", 1.0))} times naive\'s.</p>')
    return parts


def check_backtest(result: Any, name: str) -> dict[str, Any]:
    """Check a `forecast backtest --json` result before it is shown.

    Raises:
        ConfigError: naming the first field missing or of the wrong type.
    """
    from .errors import ConfigError

    def need(ok: bool, field: str, expected: str) -> None:
        if not ok:
            raise ConfigError(
                f"--backtest {name}: {field} must be {expected}. "
                "Give the file `forecast backtest --json` wrote."
            )

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    need(isinstance(result, dict), "the file", "a JSON object")
    bp = result.get("protocol")
    need(isinstance(bp, dict), "protocol", "an object")
    for key in ("windows", "horizon", "season"):
        need(isinstance(bp.get(key), int) and not isinstance(bp.get(key), bool) and bp[key] >= 1,
             f"protocol.{key}", "a whole number >= 1")
    for key in ("test_start", "test_end"):
        need(isinstance(bp.get(key), str), f"protocol.{key}", "a timestamp string")
    need(isinstance(bp.get("refit"), bool), "protocol.refit", "true or false")
    models = result.get("models")
    need(isinstance(models, dict) and bool(models), "models", "an object of per-model metrics")
    for model, m in models.items():
        need(isinstance(m, dict) and number(m.get("mase")) and all(number(v) for v in m.values()),
             f"models.{model}", "an object of numbers including mase")
    need(isinstance(result.get("best_baseline"), str), "best_baseline", "a string")
    need("skill" in result and (result["skill"] is None or number(result["skill"])), "skill",
         "a number (or null where the best baseline is exact)")
    training = result.get("training") or {}
    need(isinstance(training, dict) and isinstance(training.get("config") or {}, dict), "training",
         "an object whose config is an object")
    persistence = result.get("persistence", {})
    need(isinstance(persistence, dict) and isinstance(persistence.get("repeats_recent_values", False), bool)
         and isinstance(persistence.get("best_shift", 0), int), "persistence",
         "an object with repeats_recent_values and best_shift")
    return result


def render(folder: Path, meta: dict[str, Any], backtest: dict[str, Any] | None = None) -> str:
    """The report of the bundle in ``folder`` (whose bundle.json content is ``meta``).

    Args:
        backtest: a ``forecast backtest --json`` result to include.
    """
    folder = Path(folder)
    d, p = meta["data"], meta["preprocessor"]
    target = p["target"]
    parts = [
        f"<h1>Forecast report: {_e(target)}</h1>",
        f'<p class="sub">{_e(Path(d["source"]).name)}'
        + (f' · created {_e(meta["created"])}' if meta.get("created") else "") + "</p>",
        "<h2>Data</h2>",
        f"<p>{_data_sentence(d)} Loading: {_e(_loading(d['notes']))}.</p>",
        _file_img(folder, "overview.png", "the series with its split"),
        "<h2>Training</h2>",
        *([f"<p>Fitting: {_e(_loading(d['fit_notes']))}.</p>"] if d.get("fit_notes") else []),
        _file_img(folder, "loss.png", "training curves"),
    ]
    if meta.get("tuning"):  # forecast tune's bundle: the search that chose its settings
        parts += ["<h2>Search</h2>", f"<p>{_e(_tuning_sentence(meta['tuning']))}</p>",
                  _file_img(folder, "tuning.png", "validation MASE by trial")]
    metrics = meta.get("metrics") or {}
    if metrics:
        kind, sentence = verdict(metrics, (meta.get("choice") or {}).get("label", "lstm"),
                                (meta.get("config") or {}).get("model", "auto") != "auto")
        parts += ["<h2>Test part</h2>", f'<p class="{kind}">{_e(sentence)}</p>', _table(_METRIC_HEADER, _metrics_rows(metrics)),
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
        per_step, residuals = _holdout_errors(holdout_csv)
        parts += [
            "<h2>Error by horizon step</h2>",
            _figure_img(lambda b: plots.step_error_plot(per_step, b), "MAE by horizon step"),
            "<h2>Residuals</h2>",
            f"<p>Mean {np.mean(residuals):.4g}, standard deviation {np.std(residuals):.4g} "
            f"({_e(target)} units). Bars outside the dotted lines are autocorrelation the model left unexplained.</p>",
            _figure_img(lambda b: plots.residual_plot(residuals, int(d["season"]), b), "residuals"),
        ]
    if backtest:
        parts += _backtest_section(backtest)
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
            f"{_e(target)}</title><style>{_CSS}</style></head><body>{body}</body></html>")


def drawings(info: dict[str, Any], holdout: dict[str, Any], report: bool = True) -> dict[str, Any]:
    """The bundle's pictures, and ``report.html`` when ``report``: ``{name: writer of that path}``.

    Run by ``bundle.save`` after the forecaster's own files, in the bundle's temporary folder,
    so the report reads the bundle being written and the bundle appears whole or not at all.

    Args:
        info: bundle.json's content (``Forecaster.info()``).
        holdout: the test part's scores with its series (``Forecaster.holdout_``).
    """
    writers: dict[str, Any] = {"loss.png": lambda p: plots.loss_plot(info["history"], p)}
    if holdout.get("windows"):
        series = holdout["series"]
        writers.update({
            "holdout.png": lambda p: plots.holdout_plot(series, holdout, p),
            "overview.png": lambda p: plots.overview_plot(series, info["data"]["split"], p),
        })
    if info.get("tuning"):  # forecast tune's trials, drawn before the report that shows them
        writers["tuning.png"] = lambda p: plots.tuning_plot(info["tuning"]["trials"], p)
    if report:
        writers["report.html"] = lambda p: p.write_text(render(p.parent, info), encoding="utf-8")
    return writers


def _tuning_sentence(tuning: dict[str, Any]) -> str:
    """The search in words: trials, time, why it stopped, the trial the bundle is."""
    trials = tuning.get("trials") or []
    scored = sum(1 for t in trials if t.get("score") is not None)
    best = tuning.get("best") or {}
    chosen = (f"; this bundle is trial {int(best['trial']) + 1}'s settings, validation MASE {best['score']:.3f}"
              if best.get("score") is not None else "")
    return (f"{len(trials)} trials ({scored} scored) in {float(tuning.get('seconds') or 0):.0f} s, stopped by "
            f"{tuning.get('stopped_by')}; each scored by the {tuning.get('objective')}{chosen}.")


def _data_sentence(d: dict[str, Any]) -> str:
    """The data's rows, span and split, in HTML: of the series, or of each of several series."""
    split = d["split"]
    parts = (f"train {_e(split['train_rows'])}, validation {_e(split['val_rows'])}, test "
             f"{_e(split['test_rows'])} rows")
    if not d.get("series"):
        return (f"{_e(split['rows'])} rows at frequency <b>{_e(d['freq'])}</b> from {_e(written(d['start'], d))} "
                f"to {_e(written(d['end'], d))}; {parts}.")
    splits = d.get("series_splits") or {}
    total = sum(int(s["rows"]) for s in splits.values())
    first = d["series"][0]
    return (f"{len(d['series'])} series by <b>{_e(d.get('id'))}</b>, {_e(total)} rows in all, at frequency "
            f"<b>{_e(d['freq'])}</b> from {_e(written(d['start'], d))} to {_e(written(d['end'], d))}; each series is split "
            f"by its own length (the first, {_e(first)}: {parts}; the plots show it).")


def _loading(notes: list[str]) -> str:
    """Notes (loading or fitting) as one sentence's body (a note's own final period dropped: "below)..")."""
    return "; ".join(n.rstrip(".") for n in notes) or "nothing changed"
