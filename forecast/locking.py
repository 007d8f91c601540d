"""One writer per bundle at a time (a lock file in the temporary folder), and the atomic
exchange of two folders."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import BundleError

_HELD: set[Path] = set()  # bundles this process is writing (the lock is re-entrant)


@contextlib.contextmanager
def writing_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for writing (re-entrant within this process).

    The lock (:mod:`filelock`: ``flock`` on Unix, ``msvcrt`` on Windows, released by the
    system when the process dies, so a killed run never leaves a stale lock) is a file
    in the temporary folder named by a hash of ``out``'s absolute path: nothing is left
    beside the bundle, and the file is never removed, so two runs always lock the same one.

    Raises:
        BundleError: when another process is writing the same bundle.
    """
    from filelock import FileLock, Timeout

    key = Path(out).resolve()
    if key in _HELD:
        yield
        return
    lock = FileLock(_lock_path(key), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BundleError(
            f"Another forecast run is writing {out} right now. Wait for it to finish, "
            "or choose another --out."
        ) from None
    except OSError as exc:
        raise BundleError(
            f"Cannot create the lock file for {out} in {_lock_path(key).parent} "
            f"({(exc.strerror or type(exc).__name__).lower()}). Set TMPDIR to a writable folder."
        ) from None
    _HELD.add(key)
    try:
        yield
    finally:
        _HELD.discard(key)
        lock.release()


def _lock_path(key: Path) -> Path:
    user = f"-{os.getuid()}" if hasattr(os, "getuid") else ""  # one folder per user: no clashes
    folder = Path(tempfile.gettempdir()) / f"forecast-locks{user}"
    folder.mkdir(exist_ok=True)
    return folder / f"{hashlib.sha256(str(key).encode()).hexdigest()[:32]}.lock"


def swap_paths(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported
    (macOS, Windows, old glibc), and the caller falls back to two renames."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0
