"""The library index: searches by every filter, follows the files, and rebuilds when damaged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from softphone.recordings.index import Filters, LibraryIndex
from softphone.recordings.metadata import HoldInterval, PauseInterval, read_metadata, write_metadata
from tests.unit.test_recordings_catalog import _record

T0 = 1_790_000_000.0


def _library(root: Path) -> dict[str, Path]:
    made = {}
    for n, (remote, direction, held, status, note) in enumerate(
        [
            ("sip:alice@shop.example", "inbound", True, "complete", "card number"),
            ("sip:bob@bank.example", "outbound", False, "interrupted", ""),
            ("sip:carol@shop.example", "inbound", False, "complete", "health detail"),
        ]
    ):
        meta = _record(root, f"call{n}", started=T0 + n * 86400)
        data = read_metadata(meta)
        data.call.remote_uri, data.call.direction, data.status = remote, direction, status
        data.call.agent = "agent7" if n < 2 else "agent9"
        data.call.local_uri = "sip:agent042@pbx.example" if n != 1 else "sip:lab@lab.example"
        data.call.answered_at = T0 + n * 86400
        data.audio.duration_s = 10.0 * (n + 1)
        if held:
            data.holds = [HoldInterval("local", T0 + 1, T0 + 2, 0.5)]
        if note:
            data.pauses = [PauseInterval(note, "agent7", T0 + 3, T0 + 4, 1.0, "agent7")]
        write_metadata(meta, data)
        made[remote.split(":")[1].split("@")[0]] = meta
    return made


def _who(index: LibraryIndex, **filters: object) -> list[str]:
    index.refresh()
    rows = index.search(Filters(**filters))  # type: ignore[arg-type]
    return [str(r["remote"]).split(":")[1].split("@")[0] for r in rows]


@pytest.fixture(params=[True, False], ids=["fts5", "like"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> LibraryIndex:
    root = tmp_path / "recordings"
    root.mkdir()
    _library(root)
    library = LibraryIndex(root, tmp_path / "index.sqlite")
    library.has_fts = request.param and library.has_fts
    return library


def test_every_filter_narrows_the_search(index: LibraryIndex) -> None:
    assert _who(index) == ["alice", "bob", "carol"]
    assert _who(index, since=T0 + 1, until=T0 + 2 * 86400) == ["bob"]
    assert _who(index, agent="agent9") == ["carol"]
    assert _who(index, account="lab@") == ["bob"]
    assert _who(index, remote="shop.example") == ["alice", "carol"]
    assert _who(index, direction="outbound") == ["bob"]
    assert _who(index, min_duration_s=15.0, max_duration_s=25.0) == ["bob"]
    assert _who(index, had_hold=True) == ["alice"]
    assert _who(index, had_hold=False, interrupted=False) == ["carol"]
    assert _who(index, interrupted=True) == ["bob"]
    assert _who(index, text="health") == ["carol"]
    assert _who(index, text="card alice") == ["alice"]
    assert _who(index, text="bob bank") == ["bob"]
    assert _who(index, text="100%_") == []
    assert _who(index, remote="example", limit=2) == ["alice", "bob"]


def test_it_follows_added_rewritten_and_removed_recordings(index: LibraryIndex) -> None:
    assert index.refresh(rebuild=True).read == 3
    assert index.refresh().read == 0  # nothing changed: no metadata read
    carol = next(r for r in index.search(Filters()) if "carol" in str(r["remote"]))
    meta = index.root / f"{carol['id']}.json"
    data = read_metadata(meta)
    data.call.remote_uri = "sip:dave@shop.example"
    write_metadata(meta, data)
    _record(index.root, "new", started=T0 + 5 * 86400)  # a new day folder
    bob = next(r for r in index.search(Filters()) if "bob" in str(r["remote"]))
    (index.root / f"{bob['id']}.json").unlink()
    done = index.refresh()
    assert (done.rebuilt, done.read, done.removed) == (False, 2, 1)
    assert _who(index) == ["alice", "dave", "c"]


def test_a_deleted_index_is_rebuilt(index: LibraryIndex) -> None:
    index.refresh()
    index.path.unlink()
    assert index.refresh().rebuilt
    assert _who(index) == ["alice", "bob", "carol"]


def test_a_damaged_index_is_moved_aside_and_rebuilt(
    index: LibraryIndex, caplog: pytest.LogCaptureFixture
) -> None:
    index.refresh()
    for suffix in ("-wal", "-shm"):
        Path(f"{index.path}{suffix}").unlink(missing_ok=True)
    index.path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING):
        done = index.refresh()
    assert done.rebuilt and done.moved_aside is not None and done.moved_aside.exists()
    assert "was damaged" in caplog.text
    assert _who(index) == ["alice", "bob", "carol"]


def test_an_index_of_another_layout_is_rebuilt(index: LibraryIndex) -> None:
    index.refresh()
    import sqlite3  # noqa: PLC0415

    with sqlite3.connect(index.path) as db:
        db.execute("PRAGMA user_version = 99")
    assert index.refresh().moved_aside is not None
    assert _who(index) == ["alice", "bob", "carol"]


def test_unreadable_metadata_is_a_row_with_its_problem(index: LibraryIndex) -> None:
    (index.root / "agent").mkdir(exist_ok=True)
    (index.root / "agent" / "broken.json").write_text('{"schema": "softphone.recording/3"}')
    index.refresh()
    rows = [r for r in index.search(Filters()) if r["status"] == "unreadable"]
    assert len(rows) == 1 and "newer softphone" in str(rows[0]["problem"])
    assert _who(index, remote="shop") == ["alice", "carol"]
