"""The supervised headset on a fake PortAudio: audio flow, taps, loss, fallback, return, mute."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from softphone.media.analysis import dominant_frequency, tone_level_db
from softphone.media.deviceevents import (
    DeviceEvent,
    DeviceLost,
    DeviceRestored,
    DeviceSwitched,
    Role,
)
from softphone.media.headset import Headset
from softphone.media.headsetports import HeadsetMic, HeadsetSpeaker
from softphone.media.sinks import CaptureSink
from softphone.media.sources import ToneSource
from softphone.vocabulary.frames import FRAME_BYTES, FRAME_SAMPLES, RATE
from tests.unit.test_media_device import HEADSET, LAPTOP, FakeDevice, FakeSd, open_headset

HEADSET_NAME = HEADSET.name


class Bridge:
    """Stands in for the pjsua2 clock thread: one mic read and one speaker write every 20 ms."""

    def __init__(self, mic: HeadsetMic, speaker: HeadsetSpeaker) -> None:
        self.mic, self.speaker = mic, speaker
        self.sent: list[bytes] = []  # what read_frame returned: to the customer
        self.written: list[bytes] = []  # what write_frame was given: from the customer
        self.errors: list[BaseException] = []
        self._tone = ToneSource(440.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            try:
                self.sent.append(self.mic.read_frame())
                frame = self._tone.read_frame()
                self.written.append(frame)
                self.speaker.write_frame(frame)
            except Exception as exc:  # noqa: BLE001 - recorded: the test asserts there were none
                self.errors.append(exc)
            due += 0.02
            time.sleep(max(0.0, due - time.monotonic()))

    def recent(self, seconds: float) -> np.ndarray:
        frames = self.sent[-int(seconds * 50) :]
        return np.frombuffer(b"".join(frames), dtype="<i2").astype(np.float64) / 32768.0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)


@pytest.fixture
def running() -> Iterator[Callable[[FakeSd], tuple[Headset, Bridge]]]:
    opened: list[Headset] = []
    bridges: list[Bridge] = []

    def start(sd: FakeSd, **config: Any) -> tuple[Headset, Bridge]:
        headset = open_headset(sd, opened, **config)
        assert headset.mic is not None and headset.speaker is not None
        bridge = Bridge(headset.mic, headset.speaker)
        bridges.append(bridge)
        return headset, bridge

    yield start
    for bridge in bridges:
        bridge.stop()
        assert bridge.errors == []
    for headset in opened:
        headset.close()


_backlog: dict[int, list[DeviceEvent]] = {}


def wait_for(
    headset: Headset, kind: type[DeviceEvent], timeout: float
) -> tuple[DeviceEvent, float]:
    """The next event of `kind` and how long it took to come; later ones stay for next time."""
    start = time.monotonic()
    backlog = _backlog.setdefault(id(headset), [])
    seen: list[DeviceEvent] = []
    while True:
        backlog.extend(headset.events.drain())
        while backlog:
            event = backlog.pop(0)
            seen.append(event)
            if isinstance(event, kind):
                return event, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"no {kind.__name__} within {timeout} s; saw {seen}")
        time.sleep(0.02)


def two_devices() -> FakeSd:
    return FakeSd([FakeDevice(HEADSET_NAME, default_rate=16000.0), LAPTOP], 1, 1)


def test_microphone_audio_reaches_the_bridge(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    headset, bridge = running(two_devices(), input_name="USB Headset", output_name="USB Headset")
    time.sleep(1.0)
    heard = bridge.recent(0.5)
    # Drift correction drops or repeats single samples, which moves a tone by up to ~1 %.
    assert dominant_frequency(heard, RATE) == pytest.approx(1000.0, abs=10.0)
    assert tone_level_db(heard, RATE, 1000.0) == pytest.approx(20 * np.log10(8000 / 32768), abs=1.0)
    stats = headset.stats()[Role.MICROPHONE]
    assert stats.device == HEADSET_NAME and stats.fifo is not None
    assert stats.underruns == 0 and stats.overruns == 0
    assert stats.fifo.latency_ms < 25.0


def test_the_speaker_plays_what_the_bridge_wrote(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    sd = two_devices()
    running(sd, output_name="USB Headset")
    time.sleep(1.0)
    played = np.frombuffer(b"".join(sd.live(HEADSET_NAME, True).played[-40:]), dtype="<i2")
    assert dominant_frequency(played.astype(np.float64) / 32768, RATE) == pytest.approx(440, abs=5)


def test_taps_see_exactly_what_was_sent_and_received_even_across_a_device_loss(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    sd = two_devices()
    headset, bridge = running(sd, input_name="USB Headset", output_name="USB Headset")
    assert headset.mic is not None and headset.speaker is not None
    time.sleep(0.1)
    start_sent, start_written = len(bridge.sent), len(bridge.written)
    agent, customer = CaptureSink(), CaptureSink()
    headset.mic.tap, headset.speaker.tap = agent, customer
    time.sleep(0.6)
    sd.live(HEADSET_NAME, False).unplug()
    wait_for(headset, DeviceSwitched, 2.0)
    time.sleep(0.6)
    headset.mic.tap = headset.speaker.tap = None
    time.sleep(0.05)
    sent = b"".join(bridge.sent[start_sent : start_sent + agent.frames_written])
    written = b"".join(bridge.written[start_written : start_written + customer.frames_written])
    assert agent.frames_written > 50
    assert agent.samples().tobytes() == sent  # sample for sample, silence included
    assert customer.samples().tobytes() == written
    # Both taps are driven by the same bridge ticks, so the channels stay aligned.
    assert abs(customer.frames_written - agent.frames_written) <= 1
    assert len(sent) == agent.frames_written * FRAME_BYTES


def test_an_unplugged_microphone_is_noticed_within_2_s_and_replaced(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    sd = two_devices()
    headset, bridge = running(sd, input_name="USB Headset", output_name="USB Headset")
    time.sleep(0.5)
    sd.devices[0].broken = True  # gone: it cannot be reopened either
    sd.live(HEADSET_NAME, False).unplug()
    lost, noticed = wait_for(headset, DeviceLost, 2.0)
    assert noticed < 2.0
    assert isinstance(lost, DeviceLost) and lost.role is Role.MICROPHONE
    assert "was it unplugged?" in lost.message
    switched, _ = wait_for(headset, DeviceSwitched, 2.0)
    assert isinstance(switched, DeviceSwitched) and switched.device == "default"
    sd.mic_hz = 1200.0  # the fallback microphone hears something else
    time.sleep(1.5)
    # Within 1 %: a new device's FIFO settles its fill by reading up to 0.5 % fast or slow.
    assert dominant_frequency(bridge.recent(0.4), RATE) == pytest.approx(1200.0, rel=0.01)
    assert headset.device_name(Role.SPEAKER) == HEADSET_NAME  # the speaker was not touched


def test_a_stalled_device_is_noticed_and_the_headset_comes_back_when_it_works(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    sd = two_devices()
    headset, _ = running(sd, input_name="USB Headset", output_name="USB Headset")
    time.sleep(0.5)
    sd.live(HEADSET_NAME, True).stall()
    lost, noticed = wait_for(headset, DeviceLost, 2.0)
    assert isinstance(lost, DeviceLost) and lost.role is Role.SPEAKER
    assert "no audio from it for" in lost.reason
    assert noticed < 1.5
    wait_for(headset, DeviceSwitched, 2.0)
    assert headset.device_name(Role.SPEAKER) == "default"
    restored, _ = wait_for(headset, DeviceRestored, 6.0)  # the retry finds it working again
    assert isinstance(restored, DeviceRestored) and restored.device == HEADSET_NAME
    assert headset.device_name(Role.SPEAKER) == HEADSET_NAME
    assert headset.stats()[Role.SPEAKER].switches == 2


def test_with_no_device_left_the_call_gets_silence_and_the_agent_is_told(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    sd = FakeSd([FakeDevice(HEADSET_NAME, default_rate=16000.0)])
    headset, bridge = running(sd)
    time.sleep(0.5)
    sd.devices[0].broken = True
    sd.live(HEADSET_NAME, False).unplug()
    switched, _ = wait_for(headset, DeviceSwitched, 2.0)
    assert isinstance(switched, DeviceSwitched) and switched.device is None
    assert "the customer hears silence" in switched.message
    time.sleep(0.3)
    assert not bridge.recent(0.2).any()


def test_mute_sends_silence_but_the_meter_still_shows_the_voice(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    headset, bridge = running(two_devices(), input_name="USB Headset")
    time.sleep(0.8)
    headset.set_muted(True)
    time.sleep(0.3)
    assert not bridge.recent(0.2).any()
    assert headset.levels()[Role.MICROPHONE].rms_db > -20.0
    headset.set_muted(False)
    time.sleep(0.3)
    assert dominant_frequency(bridge.recent(0.2), RATE) == pytest.approx(1000.0, abs=10.0)


def test_levels_update_more_than_10_times_a_second(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    headset, _ = running(two_devices(), input_name="USB Headset", output_name="USB Headset")
    time.sleep(0.5)
    before = headset.levels()
    time.sleep(1.0)
    after = headset.levels()
    for role in (Role.MICROPHONE, Role.SPEAKER):
        assert after[role].updates - before[role].updates >= 10
    # The mic tone is 8000/32768 in amplitude: -12.2 dBFS peak, -15.3 dBFS RMS.
    assert after[Role.MICROPHONE].peak_db == pytest.approx(-12.2, abs=0.5)
    assert after[Role.MICROPHONE].rms_db == pytest.approx(-15.3, abs=0.5)
    assert after[Role.SPEAKER].rms_db == pytest.approx(-13.5, abs=0.7)  # the 0.3 tone


def test_closing_with_a_stalled_device_does_not_hang(
    running: Callable[..., tuple[Headset, Bridge]],
) -> None:
    sd = two_devices()
    headset, _ = running(sd, input_name="USB Headset", output_name="USB Headset")
    time.sleep(0.3)
    for stream in sd.streams:
        stream.stall()
    started = time.monotonic()
    headset.close()
    assert time.monotonic() - started < 1.0
    assert all(stream.closed for stream in sd.streams)
    assert headset.mic is not None and headset.mic.read_frame() == bytes(2 * FRAME_SAMPLES)


def test_a_driver_that_never_closes_a_stream_does_not_hang_the_app(
    running: Callable[..., tuple[Headset, Bridge]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sd = two_devices()
    headset, _ = running(sd, input_name="USB Headset", output_name="USB Headset")
    time.sleep(0.3)
    wedged = threading.Event()
    for stream in sd.streams:
        monkeypatch.setattr(stream, "stop", lambda: wedged.wait(30))
        monkeypatch.setattr(stream, "abort", lambda: wedged.wait(30))
    started = time.monotonic()
    try:
        headset.close()
        took = time.monotonic() - started
    finally:
        wedged.set()  # let the abandoned closing threads finish
    assert took < 5.0
    assert headset._pa is not None and headset._pa.hung_streams == 2
    assert not headset._pa.rescan()  # PortAudio is not re-initialised under a hung stream
