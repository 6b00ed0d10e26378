"""The headset bridge on real audio streams: private PulseAudio daemons, pacat in, parec out.

These run in the pytest process (sounddevice only, never pjsua2); the bridge clock is a thread
that reads and writes one frame every 20 ms, as pjsua2's clock thread does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from softphone.media.analysis import dominant_frequency, tone_duration_s, tone_level_db
from softphone.media.deviceevents import DeviceLost, DeviceSwitched, Role
from softphone.media.devicemonitor import DeviceMonitor
from softphone.media.headset import Headset, HeadsetConfig
from softphone.media.portaudio import PortAudio, portaudio
from softphone.media.ringer import Ringer, RingPattern
from tests.integration.pulse import HEADSET, SoundRig, read_raw, tone
from tests.unit.test_media_device_headset import Bridge, wait_for

RATE = 16000


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoundRig]:
    """A system sound server and an unpluggable headset, seen by this process's PortAudio."""
    sound = SoundRig(tmp_path, headset=True)
    try:
        for name, value in sound.env().items():
            monkeypatch.setenv(name, value)
        pa = portaudio()
        assert pa.rescan(), "a stream from an earlier test is still open"
        yield sound
    finally:
        sound.stop()
    assert portaudio().open_streams == 0


@pytest.fixture
def headsets() -> Iterator[list[Headset]]:
    opened: list[Headset] = []
    yield opened
    for headset in opened:
        headset.close()


def open_headset(opened: list[Headset], **config: str) -> tuple[Headset, Bridge]:
    headset = Headset.open(portaudio(), HeadsetConfig(**config), mic=True, speaker=True)  # type: ignore[arg-type]
    opened.append(headset)
    assert headset.mic is not None and headset.speaker is not None
    return headset, Bridge(headset.mic, headset.speaker)


def test_headset_audio_flows_both_ways_with_low_latency(
    rig: SoundRig, headsets: list[Headset], tmp_path: Path
) -> None:
    assert rig.headset is not None
    headset, bridge = open_headset(headsets, input_name=HEADSET, output_name=HEADSET)
    heard = tmp_path / "heard.raw"
    rig.listen(heard, rig.headset)
    rig.speak(tone(1000.0, 8.0), rig.headset)
    try:
        time.sleep(2.0)  # PulseAudio takes a second or two to start streaming
        before = headset.levels()
        time.sleep(4.0)
        after = headset.levels()
    finally:
        bridge.stop()
    sent = bridge.recent(3.0)
    assert tone_duration_s(sent, RATE, 1000.0) >= 2.9  # the agent's voice reached the bridge
    assert tone_level_db(sent, RATE, 1000.0) == pytest.approx(-10.5, abs=1.0)  # a 0.3 sine
    played = read_raw(heard)
    assert tone_duration_s(played, RATE, 440.0) >= 3.5  # the customer reached the earpiece
    for role in (Role.MICROPHONE, Role.SPEAKER):
        stats = headset.stats()[role]
        assert stats.device == HEADSET
        assert stats.fifo is not None and stats.fifo.latency_ms < 25.0
        assert stats.underruns <= 1 and stats.overruns == 0
        assert (after[role].updates - before[role].updates) / 4.0 >= 10  # meter updates per s
    assert after[Role.MICROPHONE].rms_db == pytest.approx(-13.5, abs=1.5)
    assert bridge.errors == []


def test_an_unplugged_headset_is_noticed_and_the_call_moves_to_the_computer(
    rig: SoundRig, headsets: list[Headset], tmp_path: Path
) -> None:
    assert rig.headset is not None
    headset, bridge = open_headset(headsets, input_name=HEADSET, output_name=HEADSET)
    rig.speak(tone(1200.0, 12.0))  # the computer's own microphone hears 1200 Hz
    heard = tmp_path / "laptop.raw"
    try:
        time.sleep(2.5)
        rig.listen(heard)
        unplugged = time.monotonic()
        rig.headset.unplug("hs_spk", "hs_mic")
        lost = [wait_for(headset, DeviceLost, 2.0)[0] for _ in range(2)]
        noticed = time.monotonic() - unplugged
        assert noticed < 2.0
        assert {e.role for e in lost if isinstance(e, DeviceLost)} == {
            Role.MICROPHONE,
            Role.SPEAKER,
        }
        time.sleep(4.0)
    finally:
        bridge.stop()
    assert headset.device_name(Role.MICROPHONE) == "default"
    assert headset.device_name(Role.SPEAKER) == "default"
    assert dominant_frequency(bridge.recent(1.0), RATE) == pytest.approx(1200.0, rel=0.005)
    assert tone_duration_s(read_raw(heard), RATE, 440.0) >= 1.5
    assert bridge.errors == []


def test_a_device_that_stalls_is_noticed_and_closing_never_hangs(
    rig: SoundRig, headsets: list[Headset]
) -> None:
    assert rig.headset is not None
    headset, bridge = open_headset(headsets, input_name=HEADSET, output_name=HEADSET)
    try:
        time.sleep(2.5)
        stalled = time.monotonic()
        rig.headset.pactl("suspend-sink", "hs_spk", "1")
        lost, _ = wait_for(headset, DeviceLost, 2.0)
        assert isinstance(lost, DeviceLost) and lost.role is Role.SPEAKER
        assert time.monotonic() - stalled < 2.0
        switched, _ = wait_for(headset, DeviceSwitched, 5.0)
        assert isinstance(switched, DeviceSwitched) and switched.device == "default"
    finally:
        bridge.stop()
    rig.headset.pactl("suspend-sink", "hs_mic", "1")
    started = time.monotonic()
    headset.close()
    assert time.monotonic() - started < 2.0


def test_the_ringer_rings_with_its_cadence_on_the_ringer_device(
    rig: SoundRig, tmp_path: Path
) -> None:
    assert rig.headset is not None
    heard = tmp_path / "ring.raw"
    rig.listen(heard, rig.headset)
    ringer = Ringer(portaudio(), HEADSET, pattern=RingPattern(on_s=0.5, off_s=0.5))
    assert ringer.start()
    time.sleep(5.0)
    ringer.stop()
    assert not ringer.ringing
    audio = read_raw(heard)
    windows = audio[: audio.size // 1600 * 1600].reshape(-1, 1600)  # 100 ms each
    on = np.array([tone_level_db(w, RATE, 440.0) > -30.0 for w in windows])
    assert 12 <= on.sum() <= 26  # about half of the time ringing ...
    starts = np.flatnonzero(np.diff(on.astype(int)) == 1)
    assert len(starts) >= 3 and np.all(np.abs(np.diff(starts) - 10) <= 1)  # ... once a second
    assert tone_level_db(windows[on][1], RATE, 480.0) > -30.0  # both tones of the ring


def test_a_headset_plugged_in_appears_in_the_device_list(rig: SoundRig) -> None:
    pa = portaudio()
    monitor = DeviceMonitor(pa, interval_s=0.0)
    assert "Second Headset" not in [d.name for d in monitor.devices()]
    assert rig.headset is not None
    rig.headset.plug("hs2")
    server = rig.headset.server
    time.sleep(0.01)  # a new modification time for the ALSA configuration
    rig.write_alsa_config(
        f'pcm."Second Headset" {{ type pulse; server "{server}"; device "hs2" }}\n'
    )
    change = monitor.poll()
    assert change is not None and change.added == ("Second Headset",)
    assert "Second Headset" in [d.name for d in pa.devices()]


def test_with_a_call_running_a_helper_process_lists_the_devices(
    rig: SoundRig, headsets: list[Headset]
) -> None:
    pa = portaudio()
    monitor = DeviceMonitor(pa, interval_s=0.0)
    headset, bridge = open_headset(headsets)
    try:
        rig.write_alsa_config('pcm."Desk Phone" { type pulse }\n')
        change = monitor.poll()
    finally:
        bridge.stop()
    assert change is not None and "Desk Phone" in change.added
    assert "Desk Phone" not in [d.name for d in pa.devices()]  # the open streams were untouched
    assert headset.device_name(Role.MICROPHONE) == "default"
    assert os.environ["PULSE_SERVER"] == rig.system.server


def test_portaudio_is_one_per_process() -> None:
    assert portaudio() is portaudio()
    assert isinstance(portaudio(), PortAudio)
