"""Retention and legal hold: recordings past the policy's retention go, unless a hold keeps them.

A legal hold is a file next to the recording's metadata, `<name>.legal-hold` (JSON: reason,
who, when), and an entry in the audit trail; either one keeps the recording, so a hold survives
restarts and index rebuilds, and removing the file by hand does not lift it. A sweep deletes
only finished recordings whose call ended more than `retention_days` ago; one whose metadata
cannot be read (damaged, or from a newer schema) is kept and reported. Each deletion is entered
in the audit trail before the files go; a trail that cannot be written or read stops the sweep.
"""

from __future__ import annotations

import calendar
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from softphone.config.tomlfile import current_user
from softphone.recordings.access import create_file
from softphone.recordings.audit import AuditError, AuditEvent, AuditLog
from softphone.recordings.metadata import MetadataError, read_metadata
from softphone.recordings.spool import archived_marker
from softphone.recordings.store import recording_id

log = logging.getLogger("softphone.recorder")

HOLD_SUFFIX = ".legal-hold"
SWEEP_INTERVAL_S = 60.0
_FINISHED = ("complete", "interrupted", "failed")
_STAMP = re.compile(r"^(\d{8}T\d{6}Z)-")


class HoldError(ValueError):
    """A legal hold cannot be set or lifted; the message says why."""


@dataclass
class SweepResult:
    """What one sweep did: recordings deleted (or due, on a dry run), held, kept unreadable."""

    deleted: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # one message per recording
    failed: list[str] = field(default_factory=list)  # deletions that could not be done
    unarchived: list[str] = field(default_factory=list)  # kept: not in the archive yet

    @property
    def problems(self) -> list[str]:
        """Everything an admin should look at."""
        return self.unreadable + self.failed


def hold_path(metadata: Path) -> Path:
    """The legal-hold file of the recording whose metadata is `metadata`."""
    return metadata.with_name(metadata.stem + HOLD_SUFFIX)


def read_hold(metadata: Path) -> dict[str, object] | None:
    """The recording's legal hold (reason, by, at), or None; an unreadable hold file still holds."""
    path = hold_path(metadata)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {"reason": f"(the hold file cannot be read: {exc})"}
    return data if isinstance(data, dict) else {"reason": "(the hold file is not a JSON object)"}


def audit_holds(audit: AuditLog) -> set[str]:
    """The ids of the recordings the audit trail holds: a hold set and not lifted since."""
    held: set[str] = set()
    for entry in audit.entries():
        if entry.event == AuditEvent.HOLD_SET.value:
            held.add(entry.recording)
        elif entry.event == AuditEvent.HOLD_LIFTED.value:
            held.discard(entry.recording)
    return held


def set_hold(root: Path, metadata: Path, reason: str) -> dict[str, object]:
    """Put the recording on legal hold for `reason` (file first, then the audit entry)."""
    if not reason.strip():
        raise HoldError("a legal hold needs a reason: give --reason TEXT")
    if not metadata.is_file():
        raise HoldError(f"there is no recording with the metadata '{metadata}'")
    hold: dict[str, object] = {"reason": reason.strip(), "by": current_user(), "at": time.time()}
    path = hold_path(metadata)
    if not path.exists():
        with os.fdopen(create_file(path), "w", encoding="utf-8") as handle:
            json.dump(hold, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
    AuditLog.of(root).append(AuditEvent.HOLD_SET, recording_id(root, metadata), reason=reason)
    return hold


def lift_hold(root: Path, metadata: Path) -> None:
    """Lift the recording's legal hold: audited first, so an unrecorded lift cannot happen."""
    rid = recording_id(root, metadata)
    audit = AuditLog.of(root)
    if read_hold(metadata) is None and rid not in audit_holds(audit):
        raise HoldError(f"the recording {rid} is not on legal hold")
    audit.append(AuditEvent.HOLD_LIFTED, rid)
    hold_path(metadata).unlink(missing_ok=True)


class RetentionSweeper:
    """Deletes what is past retention in `root`: at start, and from the app's loop (`tick`).

    `only_own` limits it to the files this account owns (the app; an admin's `purge` takes all).
    With `archived_first` (the policy has an [archive]) a recording the archive has not
    confirmed yet is kept past retention: it is the only copy.
    A sweep lists only day folders old enough to hold anything due, and reads only metadata
    whose name starts before the cutoff, so a sweep with nothing due costs a few directory reads.
    """

    def __init__(
        self,
        root: Path,
        retention_days: int,
        *,
        only_own: bool = True,
        interval_s: float = SWEEP_INTERVAL_S,
        archived_first: bool = False,
    ) -> None:
        self.archived_first = archived_first
        self.root = root
        self.retention_days = retention_days
        self.only_own = only_own
        self.interval_s = interval_s
        self._last: float | None = None
        self._reported: set[str] = set()

    def tick(self, now: float) -> SweepResult | None:
        """Sweep if `interval_s` passed since the last sweep; None when it was not time yet."""
        if self._last is not None and now - self._last < self.interval_s:
            return None
        return self.sweep(now)

    def sweep(self, now: float, *, dry_run: bool = False) -> SweepResult:
        """Delete (or with `dry_run` only list) every recording due at `now`; never raises."""
        self._last = now
        cutoff = now - self.retention_days * 86400
        result = SweepResult()
        due = []
        for meta_path in self._candidates(cutoff):
            try:
                metadata = read_metadata(meta_path)
            except MetadataError as exc:
                result.unreadable.append(f"kept past retention, unreadable: {exc}")
                if str(meta_path) not in self._reported:
                    self._reported.add(str(meta_path))
                    log.warning("kept a recording past retention: %s", exc)
                continue
            ended = metadata.call.ended_at or metadata.call.answered_at
            if metadata.status in _FINISHED and ended is not None and ended < cutoff:
                due.append((meta_path, meta_path.with_name(metadata.audio.file)))
        if not due:
            return result
        audit = AuditLog.of(self.root)
        try:
            held = audit_holds(audit)
        except AuditError as exc:
            result.failed.append(f"nothing deleted: the legal holds cannot be read: {exc}")
            log.error("%s", result.failed[-1])
            return result
        for meta_path, audio in due:
            rid = recording_id(self.root, meta_path)
            if rid in held or read_hold(meta_path) is not None:
                result.held.append(rid)
            elif self.archived_first and not archived_marker(meta_path).exists():
                result.unarchived.append(rid)
            elif dry_run:
                result.deleted.append(rid)
            elif not self._delete(audit, rid, meta_path, audio, result):
                break
        return result

    def _delete(
        self, audit: AuditLog, rid: str, meta_path: Path, audio: Path, result: SweepResult
    ) -> bool:
        """Audit, then delete one recording; False when the trail failed (the sweep stops)."""
        try:
            audit.append(AuditEvent.DELETED, rid, retention_days=self.retention_days)
        except AuditError as exc:
            result.failed.append(f"nothing more deleted: {exc}")
            log.error("%s", result.failed[-1])
            return False
        try:
            audio.unlink(missing_ok=True)
            meta_path.unlink()
            archived_marker(meta_path).unlink(missing_ok=True)
        except OSError as exc:
            result.failed.append(f"{rid}: could not be deleted: {exc}")
            log.error("%s", result.failed[-1])
            return True
        result.deleted.append(rid)
        log.info("deleted %s: older than the %d-day retention", rid, self.retention_days)
        return True

    def _candidates(self, cutoff: float) -> Iterator[Path]:
        """Metadata files that may be due: in day folders and with names not after the cutoff."""
        last_day = time.gmtime(cutoff)[:3]
        mine = os.getuid() if self.only_own and hasattr(os, "getuid") else None
        for folder, subfolders, files in os.walk(self.root):
            depth = Path(folder).relative_to(self.root).parts
            subfolders[:] = sorted(s for s in subfolders if not _too_new(depth, s, last_day))
            for name in sorted(files):
                if not name.endswith(".json"):
                    continue
                stamp = _STAMP.match(name)
                if stamp is not None and _utc(stamp[1]) > cutoff:
                    continue
                path = Path(folder, name)
                try:
                    if mine is None or path.stat().st_uid == mine:
                        yield path
                except OSError:
                    continue


def _too_new(parent: tuple[str, ...], name: str, last_day: tuple[int, ...]) -> bool:
    """Whether the folder AGENT/YYYY[/MM[/DD]] (from `parent` and `name`) is after `last_day`."""
    parts = (*parent, name)[1:]  # below the agent's folder
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return False
    return tuple(int(p) for p in parts) > last_day[: len(parts)]


def _utc(stamp: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")))
    except ValueError:
        return float("-inf")  # not a time after all: read its metadata
