"""The QA catalogue: finds recordings, and tells an intact one from an altered or broken one."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from softphone.recordings.audit import AuditEvent
from softphone.recordings.catalog import find_recordings, verify, verify_library
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    GateEntry,
    RecordingMetadata,
    read_metadata,
    write_metadata,
)
from softphone.recordings.store import RecordingStore, seal
from softphone.recordings.writer import RecordingWriter, file_sha256
from softphone.vocabulary.frames import FRAME_SAMPLES


def _record(root: Path, call_id: str = "c1", *, started: float | None = None) -> Path:
    store = RecordingStore(root)
    paths = store.new_recording(call_id, "outbound", time.time() if started is None else started)
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
    seal(paths, metadata, AuditEvent.FINALISED)
    return paths.metadata


def _problems(root: Path) -> dict[str, list[tuple[str, str]]]:
    results, trail_problem = verify_library(root)
    assert trail_problem is None
    return {rid: [(p.kind, p.text) for p in found] for rid, found in results}


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_an_intact_recording_has_no_problems(tmp_path: Path) -> None:
    _record(tmp_path)
    assert list(_problems(tmp_path).values()) == [[]]


def test_a_flipped_byte_in_the_audio_is_caught(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    _flip(meta.with_suffix(".wav"), -1)
    [found] = _problems(tmp_path).values()
    assert found == [
        ("altered", "the audio's SHA-256 does not match the metadata: the file was altered")
    ]


def test_audio_rewritten_with_its_hash_in_the_metadata_is_caught(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    audio = meta.with_suffix(".wav")
    _flip(audio, -1)
    metadata = read_metadata(meta)
    metadata.audio.sha256 = file_sha256(audio)
    write_metadata(meta, metadata)
    [found] = _problems(tmp_path).values()
    assert [kind for kind, _ in found] == ["altered", "altered"]
    assert "not what the audit trail finalised" in found[0][1]
    assert found[1][1] == "the metadata was changed after it was finalised"


def test_a_flipped_byte_in_the_metadata_is_caught(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    meta.write_text(meta.read_text().replace('"remote_uri": "sip:c@y"', '"remote_uri": "sip:d@y"'))
    [found] = _problems(tmp_path).values()
    assert found == [("altered", "the metadata was changed after it was finalised")]


def test_a_truncated_recording_is_reported_not_raised(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    audio = meta.with_suffix(".wav")
    audio.write_bytes(audio.read_bytes()[:2000])
    other = _record(tmp_path, "two").with_suffix(".wav")
    other.write_bytes(other.read_bytes()[:20])  # not even the header
    found = sorted(kind for group in _problems(tmp_path).values() for kind, _ in group)
    assert found == ["truncated", "truncated"]


def test_audio_without_metadata_is_unknown(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    meta.unlink()
    [(rid, found)] = _problems(tmp_path).items()
    assert found == [("unknown", f"{Path(rid).name}.wav is audio with no metadata")]


def test_files_the_trail_finalised_that_are_gone_are_missing(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    meta.unlink()
    meta.with_suffix(".wav").unlink()
    [found] = _problems(tmp_path).values()
    assert found == [("missing", "the audit trail has it finalised, and its files are gone")]


def test_a_recording_the_trail_does_not_know_is_unknown(tmp_path: Path) -> None:
    _record(tmp_path)
    (tmp_path / "audit.jsonl").unlink()
    [found] = _problems(tmp_path).values()
    assert found == [("unknown", "the audit trail has no finalised entry for this recording")]


def test_missing_audio_and_unreadable_metadata_are_reported_not_raised(tmp_path: Path) -> None:
    meta = _record(tmp_path)
    meta.with_suffix(".wav").unlink()
    (tmp_path / "junk.json").write_text("{not json")
    flat = [p for group in _problems(tmp_path).values() for p in group]
    assert any(kind == "missing" and "is missing" in text for kind, text in flat)
    assert any(kind == "unreadable" and "cannot read recording" in text for kind, text in flat)


def test_metadata_of_a_newer_schema_is_named_and_the_rest_verifies(tmp_path: Path) -> None:
    newer = _record(tmp_path, "newer")
    _record(tmp_path, "current")
    newer.write_text(newer.read_text().replace("softphone.recording/1", "softphone.recording/2"))
    found = _problems(tmp_path)
    assert sorted(len(group) for group in found.values()) == [0, 1]
    [[(kind, text)]] = [group for group in found.values() if group]
    assert kind == "unreadable" and "written by a newer softphone" in text


def test_a_recording_that_opened_before_its_disclosure_ended_is_flagged(tmp_path: Path) -> None:
    meta_path = _record(tmp_path)
    text = meta_path.read_text().replace('"wall_time": 11.5', '"wall_time": 10.5')
    meta_path.write_text(text)
    [entry] = find_recordings(tmp_path)
    assert [p.text for p in verify(entry)] == ["the recording opened before the disclosure ended"]
