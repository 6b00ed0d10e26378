"""Upload the spool to the archive: each object checksummed, confirmed, and never sent twice.

A recording's objects are ARCHIVE/<workstation>/<recording id>.<wav|sealed> and .json, where
ARCHIVE is the policy's prefix and the id names the agent, the day and the call (store.py):
stable and collision-free. Each object is sent with its SHA-256, which the server checks
(x-amz-checksum-sha256), and is read back (HEAD) before the recording counts as archived; an
object already there with the same SHA-256 is not sent again, so an upload a kill cut short is
simply done again. A sealed recording is uploaded as it is, still encrypted. Each object also
carries the audit trail's head; the trail's lines since the last upload go to
ARCHIVE/<workstation>/.audit/<first>-<last>.jsonl (anchor.py checks the trail against them).
Only then is `<name>.archived` written beside the metadata, "archived" entered in the audit
trail and the recording taken out of the spool; its local copy goes only when
archive.keep_local_days says so, after one more check that the archive holds it.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from softphone.config.schema import ArchivePolicy
from softphone.recordings.archiveerrors import ArchiveError, explain
from softphone.recordings.audit import AuditEvent, AuditLog
from softphone.recordings.metadata import MetadataError, read_metadata
from softphone.recordings.retention import audit_holds, hold_path
from softphone.recordings.spool import (
    MARKER_SUFFIX,
    Pending,
    Spool,
    SpoolState,
    archived_marker,
    backoff_s,
    write_atomically,
)
from softphone.recordings.writer import file_sha256

log = logging.getLogger("softphone.archive")

AUDIT_FOLDER = ".audit"  # a leading dot: no agent's folder can be called that (store._safe)


@dataclass
class FlushResult:
    """What one flush did: recordings archived, failures (id or "archive", message), left."""

    archived: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    removed_locally: list[str] = field(default_factory=list)
    waiting: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing stays behind in the spool."""
        return not self.failed and self.waiting == 0


def b64_sha256(hex_digest: str) -> str:
    """A SHA-256 in the base64 form S3's x-amz-checksum-sha256 carries."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def object_base(policy: ArchivePolicy, workstation: str) -> str:
    """The key prefix of this workstation's objects: PREFIX/WORKSTATION."""
    return f"{policy.prefix.strip('/')}/{workstation}".lstrip("/")


class Uploader:
    """Moves the spool of the recordings directory `root` to the archive `policy` names."""

    def __init__(self, root: Path, policy: ArchivePolicy, client: Any, workstation: str) -> None:
        self.root = root
        self.policy = policy
        self.client = client
        self.workstation = workstation
        self.spool = Spool(root)
        self.audit = AuditLog.of(root)
        self.base = object_base(policy, workstation)

    def flush(
        self, *, deadline: float | None = None, patient: bool = False, now: float | None = None
    ) -> FlushResult:
        """Upload what waits; `patient` respects the back-off (a background flush does).

        Stops starting uploads at `deadline` (time.monotonic); what is left stays queued.
        """
        now = time.time() if now is None else now
        with self.spool.locked() as mine:
            if not mine:  # another process uploads this spool right now
                return FlushResult(
                    failed=[("spool", "another upload of this spool is under way; try again")],
                    waiting=len(self.spool.entries()),
                )
            return self._flush(deadline, patient, now)

    def _flush(self, deadline: float | None, patient: bool, now: float) -> FlushResult:
        result = FlushResult()
        self.spool.catch_up(self.audit)
        state = self.spool.state()
        entries = self.spool.entries()
        if not entries and state.shipped_through >= self.audit.tail()[1]:
            self._prune_local(now, result)
            return result
        if patient and state.retry_at > now:
            result.waiting = len(entries)
            return result
        try:
            self._check_bucket()
        except ArchiveError as exc:
            self._archive_failed(state, exc, now)
            result.failed.append(("archive", str(exc)))
            result.waiting = len(entries)
            return result
        for entry in entries:
            if deadline is not None and time.monotonic() >= deadline:
                break
            if patient and entry.next_attempt_at > now:
                continue
            try:
                self._upload(entry)
            except ArchiveError as exc:
                self._entry_failed(entry, exc, now)
                result.failed.append((entry.recording, str(exc)))
                if exc.cause in ("unreachable", "credentials", "clock", "bucket", "full"):
                    self._archive_failed(self.spool.state(), exc, now)
                    break  # the next recording would fail alike
                continue
            result.archived.append(entry.recording)
        if not result.failed:
            try:
                self.ship_audit()
            except ArchiveError as exc:
                result.failed.append(("audit trail", str(exc)))
        state = self.spool.state()
        if not result.failed:
            state.last_error = state.last_cause = None
            state.failures, state.retry_at, state.last_success_at = 0, 0.0, now
            self.spool.save_state(state)
            self._prune_local(now, result)
        result.waiting = len(self.spool.entries())
        return result

    def _check_bucket(self) -> None:
        try:
            self.client.list_objects_v2(
                Bucket=self.policy.bucket, Prefix=f"{self.base}/", MaxKeys=1
            )
        except Exception as exc:  # noqa: BLE001 - explain() names what it knows, raises the rest
            raise explain(exc, self.policy, "checking the bucket") from None

    def _archive_failed(self, state: SpoolState, exc: ArchiveError, now: float) -> None:
        state.failures += 1
        state.last_error, state.last_cause = str(exc), exc.cause
        state.retry_at = now + backoff_s(state.failures)
        self.spool.save_state(state)
        log.warning("archive: %s", exc)

    def _entry_failed(self, entry: Pending, exc: ArchiveError, now: float) -> None:
        entry.attempts += 1
        entry.last_error = str(exc)
        entry.next_attempt_at = now + backoff_s(entry.attempts)
        entry.uploading_since = None
        self.spool.save(entry)

    def _upload(self, entry: Pending) -> None:
        rid = entry.recording
        meta_path = self.root / f"{rid}.json"
        try:
            metadata = read_metadata(meta_path)
        except MetadataError as exc:
            raise ArchiveError(
                f"{rid} cannot be archived: {exc}; it stays in the spool", cause="local"
            ) from None
        audio_path = meta_path.with_name(metadata.audio.file)
        retry = entry.attempts > 0 or entry.uploading_since is not None
        entry.uploading_since = time.time()
        # Not fsynced: if a crash loses this note, the next attempt's If-None-Match still
        # finds what got through.
        self.spool.save(entry, durable=False)
        head, count = self.audit.tail()
        sent: dict[str, str] = {}
        for path in (audio_path, meta_path):
            key = f"{self.base}/{rid}{path.suffix}"
            sent[key] = self._put_once(path, key, rid, head, count, retry=retry)
        marker = {
            "at": time.time(),
            "bucket": self.policy.bucket,
            "endpoint": self.policy.endpoint,
            "objects": sent,
            "audit_head": head,
        }
        # Not fsynced either: a marker a crash lost means one more upload attempt, which finds
        # the objects there (the spool entry goes only after the audit entry, fsynced).
        write_atomically(archived_marker(meta_path), marker, durable=False)
        self.audit.append(AuditEvent.ARCHIVED, rid, bucket=self.policy.bucket, objects=sent)
        self.spool.remove(rid)

    def _put_once(
        self, path: Path, key: str, rid: str, head: str, count: int, *, retry: bool
    ) -> str:
        """Make sure `key` holds `path`'s bytes; returns their SHA-256 (hex).

        A first attempt sends at once (If-None-Match: an object already there is compared,
        never overwritten); a retry asks first (HEAD) whether the last attempt got through.
        """
        try:
            digest = file_sha256(path)
        except OSError as exc:
            raise ArchiveError(
                f"{rid}: cannot read '{path}' ({exc.strerror}); it stays in the spool",
                cause="local",
            ) from None
        if retry and self._already_there(key, digest):
            return digest  # a kill after the upload, before the spool knew: not sent twice
        extra: dict[str, Any] = {}
        if self.policy.object_lock_days:
            until = datetime.now(UTC) + timedelta(days=self.policy.object_lock_days)
            extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}
        doing = f"uploading {key}" + (" with object lock" if extra else "")
        try:
            with path.open("rb") as body:
                sent = self.client.put_object(
                    Bucket=self.policy.bucket,
                    Key=key,
                    Body=body,
                    ChecksumSHA256=b64_sha256(digest),
                    ContentType="application/json" if path.suffix == ".json" else _audio(path),
                    Metadata={
                        "sha256": digest,
                        "workstation": self.workstation,
                        "audit-head": head,
                        "audit-entries": str(count),
                    },
                    IfNoneMatch="*",  # never overwrite: an object there is compared instead
                    **extra,
                )
        except ClientError as exc:
            if _code(exc) not in ("PreconditionFailed", "412"):
                raise explain(exc, self.policy, doing) from None
            if self._already_there(key, digest):
                return digest
            raise explain(exc, self.policy, doing) from None  # gone again meanwhile: retried
        except Exception as exc:  # noqa: BLE001 - explain() names what it knows, raises the rest
            raise explain(exc, self.policy, doing) from None
        checksum = sent.get("ChecksumSHA256")  # what the server computed over what it stored
        confirmed = _hex(str(checksum)) if checksum else self._remote_sha256(key)
        if confirmed != digest:
            raise ArchiveError(
                f"the archive holds {key} with another checksum than was sent (SHA-256 "
                f"{confirmed}, sent {digest}): the archive's storage may be damaged; it is "
                "retried, and the local copy is kept; the recording stays in the spool",
                cause="checksum",
            )
        return digest

    def _already_there(self, key: str, digest: str) -> bool:
        """Whether `key` holds `digest` already; ArchiveError when it holds something else."""
        there = self._remote_sha256(key)
        if there is not None and there != digest:
            raise ArchiveError(
                f"{key} is already in the archive with other content (SHA-256 {there}, the "
                f"local file has {digest}): it is not overwritten; find out who wrote it, and "
                "remove it from the bucket if it is wrong; the recording stays in the spool",
                cause="conflict",
            )
        return there is not None

    def _remote_sha256(self, key: str) -> str | None:
        """The SHA-256 (hex) the archive holds for `key`, or None when it has no such object."""
        try:
            found = self.client.head_object(
                Bucket=self.policy.bucket, Key=key, ChecksumMode="ENABLED"
            )
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise explain(exc, self.policy, f"checking {key}") from None
        except Exception as exc:  # noqa: BLE001 - explain() names what it knows, raises the rest
            raise explain(exc, self.policy, f"checking {key}") from None
        checksum = found.get("ChecksumSHA256")
        if checksum:
            return _hex(str(checksum))
        return str(found.get("Metadata", {}).get("sha256") or "") or "unknown"

    def ship_audit(self) -> None:
        """Upload the audit trail's lines since the last upload, ending at its current head."""
        state = self.spool.state()
        found = self.audit.read_from(state.shipped_offset)
        if found is None:  # shorter than what was shipped: ship it whole again, the archive
            state.shipped_through = state.shipped_offset = 0  # keeps both (anchor.py compares)
            found = self.audit.read_from(0) or ([], 0)
        lines, offset = found
        if not lines:
            return
        first, last = state.shipped_through + 1, state.shipped_through + len(lines)
        body = b"".join(line + b"\n" for line in lines)
        key = f"{self.base}/{AUDIT_FOLDER}/{first:012d}-{last:012d}.jsonl"
        head = hashlib.sha256(lines[-1]).hexdigest()
        try:
            self.client.put_object(
                Bucket=self.policy.bucket,
                Key=key,
                Body=body,
                ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
                ContentType="application/x-ndjson",
                Metadata={"audit-head": head, "audit-entries": str(last)},
            )
        except Exception as exc:  # noqa: BLE001 - explain() names what it knows, raises the rest
            raise explain(exc, self.policy, f"uploading the audit trail to {key}") from None
        state.shipped_through, state.shipped_head, state.shipped_offset = last, head, offset
        self.spool.save_state(state)

    def _prune_local(self, now: float, result: FlushResult) -> None:
        """Remove archived recordings' local copies that archive.keep_local_days lets go."""
        days = self.policy.keep_local_days
        if days is None:
            return
        held = audit_holds(self.audit)
        for marker in sorted(self.root.rglob(f"*{MARKER_SUFFIX}")):
            meta_path = marker.with_name(marker.stem + ".json")
            rid = meta_path.relative_to(self.root).with_suffix("").as_posix()
            started = _started(meta_path.stem)
            if started is None or started + days * 86400 > now:
                continue
            if hold_path(meta_path).exists() or rid in held:
                continue
            try:
                self._remove_local(meta_path, marker, rid)
            except (ArchiveError, OSError, MetadataError) as exc:
                log.warning("archive: %s is kept locally: %s", rid, exc)
                continue
            result.removed_locally.append(rid)

    def _remove_local(self, meta_path: Path, marker: Path, rid: str) -> None:
        objects = json.loads(marker.read_text(encoding="utf-8"))["objects"]
        audio = meta_path.with_name(read_metadata(meta_path).audio.file)
        for path in (audio, meta_path):
            key = f"{self.base}/{rid}{path.suffix}"
            if self._remote_sha256(key) != objects.get(key) or file_sha256(path) != objects[key]:
                raise ArchiveError(f"the archive does not hold {key} as it was uploaded")
        self.audit.append(
            AuditEvent.REMOVED_ARCHIVED, rid, keep_local_days=self.policy.keep_local_days
        )
        audio.unlink()
        meta_path.unlink()
        marker.unlink()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _hex(checksum: str) -> str:
    """A base64 x-amz-checksum-sha256 as hex (a multipart one's "-N" suffix dropped)."""
    return base64.b64decode(checksum.split("-", maxsplit=1)[0]).hex()


def _audio(path: Path) -> str:
    return "audio/wav" if path.suffix == ".wav" else "application/octet-stream"


def _started(name: str) -> float | None:
    """When the call of the recording named `name` (<stamp>-...) started, or None."""
    try:
        return float(calendar.timegm(time.strptime(name.split("-", 1)[0], "%Y%m%dT%H%M%SZ")))
    except ValueError:
        return None
