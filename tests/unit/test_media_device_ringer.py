"""The ringtone: its cadence, and playing it on the ringer device with a fallback."""

from __future__ import annotations

import time

import numpy as np
import pytest

from softphone.media.analysis import tone_level_db
from softphone.media.deviceevents import DeviceUnavailable, Role
from softphone.media.portaudio import PortAudio
from softphone.media.ringer import Ringer, RingPattern, ring_cycle
from tests.unit.test_media_device import FakeDevice, FakeSd


def test_the_default_cadence_is_440_plus_480_hz_two_seconds_on_four_off() -> None:
    cycle = ring_cycle(RingPattern(), 16000) / 32768
    assert cycle.shape == (6 * 16000,)
    on, off = cycle[1600 : 2 * 16000 - 1600], cycle[2 * 16000 + 10 :]
    assert tone_level_db(on, 16000, 440.0) == pytest.approx(-18.0, abs=0.5)
    assert tone_level_db(on, 16000, 480.0) == pytest.approx(-18.0, abs=0.5)
    assert not off.any()
    assert abs(cycle[0]) < 1e-3 and abs(cycle[2 * 16000 - 1]) < 1e-3  # faded, no clicks


def test_a_pattern_that_cannot_ring_is_refused() -> None:
    with pytest.raises(ValueError, match="not a usable ring pattern"):
        RingPattern(tones_hz=())


def test_the_ringer_plays_on_its_own_device_and_stops() -> None:
    sd = FakeSd([FakeDevice("USB Headset", rates=(48000,)), FakeDevice("Desk Speaker")])
    ringer = Ringer(PortAudio(sd), "Desk", pattern=RingPattern(on_s=0.2, off_s=0.2))
    assert ringer.start() and ringer.ringing and ringer.device == "Desk Speaker"
    time.sleep(0.6)
    stream = sd.live("Desk Speaker", True)
    played = np.frombuffer(b"".join(stream.played), dtype="<i2") / 32768
    rate = stream.rate
    assert tone_level_db(played[: int(0.2 * rate)], rate, 440.0) > -25.0
    assert not played[int(0.21 * rate) : int(0.39 * rate)].any()
    ringer.stop()
    assert not ringer.ringing and stream.closed
    ringer.stop()  # idempotent


def test_a_ringer_device_that_fails_falls_back_and_says_so() -> None:
    sd = FakeSd([FakeDevice("Desk Speaker", broken=True), FakeDevice("default")], 1, 1)
    ringer = Ringer(PortAudio(sd), "Desk Speaker")
    assert ringer.start() and ringer.device == "default"
    events = ringer.events.drain()
    assert isinstance(events[0], DeviceUnavailable) and events[0].role is Role.RINGER
    ringer.stop()


def test_with_nothing_to_ring_on_start_returns_false_and_never_raises() -> None:
    ringer = Ringer(PortAudio(FakeSd([])))
    assert not ringer.start()
    assert "no audio output device found" in ringer.events.drain()[0].message
    assert not Ringer(None).start()
