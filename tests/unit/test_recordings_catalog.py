"""The QA catalogue: finds recordings, and tells an intact one from an altered or broken one."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from softphone.recordings.catalog import find_recordings, verify
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    GateEntry,
    RecordingMetadata,
    write_metadata,
)
from softphone.recordings.store import RecordingStore
from softphone.recordings.writer import RecordingWriter
from softphone.vocabulary.frames import FRAME_SAMPLES


def _record(root: Path, call_id: str = "c1") -> Path:
    store = RecordingStore(root)
    paths = store.new_recording(call_id, "outbound", time.time())
    writer = RecordingWriter(paths.partial, print)
    for _ in range(50):
        writer.write(np.zeros(2 * FRAME_SAMPLES, dtype="<i2").tobytes())
    audio = writer.finish(paths.audio)
    metadata = RecordingMetadata(
        call=CallFacts(call_id, "outbound", "sip:a@x", "sip:c@y", "agent"),
        audio=AudioFacts(paths.audio.name, 16000, frames=audio.frames, sha256=audio.sha256),
        disclosure=DisclosureEvidence("d", "en", "quality", "ab", 1.0, 10.0, 11.0, 50, 50, True),
        status="complete",
        gate=[GateEntry(11.5, 0.0, "open", "disclosure-completed")],
    )
    write_metadata(paths.metadata, metadata)
    return paths.metadata


def test_an_intact_recording_has_no_problems(tmp_path: Path) -> None:
    _record(tmp_path)
    entries = find_recordings(tmp_path)
    assert len(entries) == 1 and verify(entries[0]) == []


def test_an_altered_audio_file_is_caught(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    audio = meta.with_suffix(".wav")
    data = bytearray(audio.read_bytes())
    data[-1] ^= 0xFF
    audio.write_bytes(bytes(data))
    assert "the file was altered" in verify(find_recordings(tmp_path)[0])[0]


def test_missing_audio_and_unreadable_metadata_are_reported_not_raised(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    meta.with_suffix(".wav").unlink()
    (tmp_path / "junk.json").write_text("{not json")
    problems = [verify(e) for e in find_recordings(tmp_path)]
    flat = [p for group in problems for p in group]
    assert any("is missing" in p for p in flat)
    assert any("cannot read recording metadata" in p for p in flat)


def test_a_recording_that_opened_before_its_disclosure_ended_is_flagged(tmp_path: Path) -> None:
    meta_path = _record(tmp_path)
    text = meta_path.read_text().replace('"wall_time": 11.5', '"wall_time": 10.5')
    meta_path.write_text(text)
    assert verify(find_recordings(tmp_path)[0]) == [
        "the recording opened before the disclosure ended"
    ]


def test_retention_deletes_only_finished_recordings_past_it(tmp_path: Path) -> None:
    old = _record(tmp_path, "old")
    recent = _record(tmp_path, "recent")
    text = old.read_text().replace('"ended_at": null', '"ended_at": 1000.0')
    old.write_text(text.replace('"answered_at": null', '"answered_at": 900.0'))
    unreadable = tmp_path / "2000" / "broken.json"
    unreadable.parent.mkdir()
    unreadable.write_text("{")
    store = RecordingStore(tmp_path)
    removed = store.expire(retention_days=1, now=1000.0 + 2 * 86400)
    assert removed == [old.with_suffix(".wav")]
    assert not old.exists() and not old.with_suffix(".wav").exists()
    assert recent.exists() and recent.with_suffix(".wav").exists()  # its end is unknown: kept
    assert unreadable.exists()
