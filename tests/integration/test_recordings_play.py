"""`softphone recordings play` through a real PortAudio output (a PulseAudio null sink)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from softphone.media.analysis import tone_duration_s
from softphone.recordings.audit import AuditLog
from softphone.recordings.store import recording_id
from tests.integration.pulse import SoundRig, read_raw
from tests.integration.softphone_cli import run_softphone
from tests.unit.test_recording_sealed import _record
from tests.unit.test_recordings_play import AGENT_HZ, CUSTOMER_HZ, SECONDS, _tones


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[SoundRig]:
    sound = SoundRig(tmp_path / "rig")
    yield sound
    sound.stop()


def test_the_agent_is_heard_at_double_speed_on_the_speaker(rig: SoundRig, tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    rid = recording_id(root, _record(root, _tones(), keys=()))
    heard = tmp_path / "heard.raw"
    rig.listen(heard)
    time.sleep(0.3)  # parec is connected before the first sample plays
    done = run_softphone(
        ["recordings", "play", rid, "--recordings", str(root), "--speed", "2", "--channel",
         "agent"],
        env=rig.env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"played {rid} from 0 s to {SECONDS:.1f} s" in done.stdout
    time.sleep(0.3)
    samples = read_raw(heard)
    assert tone_duration_s(samples, 16000, AGENT_HZ) == pytest.approx(SECONDS / 2, abs=0.3)
    assert tone_duration_s(samples, 16000, CUSTOMER_HZ) == 0.0
    assert float(np.max(np.abs(samples))) > 0.1
    last = list(AuditLog.of(root).entries())[-1].data
    assert (last["event"], last["speed"], last["channel"]) == ("played", 2.0, "agent")
