"""Who owns a partial recording: the live writer holds an exclusive `flock` on it all its life.

So any process can tell a partial file whose writer died (crash, kill, power cut: the kernel
dropped the lock) from one a running softphone is still writing, and recover only the first.
The writer creates the file under a hidden name, locks it and only then links it to its
partial name, so no other process ever sees it unlocked while its writer lives.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from softphone.recordings.access import create_file


def create_locked(path: Path) -> int:
    """Create `path` (it must not exist) for writing, exclusively locked; the descriptor.

    The lock lasts as long as the descriptor, or a duplicate of it, stays open.
    """
    hidden = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = create_file(hidden)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else can know the new file yet
        os.link(hidden, path)  # FileExistsError when `path` exists, as for create_file
    except OSError:
        os.close(fd)
        hidden.unlink(missing_ok=True)
        raise
    hidden.unlink()
    return fd


@contextlib.contextmanager
def claimed(path: Path) -> Iterator[bool]:
    """Lock `path` for as long as the block runs: True when no live writer owns it (its writer
    died, so it may be recovered), False when one does or the file is gone (finished meanwhile).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False  # a running softphone is writing it
            return
        try:
            still = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            still = False  # its writer finished it between the open and the lock
        yield still
    finally:
        os.close(fd)


def being_written(path: Path) -> bool:
    """Whether a live writer holds `path` (a partial recording) right now."""
    with claimed(path) as orphaned:
        return not orphaned and path.exists()
