"""Why a recording's writer stopped mid-call, in words the agent and the admin can act on.

libsndfile reports a failed write as "System error." whatever the cause, so the cause is read
from the file itself: the file system's free space, the process's file size limit, and whether
the file is still where it was created (the recordings folder removed or moved away).
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

_LOW_SPACE_BYTES = 64 * 1024  # less free than this (a second of audio): the disk is full


class StopReason(Enum):
    """What stopped a recording mid-call (the metadata's `stopped.reason`)."""

    DISK_FULL = "disk-full"
    FILE_SIZE_LIMIT = "file-size-limit"
    FOLDER_GONE = "folder-gone"
    WRITE_ERROR = "write-error"


@dataclass(frozen=True)
class WriterStop:
    """A writer that stopped: why, in a code and a sentence, and whether its audio is kept."""

    reason: StopReason
    text: str
    at: float = field(default_factory=time.time)

    @property
    def audio_kept(self) -> bool:
        """Whether what was written before the stop is still where the recording is."""
        return self.reason is not StopReason.FOLDER_GONE


def moved_away(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is no longer at `path` (deleted, or its folder moved)."""
    opened = os.fstat(fd)
    if opened.st_nlink == 0:
        return True
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return True
    return (here.st_dev, here.st_ino) != (opened.st_dev, opened.st_ino)


def folder_gone(path: Path) -> WriterStop:
    """The stop of a writer whose file was taken away with its folder."""
    return WriterStop(
        StopReason.FOLDER_GONE,
        f"the recordings folder holding '{path.name}' was removed or moved away during the "
        f"call: this call's recording is lost (it was in '{path.parent}'); the call goes on "
        "unrecorded; restore the recordings directory before the next call",
    )


def diagnose(fd: int, path: Path, exc: BaseException) -> WriterStop:
    """Why writing `path` (open as `fd`) failed with `exc`."""
    if moved_away(fd, path):
        return folder_gone(path)
    code = getattr(exc, "errno", None)
    size = os.fstat(fd).st_size
    if code == errno.EFBIG or _at_size_limit(size):
        return WriterStop(
            StopReason.FILE_SIZE_LIMIT,
            f"the recording stopped at {size:,} bytes: the file size limit of this process "
            f"was reached ('{path}'); the call goes on unrecorded; the audio up to here is "
            "kept; raise the limit (ulimit -f) for the softphone",
        )
    if code == errno.ENOSPC or _free_bytes(fd) < _LOW_SPACE_BYTES:
        return WriterStop(
            StopReason.DISK_FULL,
            f"the disk holding the recordings is full ('{path.parent}'); the recording "
            "stopped, the call goes on unrecorded; the audio up to here is kept; free disk "
            "space before the next call",
        )
    return WriterStop(
        StopReason.WRITE_ERROR,
        f"writing '{path}' failed: {exc}; the call goes on unrecorded; the audio up to here "
        "is kept; check free disk space and the recordings directory",
    )


def _free_bytes(fd: int) -> int:
    try:
        stats = os.fstatvfs(fd)
    except OSError:
        return _LOW_SPACE_BYTES  # unknown: do not call it full
    return stats.f_bavail * stats.f_frsize


def _at_size_limit(size: int) -> bool:
    if os.name != "posix":
        return False
    import resource  # noqa: PLC0415 - POSIX only

    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    return soft != resource.RLIM_INFINITY and size + _LOW_SPACE_BYTES > soft
