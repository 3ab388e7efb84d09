"""Atomic file output: write to a temporary file beside the target, fsync it, rename it into place.

The target is at every moment the old file, absent, or the complete new one, also across a
crash or power loss: the data reaches the disk (fsync) before the rename, and the rename
itself reaches the disk with the directory's fsync, where the OS allows one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

# The temporary file's name: hidden, beside the target, and recognisable as ours.
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)  # not on Windows


def temp_name(target: Path) -> Path:
    """A fresh temporary path beside target: `.NAME.<random>.tmp`."""
    return target.parent / f"{TEMP_PREFIX}{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in target's directory; on success fsync it and rename it to target.

    The caller writes through the yielded path (open it, or hand it to a writer). A failed or
    interrupted write (an exception, KeyboardInterrupt, or the CLI's SIGTERM exception) removes
    the temporary file. The file gets the permissions a plain open() would give (0666 & ~umask).
    """
    target = Path(target)
    tmp = temp_name(target)
    ours = True
    try:
        # The name is registered for cleanup before the file exists, so a signal arriving
        # between its creation and the `yield` cannot leave it behind.
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, 0o666)
        except FileExistsError:  # 48 random bits collided: not ours, leave it alone
            ours = False
            raise
        os.close(fd)
        yield tmp
        fsync_file(tmp)
        tmp.replace(target)
        fsync_directory(target.parent)
    finally:
        if ours:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def fsync_file(path: Path) -> None:
    """Flush a written file's data and metadata to the disk."""
    fd = os.open(path, os.O_RDONLY | _CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(directory: Path) -> None:
    """Flush a directory entry (a rename) to the disk; a no-op where directories cannot be
    opened (Windows) or fsync'd (some network file systems)."""
    try:
        fd = os.open(directory, os.O_RDONLY | _CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
