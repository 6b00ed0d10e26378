"""Recordings are private by default: folders 0700 and files 0600, or 0750/0640 for a group."""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from softphone.recordings.metadata import read_metadata
from softphone.recordings.store import RecordingStore, StoreError
from softphone.recordings.writer import RecordingWriter

STARTED = 1_796_157_254.9  # 2026-12-01T20:34:14.9Z


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o077, 0o000], ids=["umask022", "umask077", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Whatever umask the agent's session has, the modes come out the same."""
    before = os.umask(request.param)
    yield request.param
    os.umask(before)


def _record(store: RecordingStore) -> tuple[Path, Path, Path]:
    paths = store.new_recording("a1b2c3@example.com", "inbound", STARTED)
    writer = RecordingWriter(paths.partial, print)
    partial_mode = _mode(paths.partial)
    writer.write(np.zeros(640, dtype="<i2").tobytes())
    writer.finish(paths.audio)
    from softphone.recordings.evidence import EvidenceLog  # noqa: PLC0415

    log = EvidenceLog(
        paths,
        {"call_id": "a1b2c3@example.com", "direction": "inbound", "local_uri": "", "remote_uri": "",
         "agent": "a"},
        {"id": "d", "language": "en", "purpose": "p", "audio_sha256": "0", "duration_s": 1.0},
    )  # fmt: skip
    log.save([])
    assert partial_mode == _mode(paths.audio)
    return paths.audio, paths.metadata, paths.audio.parent


def test_files_and_folders_are_private_by_default(tmp_path: Path, umask: int) -> None:
    store = RecordingStore(tmp_path, agent="agent7")
    audio, metadata, day = _record(store)
    assert (_mode(audio), _mode(metadata)) == (0o600, 0o600)
    for folder in (tmp_path / "agent7", tmp_path / "agent7" / "2026", day):
        assert _mode(folder) == 0o700, folder
    assert read_metadata(metadata).call.direction == "inbound"


def test_a_policy_group_may_read_and_no_one_else(tmp_path: Path, umask: int) -> None:
    group = grp.getgrgid(os.getgroups()[-1] if os.getgroups() else os.getegid()).gr_name
    store = RecordingStore(tmp_path, agent="agent7", group=group)
    audio, metadata, day = _record(store)
    gid = grp.getgrnam(group).gr_gid
    for path in (audio, metadata):
        assert (_mode(path), path.stat().st_gid) == (0o640, gid), path
    for folder in (tmp_path / "agent7", day):
        assert (_mode(folder), folder.stat().st_gid) == (0o750, gid), folder


def test_a_group_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match='there is no local group "no-such-group-here"'):
        RecordingStore(tmp_path, group="no-such-group-here")


def test_names_carry_the_call_start_in_utc_and_the_call_id(tmp_path: Path) -> None:
    paths = RecordingStore(tmp_path, agent="agent7").new_recording(
        "a1b2c3@example.com", "outbound", STARTED
    )
    assert paths.audio.parent == tmp_path / "agent7" / "2026" / "12" / "01"
    assert paths.audio.name.startswith("20261201T203414Z-outbound-")
    other_side = RecordingStore(tmp_path, agent="agent9").new_recording(
        "a1b2c3@example.com", "inbound", STARTED
    )
    assert other_side.audio.name.split("-")[::2] == paths.audio.name.split("-")[::2]


def test_a_recordings_folder_that_takes_no_files_is_refused_even_for_root() -> None:
    with pytest.raises(StoreError, match="/proc/self is not writable by user"):
        RecordingStore(Path("/proc/self"))
