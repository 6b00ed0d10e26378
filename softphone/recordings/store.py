"""The recordings directory: where each recording's files go, and recovery after a crash.

Layout: ROOT/AGENT/YYYY/MM/DD/<start>-<direction>-<id>.wav with .json metadata beside it, where
AGENT is the account that recorded, <start> the call's start (its answer) in UTC to the second,
and <id> derived from the SIP Call-ID: both sides of one call name it alike. Each agent has a
folder of their own, so agents who share a workstation (and ROOT) cannot read each other's
recordings; `access` sets the modes. While a call records, the audio is in
<name>.partial.raw, locked by its writer; an unlocked partial file belongs to a call that a
crash, kill or power cut interrupted, and is turned into a playable WAV when the next command
or window that records or reads recordings starts (`app/recovery.py`). With encryption at rest
(`seal_to`, the policy's recording.encrypt_to) the audio is <name>.sealed, written as
<name>.partial.sealed, and recovery only cuts off a chunk a kill left incomplete: it cannot
decrypt, and need not.
A recording's id is its metadata's path below ROOT without `.json` (AGENT/YYYY/MM/DD/<name>);
the audit trail (`audit.py`, ROOT/audit.jsonl) names it so, from its creation to its finalising
or recovery.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from softphone.config.agekeys import parse_recipients
from softphone.config.filechecks import group_problem, probe_directory
from softphone.config.tomlfile import current_user
from softphone.recordings.access import make_folders
from softphone.recordings.audit import AuditError, AuditEvent, AuditLog
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    MetadataError,
    RecordingMetadata,
    read_metadata,
    write_metadata,
)
from softphone.recordings.ownership import claimed
from softphone.recordings.sealed import SealedError, encryption_facts
from softphone.recordings.writer import FinishedAudio, convert_partial, file_sha256, seal_partial
from softphone.vocabulary.frames import RATE

log = logging.getLogger("softphone.recorder")

PARTIAL_SUFFIX = ".partial.raw"
SEALED_SUFFIX = ".sealed"
PARTIAL_SEALED_SUFFIX = ".partial.sealed"
_PARTIALS = (PARTIAL_SUFFIX, PARTIAL_SEALED_SUFFIX)


class StoreError(OSError):
    """The recordings directory cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class RecordingPaths:
    """The files of one recording."""

    audio: Path
    partial: Path
    metadata: Path
    root: Path
    seal_to: tuple[str, ...] = ()  # the age public keys the audio is encrypted to (none: WAV)

    @property
    def id(self) -> str:
        """The recording's id, as the audit trail and the commands name it."""
        return recording_id(self.root, self.metadata)

    def audit(self, event: AuditEvent, **details: object) -> None:
        """Add `event` to the directory's audit trail; a failure is logged, never raised.

        A call is never stopped for its audit trail: `recordings verify` reports the recording
        as unknown to the trail instead.
        """
        try:
            AuditLog.of(self.root).append(event, self.id, **details)
        except AuditError as exc:
            log.error("the audit trail misses that %s was %s: %s", self.id, event.value, exc)


def recording_id(root: Path, metadata: Path) -> str:
    """The id of the recording whose metadata is `metadata` in the recordings directory `root`."""
    return metadata.relative_to(root).with_suffix("").as_posix()


def seal(paths: RecordingPaths, metadata: RecordingMetadata, event: AuditEvent) -> None:
    """Write a recording's final metadata and enter both files' SHA-256 in the audit trail.

    From then on `recordings verify` holds the files to these hashes, so rewriting the audio
    and its hash in the metadata alike no longer passes.
    """
    write_metadata(paths.metadata, metadata)
    paths.audit(
        event,
        status=metadata.status,
        frames=metadata.audio.frames,
        audio_sha256=metadata.audio.sha256,
        metadata_sha256=file_sha256(paths.metadata),
    )


class RecordingStore:
    """A recordings directory that must exist and take files; `agent`'s recordings go below it.

    `group` (the policy's `recording.group`) lets that local group read them; with `seal_to`
    (age public keys, the policy's `recording.encrypt_to`) new recordings are encrypted to them.
    """

    def __init__(
        self,
        root: Path,
        *,
        group: str | None = None,
        agent: str | None = None,
        seal_to: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        try:
            parse_recipients(seal_to)
        except ValueError as exc:
            raise StoreError(f"recording.encrypt_to: {exc}; fix the policy") from None
        self.seal_to = seal_to
        if not root.is_absolute():
            raise StoreError(f"the recordings directory must be an absolute path, not '{root}'")
        if not root.is_dir():
            raise StoreError(
                f"the recordings directory '{root}' does not exist; create it or fix the policy"
            )
        problem = probe_directory(root, checking=False)
        if problem is not None:
            raise StoreError(f"the recordings directory {problem}; fix it or the policy")
        self.gid = _group_id(group)
        self.folder = root / _safe(agent or current_user())

    def new_recording(self, call_id: str, direction: str, started: float) -> RecordingPaths:
        """Reserve the file names of a new recording (creating its day's folder).

        `started` is when the call started (its answer): the name carries it, in UTC.
        """
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
        day = self.folder / time.strftime("%Y/%m/%d", time.gmtime(started))
        try:
            make_folders(day, self.root, self.gid)
        except OSError as exc:
            raise StoreError(f"cannot create '{day}': {exc.strerror}") from exc
        short = hashlib.sha256(call_id.encode()).hexdigest()[:10]
        base = day / f"{stamp}-{direction}-{short}"
        sealing = bool(self.seal_to)
        return RecordingPaths(
            audio=base.with_suffix(SEALED_SUFFIX if sealing else ".wav"),
            partial=base.with_name(
                base.name + (PARTIAL_SEALED_SUFFIX if sealing else PARTIAL_SUFFIX)
            ),
            metadata=base.with_suffix(".json"),
            root=self.root,
            seal_to=self.seal_to,
        )

    def partials(self) -> list[Path]:
        """Partial recordings (plaintext or sealed) this account owns below the root, live ones
        included."""
        return partial_files(self.root)

    def recover(self) -> list[Path]:
        """Turn every partial recording whose writer died into a WAV (or sealed file) marked
        interrupted; returns their metadata. One a running softphone still writes (it holds
        the file's lock, `ownership.py`) is left alone, whichever process asks.
        """
        recovered = []
        for partial in self.partials():
            with claimed(partial) as orphaned:
                if not orphaned:
                    continue
                try:
                    recovered.append(self._recover_one(partial))
                except (OSError, RuntimeError, SealedError) as exc:
                    log.error("could not recover the recording '%s': %s", partial, exc)
        return recovered

    def _recover_one(self, partial: Path) -> Path:
        sealing = partial.name.endswith(PARTIAL_SEALED_SUFFIX)
        suffix, final = (
            (PARTIAL_SEALED_SUFFIX, SEALED_SUFFIX) if sealing else (PARTIAL_SUFFIX, ".wav")
        )
        base = partial.with_name(partial.name[: -len(suffix)])
        paths = RecordingPaths(
            base.with_suffix(final), partial, base.with_suffix(".json"), root=self.root
        )
        meta_path, audio_path = paths.metadata, paths.audio
        stopped_at = partial.stat().st_mtime
        try:
            metadata = read_metadata(meta_path)
        except MetadataError as exc:
            metadata = _placeholder(audio_path.name, str(exc))
            if sealing:  # which keys it was for is lost with the metadata; that it is sealed is not
                metadata.audio.encryption = encryption_facts(())
        audio: FinishedAudio = (
            seal_partial(partial, audio_path) if sealing else convert_partial(partial, audio_path)
        )
        # A recording that failed mid-call (full disk) stays "failed"; anything else was cut off.
        metadata.status = "failed" if metadata.status == "failed" else "interrupted"
        metadata.audio.frames = audio.frames
        metadata.audio.duration_s = audio.frames / RATE
        metadata.audio.sha256 = audio.sha256
        metadata.interruption = {
            "detected_at": time.time(),
            "last_write_at": stopped_at,
            "reason": "the softphone stopped during the call (crash, kill or power cut); the "
            "audio up to its last write was recovered at the next start",
        }
        for hold in metadata.holds:
            if hold.end is None:
                hold.end = stopped_at
        for pause in metadata.pauses:
            if pause.end is None:
                pause.end = stopped_at
        seal(paths, metadata, AuditEvent.RECOVERED)
        log.warning("recovered the interrupted recording %s", audio_path)
        return meta_path


def partial_files(root: Path) -> list[Path]:
    """Partial recordings (plaintext or sealed) this account owns below `root`, live ones
    included: one walk of the tree (os.scandir), as every command that reads starts with it."""
    mine = os.getuid() if hasattr(os, "getuid") else None
    found = []
    for folder, _subfolders, names in os.walk(root):
        for name in names:
            if not name.endswith(_PARTIALS):
                continue
            path = Path(folder, name)
            try:
                if mine is None or path.stat().st_uid == mine:
                    found.append(path)
            except OSError:
                continue
    return sorted(found)


def _placeholder(audio_name: str, problem: str) -> RecordingMetadata:
    """Metadata for audio whose own metadata was lost: the audio is kept, the gap is said."""
    unknown = "unknown"
    return RecordingMetadata(
        call=CallFacts(unknown, unknown, unknown, unknown, unknown),
        audio=AudioFacts(file=audio_name, rate=RATE),
        disclosure=DisclosureEvidence(unknown, unknown, unknown, unknown, 0.0),
        errors=[f"metadata missing at recovery: {problem}"],
    )


def _group_id(group: str | None) -> int | None:
    if group is None:
        return None
    problem = group_problem(group)
    if problem is not None:
        raise StoreError(f"recording.group: {problem}")
    import grp  # noqa: PLC0415 - POSIX only, and group_problem said this is POSIX

    return grp.getgrnam(group).gr_gid


def _safe(name: str) -> str:
    """An account name as a folder name: letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "agent"
