"""The recordings directory: where each recording's files go, and recovery after a crash.

Layout: ROOT/YYYY/MM/DD/<UTC stamp>-<direction>-<id>.wav with .json metadata beside it. While a
call records, the audio is in <name>.partial.raw; a partial file found at start-up belongs to a
call that a crash, kill or power cut interrupted, and is turned into a playable WAV then.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from softphone.media.frames import RATE
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    MetadataError,
    RecordingMetadata,
    read_metadata,
    write_metadata,
)
from softphone.recordings.writer import convert_partial

log = logging.getLogger("softphone.recorder")

PARTIAL_SUFFIX = ".partial.raw"


class StoreError(OSError):
    """The recordings directory cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class RecordingPaths:
    """The files of one recording."""

    audio: Path
    partial: Path
    metadata: Path


class RecordingStore:
    """A recordings directory that must exist and be writable."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if not root.is_absolute():
            raise StoreError(f"the recordings directory must be an absolute path, not '{root}'")
        if not root.is_dir():
            raise StoreError(
                f"the recordings directory '{root}' does not exist; create it or fix the policy"
            )
        if not os.access(root, os.W_OK | os.X_OK):
            raise StoreError(
                f"the recordings directory '{root}' is not writable for this user; "
                "fix its permissions or the policy"
            )

    def new_recording(self, call_id: str, direction: str, started: float) -> RecordingPaths:
        """Reserve the file names of a new recording (creating the day's folder)."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
        day = self.root / time.strftime("%Y/%m/%d", time.gmtime(started))
        try:
            day.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create '{day}': {exc.strerror}") from exc
        short = hashlib.sha256(call_id.encode()).hexdigest()[:10]
        base = day / f"{stamp}-{direction}-{short}"
        return RecordingPaths(
            audio=base.with_suffix(".wav"),
            partial=base.with_name(base.name + PARTIAL_SUFFIX),
            metadata=base.with_suffix(".json"),
        )

    def expire(self, retention_days: int, now: float | None = None) -> list[Path]:
        """Delete recordings whose call ended more than `retention_days` ago; returns the audio.

        Only finished recordings go (complete, interrupted or failed), audio and metadata
        together; a recording whose metadata cannot be read is kept and reported, never guessed.
        """
        cutoff = (time.time() if now is None else now) - retention_days * 86400
        removed = []
        for meta_path in sorted(self.root.rglob("*.json")):
            try:
                metadata = read_metadata(meta_path)
            except MetadataError as exc:
                log.warning("kept a recording past retention, its metadata is unreadable: %s", exc)
                continue
            ended = metadata.call.ended_at or metadata.call.answered_at
            finished = metadata.status in ("complete", "interrupted", "failed")
            if not finished or ended is None or ended >= cutoff:
                continue
            audio = meta_path.with_name(metadata.audio.file)
            audio.unlink(missing_ok=True)
            meta_path.unlink()
            removed.append(audio)
            log.info("deleted %s: older than the %d-day retention", audio, retention_days)
        return removed

    def partials(self) -> list[Path]:
        """Partial recordings left behind by an interrupted run."""
        return sorted(self.root.rglob(f"*{PARTIAL_SUFFIX}"))

    def recover(self) -> list[Path]:
        """Turn every partial recording into a WAV marked interrupted; returns the metadata."""
        recovered = []
        for partial in self.partials():
            try:
                recovered.append(self._recover_one(partial))
            except (OSError, RuntimeError) as exc:
                log.error("could not recover the recording '%s': %s", partial, exc)
        return recovered

    def _recover_one(self, partial: Path) -> Path:
        base = partial.with_name(partial.name[: -len(PARTIAL_SUFFIX)])
        meta_path, audio_path = base.with_suffix(".json"), base.with_suffix(".wav")
        stopped_at = partial.stat().st_mtime
        try:
            metadata = read_metadata(meta_path)
        except MetadataError as exc:
            metadata = _placeholder(audio_path.name, str(exc))
        audio = convert_partial(partial, audio_path)
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
        write_metadata(meta_path, metadata)
        log.warning("recovered the interrupted recording %s", audio_path)
        return meta_path


def _placeholder(audio_name: str, problem: str) -> RecordingMetadata:
    """Metadata for audio whose own metadata was lost: the audio is kept, the gap is said."""
    unknown = "unknown"
    return RecordingMetadata(
        call=CallFacts(unknown, unknown, unknown, unknown, unknown),
        audio=AudioFacts(file=audio_name, rate=RATE),
        disclosure=DisclosureEvidence(unknown, unknown, unknown, unknown, 0.0),
        errors=[f"metadata missing at recovery: {problem}"],
    )
