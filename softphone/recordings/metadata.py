"""Recording metadata: the versioned JSON document stored next to each recording's audio.

The schema is documented in docs/recording-format.md; bump SCHEMA on any incompatible change.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from softphone import __version__
from softphone.recordings.access import create_file

SCHEMA = "softphone.recording/1"
CHANNEL_MAP = ("agent", "customer")


class MetadataError(ValueError):
    """A metadata file cannot be read or does not follow the schema."""


@dataclass
class CallFacts:
    """Who talked to whom, and when (Unix times)."""

    call_id: str
    direction: str
    local_uri: str
    remote_uri: str
    agent: str
    answered_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None  # why the call ended ("no RTP for 30 s", "the agent hung up")


@dataclass
class DisclosureEvidence:
    """What the customer was told before anything was recorded."""

    id: str
    language: str
    purpose: str
    audio_sha256: str
    duration_s: float
    started_at: float | None = None
    ended_at: float | None = None
    frames_played: int = 0
    rtp_packets_sent: int | None = None
    completed: bool = False


@dataclass
class GateEntry:
    """One opening or closing of the recording gate."""

    wall_time: float
    media_time: float
    state: str
    reason: str
    blockers: list[str] = field(default_factory=list)


@dataclass
class HoldInterval:
    """A stretch of the call that was not recorded because the call was held."""

    kind: str
    start: float
    end: float | None = None
    media_time: float = 0.0


@dataclass
class PauseInterval:
    """A stretch of the call not recorded because the agent paused the recording for privacy.

    The call was not held: both parties kept talking, and nothing of it is in the audio.
    """

    reason: str  # "" when the agent gave none (and the policy did not require one)
    by: str  # who paused it
    start: float
    end: float | None = None
    media_time: float = 0.0
    resumed_by: str | None = None  # None when the call ended while paused

    @property
    def seconds(self) -> float:
        """How long it lasted (0 while it stands)."""
        return 0.0 if self.end is None else max(0.0, self.end - self.start)


@dataclass
class AudioFacts:
    """The audio file: layout (of the plaintext, for a sealed file), length and integrity."""

    file: str
    rate: int
    channels: int = 2
    channel_map: list[str] = field(default_factory=lambda: list(CHANNEL_MAP))
    sample_format: str = "pcm_s16le"
    frames: int = 0
    duration_s: float = 0.0
    sha256: str | None = None  # of the file's bytes: for a sealed recording, of the ciphertext
    dropped_frames: int = 0
    encryption: dict[str, Any] | None = None  # None: a plaintext WAV; else sealed.encryption_facts


@dataclass
class RecordingMetadata:
    """Everything stored about one recording."""

    call: CallFacts
    audio: AudioFacts
    disclosure: DisclosureEvidence
    schema: str = SCHEMA
    status: str = "recording"
    gate: list[GateEntry] = field(default_factory=list)
    holds: list[HoldInterval] = field(default_factory=list)
    pauses: list[PauseInterval] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    interruption: dict[str, Any] | None = None
    stopped: dict[str, Any] | None = None  # the writer stopped mid-call: why, when, what is kept
    transfers: list[dict[str, Any]] = field(default_factory=list)
    softphone_version: str | None = __version__  # None: written before versions were recorded

    def to_json(self) -> dict[str, Any]:
        """The document as JSON-ready data."""
        return asdict(self)

    @property
    def paused_s(self) -> float:
        """Seconds of the call the agent paused the recording for privacy, in total."""
        return sum(p.seconds for p in self.pauses)


def write_metadata(path: Path, metadata: RecordingMetadata) -> None:
    """Replace the metadata file atomically (write, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # left by a write a crash cut short
    with os.fdopen(create_file(tmp), "w", encoding="utf-8") as handle:
        json.dump(metadata.to_json(), handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_metadata(path: Path) -> RecordingMetadata:
    """Load a metadata file; MetadataError names the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetadataError(f"cannot read recording metadata '{path}': {exc}") from exc
    return parse_metadata(data, str(path))


def parse_metadata(data: Any, name: str) -> RecordingMetadata:
    """Metadata from its parsed JSON (`name`: the file or object it came from, for errors)."""
    path = name
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        if _newer(found):
            raise MetadataError(
                f"'{path}' was written by a newer softphone ({found}); this one reads {SCHEMA}: "
                "read it with an up-to-date softphone (it is kept, not touched)"
            )
        raise MetadataError(f"'{path}' is not {SCHEMA} metadata (schema: {found!r})")
    try:
        return RecordingMetadata(
            call=CallFacts(**data["call"]),
            audio=AudioFacts(**data["audio"]),
            disclosure=DisclosureEvidence(**data["disclosure"]),
            schema=data["schema"],
            status=data["status"],
            gate=[GateEntry(**g) for g in data["gate"]],
            holds=[HoldInterval(**h) for h in data["holds"]],
            pauses=[PauseInterval(**p) for p in data.get("pauses", [])],  # absent before pauses
            errors=list(data["errors"]),
            interruption=data.get("interruption"),
            stopped=data.get("stopped"),  # absent before it was recorded: read it as null
            transfers=list(data.get("transfers", [])),
            softphone_version=data.get("softphone_version"),
        )
    except (KeyError, TypeError) as exc:
        raise MetadataError(f"'{path}' does not follow {SCHEMA}: {exc}") from exc


def _newer(schema: object) -> bool:
    """Whether `schema` names a later version of this document's schema."""
    name, _, version = str(schema).rpartition("/")
    current = SCHEMA.rpartition("/")[2]
    return name == SCHEMA.rpartition("/")[0] and version.isdigit() and int(version) > int(current)
