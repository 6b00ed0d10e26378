"""The device monitor: rescans when the list may have changed and reports what changed."""

from __future__ import annotations

from collections.abc import Hashable

from softphone.media.devicemonitor import DeviceMonitor
from softphone.media.devices import AudioDevice, DeviceError
from softphone.media.portaudio import PortAudio, StreamFormat
from tests.unit.test_media_device import FakeDevice, FakeSd


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Signature:
    def __init__(self) -> None:
        self.value = 1

    def __call__(self) -> Hashable:
        return self.value


def monitor(
    sd: FakeSd, probe: list[AudioDevice] | None = None
) -> tuple[DeviceMonitor, Clock, Signature]:
    clock, sig = Clock(), Signature()

    def child_scan() -> list[AudioDevice]:
        if probe is None:
            raise DeviceError("helper failed")
        return probe

    return DeviceMonitor(PortAudio(sd), probe=child_scan, signature=sig, clock=clock), clock, sig


def test_a_headset_plugged_in_is_reported_after_an_in_process_rescan() -> None:
    sd = FakeSd([FakeDevice("default")])
    mon, clock, sig = monitor(sd)
    clock.now = 3.0
    assert mon.poll() is None  # nothing changed on the ALSA side: no rescan at all
    assert sd.rescans == 0
    sd.devices.append(FakeDevice("Jabra Evolve2 40"))
    sig.value, clock.now = 2, 6.0
    change = mon.poll()
    assert change is not None and change.added == ("Jabra Evolve2 40",) and change.removed == ()
    assert sd.rescans == 1
    assert [d.name for d in mon.devices()] == ["default", "Jabra Evolve2 40"]
    assert mon.events.drain() == [change]
    assert change.message == "new audio device 'Jabra Evolve2 40'"


def test_polls_are_rate_limited() -> None:
    sd = FakeSd([FakeDevice("default")])
    mon, clock, sig = monitor(sd)
    sig.value = 2
    clock.now = 1.0
    assert mon.poll() is None and sd.rescans == 0


def test_with_a_stream_open_a_child_process_scans_and_the_list_catches_up_later() -> None:
    sd = FakeSd([FakeDevice("default"), FakeDevice("Jabra")])
    child = [AudioDevice(0, "default", "ALSA", 1, 1, 48000.0)]
    mon, clock, sig = monitor(sd, probe=child)
    pa = mon._pa
    stream = pa.open_stream(pa.devices()[0], True, StreamFormat(16000, 1, 160), print, print)
    sig.value, clock.now = 2, 3.0
    change = mon.poll()
    assert change is not None and change.removed == ("Jabra",)
    assert sd.rescans == 0  # open streams were left alone
    pa.release(stream)
    clock.now = 6.0
    back = mon.poll()  # same ALSA signature, but the list was from the helper: rescan now
    assert back is not None and back.added == ("Jabra",) and sd.rescans == 1


def test_a_failing_scan_keeps_the_old_list() -> None:
    sd = FakeSd([FakeDevice("default")])
    mon, _, _ = monitor(sd, probe=None)
    pa = mon._pa
    stream = pa.open_stream(pa.devices()[0], True, StreamFormat(16000, 1, 160), print, print)
    assert mon.refresh() is None
    assert [d.name for d in mon.devices()] == ["default"]
    pa.release(stream)
