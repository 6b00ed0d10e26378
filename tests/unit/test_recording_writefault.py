"""Why a writer stopped: read from the file itself, since libsndfile only says "System error."."""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.recordings.audit import AuditLog
from softphone.recordings.evidence import EvidenceLog
from softphone.recordings.reserve import RESERVE_BYTES, SpaceReserve
from softphone.recordings.store import RecordingStore
from softphone.recordings.writefault import StopReason, diagnose, moved_away
from softphone.recordings.writer import RecordingWriter
from tests.unit.test_pause_evidence import CALL, DISCLOSURE
from tests.unit.test_recording_sealed import QA_PUBLIC, _frame


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    folder = tmp_path / "recordings" / "day"
    folder.mkdir(parents=True)
    path = folder / "call.partial.raw"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    yield fd, path
    os.close(fd)


def test_a_file_in_place_has_not_moved(opened: tuple[int, Path]) -> None:
    assert not moved_away(*opened)


def test_a_file_whose_folder_was_removed_has_moved_away(opened: tuple[int, Path]) -> None:
    fd, path = opened
    path.unlink()
    path.parent.rmdir()
    assert moved_away(fd, path)
    assert diagnose(fd, path, OSError(errno.ENOENT, "gone")).reason is StopReason.FOLDER_GONE


def test_a_file_whose_folder_was_renamed_has_moved_away(opened: tuple[int, Path]) -> None:
    fd, path = opened
    path.parent.rename(path.parent.with_name("elsewhere"))
    assert moved_away(fd, path)


def test_a_file_replaced_by_another_of_its_name_has_moved_away(opened: tuple[int, Path]) -> None:
    fd, path = opened
    path.unlink()
    path.write_bytes(b"")
    assert moved_away(fd, path)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, StopReason.DISK_FULL),
        (errno.EFBIG, StopReason.FILE_SIZE_LIMIT),
        (errno.EIO, StopReason.WRITE_ERROR),
    ],
)
def test_the_errno_names_the_cause(opened: tuple[int, Path], code: int, reason: StopReason) -> None:
    stop = diagnose(*opened, OSError(code, os.strerror(code)))
    assert stop.reason is reason
    assert stop.audio_kept and "the call goes on" in stop.text


def test_a_reserve_holds_its_space_until_released(tmp_path: Path) -> None:
    reserve = SpaceReserve(tmp_path / "call.reserve")
    assert os.stat(tmp_path / "call.reserve").st_blocks * 512 >= RESERVE_BYTES
    reserve.release()
    reserve.release()
    assert not (tmp_path / "call.reserve").exists()


def test_no_room_for_a_reserve_is_no_error(tmp_path: Path) -> None:
    reserve = SpaceReserve(tmp_path / "missing-folder" / "call.reserve")
    assert reserve.path is None
    reserve.release()


@pytest.mark.parametrize("keys", [(), (QA_PUBLIC,)], ids=["plain", "sealed"])
def test_a_folder_removed_just_before_the_end_is_lost_and_nothing_is_made_again(
    tmp_path: Path, keys: tuple[str, ...]
) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    paths = RecordingStore(root, seal_to=keys).new_recording("c1", "outbound", time.time())
    told: list[str] = []
    writer = RecordingWriter(paths.partial, told.append, seal_to=keys, sync_interval_s=60)
    evidence = EvidenceLog(paths, dict(CALL), dict(DISCLOSURE))
    for tick in range(50):
        writer.write(_frame(tick))
    agent_folder = paths.metadata.relative_to(root).parts[0]
    shutil.rmtree(root / agent_folder)  # before the writer's next sync: seen as it finishes
    evidence.finish(writer, [], [])
    assert writer.stop is not None and writer.stop.reason is StopReason.FOLDER_GONE
    assert evidence.lost and told == [writer.stop.text]
    assert sorted(p.name for p in root.iterdir()) == ["audit.jsonl"]  # no folder made again
    events = [e.event for e in AuditLog.of(root).entries()]
    assert events == ["created", "lost"]
