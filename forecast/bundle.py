"""The model bundle: one directory, written atomically, loaded without running any of its code.

Layout: ``model.keras`` (Keras native format, loaded with ``safe_mode=True``),
``bundle.json`` (settings, fitted preprocessor as plain numbers, data span,
metrics, versions, sha256 of every other file), ``history.csv``, ``loss.png``,
``holdout.png``. No pickle anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import BundleError

SCHEMA_VERSION = 1
MODEL_FILE = "model.keras"
META_FILE = "bundle.json"


def versions() -> dict[str, str]:
    """Versions of the libraries that shape a bundle's numbers."""
    out = {"python": platform.python_version()}
    for name in ("forecast", "tensorflow", "keras", "numpy", "pandas", "scikit-learn"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def check_target(out: Path, force: bool) -> None:
    """Refuse before any work when ``out`` holds something that must not be overwritten."""
    out = Path(out)
    if out.exists() and not force:
        raise BundleError(f"{out} already exists. Use --force to replace it, or choose another --out.")
    if out.exists() and not (out / META_FILE).exists() and any(out.iterdir()):
        raise BundleError(
            f"{out} exists and is not a forecast bundle; refusing to replace it. Choose another --out."
        )
    if not out.parent.exists():
        raise BundleError(f"Folder {out.parent} does not exist. Create it or choose another --out.")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(
    out: Path,
    model: Any,
    meta: dict[str, Any],
    writers: dict[str, Callable[[Path], None]],
    force: bool = False,
) -> Path:
    """Write a bundle into a temporary sibling of ``out``, then rename it into place.

    Args:
        out: bundle directory to create.
        model: the Keras model.
        meta: what bundle.json records (files and versions are added here).
        writers: extra files, ``{name: function writing that path}``.
        force: replace an existing bundle.

    Returns:
        ``out``.
    """
    out = Path(out)
    check_target(out, force)
    for stale in out.parent.glob(f".{out.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a run that was killed
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        model.save(tmp / MODEL_FILE)
        for name, write in writers.items():
            write(tmp / name)
        files = {p.name: _sha256(p) for p in sorted(tmp.iterdir())}
        doc = {
            "schema_version": SCHEMA_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **meta,
            "versions": versions(),
            "files": files,
        }
        (tmp / META_FILE).write_text(json.dumps(doc, indent=2, default=str))
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_meta(path: Path) -> dict[str, Any]:
    """Read and check bundle.json and the files it lists, without loading the model."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"{path} is not a bundle directory. Give the folder `forecast train` wrote.")
    meta_path = path / META_FILE
    if not meta_path.exists():
        raise BundleError(f"{path} has no {META_FILE}; it is not a complete bundle. Retrain it.")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{meta_path} is not valid JSON ({exc}). Retrain the bundle.") from None
    version = meta.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise BundleError(
            f"{path} has bundle schema version {version}; this forecast reads up to "
            f"{SCHEMA_VERSION}. Upgrade forecast."
        )
    for name, digest in meta.get("files", {}).items():
        file = path / name
        if not file.exists():
            raise BundleError(f"{path} is missing {name}. Retrain the bundle.")
        if _sha256(file) != digest:
            raise BundleError(
                f"{name} in {path} does not match its sha256 in {META_FILE}: the bundle was "
                "changed after training. Retrain it or get an intact copy."
            )
    if MODEL_FILE not in meta.get("files", {}):
        raise BundleError(f"{path} has no {MODEL_FILE}. Retrain the bundle.")
    return meta


def load_model(path: Path) -> Any:
    """Load ``model.keras`` with ``safe_mode=True``: no Lambda or custom code is ever run."""
    import keras

    try:
        return keras.saving.load_model(Path(path) / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for unsafe or broken files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BundleError(
            f"{MODEL_FILE} in {path} could not be loaded safely ({first[:200]}). "
            "Only bundles made by forecast load; retrain it."
        ) from None
