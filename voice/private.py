"""Files that hold health data: created readable by their owner only, and made so when found wider."""

from __future__ import annotations

import fcntl
import os
import stat
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

PRIVATE_FOLDER_MODE = 0o700
"""The data folder and the folders the coach makes for private files: the owner only."""

PRIVATE_FILE_MODE = 0o600
"""History, event logs, exports: read and written by the owner only."""


def private_folder(folder: Path) -> None:
    """Make ``folder`` (and missing parents) owner-only; an existing folder is left as it is."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    for parent in reversed(missing):
        try:
            parent.mkdir(mode=PRIVATE_FOLDER_MODE)
        except FileExistsError:
            continue
        os.chmod(parent, PRIVATE_FOLDER_MODE)  # mkdir's mode is narrowed by the umask, never widened


def data_folder(folder: Path) -> None:
    """The coach's own data folder: made, or narrowed to, owner-only."""
    private_folder(folder)
    if stat.S_IMODE(folder.stat().st_mode) & 0o077:
        os.chmod(folder, PRIVATE_FOLDER_MODE)


def restrict(path: Path) -> None:
    """Narrow an existing regular file to owner-only; a missing file or a device is left alone."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    if stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) & 0o077:
        with suppress(PermissionError):  # another user's file that we may write: theirs to narrow
            os.chmod(path, stat.S_IMODE(status.st_mode) & ~0o077)


def create_private(path: Path) -> None:
    """Create ``path`` empty and owner-only unless it exists; an existing one is narrowed."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE))
    except FileExistsError:
        restrict(path)


def open_private(path: Path, mode: str, newline: str | None = None) -> IO[Any]:
    """Open a file for writing (``w``, ``a`` or ``wb``), created owner-only or narrowed to it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    descriptor = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        status = os.fstat(descriptor)
        if stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) & 0o077:
            with suppress(PermissionError):
                os.fchmod(descriptor, PRIVATE_FILE_MODE)
        if "b" in mode:
            return open(descriptor, mode)
        return open(descriptor, mode, encoding="utf-8", newline=newline)
    except BaseException:
        os.close(descriptor)
        raise


def hold_shared(path: Path) -> int | None:
    """A shared lock on ``path`` while a program uses it, so another can tell (``held_elsewhere``).

    Taken on a descriptor of its own. For an SQLite file, close it only after SQLite's connection:
    closing any descriptor of a file drops the process's POSIX locks on it (flock locks are apart)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    with suppress(OSError):  # a probe under way, or a file system without locks: the lock only informs
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    return descriptor


def held_elsewhere(path: Path) -> bool:
    """Whether some program holds ``hold_shared`` on ``path`` now."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)  # also drops the probe's own lock
    return False
