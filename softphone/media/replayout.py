"""The sound card side of QA replay: an `AudioOutput` on the default PortAudio output.

The main thread writes float32 stereo blocks at the recording's rate; they are converted to the
device's rate and channels there and queued. The PortAudio callback only takes queued blocks
(a deque's appends and pops are atomic), and each counter is written by one side only.
"""

from __future__ import annotations

import collections
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from softphone.media.devices import DeviceError, find_device
from softphone.media.portaudio import PortAudio, StreamFormat, portaudio
from softphone.media.stretch import Block

BLOCK_MS = 20.0


class SoundDeviceOutput:
    """Replays through the default output device (or the one named), see the module docstring."""

    def __init__(self, device: str | None = None, pa: PortAudio | None = None) -> None:
        self._name = device
        self._pa = pa
        self._stream: Any = None
        self._format = StreamFormat(0, 0, 0)
        self._ratio = 1.0
        self._phase = 0.0
        self._last = np.zeros((1, 2), dtype=np.float32)
        self._queue: collections.deque[npt.NDArray[np.int16]] = collections.deque()
        self._written = 0  # device frames queued so far (main thread)
        self._cleared_at = 0  # `_written` when the queue was last cleared (main thread)
        self._generation = 0  # bumped by every clear (main thread)
        self._played = 0  # device frames taken (PortAudio thread)
        self._seen = 0  # the generation the callback last saw (PortAudio thread)
        self._pending = np.zeros((0, 1), dtype=np.int16)  # a block half played (PortAudio thread)
        self._ended = threading.Event()

    def open(self, rate: int) -> None:
        """Open and start the output for audio at `rate`; DeviceError when it cannot."""
        pa = self._pa or portaudio()
        self._pa = pa
        device = find_device(pa.devices(), self._name, output=True)
        self._format = pa.negotiate(device, True, BLOCK_MS, "high")
        self._ratio = self._format.rate / rate
        self._pending = np.zeros((0, self._format.channels), dtype=np.int16)
        self._stream = pa.open_stream(device, True, self._format, self._callback, self._ended.set)
        pa.start(self._stream, device.name)

    def write(self, block: Block) -> None:
        """Queue `block` (float32 stereo at the opened rate) to be played; never blocks."""
        if self._stream is None:
            raise DeviceError("the replay output is not open")
        audio = self._resample(block)
        if self._format.channels == 1:
            audio = audio.mean(axis=1, keepdims=True)
        pcm = np.clip(np.rint(audio * 32767.0), -32768, 32767).astype(np.int16)
        self._written += len(pcm)
        self._queue.append(pcm)

    def queued_s(self) -> float:
        """How much of what was written is still to be heard."""
        left = self._written - max(self._played, self._cleared_at)
        return max(0, left) / self._format.rate if self._format.rate else 0.0

    def clear(self) -> None:
        """Drop what is queued; the callback drops its half-played block too."""
        self._queue.clear()
        self._cleared_at = self._written
        self._generation += 1
        self._phase = 0.0

    def close(self) -> None:
        """Stop the stream and let the device go; idempotent."""
        if self._stream is not None and self._pa is not None:
            self._pa.release(self._stream)
        self._stream = None
        self._queue.clear()

    def _resample(self, block: Block) -> Block:
        """`block` at the device's rate, by linear interpolation continued across blocks."""
        if self._ratio == 1.0 or len(block) == 0:
            return block
        joined = np.concatenate([self._last, block])
        at = np.arange(self._phase, len(block), 1.0 / self._ratio)
        grid = np.arange(len(joined))
        out = np.stack([np.interp(at, grid, joined[:, c]) for c in range(2)], axis=1)
        self._phase = float(at[-1] + 1.0 / self._ratio - len(block)) if len(at) else 0.0
        self._last = block[-1:]
        return out.astype(np.float32)

    def _callback(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        """Fill one device block from the queue. Runs on the PortAudio thread; must not block
        or touch Qt."""
        channels = self._format.channels
        if self._seen != self._generation:
            self._seen = self._generation
            self._pending = np.zeros((0, channels), dtype=np.int16)
            self._played = max(self._played, self._cleared_at)
        parts = [self._pending]
        have = len(self._pending)
        while have < frames and self._queue:
            part = self._queue.popleft()
            parts.append(part)
            have += len(part)
        joined = np.concatenate(parts) if len(parts) > 1 else self._pending
        out, self._pending = joined[:frames], joined[frames:]
        self._played += len(out)
        data = out.tobytes()
        outdata[:] = data + bytes(len(outdata) - len(data))
