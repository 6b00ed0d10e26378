"""Faults on the host mid-call: a kill during a hold, the recordings folder taken away."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from softphone.media.analysis import read_channels
from softphone.recordings.store import PARTIAL_SUFFIX
from tests.integration.holdaudio import AGENT_HZ, HELD_HZ, TALK_HZ, tone_frames
from tests.integration.policies import Compliance
from tests.integration.sipp import SippPeer
from tests.integration.softphone_cli import REPO, child_env, run_softphone, tone_call

HOLD_AT_S = 2.5  # after the 1.2 s disclosure: a second of talk is recorded first


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
