"""Privacy pauses in a recording's evidence: spans in the metadata, counted for QA, verified."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from softphone.cli.main import main
from softphone.recordings.catalog import find_recordings, verify
from softphone.recordings.evidence import EvidenceLog
from softphone.recordings.metadata import GateEntry, PauseInterval, read_metadata, write_metadata
from softphone.recordings.store import RecordingStore
from softphone.recordings.writer import RecordingWriter
from softphone.vocabulary.frames import FRAME_SAMPLES
from tests.unit.test_recordings_catalog import _record

CALL = {"call_id": "c1", "direction": "outbound", "local_uri": "sip:a@x", "remote_uri": "sip:c@y",
        "agent": "agent7", "answered_at": 100.0}  # fmt: skip
DISCLOSURE = {"id": "d", "language": "en", "purpose": "quality", "audio_sha256": "ab",
              "duration_s": 1.2, "completed": True}  # fmt: skip


def _frames(writer: RecordingWriter, count: int) -> None:
    for _ in range(count):
        writer.write(np.zeros(2 * FRAME_SAMPLES, dtype="<i2").tobytes())


def test_each_pause_is_a_span_with_its_reason_and_who_pressed_and_lifted_it(
    tmp_path: Path,
) -> None:
    paths = RecordingStore(tmp_path).new_recording("c1", "outbound", time.time())
    writer = RecordingWriter(paths.partial, print)
    evidence = EvidenceLog(paths, dict(CALL), dict(DISCLOSURE))
    evidence.note_pause(101.0, "health", "agent7", 0.0)  # asked for during the disclosure
    evidence.end_pause(103.0, "agent7")
    evidence.end_pause(104.0, "agent8")  # no pause stands: nothing changes
    _frames(writer, 50)
    evidence.note_pause(105.0, "card number", "agent7", 1.0)
    written = read_metadata(paths.metadata).pauses
    assert written == [
        PauseInterval("health", "agent7", 101.0, 103.0, 0.0, "agent7"),
        PauseInterval("card number", "agent7", 105.0, None, 1.0, None),
    ]  # each change is on disk at once, as holds are
    evidence.finish(writer, [], [])
    metadata = read_metadata(paths.metadata)
    last = metadata.pauses[-1]
    assert last.end == metadata.call.ended_at and last.resumed_by is None  # ended while paused
    assert metadata.paused_s == pytest.approx(2.0 + last.seconds)


def test_metadata_from_before_pauses_reads_as_having_none(tmp_path: Path) -> None:
    path = _record(tmp_path)
    data = json.loads(path.read_text())
    del data["pauses"]
    path.write_text(json.dumps(data))
    assert read_metadata(path).pauses == []


def _with_pauses(tmp_path: Path, *pauses: PauseInterval) -> Path:
    path = _record(tmp_path)
    metadata = read_metadata(path)
    metadata.pauses = list(pauses)
    metadata.gate += [
        GateEntry(
            20.0, 0.5, "closed", "privacy-paused", ["agent paused the recording for privacy"]
        ),
        GateEntry(22.5, 0.5, "open", "privacy-resumed"),
    ]
    write_metadata(path, metadata)
    return path


def test_recordings_list_counts_the_pauses_and_their_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the index's folder
    root = tmp_path / "recordings"
    root.mkdir()
    _with_pauses(
        root,
        PauseInterval("card number", "agent7", 20.0, 22.5, 0.5, "agent7"),
        PauseInterval("", "agent7", 30.0, 31.25, 0.9, "agent7"),
    )
    for as_json in (True, False):
        argv = ["recordings", "list", "--recordings", str(root)] + ["--json"] * as_json
        assert main(argv) == 0
        out = capsys.readouterr().out
        if as_json:
            summary = json.loads(out)
            assert (summary["pauses"], summary["paused_s"]) == (2, 3.75)
        else:
            assert "holds 0  pauses 2 (3.8 s)" in out


def test_verify_flags_a_pause_without_who_and_a_recording_that_opened_during_one(
    tmp_path: Path,
) -> None:
    _with_pauses(tmp_path, PauseInterval("card number", "agent7", 20.0, 22.5, 0.5, "agent7"))
    assert verify(find_recordings(tmp_path)[0]) == []
    cases = [
        ("nobody", PauseInterval("x", "", 20.0, 22.5, 0.5, "a"), "a privacy pause does not say "
         "who pressed it"),
        ("early", PauseInterval("x", "a", 20.0, 23.0, 0.5, "a"), "the recording opened during "
         "a privacy pause"),
        ("endless", PauseInterval("x", "a", 20.0, None, 0.5, None), "the recording opened "
         "during a privacy pause"),
    ]  # fmt: skip
    for folder, pause, problem in cases:
        (tmp_path / folder).mkdir()
        _with_pauses(tmp_path / folder, pause)
        assert [p.text for p in verify(find_recordings(tmp_path / folder)[0])] == [problem], folder


def test_a_recording_interrupted_while_paused_ends_its_pause_at_the_last_write(
    tmp_path: Path,
) -> None:
    store = RecordingStore(tmp_path)
    paths = store.new_recording("c1", "outbound", time.time())
    writer = RecordingWriter(paths.partial, print)
    evidence = EvidenceLog(paths, dict(CALL), dict(DISCLOSURE))
    _frames(writer, 50)
    evidence.note_pause(105.0, "card number", "agent7", 1.0)
    writer.close()  # the process dies here: the partial audio stays
    stopped_at = paths.partial.stat().st_mtime
    (recovered,) = RecordingStore(tmp_path).recover()
    metadata = read_metadata(recovered)
    assert metadata.status == "interrupted"
    assert (metadata.pauses[0].end, metadata.pauses[0].resumed_by) == (stopped_at, None)
