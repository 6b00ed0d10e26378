"""Disk space kept aside for a recording's last words: given back when the disk fills up.

A full disk stops the audio, and would also stop the metadata that says so (each write makes a
new file) and the audit trail's line. Each recording holds a small file of allocated space
beside its metadata while the call lasts; when its writer stops, the file is removed first, so
that what follows fits.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from softphone.recordings.access import create_file

log = logging.getLogger("softphone.recorder")

RESERVE_SUFFIX = ".reserve"
RESERVE_BYTES = 64 * 1024  # the metadata's rewrites (a few kB each) and the audit lines


class SpaceReserve:
    """The reserve file of one recording; none at all when the disk has no room for it."""

    def __init__(self, path: Path) -> None:
        self.path: Path | None = path
        try:
            path.unlink(missing_ok=True)  # left by a softphone killed mid-call
            fd = create_file(path)
        except OSError as exc:
            log.info("no space kept aside for %s: %s", path.name, exc)
            self.path = None
            return
        try:
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(fd, 0, RESERVE_BYTES)
            else:
                os.write(fd, bytes(RESERVE_BYTES))
        except OSError as exc:
            log.info("no space kept aside for %s: %s", path.name, exc)
            self.release()
        finally:
            os.close(fd)

    def release(self) -> None:
        """Give the space back (idempotent)."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
