"""Why a writer stopped: read from the file itself, since libsndfile only says "System error."."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.recordings.reserve import RESERVE_BYTES, SpaceReserve
from softphone.recordings.writefault import StopReason, diagnose, moved_away


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
