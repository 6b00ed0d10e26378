"""A partial recording belongs to its live writer: recovery, from any process, leaves it alone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from softphone.recordings.metadata import read_metadata
from softphone.recordings.ownership import claimed, create_locked
from softphone.recordings.store import RecordingStore
from softphone.recordings.writer import RecordingWriter
from tests.unit.test_recording_sealed import QA_PUBLIC, _frame


@pytest.mark.parametrize("keys", [(), (QA_PUBLIC,)], ids=["plain", "sealed"])
def test_a_live_writers_partial_is_not_recovered_until_it_lets_go(
    tmp_path: Path, keys: tuple[str, ...]
) -> None:
    store = RecordingStore(tmp_path, seal_to=keys)
    paths = store.new_recording("c-live", "inbound", time.time())
    writer = RecordingWriter(paths.partial, print, seal_to=paths.seal_to, sync_interval_s=0.1)
    for tick in range(25):
        writer.write(_frame(tick))
    time.sleep(0.3)  # synced: the partial file holds audio
    before = paths.partial.stat().st_size
    assert before > 0 and store.partials() == [paths.partial]
    with claimed(paths.partial) as orphaned:
        assert not orphaned
    assert RecordingStore(tmp_path).recover() == []  # a second store, as another process has
    assert paths.partial.stat().st_size >= before and not paths.audio.exists()
    writer.close()  # let go, as a process that died would
    with claimed(paths.partial) as orphaned:
        assert orphaned
    (recovered,) = RecordingStore(tmp_path).recover()
    assert read_metadata(recovered).audio.frames == 25 * 320
    assert paths.audio.exists() and not paths.partial.exists()


def test_a_finished_writer_leaves_nothing_to_recover(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    paths = store.new_recording("c-done", "outbound", time.time())
    writer = RecordingWriter(paths.partial, print)
    writer.write(_frame(0))
    assert writer.finish(paths.audio).frames == 320
    with claimed(paths.partial) as orphaned:
        assert not orphaned  # gone
    assert store.recover() == []


def test_create_locked_refuses_an_existing_file_and_leaves_no_trace(tmp_path: Path) -> None:
    taken = tmp_path / "a.partial.raw"
    taken.write_bytes(b"someone's")
    with pytest.raises(FileExistsError):
        create_locked(taken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.partial.raw"]
    assert taken.read_bytes() == b"someone's"
