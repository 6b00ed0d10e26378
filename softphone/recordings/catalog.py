"""The recordings a QA reviewer can find, and checks that each one is intact and compliant."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import soundfile as sf

from softphone.recordings.metadata import MetadataError, RecordingMetadata, read_metadata
from softphone.recordings.store import PARTIAL_SUFFIX
from softphone.recordings.writer import file_sha256


@dataclass
class Entry:
    """One recording: its files, its metadata (None if unreadable), and what is wrong with it."""

    metadata_path: Path
    metadata: RecordingMetadata | None
    problems: list[str] = field(default_factory=list)

    @property
    def audio_path(self) -> Path:
        """The WAV next to the metadata."""
        name = self.metadata.audio.file if self.metadata else self.metadata_path.stem + ".wav"
        return self.metadata_path.with_name(name)


def find_recordings(root: Path) -> list[Entry]:
    """Every recording under `root`, oldest first; unreadable metadata is an entry with problems."""
    entries = []
    for path in sorted(root.rglob("*.json")):
        try:
            entries.append(Entry(path, read_metadata(path)))
        except MetadataError as exc:
            entries.append(Entry(path, None, [str(exc)]))
    return entries


def verify(entry: Entry) -> list[str]:
    """Problems with one recording: integrity of the audio and the compliance evidence."""
    problems = list(entry.problems)
    meta = entry.metadata
    if meta is None:
        return problems
    audio = entry.audio_path
    if not audio.is_file():
        partial = audio.with_name(audio.stem + PARTIAL_SUFFIX)
        hint = "; its partial audio awaits recovery" if partial.exists() else ""
        return [*problems, f"the audio file {audio.name} is missing{hint}"]
    if meta.audio.sha256 != file_sha256(audio):
        problems.append("the audio's SHA-256 does not match the metadata: the file was altered")
    try:
        frames = sf.info(str(audio)).frames
    except (RuntimeError, OSError) as exc:
        problems.append(f"the audio cannot be read: {exc}")
    else:
        if frames != meta.audio.frames:
            problems.append(
                f"the audio holds {frames} frames, the metadata says {meta.audio.frames}"
            )
    problems += _evidence_problems(meta)
    return problems


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
    if meta.status not in ("complete", "interrupted", "failed"):
        problems.append(f"the recording did not finish (status {meta.status!r})")
    return problems
