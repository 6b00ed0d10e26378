"""The recordings a QA reviewer can find, and checks of each against its files and the audit trail.

A recording is intact when its audio matches the SHA-256 in its metadata, and both files match
the SHA-256s its "finalised" (or "recovered") audit entry recorded; a consistent rewrite of the
audio and of the hash in the metadata therefore still fails. Each problem has a kind: altered,
missing, truncated, unknown (no metadata, or nothing in the audit trail), unreadable, or
evidence (the compliance record itself is wrong).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from softphone.recordings.audiofile import AudioIntegrityError, damaged_frames, open_audio
from softphone.recordings.audit import AuditError, AuditEvent, AuditLog
from softphone.recordings.metadata import MetadataError, RecordingMetadata, read_metadata
from softphone.recordings.ownership import being_written
from softphone.recordings.store import (
    PARTIAL_SEALED_SUFFIX,
    PARTIAL_SUFFIX,
    SEALED_SUFFIX,
    recording_id,
)
from softphone.recordings.writer import file_sha256

_SEALED = (AuditEvent.FINALISED.value, AuditEvent.RECOVERED.value)
_FINISHED = ("complete", "interrupted", "failed")
_GONE = (AuditEvent.DELETED.value, AuditEvent.REMOVED_ARCHIVED.value)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a recording."""

    kind: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Entry:
    """One recording: its files, its metadata (None if unreadable), and what is wrong with it."""

    metadata_path: Path
    metadata: RecordingMetadata | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def audio_path(self) -> Path:
        """The audio file (a WAV, or a sealed one) next to the metadata."""
        name = self.metadata.audio.file if self.metadata else self.metadata_path.stem + ".wav"
        return self.metadata_path.with_name(name)


@dataclass
class TrailFacts:
    """What the audit trail says of one recording: its last seal, whether retention deleted it."""

    sealed: dict[str, object] | None = None
    deleted: bool = False


def find_recordings(root: Path) -> list[Entry]:
    """Every recording under `root`, oldest first; unreadable metadata is an entry with problems."""
    entries = []
    for path in sorted(root.rglob("*.json")):
        try:
            entries.append(Entry(path, read_metadata(path)))
        except MetadataError as exc:
            entries.append(Entry(path, None, [Problem("unreadable", str(exc))]))
    return entries


def find_entry(root: Path, recording: str) -> Entry:
    """The recording with id `recording` (or its name, if only one has it); LookupError if none."""
    path = root / f"{recording}.json"
    if not path.is_file():
        named = sorted(root.rglob(f"{Path(recording).name}.json"))
        if len(named) != 1:
            how = "several recordings have" if named else "no recording has"
            raise LookupError(f"{how} the id {recording!r} in '{root}'")
        path = named[0]
    try:
        return Entry(path, read_metadata(path))
    except MetadataError as exc:
        return Entry(path, None, [Problem("unreadable", str(exc))])


def read_trail(audit: AuditLog) -> dict[str, TrailFacts]:
    """Each recording's facts from the trail (entries that parse; `audit.verify` checks order)."""
    facts: dict[str, TrailFacts] = {}
    for entry in audit.entries():
        fact = facts.setdefault(entry.recording, TrailFacts())
        if entry.event in _SEALED:
            fact.sealed, fact.deleted = entry.data, False
        elif entry.event in _GONE:
            fact.deleted = True
    return facts


def verify(entry: Entry, trail: TrailFacts | None = None) -> list[Problem]:
    """Problems with one recording: integrity of its files and its evidence, and with `trail`
    (what the audit trail says of it) also against the trail.
    """
    problems = list(entry.problems)
    meta = entry.metadata
    if meta is None:
        return problems
    audio_path = entry.audio_path
    if not audio_path.is_file():
        partials = [
            audio_path.with_name(audio_path.stem + s)
            for s in (PARTIAL_SUFFIX, PARTIAL_SEALED_SUFFIX)
        ]
        hint = ""
        if any(being_written(p) for p in partials):
            hint = "; the call is still being recorded (a running softphone writes it)"
        elif any(p.exists() for p in partials):
            hint = "; its partial audio awaits recovery"
        return [*problems, Problem("missing", f"the audio file {audio_path.name} is missing{hint}")]
    problems += _audio_problems(entry, meta, trail)
    if trail is not None and meta.status in _FINISHED:
        problems += _trail_problems(entry, trail)
    problems += [Problem("evidence", text) for text in _evidence_problems(meta)]
    return problems


UNCLOSED = (
    "the call ended normally but its sealed audio has no trailer: chunks were cut off its end"
)


def _audio_problems(
    entry: Entry, meta: RecordingMetadata, trail: TrailFacts | None
) -> list[Problem]:
    try:
        audio = open_audio(entry.audio_path, [meta.audio.sha256])
        frames = audio.frames
    except AudioIntegrityError:
        try:
            frames = damaged_frames(entry.audio_path)
        except (RuntimeError, OSError) as exc:
            return [Problem("truncated", f"the audio is truncated or damaged: {exc}")]
        if frames < meta.audio.frames:
            return [
                Problem(
                    "truncated",
                    f"the audio holds {frames} frames, the metadata says {meta.audio.frames}: "
                    "it was truncated",
                )
            ]
        text = "the audio's SHA-256 does not match the metadata: the file was altered"
        return [Problem("altered", text)]
    except (RuntimeError, OSError) as exc:
        return [Problem("truncated", f"the audio cannot be read: {exc}")]
    problems = []
    if frames != meta.audio.frames:
        problems.append(
            Problem(
                "altered", f"the audio holds {frames} frames, the metadata says {meta.audio.frames}"
            )
        )
    if not audio.closed and meta.status == "complete":
        problems.append(Problem("truncated", UNCLOSED))
    sealed = trail.sealed if trail is not None else None
    if sealed is not None and sealed.get("audio_sha256") != audio.sha256:
        problems.append(
            Problem(
                "altered",
                "the audio is not what the audit trail finalised (its SHA-256 in the metadata "
                "was changed with it)",
            )
        )
    return problems


def _trail_problems(entry: Entry, trail: TrailFacts) -> list[Problem]:
    if trail.sealed is None:
        return [Problem("unknown", "the audit trail has no finalised entry for this recording")]
    if trail.sealed.get("metadata_sha256") != file_sha256(entry.metadata_path):
        return [Problem("altered", "the metadata was changed after it was finalised")]
    return []


def verify_library(root: Path) -> tuple[list[tuple[str, list[Problem]]], str | None]:
    """Every recording's problems by id, audio without metadata and trail entries without files
    included; and what is wrong with the audit trail itself (None when its chain is intact).
    """
    audit = AuditLog.of(root)
    trail_problem: str | None = None
    try:
        report = audit.verify()
        if not report.intact:
            trail_problem = f"{audit.path}: line {report.bad_line}: {report.why}"
        trail = read_trail(audit)
    except AuditError as exc:
        trail_problem, trail = str(exc), {}
    results: list[tuple[str, list[Problem]]] = []
    claimed: set[Path] = set()
    seen: set[str] = set()
    for entry in find_recordings(root):
        rid = recording_id(root, entry.metadata_path)
        seen.add(rid)
        claimed.add(entry.audio_path)
        results.append((rid, verify(entry, trail.get(rid, TrailFacts()))))
    for wav in sorted([*root.rglob("*.wav"), *root.rglob(f"*{SEALED_SUFFIX}")]):
        if wav not in claimed:
            rid = recording_id(root, wav.with_suffix(".json"))
            seen.add(rid)
            results.append((rid, [Problem("unknown", f"{wav.name} is audio with no metadata")]))
    for rid, facts in sorted(trail.items()):
        if rid not in seen and facts.sealed is not None and not facts.deleted:
            text = "the audit trail has it finalised, and its files are gone"
            results.append((rid, [Problem("missing", text)]))
    return results, trail_problem


def _evidence_problems(meta: RecordingMetadata) -> list[str]:
    problems = []
    if not meta.disclosure.completed:
        problems.append("no completed disclosure is recorded before the recording")
    opened = [g for g in meta.gate if g.state == "open"]
    ended = meta.disclosure.ended_at
    if opened and ended is not None and opened[0].wall_time < ended:
        problems.append("the recording opened before the disclosure ended")
    if any(g.blockers for g in opened):
        problems.append("the gate opened while a closing condition held")
    for pause in meta.pauses:
        if not pause.by:
            problems.append("a privacy pause does not say who pressed it")
        end = pause.end if pause.end is not None else float("inf")
        if any(pause.start <= g.wall_time < end for g in opened):
            problems.append("the recording opened during a privacy pause")
    if meta.status not in _FINISHED:
        problems.append(f"the recording did not finish (status {meta.status!r})")
    return problems
