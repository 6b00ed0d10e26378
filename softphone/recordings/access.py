"""Who may read recordings: private to the agent, or readable by the policy's group, never more.

Folders are 0700, or 0750 owned by the policy's `recording.group`; every file of a recording
(audio, metadata, partial audio) follows the folder it is created in: 0600, or 0640 with the
folder's group when the folder lets its group read. So the writer, the recovery and the
metadata need no setting of their own, and nothing is ever readable by every local user.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FOLDER, GROUP_FOLDER = 0o700, 0o750
PRIVATE_FILE, GROUP_FILE = 0o600, 0o640


def make_folders(path: Path, stop: Path | None = None, gid: int | None = None) -> None:
    """Create `path` and any missing folder above it (up to `stop`) with the recordings' mode.

    `gid` None keeps them private (0700); a group id makes them 0750 owned by that group.
    Folders that exist already are left as they are.
    """
    missing = []
    folder = path
    while folder not in (stop, folder.parent) and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
        set_folder_access(folder, gid)


def set_folder_access(folder: Path, gid: int | None) -> None:
    """Give a folder the recordings' mode (the umask could have taken bits off) and group."""
    if os.name != "posix":
        return
    if gid is not None:
        os.chown(folder, -1, gid)
    os.chmod(folder, PRIVATE_FOLDER if gid is None else GROUP_FOLDER)


def create_file(path: Path) -> int:
    """Create `path` (it must not exist) for writing, as private as its folder; the descriptor.

    The file is 0600, or 0640 with the folder's group when the folder lets its group read.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    if os.name != "posix":
        return fd
    try:
        folder = os.stat(path.parent)
        shared = bool(folder.st_mode & stat.S_IRGRP)
        if shared and os.fstat(fd).st_gid != folder.st_gid:
            os.fchown(fd, -1, folder.st_gid)
        os.fchmod(fd, GROUP_FILE if shared else PRIVATE_FILE)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    return fd
