"""Device choice by name, format negotiation and the bad-input paths, on a fake PortAudio.

`FakeSd` stands in for the `sounddevice` module: it lists made-up devices, refuses formats or
whole devices on request, and its streams call their callbacks from a thread at the device's
pace until a test unplugs or stalls them. Other device tests import it from here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from softphone.media import device as device_module
from softphone.media.deviceevents import DeviceSwitched, DeviceUnavailable, Role
from softphone.media.devices import (
    AudioDevice,
    DeviceError,
    fallback_order,
    find_device,
    parse_devices,
)
from softphone.media.headset import Headset, HeadsetConfig
from softphone.media.portaudio import PortAudio

PA_INVALID_SAMPLE_RATE = -9997
PA_HOST_ERROR = -9999


class FakeCallbackAbortError(Exception):
    """Like `sounddevice.CallbackAbort`: a callback raises it to end its stream."""


class FakePortAudioError(Exception):
    """Like `sounddevice.PortAudioError`: args are (message, PortAudio error code)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class FakeDevice:
    """A made-up device; `rates` it accepts (None: any), `broken` refuses to open at all."""

    name: str
    inputs: int = 1
    outputs: int = 1
    default_rate: float = 48000.0
    rates: tuple[int, ...] | None = None
    broken: bool = False


class FakeStream:
    """A raw stream; once started a thread calls back at the device's pace."""

    def __init__(self, sd: FakeSd, output: bool, **kw: Any) -> None:
        self.sd, self.output = sd, output
        self.device: FakeDevice = sd.devices[kw["device"]]
        self.rate: int = kw["samplerate"]
        self.blocksize: int = kw["blocksize"]
        self.channels: int = kw["channels"]
        self.callback: Callable[..., None] = kw["callback"]
        self.finished: Callable[[], None] = kw["finished_callback"]
        self.running = threading.Event()
        self.closed = False
        self.aborted = False
        self.played: list[bytes] = []
        self.latency = 2 * self.blocksize / self.rate  # what PortAudio reports, in seconds
        self._thread: threading.Thread | None = None
        self._sent = 0

    def start(self) -> None:
        self.running.set()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        period = self.blocksize / self.rate
        due = time.monotonic()
        while self.running.is_set() and not self.closed:
            try:
                self.block()
            except FakeCallbackAbortError:
                self.running.clear()
                self.finished()
                return
            due += period
            time.sleep(max(0.0, due - time.monotonic()))

    def block(self) -> None:
        """One callback, as PortAudio would make it."""
        size = self.blocksize * self.channels * 2
        if self.output:
            out = bytearray(size)
            self.callback(memoryview(out), self.blocksize, None, 0)
            self.played.append(bytes(out))
            return
        t = (self._sent + np.arange(self.blocksize)) / self.rate
        self._sent += self.blocksize
        mono = np.rint(8000 * np.sin(2 * np.pi * self.sd.mic_hz * t)).astype("<i2")
        self.callback(np.repeat(mono, self.channels).tobytes(), self.blocksize, None, 0)

    def unplug(self) -> None:
        """The device goes away: no more callbacks, and PortAudio ends the stream."""
        self.running.clear()
        self.finished()

    def stall(self) -> None:
        """The device stops delivering but the stream stays open."""
        self.running.clear()

    def abort(self) -> None:
        self.aborted = True
        self.running.clear()

    def stop(self) -> None:
        self.running.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(1.0)

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeSd:
    """The part of the `sounddevice` module the app uses."""

    devices: list[FakeDevice]
    default_in: int = 0
    default_out: int = 0
    mic_hz: float = 1000.0
    streams: list[FakeStream] = field(default_factory=list)
    rescans: int = 0
    PortAudioError: type[Exception] = FakePortAudioError
    CallbackAbort: type[Exception] = FakeCallbackAbortError

    def query_devices(self, kind: str | None = None) -> Any:
        if kind is not None:
            index = self.default_in if kind == "input" else self.default_out
            if not 0 <= index < len(self.devices):
                raise FakePortAudioError("no default device", -9996)
            return self._info(index)
        return [self._info(i) for i in range(len(self.devices))]

    def _info(self, i: int) -> dict[str, Any]:
        d = self.devices[i]
        return {
            "index": i,
            "name": d.name,
            "hostapi": 0,
            "max_input_channels": d.inputs,
            "max_output_channels": d.outputs,
            "default_samplerate": d.default_rate,
        }

    def query_hostapis(self) -> list[dict[str, Any]]:
        return [{"name": "ALSA", "default_input_device": 0, "default_output_device": 0}]

    def _check(self, device: int, samplerate: float, channels: int) -> None:
        d = self.devices[device]
        if d.broken:
            raise FakePortAudioError("Unanticipated host error: Input/output error", PA_HOST_ERROR)
        if d.rates is not None and samplerate not in d.rates:
            raise FakePortAudioError("Invalid sample rate", PA_INVALID_SAMPLE_RATE)

    def check_input_settings(
        self, *, device: int, channels: int, dtype: str, samplerate: float
    ) -> None:
        self._check(device, samplerate, channels)

    def check_output_settings(
        self, *, device: int, channels: int, dtype: str, samplerate: float
    ) -> None:
        self._check(device, samplerate, channels)

    def RawInputStream(self, **kw: Any) -> FakeStream:
        return self._open(False, kw)

    def RawOutputStream(self, **kw: Any) -> FakeStream:
        return self._open(True, kw)

    def _open(self, output: bool, kw: dict[str, Any]) -> FakeStream:
        self._check(kw["device"], kw["samplerate"], kw["channels"])
        stream = FakeStream(self, output, **kw)
        self.streams.append(stream)
        return stream

    def _terminate(self) -> None:
        self.rescans += 1

    def _initialize(self) -> None:
        pass

    def live(self, name: str, output: bool) -> FakeStream:
        """The newest open stream on the device called `name`."""
        for stream in reversed(self.streams):
            if stream.device.name == name and stream.output == output and not stream.closed:
                return stream
        raise AssertionError(f"no open stream on {name!r}")


HEADSET = FakeDevice("USB Headset: Audio (hw:1,0)", default_rate=16000.0)
LAPTOP = FakeDevice("default", inputs=2, outputs=2)


@pytest.fixture
def fake_sd() -> FakeSd:
    return FakeSd([FakeDevice("USB Headset: Audio (hw:1,0)", default_rate=16000.0), LAPTOP])


@pytest.fixture
def headsets() -> Iterator[list[Headset]]:
    """Headsets a test opened; all closed afterwards."""
    opened: list[Headset] = []
    yield opened
    for headset in opened:
        headset.close()


def open_headset(
    sd: FakeSd, opened: list[Headset], *, strict: bool = False, **config: Any
) -> Headset:
    headset = Headset.open(
        PortAudio(sd), HeadsetConfig(**config), mic=True, speaker=True, strict=strict
    )
    opened.append(headset)
    return headset


# --- choosing devices by name -------------------------------------------------------------------


def devices() -> list[AudioDevice]:
    raw = [
        {"index": 0, "name": "HDA Intel PCH: ALC257 Analog (hw:0,0)", "hostapi": 0,
         "max_input_channels": 2, "max_output_channels": 2, "default_samplerate": 44100.0},
        {"index": 1, "name": "Jabra Evolve2 40: USB Audio (hw:1,0)", "hostapi": 0,
         "max_input_channels": 1, "max_output_channels": 2, "default_samplerate": 48000.0},
        {"index": 2, "name": "pulse", "hostapi": 0, "max_input_channels": 32,
         "max_output_channels": 32, "default_samplerate": 44100.0},
        {"index": 3, "name": "default", "hostapi": 0, "max_input_channels": 32,
         "max_output_channels": 32, "default_samplerate": 44100.0},
        {"index": 4, "name": "HDMI 0", "hostapi": 0, "max_input_channels": 0,
         "max_output_channels": 8, "default_samplerate": 48000.0},
    ]  # fmt: skip
    return parse_devices(raw, [{"name": "ALSA"}], default_input=3, default_output=3)


def test_a_device_is_found_by_part_of_its_name_case_insensitively() -> None:
    assert find_device(devices(), "jabra", output=False).index == 1
    assert find_device(devices(), "Jabra Evolve2 40: USB Audio (hw:1,0)", output=True).index == 1


def test_an_exact_name_wins_over_a_longer_one_containing_it() -> None:
    monitor = {"index": 5, "name": "pulse monitor", "hostapi": 0, "max_input_channels": 1,
               "max_output_channels": 0, "default_samplerate": 16000.0}  # fmt: skip
    listed = [*devices(), *parse_devices([monitor], [{"name": "ALSA"}])]
    assert find_device(listed, "pulse", output=False).name == "pulse"


def test_no_name_means_the_system_default() -> None:
    assert find_device(devices(), None, output=False).name == "default"


def test_a_device_without_channels_that_way_does_not_count() -> None:
    with pytest.raises(DeviceError, match="no audio microphone called 'HDMI'; available: "):
        find_device(devices(), "HDMI", output=False)
    assert find_device(devices(), "HDMI", output=True).index == 4


def test_no_device_at_all_is_a_clear_error() -> None:
    with pytest.raises(DeviceError, match="no audio speaker found: plug in a headset"):
        find_device([], None, output=True)


def test_fallback_order_is_preferred_then_named_then_default_then_sound_server() -> None:
    order = fallback_order(devices(), False, preferred="jabra", fallbacks=("ALC257",))
    assert [d.index for d in order] == [1, 0, 3, 2]
    after_loss = fallback_order(
        devices(), False, preferred="jabra", exclude=["Jabra Evolve2 40: USB Audio (hw:1,0)"]
    )
    assert [d.name for d in after_loss] == ["default", "pulse"]


# --- negotiating a format -------------------------------------------------------------------------


def test_a_device_that_refuses_16_khz_is_opened_at_its_own_rate(
    headsets: list[Headset],
) -> None:
    sd = FakeSd([FakeDevice("Headset 48k", rates=(48000,))])
    headset = open_headset(sd, headsets)
    assert headset.stats()[Role.MICROPHONE].rate == 48000
    assert sd.live("Headset 48k", False).rate == 48000


def test_a_device_that_refuses_every_rate_says_so_and_the_call_gets_silence(
    headsets: list[Headset],
) -> None:
    sd = FakeSd([FakeDevice("Odd Headset", rates=(96000,), default_rate=96000.0)])
    sd.devices[0].rates = (11025,)  # not one the softphone tries
    headset = open_headset(sd, headsets)
    events = headset.events.drain()
    unavailable = [e for e in events if isinstance(e, DeviceUnavailable)]
    assert unavailable and "refused every sample format tried" in unavailable[0].reason
    assert "16000 Hz" in unavailable[0].reason and "choose another device" in unavailable[0].reason
    assert any(isinstance(e, DeviceSwitched) and e.device is None for e in events)
    assert headset.mic is not None and headset.mic.read_frame() == bytes(640)


def test_strict_opening_raises_the_device_error(headsets: list[Headset]) -> None:
    sd = FakeSd([FakeDevice("Odd Headset", rates=(11025,))])
    with pytest.raises(DeviceError, match="'Odd Headset' refused every sample format"):
        open_headset(sd, headsets, strict=True)
    with pytest.raises(DeviceError, match="microphone 'Jabra' unavailable: no such device"):
        open_headset(FakeSd([LAPTOP]), headsets, strict=True, input_name="Jabra")


def test_a_broken_device_is_reported_as_not_openable_not_as_a_format_problem(
    headsets: list[Headset],
) -> None:
    sd = FakeSd([FakeDevice("Dead Headset", broken=True), LAPTOP], default_in=1, default_out=1)
    headset = open_headset(sd, headsets, input_name="Dead")
    unavailable = [e for e in headset.events.drain() if isinstance(e, DeviceUnavailable)]
    assert "could not be opened: Unanticipated host error" in unavailable[0].reason
    assert headset.device_name(Role.MICROPHONE) == "default"


def test_no_device_at_all_leaves_working_silent_ports(headsets: list[Headset]) -> None:
    headset = open_headset(FakeSd([]), headsets)
    assert headset.mic is not None and headset.speaker is not None
    assert headset.mic.read_frame() == bytes(640)
    headset.speaker.write_frame(bytes(640))  # accepted and dropped, no error
    messages = [e.message for e in headset.events.drain()]
    assert (
        "no working microphone: the customer hears silence; plug in a headset or choose a device"
        in messages
    )


def test_without_portaudio_the_call_still_gets_silent_ports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing() -> PortAudio:
        raise DeviceError("audio devices are unavailable (no libportaudio); install PortAudio")

    monkeypatch.setattr(device_module, "portaudio", missing)
    mic, speaker = device_module.open_device_audio(True, True)
    assert mic is not None and speaker is not None
    assert mic.read_frame() == bytes(640)
    speaker.close()
    mic.close()
    with pytest.raises(DeviceError, match="install PortAudio"):
        device_module.open_device_audio(True, False, strict=True)


def test_the_clock_skew_knob_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPHONE_DEVICE_CLOCK_SKEW", "fast")
    with pytest.raises(DeviceError, match=r"not a fraction between -0\.1 and 0\.1"):
        device_module.open_device_audio(True, True)


def test_the_clock_skew_knob_opens_devices_off_nominal(headsets: list[Headset]) -> None:
    sd = FakeSd([HEADSET])
    open_headset(sd, headsets, clock_skew=0.01)
    assert sd.live(HEADSET.name, False).rate == 16160
