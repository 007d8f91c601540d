"""The model bundle: one directory, written atomically, loaded without running any of its code.

Layout: ``model.keras`` (Keras native format, loaded with ``safe_mode=True``),
``bundle.json`` (settings, fitted preprocessor as plain numbers, data span,
metrics, versions, sha256 of every other file), ``history.csv``, ``loss.png``,
``holdout.png``. No pickle anywhere.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import platform
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
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


@contextlib.contextmanager
def writing_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for writing (re-entrant within this process).

    The lock is ``flock`` on a hidden sibling file, released by the kernel when the
    process dies, so a killed run never leaves a stale lock behind. The file is
    removed on release; a run that locked a file just removed finds out by
    comparing inodes and counts as having lost the race.

    Raises:
        BundleError: when another process is writing the same bundle.
    """
    key = Path(out).resolve()
    if key in _HELD:
        yield
        return
    lock_path = key.parent / f".{key.name}.lock"
    if not key.parent.is_dir():
        raise BundleError(f"Folder {key.parent} does not exist. Create it or choose another --out.")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino != os.stat(lock_path).st_ino:
            raise BlockingIOError  # the holder removed this file as we opened it
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        raise BundleError(
            f"Another forecast run is writing {out} right now. Wait for it to finish, "
            "or choose another --out."
        ) from None
    _HELD.add(key)
    try:
        yield
    finally:
        _HELD.discard(key)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


_HELD: set[Path] = set()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


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
    for stale in [*out.parent.glob(f".{out.name}.tmp-*"), *out.parent.glob(f".{out.name}.old-*")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by a run that was killed
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        doc = fill(tmp)
        doc["files"] = {p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.name != META_FILE}
        (tmp / META_FILE).write_text(json.dumps(doc, indent=2, default=str))
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, out: Path) -> None:
    """Make the complete folder ``tmp`` the bundle at ``out`` in one atomic step."""
    _sync(tmp)
    if not out.exists():
        os.rename(tmp, out)
    elif _exchange(tmp, out):
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
            return {k: v for k, v in meta.items() if k != "files"}

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
    from .devices import import_tensorflow

    import_tensorflow()
    import keras

    try:
        return keras.saving.load_model(Path(path) / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for unsafe or broken files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BundleError(
            f"{MODEL_FILE} in {path} could not be loaded safely ({first[:200]}). "
            "Only bundles made by forecast load; retrain it."
        ) from None
