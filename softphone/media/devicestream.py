"""One open headset stream (a microphone or a speaker) and its PortAudio real-time callback.

The callback moves one device block between the device and a `DriftFifo`, converting 16-bit
samples to float, filtering when the device runs faster than the bridge, and feeding the level
meter. It never blocks, raises or touches Qt. It also leaves evidence the supervisor uses to tell
whether the device still works: a callback count, the time of the last one, and a flag PortAudio
sets when the stream ends by itself (a device unplugged).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from softphone.media.antialias import LowPass
from softphone.media.devices import AudioDevice, role_name
from softphone.media.fifo import DriftFifo, Samples
from softphone.media.levels import LevelMeter
from softphone.media.portaudio import PortAudio, StreamFormat
from softphone.vocabulary.frames import RATE

START_TIMEOUT_S = 4.0
"""How long a new stream may take to flow steadily (PulseAudio takes 1 to 2 s: it asks for a few
blocks at once, then pauses before the steady flow starts)."""
STALL_TIMEOUT_S = 0.5
"""How long a flowing stream may go without a callback before its device counts as lost."""
STEADY_CALLBACKS = 10
"""Callbacks after which a stream counts as flowing (PulseAudio's start-up burst is 3 to 5)."""


class LiveStream:
    """A started PortAudio stream feeding (microphone) or draining (speaker) its own FIFO.

    Audio only flows once the supervisor sets `live`; until then a microphone's blocks are
    dropped and a speaker plays silence, so a stream on probation never disturbs the call.
    """

    def __init__(
        self,
        pa: PortAudio,
        device: AudioDevice,
        output: bool,
        fmt: StreamFormat,
        meter: LevelMeter,
        *,
        nominal_rate: int | None = None,
    ) -> None:
        self.device = device
        self.output = output
        self.format = fmt
        self.rate = nominal_rate or fmt.rate  # the rate the FIFO assumes the device runs at
        self.fifo = DriftFifo(RATE, self.rate) if output else DriftFifo(self.rate, RATE)
        self._filter = LowPass(self.rate, RATE) if self.rate > RATE else None
        self._meter = meter
        self._pa = pa
        self.live = False  # written by the supervisor thread, read by the callback
        self.callbacks = 0
        self.last_callback = 0.0
        self.xruns = 0  # PortAudio status flags (device-side under/overflows)
        self.errors = 0
        self.last_error = ""
        self.finished = False
        self.released = False
        self._ending = False  # asks the callback to end the stream (see PortAudio.release)
        self._ended = threading.Event()
        self._end = pa.end_callback
        callback = self._playback if output else self._captured
        self._stream = pa.open_stream(device, output, fmt, callback, self._finished)
        self.started_at = time.monotonic()
        pa.start(self._stream, device.name)

    # --- the PortAudio thread ------------------------------------------------------------------

    def _captured(self, indata: Any, frames: int, _time: Any, status: Any) -> None:
        """Queue one microphone block. Runs on the PortAudio thread; must not block or touch Qt."""
        if self._ending:
            raise self._end
        self.last_callback = time.monotonic()
        self.callbacks += 1
        if status:
            self.xruns += 1
        if not self.live:
            return
        try:
            block = np.frombuffer(indata, dtype="<i2").astype(np.float32)
            channels = self.format.channels
            if channels > 1:
                block = block.reshape(-1, channels).mean(axis=1, dtype=np.float32)
            if self._filter is not None:
                block = self._filter(block)
            self._meter.update(block, self.rate)
            self.fifo.push(block)
        except Exception as exc:  # noqa: BLE001 - nothing may escape into PortAudio; counted
            self._fail(exc)

    def _playback(self, outdata: Any, frames: int, _time: Any, status: Any) -> None:
        """Fill one speaker block. Runs on the PortAudio thread; must not block or touch Qt."""
        if self._ending:
            outdata[:] = bytes(len(outdata))
            raise self._end
        self.last_callback = time.monotonic()
        self.callbacks += 1
        if status:
            self.xruns += 1
        if not self.live:
            outdata[:] = bytes(len(outdata))
            return
        try:
            block: Samples = self.fifo.pop(frames)
            if self._filter is not None:
                block = self._filter(block)
            self._meter.update(block, self.rate)
            pcm = np.clip(np.rint(block), -32768, 32767).astype("<i2")
            channels = self.format.channels
            if channels > 1:
                pcm = np.repeat(pcm, channels)
            outdata[:] = pcm.tobytes()
        except Exception as exc:  # noqa: BLE001 - nothing may escape into PortAudio; counted
            outdata[:] = bytes(len(outdata))
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        """Note a failure for the supervisor. Runs on the PortAudio thread."""
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"

    def _finished(self) -> None:
        """PortAudio ended the stream (asked to, or the device went away). PortAudio thread."""
        self.finished = True
        self._ended.set()

    # --- the supervisor and main threads -------------------------------------------------------

    def health(self, now: float) -> str | None:
        """Why this stream no longer works, or None while it does. Supervisor thread."""
        if self.finished and not self.released:
            return "its audio stream ended; was it unplugged?"
        if self.errors:
            return f"processing its audio failed: {self.last_error}"
        if self.callbacks < STEADY_CALLBACKS:
            if now - self.started_at > START_TIMEOUT_S:
                return f"no steady audio from it within {START_TIMEOUT_S:g} s of opening"
            return None
        quiet = now - self.last_callback
        if quiet > STALL_TIMEOUT_S:
            return f"no audio from it for {quiet:.1f} s"
        return None

    def release(self) -> None:
        """Stop the stream and free it; idempotent, never raises. Not from the callback."""
        if self.released:
            return
        self.live = False
        self.released = True
        self._ending = True  # a callback that still comes ends the stream at once
        flowing = time.monotonic() - self.last_callback < STALL_TIMEOUT_S
        if self.finished or flowing:
            self._pa.release(self._stream, self._ended)
        else:
            self._pa.release(self._stream)  # stalled: its thread waits in poll(), not in Python

    @property
    def device_latency_ms(self) -> float:
        """The device's own buffering as PortAudio reports it (comes on top of the FIFO)."""
        return 1000.0 * float(self._stream.latency)

    def describe(self) -> str:
        """The device and format, for logs."""
        fmt = self.format
        return (
            f"{role_name(self.output)} '{self.device.name}' at {fmt.rate} Hz, {fmt.channels} ch, "
            f"{fmt.blocksize}-sample blocks"
        )
