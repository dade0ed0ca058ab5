"""One writer per sweep store: ``STORE.lock`` holds the writer's pid and host.

The lock sits next to the *resolved* store path, so two sweeps that reach one store through
different paths (a symlink to the store or to a folder above it, ``..`` components) take the same
lock. A lock left by a process that no longer runs on this host is taken over.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

__all__ = ["check_writable", "lock_path", "store_lock"]


def check_writable(path: str | os.PathLike, name: str = "store") -> Path:
    """Create the folder of ``path`` if needed; raise ``PermissionError`` naming ``path`` if it
    cannot be written (its folder cannot be created, or is not writable, or ``path`` is not).

    Checked before a run or sweep starts, so that an unwritable output is reported as such at
    once, not as a failure half way (or as an unreachable scheduler).
    """
    path = Path(path)
    folder = path.absolute().parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise PermissionError(f"{name}={str(path)!r} cannot be written: {str(existing)!r} is a file, not a "
                              "folder. Fix: choose a path in a writable folder.")
    for blocked in (existing, path):
        mode = os.W_OK | (os.X_OK if blocked.is_dir() else 0)
        if blocked.exists() and not os.access(blocked, mode):
            raise PermissionError(f"{name}={str(path)!r} cannot be written (no write permission on "
                                  f"{str(blocked)!r}). Fix: choose a path in a writable folder.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PermissionError(f"{name}={str(path)!r} cannot be written: its folder {str(folder)!r} cannot "
                              f"be created ({exc.strerror or exc}). Fix: choose a path in a writable "
                              "folder.") from None
    return path


def lock_path(path: str | os.PathLike) -> Path:
    """The lock file of the store at ``path``: ``STORE.lock`` next to the resolved store."""
    real = Path(path).resolve()
    return real.with_name(real.name + ".lock")


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                                   # exists, owned by someone else
        return True
    return True


@contextlib.contextmanager
def store_lock(path: str | os.PathLike) -> Iterator[Path]:
    """Hold the lock of the store at ``path`` while the block runs; yields the lock file.

    Raises ``FileExistsError`` naming the store, the writer (pid and host) and the lock file when
    another live process holds it.
    """
    lock = lock_path(path)
    host_here = socket.gethostname()
    for attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            pid_text, host = "?", "?"
            try:
                pid_text, host = [*lock.read_text().split(maxsplit=1), "?", "?"][:2]
                pid = int(pid_text)
            except (OSError, ValueError):
                pid = -1
            if attempt == 0 and host.strip() == host_here and not _alive(pid):
                lock.unlink(missing_ok=True)                  # stale: its process is gone
                continue
            real = Path(path).resolve()
            shown = str(path) if Path(path).absolute() == real else f"{path} (= {real})"
            raise FileExistsError(
                f"store={shown!r} is being written by another sweep (process {pid_text} on "
                f"{host.strip()}, lock file {str(lock)!r}). Fix: wait for it to finish, or delete "
                "the lock file if that process is gone.") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{os.getpid()} {host_here}")
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)
