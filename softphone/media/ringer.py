"""The ringtone: a tone cadence (or a WAV file) played on the ringer device while a call rings.

The ringer is its own output stream, usually on a different device than the headset (the desk
speaker, so the agent hears a call with the headset off). Its callback only copies samples from a
precomputed ring cycle; `start` and `stop` are for the main thread and never raise: a ringer that
cannot play says so through the device events and the phone keeps working.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from softphone.media.deviceevents import DeviceEvents, DeviceLost, DeviceUnavailable, Role
from softphone.media.devices import DeviceError, fallback_order
from softphone.media.portaudio import PortAudio, StreamFormat
from softphone.media.sources import load_wav, resample

log = logging.getLogger("softphone.media")

_FADE_S = 0.01  # ramps at each burst's ends, so the cadence does not click


@dataclass(frozen=True)
class RingPattern:
    """A ring cadence: tones summed for `on_s`, then `off_s` of silence (default: the US ring)."""

    tones_hz: tuple[float, ...] = (440.0, 480.0)
    on_s: float = 2.0
    off_s: float = 4.0
    level_db: float = -12.0

    def __post_init__(self) -> None:
        if not self.tones_hz or self.on_s <= 0 or self.off_s < 0 or self.level_db > 0:
            raise ValueError(f"not a usable ring pattern: {self}")


def ring_cycle(pattern: RingPattern, rate: int) -> npt.NDArray[np.float32]:
    """One on/off cycle of the pattern at `rate`, as float32 in 16-bit units."""
    on = round(pattern.on_s * rate)
    t = np.arange(on) / rate
    wave = sum(np.sin(2 * np.pi * hz * t) for hz in pattern.tones_hz) / len(pattern.tones_hz)
    fade = min(round(_FADE_S * rate), on // 2)
    envelope = np.ones(on)
    envelope[:fade] = np.linspace(0.0, 1.0, fade)
    envelope[on - fade :] = np.linspace(1.0, 0.0, fade)
    scale = 32767.0 * 10 ** (pattern.level_db / 20)
    burst = wave * envelope * scale
    cycle = np.concatenate((burst, np.zeros(round(pattern.off_s * rate))))
    return cycle.astype(np.float32)


def wav_cycle(path: Path, rate: int, off_s: float = 2.0) -> npt.NDArray[np.float32]:
    """A WAV ringtone (mixed to mono, resampled) then `off_s` of silence (AudioFileError)."""
    data, file_rate = load_wav(path)
    mono = resample(data.mean(axis=1), file_rate, rate)
    cycle = np.concatenate((mono * 32767.0, np.zeros(round(off_s * rate))))
    return cycle.astype(np.float32)


class Ringer:
    """Plays the ring cycle in a loop on the ringer device between `start` and `stop`."""

    def __init__(
        self,
        pa: PortAudio | Callable[[], PortAudio] | None,
        device_name: str | None = None,
        *,
        pattern: RingPattern | None = None,
        ringtone: Path | None = None,
        fallbacks: tuple[str, ...] = (),
        events: DeviceEvents | None = None,
    ) -> None:
        self._pa = pa  # or how to load it: PortAudio is loaded at the first ring, not before
        self.device_name = device_name
        self.pattern = pattern or RingPattern()
        self.ringtone = ringtone
        self.fallbacks = fallbacks
        self.events = events or DeviceEvents()
        self._stream: Any = None
        self._cycle = np.zeros(1, dtype=np.float32)
        self._pos = 0
        self._channels = 1
        self._finished = False
        self._ending = False
        self._done = threading.Event()
        self._end: type[Exception] = RuntimeError
        self.device: str | None = None  # the device ringing now

    @property
    def ringing(self) -> bool:
        """Whether the ringtone is playing."""
        return self._stream is not None and not self._finished

    def start(self) -> bool:
        """Start ringing from the top of the cycle; False (and an event) if no device can ring.

        Main thread; idempotent while ringing.
        """
        if self.ringing:
            return True
        self.stop()
        try:
            pa = self._portaudio()
            devices = pa.devices()
        except DeviceError as exc:
            self.events.publish(DeviceUnavailable(Role.RINGER, self.device_name, str(exc)))
            return False
        order = fallback_order(devices, True, preferred=self.device_name, fallbacks=self.fallbacks)
        for device in order:
            try:
                fmt = pa.negotiate(device, True, 20.0, "high")
                self._prepare(fmt, pa)
                stream = pa.open_stream(device, True, fmt, self._play, self._stream_ended)
                pa.start(stream, device.name)
            except DeviceError as exc:
                self.events.publish(DeviceUnavailable(Role.RINGER, device.name, str(exc)))
                continue
            self._stream, self.device = stream, device.name
            log.info("ringing on '%s' at %d Hz", device.name, fmt.rate)
            return True
        if not order:
            self.events.publish(
                DeviceUnavailable(Role.RINGER, self.device_name, "no audio output device found")
            )
        return False

    def check(self) -> None:
        """Notice a ringer device that vanished mid-ring and ring elsewhere. Main thread."""
        if self._stream is not None and self._finished:
            lost = self.device or "?"
            self.stop()
            self.events.publish(DeviceLost(Role.RINGER, lost, "its audio stream ended"))
            self.start()

    def stop(self) -> None:
        """Stop ringing. Main thread; idempotent."""
        stream, self._stream = self._stream, None
        self.device = None
        if stream is not None and isinstance(self._pa, PortAudio):
            self._ending = True  # the callback ends the stream itself; see PortAudio.release
            self._pa.release(stream, self._done)

    def _portaudio(self) -> PortAudio:
        """The PortAudio to ring through, loaded now if it was not; DeviceError if none."""
        if self._pa is None:
            raise DeviceError("PortAudio is not installed")
        if not isinstance(self._pa, PortAudio):
            self._pa = self._pa()
        return self._pa

    def _prepare(self, fmt: StreamFormat, pa: PortAudio) -> None:
        if self.ringtone is not None:
            self._cycle = wav_cycle(self.ringtone, fmt.rate, self.pattern.off_s)
        else:
            self._cycle = ring_cycle(self.pattern, fmt.rate)
        self._pos = 0
        self._channels = fmt.channels
        self._finished = False
        self._ending = False
        self._done = threading.Event()
        self._end = pa.end_callback

    def _play(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        """Copy the next `frames` of the cycle. Runs on the PortAudio thread; never blocks."""
        if self._ending:
            outdata[:] = bytes(len(outdata))
            raise self._end
        cycle = self._cycle
        idx = (self._pos + np.arange(frames)) % cycle.shape[0]
        self._pos = (self._pos + frames) % cycle.shape[0]
        pcm = np.clip(np.rint(cycle[idx]), -32768, 32767).astype("<i2")
        if self._channels > 1:
            pcm = np.repeat(pcm, self._channels)
        outdata[:] = pcm.tobytes()

    def _stream_ended(self) -> None:
        """PortAudio ended the stream. Runs on the PortAudio thread."""
        self._finished = True
        self._done.set()
