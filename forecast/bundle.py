"""The model bundle: one directory, written atomically, loaded without running any of its code.

Layout: ``model.keras`` (Keras native format, loaded with ``safe_mode=True``),
``bundle.json`` (settings, fitted preprocessor as plain numbers, data span,
metrics, versions, sha256 of every other file, and ``digest``: the sha256 of its own content),
``history.csv``, ``loss.png``,
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

from . import schema, schema_weights
from .errors import BundleError
from .jsonchecks import plain_json
from .locking import swap_paths, writing_lock
from .timefmt import listed

SCHEMA_VERSION = 2  # 2: bundle.json carries its own digest (1: bundles written before, read as they were)
DIGEST_FROM = 2  # the first schema version whose bundle.json must carry "digest"
MODEL_FILE = "model.keras"
META_FILE = "bundle.json"
WEIGHTS_FILE = "weights.npz"


def versions() -> dict[str, str]:
    """Versions of the libraries that shape a bundle's numbers (JAX and PyTorch when installed:
    either may be the backend it trained on)."""
    out = {"python": platform.python_version()}
    for name in ("forecast", "tensorflow", "keras", "numpy", "pandas", "scikit-learn", "jax", "torch"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name not in ("jax", "torch"):
                out[name] = "absent"
    return out


def check_target(out: Path, force: bool, create_parent: bool = False, data: Path | None = None,
                 folder: bool = False) -> None:
    """Refuse before any work when ``out`` holds something that must not be overwritten,
    or cannot be written.

    Args:
        create_parent: a missing parent folder will be created (the default ``models/``).
        data: the file the command reads, which must not lie in the folder it replaces.
        folder: ``out`` gets a folder of bundles (``compare --keep all``), not one bundle.
    """
    out = Path(out)
    if data is not None and out.resolve() in Path(data).resolve().parents:
        raise BundleError(f"{data}, the file trained on, is inside --out {out}, which the bundle replaces whole. "
                          "Move the file out of that folder, or choose another --out.")
    if out.exists() and not out.is_dir():
        raise BundleError(
            f"--out {out} is a file, not a bundle folder; refusing to replace it. Choose another --out."
        )
    inside = list(out.iterdir()) if out.exists() else []
    several = bool(inside) and all(p.is_dir() and (p / META_FILE).is_file() for p in inside)  # `compare --keep all`
    if inside and not (out / META_FILE).exists() and not several:  # --force would not help: said first
        raise BundleError(
            f"{out} exists and is not a forecast bundle; refusing to replace it. Choose another --out."
        )
    if folder and (out / META_FILE).exists():  # its bundles would be written inside the one there
        raise BundleError(f"{out} is one bundle, and --keep all writes a folder of bundles, one per architecture: "
                          "--force would not replace it. Choose another --out.")
    if out.exists() and not force:
        raise BundleError(f"{out} already exists. Use --force to replace it, or choose another --out.")
    if inside and not (out / META_FILE).exists():
        for bundle in inside:
            check_target(bundle, force)
    elif inside:  # --force replaces the folder whole: files the bundle did not write would go with it
        others = sorted(p.name for p in inside if p.name not in bundle_files(out)[0] and not p.name.startswith("."))
        if others:
            raise BundleError(
                f"{out} holds files that are not part of its bundle ({listed(others)}); replacing the bundle would delete "
                "them. Move them out of the folder, or choose another --out."
            )
    parent = out.parent
    if not parent.exists() and create_parent:
        parent = next(p for p in out.parents if p.exists())
    if not parent.is_dir():
        if out.parent.exists():
            raise BundleError(f"{out.parent}, the folder of --out, is a file. Choose another --out.")
        raise BundleError(f"Folder {out.parent} does not exist. Create it or choose another --out.")
    _check_writable(parent)


def bundle_files(folder: Path) -> tuple[set[str], Path | None]:
    """bundle.json and the files it lists (where it cannot be read, the names a bundle writes), and
    the training file it names (None where it cannot be read: loading says why)."""
    try:
        meta = json.loads((Path(folder) / META_FILE).read_text(encoding="utf-8"))
        files, source = meta.get("files"), meta.get("data", {}).get("source")
    except (OSError, ValueError, AttributeError):
        files, source = None, None
    if not isinstance(files, dict):  # a damaged bundle.json: what train writes
        files = {MODEL_FILE, WEIGHTS_FILE, "optimizer.npz", "history.csv", "holdout.csv", "report.html",
                 "loss.png", "holdout.png", "overview.png"}
    return {META_FILE, *files}, Path(source) if isinstance(source, str) and source else None


def _check_writable(folder: Path) -> None:
    """Try to create a file in ``folder``: mode bits do not tell (root, ACLs, read-only mounts)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".forecast-probe-", dir=folder)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise BundleError(f"Cannot write into {folder} ({reason}). Choose a writable --out.") from None
    os.close(fd)
    os.unlink(probe)


def meta_digest(meta: dict[str, Any]) -> str:
    """sha256 of bundle.json's content other than its "digest" field, keys sorted: a hand edit of
    bundle.json is caught as an edit of any other file of the bundle is (its sha256 in "files")."""
    body = {k: v for k, v in meta.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


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
    """Write a bundle into a temporary sibling of ``out``, then move it into place atomically.

    Whenever the process dies, ``out`` holds the previous complete bundle or the new
    complete one: the new one is swapped in with one atomic exchange (two renames
    where the system has no exchange). Temporary folders of killed runs are removed
    by the next write.

    Args:
        out: bundle directory to create.
        model: the Keras model.
        meta: what bundle.json records (files and versions are added here).
        writers: extra files, ``{name: function writing that path}``, written in order.
        force: replace an existing bundle.

    Returns:
        ``out``.
    """
    out = Path(out)
    with writing_lock(out):
        check_target(out, force)

        def fill(tmp: Path) -> dict[str, Any]:
            model.save(tmp / MODEL_FILE)
            for name, write in writers.items():
                write(tmp / name)
            return {
                "schema_version": SCHEMA_VERSION,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                **meta,
                "versions": versions(),
            }

        _build_and_swap(out, fill)
    return out


def _build_and_swap(out: Path, fill: Callable[[Path], dict[str, Any]]) -> None:
    """Fill a fresh temporary sibling of ``out``, record every file's sha256 in bundle.json,
    and swap it in; on any failure (or interrupt) the temporary folder is removed.

    Args:
        fill: writes the files into the folder it is given and returns bundle.json's
            content (without ``files``).
    """
    if out.is_symlink():  # models/current -> models/v3: v3 is replaced and the link kept (swapping the
        out = out.resolve()  # link itself made it a folder and left v3 stale)
    for stale in [*out.parent.glob(f".{out.name}.tmp-*"), *out.parent.glob(f".{out.name}.old-*")]:
        if stale.is_symlink():  # left by an earlier version that swapped a link
            stale.unlink()
        shutil.rmtree(stale, ignore_errors=True)  # left by a run that was killed
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        doc = fill(tmp)
        doc["files"] = {p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.name != META_FILE}
        doc = json.loads(json.dumps(plain_json(doc), default=str, allow_nan=False))  # as it will be read back
        doc["schema_version"] = SCHEMA_VERSION  # update() rewrites an older bundle at this version
        doc["digest"] = meta_digest(doc)
        (tmp / META_FILE).write_text(json.dumps(doc, indent=2, allow_nan=False))
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def usual_mode(path: Path) -> None:
    """Give a file or folder made by ``tempfile`` (owner-only, 0600/0700) the mode a plain
    ``open``/``mkdir`` would have given it under the user's umask, so others who could read
    the user's files can read forecasts and bundles too."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)


def _swap_in(tmp: Path, out: Path) -> None:
    """Make the complete folder ``tmp`` the bundle at ``out`` in one atomic step."""
    _sync(tmp)
    usual_mode(tmp)
    if not out.exists():
        os.rename(tmp, out)
    elif swap_paths(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous bundle
    else:
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)


def update(out: Path, writers: dict[str, Callable[[Path], None]]) -> Path:
    """Add or replace files in a bundle, atomically, keeping bundle.json's checksums right.

    The bundle is checked first (:func:`read_meta`), copied to a temporary sibling,
    the writers run there in order, the sha256 of every file is recomputed, and the copy
    is swapped in.
    """
    out = Path(out)
    with writing_lock(out):
        meta = read_meta(out)

        def fill(tmp: Path) -> dict[str, Any]:
            shutil.copytree(out, tmp, dirs_exist_ok=True)
            for name, write in writers.items():
                write(tmp / name)
            return {k: v for k, v in meta.items() if k not in ("files", "digest")}

        _build_and_swap(out, fill)
    return out


def _sync(folder: Path) -> None:
    """Flush the files to disk before the rename makes them visible as a bundle."""
    for path in folder.iterdir():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())


def read_meta(path: Path) -> dict[str, Any]:
    """Read and check bundle.json and the files it lists, without loading the model."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"{path} is not a bundle directory. Give the folder `forecast train` wrote.")
    meta_path = path / META_FILE
    if not meta_path.exists():
        inside = sorted(p.name for p in path.iterdir() if (p / META_FILE).is_file()) if os.access(path, os.R_OK) else []
        if inside:  # `compare --keep all` writes one bundle per architecture in a folder
            raise BundleError(f"{path} holds bundles, not one: {', '.join(inside[:6])}. Give one of them, "
                              f"e.g. {path / inside[0]}.")
        data = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (".csv", ".parquet", ".tsv", ".txt")) \
            if os.access(path, os.R_OK) and not any((path / f).exists() for f in (MODEL_FILE, WEIGHTS_FILE)) else []
        if data:  # a data folder given where a bundle goes
            raise BundleError(f"{path} is not a bundle (no {META_FILE}; it holds {listed(data, 3)}). Give the "
                              "folder `forecast train` wrote.")
        raise BundleError(f"{path} has no {META_FILE}; it is not a complete bundle. Retrain it.")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BundleError(f"{meta_path} is not valid JSON ({exc}). Retrain the bundle.") from None
    except OSError as exc:
        raise BundleError(f"Cannot read {meta_path} ({(exc.strerror or 'unreadable').lower()}).") from None
    if not isinstance(meta, dict):
        schema.validate(meta)  # names what was found instead of an object
    version = meta.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):  # another program's JSON, or edited
        raise BundleError(f"{meta_path} has no schema_version: it is not a bundle's bundle.json (or it was "
                          "edited). Retrain the bundle.")
    if version > SCHEMA_VERSION:
        raise BundleError(
            f"{path} has bundle schema version {version}; this forecast reads up to "
            f"{SCHEMA_VERSION}. Upgrade forecast."
        )
    _check_digest(meta, meta_path, version)
    files = meta.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise BundleError(f"bundle.json: files must be an object of sha256 digests, found {files!r:.60}. "
                          "Retrain the bundle.")
    for name, digest in files.items():
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
            raise BundleError(f"bundle.json: files lists '{name}', which is not a file name in the bundle. "
                              "Retrain the bundle.")
        file = path / name
        if not file.exists():
            raise BundleError(f"{path} is missing {name}. Retrain the bundle.")
        if _sha256(file) != digest:
            raise BundleError(
                f"{name} in {path} does not match its sha256 in {META_FILE}: the bundle was "
                "changed after training. Retrain it or get an intact copy."
            )
    if MODEL_FILE not in files:
        raise BundleError(f"{path} has no {MODEL_FILE}. Retrain the bundle.")
    schema.validate(meta)
    if WEIGHTS_FILE in files:  # another model's weights, even with matching checksums, are refused
        from .numpy_net import read_weights

        schema_weights.check_weights(meta, read_weights(path / WEIGHTS_FILE))
    return meta


def _check_digest(meta: dict[str, Any], meta_path: Path, version: int) -> None:
    """Refuse a bundle.json edited by hand: its content must match its "digest" (bundles of schema
    version 1, written before the digest, have none and are read as they were)."""
    digest = meta.get("digest")
    if digest is None and version < DIGEST_FROM:
        return
    if not isinstance(digest, str):
        raise BundleError(f"{meta_path} has no digest of its own content, which a bundle of schema version "
                          f"{version} carries: it was edited after training. Retrain the bundle or get an intact copy.")
    if digest != meta_digest(meta):
        raise BundleError(f"{meta_path} does not match its digest: it was edited after training. Retrain the "
                          "bundle or get an intact copy.")


def load_model(path: Path) -> Any:
    """Load ``model.keras`` with ``safe_mode=True``: no Lambda or custom code is ever run."""
    from .devices import import_keras

    keras = import_keras()  # on KERAS_BACKEND: the format is the same on every backend

    try:
        model = keras.saving.load_model(Path(path) / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for unsafe or broken files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BundleError(
            f"{MODEL_FILE} in {path} could not be loaded safely ({first[:200]}). "
            "Only bundles made by forecast load; retrain it."
        ) from None
    _check_model(model, path)
    return model


def _check_model(model: Any, path: Path) -> None:
    """Refuse a model.keras whose window or weights do not fit bundle.json's settings."""
    import numpy as np

    meta = json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))  # validated on read
    pre = meta["preprocessor"]
    lookback = getattr(model, "input_shape", (None, None))[1]
    if lookback is not None and lookback != pre["lookback"]:
        raise BundleError(
            f"{MODEL_FILE} in {path} reads windows of {lookback} steps, but bundle.json says lookback "
            f"{pre['lookback']}. The model belongs to another bundle; retrain it."
        )
    arrays = {f"{layer.name}/{i}": np.asarray(w) for layer in model.layers
              for i, w in enumerate(layer.get_weights())}
    schema_weights.check_weights(meta, arrays, MODEL_FILE)
