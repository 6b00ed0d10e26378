"""The archive spool: one small JSON file per recording waiting for upload, written atomically.

The spool lives in ROOT/.archive/: `<key>.pending` per waiting recording (its id, when it was
queued, the attempts so far, when to try next, the last error) and `state` (how far the audit
trail has been read for finished recordings, and which of its lines were shipped). Every write
goes to a temporary file that is fsynced and renamed over the old one, so a kill or power cut
leaves either the old or the new version, never half of one. A recording leaves the spool only
after the archive confirmed every one of its objects (see `uploader.py`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from softphone.recordings.audit import AuditEvent, AuditLog

SPOOL_DIR = ".archive"
MARKER_SUFFIX = ".archived"  # beside a recording's metadata: the archive confirmed it
PENDING_SUFFIX = ".pending"
STATE_FILE = "state"
BACKOFF_FIRST_S = 5.0
BACKOFF_MAX_S = 900.0
_FINISHED = (AuditEvent.FINALISED.value, AuditEvent.RECOVERED.value)


@dataclass
class Pending:
    """One recording waiting for the archive."""

    recording: str
    queued_at: float
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str | None = None
    uploading_since: float | None = None  # set while an attempt runs: a kill leaves it set


@dataclass
class SpoolState:
    """How far the audit trail has been read and shipped (line counts, 1-based seq)."""

    queued_through: int = 0  # the last audit line whose finished recordings are in the spool
    queued_offset: int = 0  # the byte after it: each catch-up reads only what came since
    shipped_through: int = 0  # the last audit line uploaded to the archive
    shipped_offset: int = 0  # the byte after it
    shipped_head: str | None = None  # its hash, as the archive has it
    last_error: str | None = None  # why the last flush stopped short (None: it did not)
    last_cause: str | None = None  # its kind: unreachable, credentials, full, bucket...
    last_success_at: float | None = None
    retry_at: float = 0.0  # when the archive as a whole is tried again (after it failed)
    failures: int = 0  # flushes in a row that failed for the archive as a whole


def archived_marker(metadata: Path) -> Path:
    """The file that says the recording with metadata `metadata` is in the archive."""
    return metadata.with_name(metadata.stem + MARKER_SUFFIX)


def write_atomically(path: Path, data: dict[str, Any], *, durable: bool = True) -> None:
    """Replace `path` with `data` as JSON: temporary file, fsync, rename, fsync of the folder.

    Without `durable` the fsyncs are left out: the file is still whole or absent after a
    crash, but may be the old version (for notes whose loss only costs a repeated check).
    """
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, sort_keys=True)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    os.replace(tmp, path)
    if not durable:
        return
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def backoff_s(attempts: int) -> float:
    """How long to wait after `attempts` failed attempts: doubling from 5 s, at most 15 min."""
    return float(min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, attempts - 1)))


class Spool:
    """The spool of the recordings directory `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / SPOOL_DIR

    def _ensure(self) -> None:
        self.folder.mkdir(mode=0o700, exist_ok=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[bool]:
        """Hold the spool's lock for the block, if no other uploader holds it: whether it is ours.

        Two uploaders would not send anything twice (uploads are idempotent), but would
        waste the archive's time; a thread or process that finds it taken leaves it be.
        """
        self._ensure()
        fd = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def _path(self, recording: str) -> Path:
        digest = hashlib.sha256(recording.encode()).hexdigest()[:32]
        return self.folder / f"{digest}{PENDING_SUFFIX}"

    def add(self, recording: str, now: float | None = None) -> Pending:
        """Queue `recording` (idempotent: a recording already waiting keeps its entry)."""
        self._ensure()
        path = self._path(recording)
        existing = self._read(path)
        if existing is not None:
            return existing
        entry = Pending(recording, time.time() if now is None else now)
        write_atomically(path, asdict(entry))
        return entry

    def save(self, entry: Pending, *, durable: bool = True) -> None:
        """Write `entry` back (after an attempt; not `durable` as an attempt starts)."""
        self._ensure()
        write_atomically(self._path(entry.recording), asdict(entry), durable=durable)

    def remove(self, recording: str) -> None:
        """Take `recording` out of the spool (the archive confirmed it)."""
        self._path(recording).unlink(missing_ok=True)

    def entries(self) -> list[Pending]:
        """Every waiting recording, oldest first."""
        found = [e for e in (self._read(p) for p in self._files()) if e is not None]
        return sorted(found, key=lambda e: (e.queued_at, e.recording))

    def _files(self) -> Iterator[Path]:
        if self.folder.is_dir():
            yield from self.folder.glob(f"*{PENDING_SUFFIX}")

    @staticmethod
    def _read(path: Path) -> Pending | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Pending(**data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            raise OSError(
                f"the archive spool entry '{path}' cannot be read ({exc}); move it aside and "
                "run `softphone archive upload` again (the recording is still on disk)"
            ) from exc

    def state(self) -> SpoolState:
        """How far the audit trail was read and shipped."""
        try:
            data = json.loads((self.folder / STATE_FILE).read_text(encoding="utf-8"))
            return SpoolState(**data)
        except FileNotFoundError:
            return SpoolState()
        except (OSError, ValueError, TypeError) as exc:
            raise OSError(
                f"the archive spool state '{self.folder / STATE_FILE}' cannot be read ({exc}); "
                "remove it: the spool is rebuilt from the audit trail and uploads are idempotent"
            ) from exc

    def save_state(self, state: SpoolState) -> None:
        """Write the state back."""
        self._ensure()
        write_atomically(self.folder / STATE_FILE, asdict(state))

    def catch_up(self, audit: AuditLog) -> int:
        """Queue every recording the trail says was finished since it was last read; how many.

        Queuing comes before moving the mark on, so a kill in between only queues again what
        is queued already.
        """
        state = self.state()
        found = audit.read_from(state.queued_offset)
        if found is None:  # the trail is shorter than it was: read it all again (idempotent)
            state.queued_through = state.queued_offset = 0
            found = audit.read_from(0) or ([], 0)
        lines, offset = found
        added = 0
        for raw in lines:
            try:
                data = json.loads(raw)
            except ValueError:
                continue  # `audit verify` names a damaged line; it queues nothing
            if isinstance(data, dict) and data.get("event") in _FINISHED:
                self.add(str(data.get("recording", "")))
                added += 1
        if lines:
            state.queued_through += len(lines)
            state.queued_offset = offset
            self.save_state(state)
        return added
