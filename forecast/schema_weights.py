"""The weights' side of the bundle check: the arrays bundle.json's settings imply, and the refusal
of weights.npz (or model.keras's arrays) that do not fit them (`bundle` calls it on every load)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import BundleError
from .jsonchecks import FIX


def expected_shapes(meta: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The shape of every array in weights.npz that the bundle's settings imply."""
    from .calendar import feature_names

    c, p = meta["config"], meta["preprocessor"]
    units, layers, arch = c["units"], c["layers"], c["arch"]
    n_in = (1 + len(p["features"]) + len(p.get("future", [])) + len(feature_names(p["calendar"]))
            + len((p.get("holidays") or {}).get("features", [])))  # (lookback, n_in) windows
    horizon, q = p["horizon"], len(meta["quantiles"] or [])
    patch = meta.get("training", {}).get("patch") or 1  # rows side by side (older bundles: 1)
    one = _network_shapes(arch, units, layers, n_in * patch, horizon, q)
    members = int(c.get("ensemble") or 1)  # bundles before ensembles hold one network
    return {f"{f'm{k}_' if k else ''}{name}": shape for k in range(members) for name, shape in one.items()}


def _network_shapes(
    arch: str, units: int, layers: int, n_in: int, horizon: int, q: int
) -> dict[str, tuple[int, ...]]:
    """The weight shapes of one network of the ensemble (unprefixed layer names)."""
    shapes: dict[str, tuple[int, ...]] = {}
    width = n_in
    for i in range(layers):
        if arch == "attention" and i == layers - 1:
            shapes.update({f"lstm_{i}/0": (width, 4 * units), f"lstm_{i}/1": (units, 4 * units),
                           f"lstm_{i}/2": (4 * units,)})
            width = 2 * units
        elif arch == "bilstm":
            for j in (0, 3):
                shapes.update({f"bidirectional_{i}/{j}": (width, 4 * units),
                               f"bidirectional_{i}/{j + 1}": (units, 4 * units),
                               f"bidirectional_{i}/{j + 2}": (4 * units,)})
            width = 2 * units
        elif arch == "gru":
            shapes.update({f"gru_{i}/0": (width, 3 * units), f"gru_{i}/1": (units, 3 * units),
                           f"gru_{i}/2": (2, 3 * units)})
            width = units
        else:
            shapes.update({f"lstm_{i}/0": (width, 4 * units), f"lstm_{i}/1": (units, 4 * units),
                           f"lstm_{i}/2": (4 * units,)})
            width = units
    if q:
        shapes.update({"quantile_base/0": (width, horizon), "quantile_base/1": (horizon,),
                       "quantile_steps/0": (width, horizon * (q - 1)),
                       "quantile_steps/1": (horizon * (q - 1),), "quantile_cumsum/0": (q, q)})
    else:
        shapes.update({"horizon/0": (width, horizon), "horizon/1": (horizon,)})
    return shapes


def check_weights(meta: dict[str, Any], arrays: dict[str, np.ndarray], file: str = "weights.npz") -> None:
    """Refuse weights whose names, shapes or values do not fit the bundle's settings.

    Raises:
        BundleError: naming the first array that is missing, extra, misshapen or not finite.
    """
    expected = expected_shapes(meta)
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    c = meta["config"]
    what = f"{c['arch']} x {c['layers']} layer(s) of {c['units']} units"
    if missing or extra:
        names = ", ".join((missing or extra)[:4])
        raise BundleError(
            f"{file} does not fit bundle.json ({what}): {'missing' if missing else 'unexpected'} "
            f"array(s) {names}. The weights belong to another model; {FIX}"
        )
    for name, shape in expected.items():
        array = arrays[name]
        if tuple(array.shape) != shape:
            raise BundleError(
                f"{file} does not fit bundle.json ({what}): {name} has shape {tuple(array.shape)}, "
                f"expected {shape}. The weights belong to another model; {FIX}"
            )
        if array.dtype.kind not in "fiu" or not np.isfinite(array).all():
            raise BundleError(f"{file}: {name} holds values that are not finite numbers. {FIX}")


