"""The trained networks' forward pass in NumPy: forecasts without importing TensorFlow.

Importing TensorFlow takes seconds; a forecast from a saved bundle needs a few
matrix products. The bundle keeps every layer's weights in ``weights.npz`` (plain
arrays, named by layer) besides ``model.keras``; this module rebuilds each
architecture of :mod:`forecast.nets` from them. A test holds it equal to Keras to
1e-5 for every architecture; Keras stays the fallback for bundles without the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_FILE = "weights.npz"


def export_weights(model: Any, path: Path) -> None:
    """Save every layer's weights as ``<layer name>/<index>`` arrays (no pickle)."""
    arrays = {
        f"{layer.name}/{i}": np.asarray(w)
        for layer in model.layers
        for i, w in enumerate(layer.get_weights())
    }
    with open(path, "wb") as fh:  # a file object: np.savez would otherwise append ".npz"
        np.savez(fh, **arrays)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def patches(x: np.ndarray, width: int) -> np.ndarray:
    """Windows ``(n, lookback, F)`` as the first recurrent layer of input ``width`` reads them:
    ``(n, lookback // p, p * F)`` with ``p = width // F`` consecutive rows side by side, the
    oldest ``lookback % p`` rows cropped (``nets.build_model``'s ``Cropping1D`` + ``Reshape``)."""
    n, lookback, f = x.shape
    patch = width // f
    if patch <= 1:
        return x
    cut = lookback % patch
    return x[:, cut:].reshape(n, (lookback - cut) // patch, patch * f)  # (n, steps, patch F)


GATES = ("input", "forget", "candidate", "output", "cell", "hidden")


def lstm_states(
    x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray, keep_gates: bool = False
) -> dict[str, np.ndarray]:
    """Run a Keras LSTM (gate order i, f, c, o) over ``x`` ``(n, time, F)``.

    Returns:
        ``hidden`` ``(n, time, units)``; with ``keep_gates`` also the ``input``, ``forget``
        and ``output`` gates, the cell ``candidate`` and the ``cell`` state, same shape.
    """
    n, steps, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((n, units))
    c = np.zeros((n, units))
    inputs = x @ kernel + bias  # (n, time, 4 units)
    names = GATES if keep_gates else ("hidden",)
    out = {name: np.empty((n, steps, units)) for name in names}
    for t in range(steps):
        z = inputs[:, t] + h @ recurrent
        i, f = _sigmoid(z[:, :units]), _sigmoid(z[:, units : 2 * units])
        g, o = np.tanh(z[:, 2 * units : 3 * units]), _sigmoid(z[:, 3 * units :])
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(GATES, (i, f, g, o, c, h)):
            if name in out:
                out[name][:, t] = value
    return out


def _lstm(x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Hidden states ``(n, time, units)`` of a Keras LSTM over ``x`` ``(n, time, F)``."""
    return lstm_states(x, kernel, recurrent, bias)["hidden"]


def _gru(x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Hidden states of a Keras GRU with ``reset_after=True`` (gates z, r, h; bias (2, 3 units))."""
    n, steps, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((n, units))
    inputs = x @ kernel + bias[0]  # (n, time, 3 units)
    out = np.empty((n, steps, units))
    for t in range(steps):
        rec = h @ recurrent + bias[1]
        xz, xr, xh = np.split(inputs[:, t], 3, axis=-1)
        rz, rr, rh = np.split(rec, 3, axis=-1)
        z, r = _sigmoid(xz + rz), _sigmoid(xr + rr)
        h = z * h + (1 - z) * np.tanh(xh + r * rh)
        out[:, t] = h
    return out


class NumpyNet:
    """Callable like the Keras model: ``net(x)`` -> ``(n, horizon[, q])`` for ``x`` ``(n, lookback, F)``.

    Args:
        config: the bundle's settings (``arch``, ``layers``, ``quantiles``).
        weights: ``{"<layer>/<i>": array}`` as written by :func:`export_weights`.
    """

    def __init__(self, config: dict[str, Any], weights: dict[str, np.ndarray]) -> None:
        self.arch = config["arch"]
        self.layers = int(config["layers"])
        self.quantiles = config.get("quantiles")
        self.ensemble = int(config.get("ensemble") or 1)  # bundles before ensembles: one network
        self.w = {k: np.asarray(v, dtype="float64") for k, v in weights.items()}

    @classmethod
    def load(cls, folder: Path, config: dict[str, Any]) -> NumpyNet:
        """Read ``weights.npz`` (checked against the settings by :func:`forecast.bundle.read_meta`)."""
        return cls(config, read_weights(Path(folder) / WEIGHTS_FILE))

    def _get(self, layer: str, count: int) -> list[np.ndarray]:
        return [self.w[f"{layer}/{i}"] for i in range(count)]

    def __call__(self, x: Any, training: bool = False) -> np.ndarray:
        """``(n, horizon[, q])``, or ``(n, ensemble, horizon[, q])`` for an ensemble (as Keras)."""
        x = np.asarray(x, dtype="float64")  # (n, lookback, F)
        first = "bidirectional_0" if self.arch == "bilstm" else "gru_0" if self.arch == "gru" else "lstm_0"
        x = patches(x, self.w[f"{first}/0"].shape[0])  # (n, steps, patch F): every member reads these
        if self.ensemble == 1:
            return self._forward(x, "")
        return np.stack([self._forward(x, f"m{k}_" if k else "") for k in range(self.ensemble)], axis=1)

    def _forward(self, h: np.ndarray, prefix: str) -> np.ndarray:
        """One network of the ensemble: its layers are named ``<prefix><layer>``."""
        for i in range(self.layers):
            last = i == self.layers - 1
            if self.arch == "attention" and last:
                seq = _lstm(h, *self._get(prefix + f"lstm_{i}", 3))  # (n, lookback, units)
                query = seq[:, -1]  # (n, units): the last hidden state
                scores = np.einsum("ntu,nu->nt", seq, query)
                weights = np.exp(scores - scores.max(axis=1, keepdims=True))
                weights /= weights.sum(axis=1, keepdims=True)  # (n, lookback)
                context = np.einsum("nt,ntu->nu", weights, seq)
                h = np.concatenate([query, context], axis=-1)  # (n, 2 units)
                break
            if self.arch == "bilstm":
                fw, bw = self._get(prefix + f"bidirectional_{i}", 6)[:3], self._get(prefix + f"bidirectional_{i}", 6)[3:]
                forward = _lstm(h, *fw)
                backward = _lstm(h[:, ::-1], *bw)  # reads the window from its end
                seq = np.concatenate([forward, backward[:, ::-1]], axis=-1)
                h = seq if not last else np.concatenate([forward[:, -1], backward[:, -1]], axis=-1)
                continue
            cell = _gru if self.arch == "gru" else _lstm
            seq = cell(h, *self._get(prefix + f"{'gru' if self.arch == 'gru' else 'lstm'}_{i}", 3))
            h = seq if not last else seq[:, -1]
        return self._head(h, prefix)

    def _head(self, h: np.ndarray, prefix: str) -> np.ndarray:
        if not self.quantiles:
            kernel, bias = self._get(prefix + "horizon", 2)
            return h @ kernel + bias  # (n, horizon)
        kb, bb = self._get(prefix + "quantile_base", 2)
        ks, bs = self._get(prefix + "quantile_steps", 2)
        (cumulative,) = self._get(prefix + "quantile_cumsum", 1)
        base = h @ kb + bb  # (n, horizon)
        steps = np.logaddexp(0.0, h @ ks + bs).reshape(len(h), base.shape[1], -1)  # softplus
        v = np.concatenate([base[..., None], steps], axis=-1)  # (n, horizon, q)
        return v @ cumulative


def ensemble_median(raw: np.ndarray, quantiles: list[float] | None) -> np.ndarray:
    """The forecast of a network's raw output: the median over an ensemble's members axis
    (``(n, members, horizon[, q])``), the output itself for a single network.

    The median of each level keeps the levels ordered (every member's are), and one member
    gone astray does not move it (on airline, 5 seeds scored MASE 0.73-1.36 alone, 0.79-0.89
    as medians of three; bench/ACCURACY.md).
    """
    raw = np.asarray(raw)
    if raw.ndim == (4 if quantiles else 3):
        return np.median(raw, axis=1)
    return raw


def read_weights(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a ``weights.npz`` (never unpickled).

    Raises:
        BundleError: when the file is not a NumPy archive of plain arrays.
    """
    import zipfile

    from .errors import BundleError

    try:
        with np.load(path, allow_pickle=False) as saved:
            return {k: saved[k] for k in saved.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        if "pickle" in first.lower():
            first = "it holds Python objects, not numbers"
        raise BundleError(
            f"{path.name} in {path.parent} is not an archive of plain arrays ({first}). "
            "Retrain the bundle or get an intact copy."
        ) from None
