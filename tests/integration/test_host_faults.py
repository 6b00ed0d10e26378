"""Faults on the host mid-call: a kill during a hold, a full disk, the recordings folder gone."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from softphone.media.analysis import read_channels, tone_duration_s
from softphone.recordings.audit import AuditLog
from softphone.recordings.store import PARTIAL_SEALED_SUFFIX, PARTIAL_SUFFIX, SEALED_SUFFIX
from softphone.recordings.writer import file_sha256
from tests.integration.holdaudio import AGENT_HZ, HELD_HZ, TALK_HZ, tone_frames
from tests.integration.policies import Compliance
from tests.integration.sipp import SippPeer
from tests.integration.softphone_cli import (
    REPO,
    Answering,
    Finished,
    StartPeer,
    child_env,
    run_softphone,
    tone_call,
)
from tests.integration.test_sealed_calls import QA, assert_ciphertext_only, sealed_policy

HOLD_AT_S = 2.5  # after the 1.2 s disclosure: a second of talk is recorded first
CUSTOMER_HZ = 440.0
SMALL_DISK = "256k"  # the trail, the metadata and its reserve, then about 2.5 s of audio


def _start_call(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "softphone.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=child_env(),
    )


def _finished(child: subprocess.Popen[str], timeout_s: float = 60.0) -> Finished:
    out, err = child.communicate(timeout=timeout_s)
    return Finished(child.returncode, out, err)


def _wait_for_partial(root: Path, timeout_s: float = 20.0) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = list(root.rglob(f"*{PARTIAL_SUFFIX}"))
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("the call never started recording")


def _wait_for_hold(metadata: Path, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            holds = json.loads(metadata.read_text(encoding="utf-8"))["holds"]
        except (OSError, ValueError):
            holds = []
        if holds:
            return
        time.sleep(0.05)
    raise AssertionError("the hold never reached the recording's metadata")


def test_a_kill_during_a_hold_recovers_nothing_of_the_hold(
    tmp_path: Path, compliance: Compliance
) -> None:
    # The peer ignores the hold and keeps sending, HELD_HZ instead of TALK_HZ while held.
    with SippPeer("uas_ignore_hold", workdir=tmp_path / "sipp", timeout_s=60) as sipp:
        args = tone_call(
            sipp.uri("customer"),
            compliance.args,
            "--hold",
            f"{HOLD_AT_S}:30",
            "--hangup-after",
            "40",
            hz=AGENT_HZ,
        )
        child = _start_call(args)
        try:
            partial = _wait_for_partial(compliance.recordings)
            _wait_for_hold(partial.with_name(partial.name.replace(PARTIAL_SUFFIX, ".json")))
            time.sleep(2.0)  # two seconds of held tone arrive, and must not be recorded
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
        killed_at = time.time()
    # Any reader recovers it: the QA list, here.
    listed = run_softphone(["recordings", "list", "--recordings", str(compliance.recordings)])
    assert listed.returncode == 0, listed.stdout + listed.stderr
    wavs = list(compliance.recordings.rglob("*.wav"))
    assert len(wavs) == 1 and not list(compliance.recordings.rglob(f"*{PARTIAL_SUFFIX}"))
    audio, _rate = read_channels(wavs[0])
    customer = np.asarray(audio[:, 1], dtype=np.float64)
    assert int(tone_frames(customer, TALK_HZ).sum()) >= 25  # the talk before the hold is there
    assert int(tone_frames(audio[:, 0], AGENT_HZ).sum()) >= 25
    assert int(tone_frames(customer, HELD_HZ).sum()) == 0  # nothing of the hold is
    metadata = json.loads(wavs[0].with_suffix(".json").read_text(encoding="utf-8"))
    assert metadata["status"] == "interrupted"
    stopped = metadata["interruption"]["last_write_at"]
    assert stopped <= killed_at
    # The hold that stood at the kill runs to the end of the recording in its timeline.
    (hold,) = metadata["holds"]
    assert hold["kind"] == "local" and hold["end"] == stopped
    assert metadata["gate"][-1]["state"] == "closed"
    checked = run_softphone(["recordings", "verify", "--recordings", str(compliance.recordings)])
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A file system of SMALL_DISK (a tmpfs), as a recordings directory that fills up."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SMALL_DISK},mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"a small file system cannot be mounted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_disk_that_fills_up_mid_call_seals_the_recording_as_partial(
    start_peer: StartPeer, compliance: Compliance, small_disk: Path
) -> None:
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    args = tone_call(peer.uri_for(), compliance.args, "--recordings", str(small_disk))
    done = run_softphone([*args, "--hangup-after", "7"])
    # The call stayed up to its planned end; the agent was told once, in words.
    assert done.returncode == 4, done.stderr
    report = done.report
    assert 6.5 < report["ended_at"] - report["answered_at"] < 8.5
    told = [line for line in done.stderr.splitlines() if "is full" in line]
    assert len(told) == 1, done.stderr
    assert told[0].startswith("softphone: not recorded: recording stopped: the disk holding")
    assert "System error" not in done.stderr and "Traceback" not in done.stderr
    meta_path = Path(report["metadata"])
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    assert metadata["status"] == "failed"
    stopped = metadata["stopped"]
    assert stopped["reason"] == "disk-full" and stopped["audio_kept"] is True
    assert stopped["media_time"] > 1.0
    assert metadata["call"]["ended_at"] is not None  # the end was written, on a full disk
    # No WAV fits beside the partial file: it is kept (and nothing half-made with it).
    assert not list(small_disk.rglob("*.tmp")) and not list(small_disk.rglob("*.reserve"))
    assert len(list(small_disk.rglob(f"*{PARTIAL_SUFFIX}"))) == 1
    assert [e.event for e in AuditLog.of(small_disk).entries()] == ["created", "finalised"]
    # The admin frees space; the next reader makes the audio written before playable.
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    checked = run_softphone(["recordings", "verify", "--recordings", str(small_disk)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    wav = meta_path.with_suffix(".wav")
    audio, rate = read_channels(wav)
    assert tone_duration_s(audio[:, 1], rate, CUSTOMER_HZ) >= stopped["media_time"] - 1.0
    recovered = json.loads(meta_path.read_text(encoding="utf-8"))
    assert recovered["status"] == "failed" and recovered["stopped"] == stopped
    assert recovered["audio"]["sha256"] == file_sha256(wav)
    assert "stopped mid-call (disk-full)" in recovered["interruption"]["reason"]


def _call_losing_its_folder(
    uri: str, compliance: Compliance, take_away: object, seconds: float = 6.0
) -> Finished:
    """A call whose recordings folder `take_away` (a callable) removes one second into the
    recording; the call's result."""
    args = tone_call(uri, compliance.args, "--hangup-after", f"{seconds:g}")
    child = _start_call(args)
    try:
        _wait_for_partial(compliance.recordings)
        time.sleep(1.0)
        assert callable(take_away)
        take_away()
        return _finished(child)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()


def _assert_lost_calmly(done: Finished) -> None:
    assert done.returncode == 4, done.stderr
    report = done.report
    assert 5.5 < report["ended_at"] - report["answered_at"] < 7.5  # the call stayed up
    told = [line for line in done.stderr.splitlines() if "removed or moved away" in line]
    assert len(told) == 1, done.stderr
    assert "recording is lost" in told[0] and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr  # and nothing else
    assert report["recording"] is None and report["metadata"] is None
    assert any("recording is lost" in p for p in report["recording_problems"])


def test_a_recordings_folder_removed_mid_call_loses_that_recording_calmly(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    root = compliance.recordings
    done = _call_losing_its_folder(peer.uri_for(), compliance, lambda: shutil.rmtree(root))
    _assert_lost_calmly(done)
    assert not root.exists()  # nothing made again, not even an empty folder
    # While it is missing, the next call fails closed and says what to do.
    refused = run_softphone([*tone_call(peer.uri_for(), compliance.args), "--hangup-after", "1"])
    assert refused.returncode == 2 and "calls are refused" in refused.stderr
    assert f"recording.directory: {root} does not exist" in refused.stderr
    assert not root.exists()
    # Restored by the admin, it records again.
    root.mkdir(mode=0o700)
    second = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")  # a peer takes one call
    again = run_softphone([*tone_call(second.uri_for(), compliance.args), "--hangup-after", "3"])
    assert again.returncode == 0, again.stderr
    assert json.loads(Path(again.report["metadata"]).read_text("utf-8"))["status"] == "complete"


def test_a_recordings_folder_moved_away_mid_call_writes_nothing_at_the_old_place(
    start_peer: StartPeer, compliance: Compliance, tmp_path: Path
) -> None:
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    root = compliance.recordings
    moved = tmp_path / "moved-away"
    done = _call_losing_its_folder(peer.uri_for(), compliance, lambda: root.rename(moved))
    _assert_lost_calmly(done)
    assert not root.exists()
    # What was moved holds what was written before: put back, it is recovered as interrupted.
    partials = list(moved.rglob(f"*{PARTIAL_SUFFIX}"))
    assert len(partials) == 1
    moved.rename(root)
    checked = run_softphone(["recordings", "verify", "--recordings", str(root)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (wav,) = root.rglob("*.wav")
    audio, rate = read_channels(wav)
    assert tone_duration_s(audio[:, 1], rate, CUSTOMER_HZ) >= 0.5
    metadata = json.loads(wav.with_suffix(".json").read_text(encoding="utf-8"))
    assert metadata["status"] == "interrupted"


def test_a_running_answerer_whose_folder_went_away_records_again_once_it_is_back(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    root = compliance.recordings
    answer = [*compliance.args, "--mic", "tone:1000", "--speaker", "null", "--json"]
    with Answering([*answer, "--calls", "3", "--wait", "30"]) as agent:
        uri = f"sip:customer@127.0.0.1:{agent.port}"
        first = start_peer("--call", uri, "--play", f"tone:{CUSTOMER_HZ:g}", "--hangup-after", "5")
        _wait_for_partial(root)
        time.sleep(1.0)
        shutil.rmtree(root)
        assert first.finish() == 0  # the call stayed up until the customer hung up
        # Still missing: the call is taken, nothing is recorded, nothing is made again.
        assert start_peer("--call", uri, "--hangup-after", "3").finish() == 0
        assert not root.exists()
        root.mkdir(mode=0o700)  # the admin restores it
        assert start_peer("--call", uri, "--hangup-after", "3").finish() == 0
        done = agent.finish(timeout=30)
    assert "Traceback" not in done.stderr
    lost, missing, restored = [json.loads(x) for x in done.stdout.splitlines() if x[:1] == "{"]
    assert lost["recording"] is None
    assert any("recording is lost" in p for p in lost["recording_problems"])
    assert missing["recording"] is None and missing["answered_at"] is not None
    assert any(
        f"the recordings directory '{root}' is gone" in p for p in missing["recording_problems"]
    )
    metadata = json.loads(Path(restored["metadata"]).read_text(encoding="utf-8"))
    assert metadata["status"] == "complete" and Path(restored["recording"]).is_file()
    # Each was said once, as it happened.
    assert done.stderr.count("recording is lost") == 1, done.stderr
    assert done.stderr.count("is gone (removed or moved away)") == 1, done.stderr


def test_a_full_disk_finishes_a_sealed_recording_in_place_at_the_end_of_the_call(
    start_peer: StartPeer, tmp_path: Path, small_disk: Path
) -> None:
    compliance = sealed_policy(tmp_path / "sealed", str(QA.to_public()))
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    args = tone_call(peer.uri_for(), compliance.args, "--recordings", str(small_disk))
    done = run_softphone([*args, "--hangup-after", "7"])
    assert done.returncode == 4, done.stderr
    assert sum("is full" in line for line in done.stderr.splitlines()) == 1, done.stderr
    metadata = json.loads(Path(done.report["metadata"]).read_text(encoding="utf-8"))
    assert metadata["status"] == "failed" and metadata["stopped"]["reason"] == "disk-full"
    # A sealed container is finished where it lies (no copy): it needs no free space.
    (container,) = small_disk.rglob(f"*{SEALED_SUFFIX}")
    assert not list(small_disk.rglob(f"*{PARTIAL_SEALED_SUFFIX}"))
    assert metadata["audio"]["sha256"] == file_sha256(container)
    assert metadata["audio"]["frames"] / 16000 >= metadata["stopped"]["media_time"] - 1.0
    assert_ciphertext_only(small_disk)
    checked = run_softphone(["recordings", "verify", "--recordings", str(small_disk)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
