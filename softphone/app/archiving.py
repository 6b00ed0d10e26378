"""The archive as the app uses it: one flush, bounded in time, and the state the window shows."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from softphone.config.schema import ArchivePolicy
from softphone.recordings.archiveclient import s3_client, workstation_name
from softphone.recordings.spool import Spool
from softphone.recordings.uploader import FlushResult, Uploader

log = logging.getLogger("softphone.archive")

NO_ARCHIVE = (
    "the policy has no [archive] table, so recordings stay on this workstation; an admin adds "
    "one (docs/admin.md, 'The archive')"
)
EXIT_FLUSH_S = 10.0  # how long a scripted call waits for the archive before it exits


@dataclass(frozen=True)
class ArchiveState:
    """What the agent's window says of the archive: how many recordings wait, and why."""

    waiting: int
    reachable: bool
    problem: str | None = None

    @property
    def text(self) -> str:
        """A quiet one-liner: "" when all is well, else "archive unreachable, N waiting"."""
        if self.reachable:
            return f"archive: {self.waiting} waiting" if self.waiting else ""
        return f"archive unreachable, {self.waiting} waiting"


def uploader(root: Path, policy: ArchivePolicy, timeout_s: float = 30.0) -> Uploader:
    """The uploader of the recordings directory `root` to the policy's archive."""
    return Uploader(root, policy, s3_client(policy, timeout_s=timeout_s), workstation_name())


def flush(
    root: Path, policy: ArchivePolicy, budget_s: float | None = None, *, patient: bool = False
) -> FlushResult:
    """Upload what waits now; with `budget_s`, start no upload after that many seconds."""
    timeout = 30.0 if budget_s is None else max(1.0, budget_s)
    deadline = None if budget_s is None else time.monotonic() + budget_s
    return uploader(root, policy, timeout).flush(deadline=deadline, patient=patient)


def flush_before_exit(root: Path, policy: ArchivePolicy | None) -> FlushResult | None:
    """What a scripted call does before it exits: a flush of at most EXIT_FLUSH_S (logged)."""
    if policy is None:
        return None
    try:
        result = flush(root, policy, EXIT_FLUSH_S)
    except OSError as exc:
        log.warning("archive: the spool cannot be used: %s", exc)
        return None
    for what, why in result.failed:
        log.warning("archive: %s: %s", what, why)
    if result.waiting:
        log.warning(
            "archive: %d recording(s) wait in the spool; `softphone archive upload` sends them",
            result.waiting,
        )
    return result


def archive_state(root: Path) -> ArchiveState:
    """The spool's state as the window shows it (reads local files only: it never blocks)."""
    spool = Spool(root)
    try:
        state = spool.state()
        waiting = len(spool.entries())
    except OSError as exc:
        return ArchiveState(0, False, str(exc))
    unreachable = state.last_cause is not None
    return ArchiveState(waiting, not unreachable, state.last_error)


@contextlib.contextmanager
def background_uploads(
    root: Path, policy: ArchivePolicy | None, interval_s: float = 30.0
) -> Iterator[None]:
    """While the block runs, a worker thread flushes the spool every `interval_s` (patiently:
    the back-off after a failure is respected). It never touches Qt or the desk; the window
    reads `archive_state`. Ending the block stops it after the upload under way.
    """
    if policy is None:
        yield
        return
    stop = threading.Event()

    def work() -> None:
        """Runs on the archive worker thread: network I/O only, no Qt, no desk."""
        while not stop.is_set():
            try:
                flush(root, policy, interval_s, patient=True)
            except Exception:  # the worker must live on; the spool keeps everything
                log.exception("archive: the background upload failed")
            stop.wait(interval_s)

    worker = threading.Thread(target=work, name="archive-uploads", daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(timeout=interval_s + 5)
