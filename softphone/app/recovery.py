"""Recovery of interrupted recordings before a command or window reads the recordings.

`call`, `answer`, the window and the demo recover when they prepare to record
(`calls/setup.py`); the readers (`recordings ...`, `softphone qa`) call `recover_for_readers`
first, so a call a crash or kill cut off is listed, verified and played with its real length
from the first look, without waiting for the next call. A partial file that a running softphone
is still writing is left to it (`recordings/ownership.py`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from softphone.recordings.store import RecordingStore, StoreError, partial_files

log = logging.getLogger("softphone.recorder")


def recover_for_readers(root: Path) -> list[Path]:
    """Recover this account's interrupted recordings below `root`; their metadata files.

    A directory this account cannot write to (a reviewer's group access) is read as it is:
    the agent who owns those recordings recovers them, and nothing is said of it here but a log.
    """
    if not partial_files(root):
        return []  # the common case: one walk of the tree, nothing written
    try:
        store = RecordingStore(root)
    except StoreError as exc:
        log.info("interrupted recordings are not recovered here: %s", exc)
        return []
    recovered = store.recover()
    for path in recovered:
        log.warning("recovered an interrupted recording: %s", path)
    return recovered
