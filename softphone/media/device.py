"""The headset through PortAudio (`sounddevice`): a microphone source and a speaker sink.

The device clock and the bridge clock differ, so each direction has a bounded FIFO between them
that drops the oldest audio when it grows past its bound and plays silence when it runs dry.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from softphone.media.frames import FRAME_BYTES, FRAME_SAMPLES, RATE

log = logging.getLogger("softphone.media")

_SILENCE = bytes(FRAME_BYTES)
_MAX_FRAMES = 6  # 120 ms: the bound on latency the FIFO can add


class DeviceError(OSError):
    """No usable audio device; the message says what to plug in or choose instead."""


class _Fifo:
    """Frames between two clocks; appends and pops are atomic on CPython deques."""

    def __init__(self) -> None:
        self.frames: deque[bytes] = deque(maxlen=_MAX_FRAMES)
        self.underruns = 0
        self.overruns = 0

    def push(self, pcm: bytes) -> None:
        if len(self.frames) == _MAX_FRAMES:
            self.overruns += 1  # the deque drops the oldest frame itself
        self.frames.append(pcm)

    def pop(self) -> bytes:
        try:
            return self.frames.popleft()
        except IndexError:
            self.underruns += 1
            return _SILENCE


class DeviceMic:
    """Captures the default input device; the bridge reads it as a `FrameSource`."""

    def __init__(self, sd: Any) -> None:
        self.fifo = _Fifo()
        self._stream = sd.RawInputStream(
            samplerate=RATE,
            channels=1,
            dtype="int16",
            blocksize=FRAME_SAMPLES,
            callback=self._captured,
        )
        self._stream.start()

    def _captured(self, data: Any, frames: int, _time: Any, _status: Any) -> None:
        """Runs on the PortAudio thread: copy the block into the FIFO, never block."""
        self.fifo.push(bytes(data))

    def read_frame(self) -> bytes:
        """Runs on the bridge clock thread: the oldest captured frame or silence."""
        pcm = self.fifo.pop()
        return pcm if len(pcm) == FRAME_BYTES else _SILENCE

    def close(self) -> None:
        """Stop capturing. Runs on the main thread."""
        self._stream.stop()
        self._stream.close()


class DeviceSpeaker:
    """Plays into the default output device; the bridge writes it as a `FrameSink`."""

    def __init__(self, sd: Any) -> None:
        self.fifo = _Fifo()
        self._stream = sd.RawOutputStream(
            samplerate=RATE,
            channels=1,
            dtype="int16",
            blocksize=FRAME_SAMPLES,
            callback=self._playback,
        )
        self._stream.start()

    def write_frame(self, pcm: bytes) -> None:
        """Runs on the bridge clock thread: queue the frame for the device."""
        self.fifo.push(pcm)

    def _playback(self, out: Any, frames: int, _time: Any, _status: Any) -> None:
        """Runs on the PortAudio thread: hand the device the oldest frame, never block."""
        pcm = self.fifo.pop()
        out[:] = pcm if len(pcm) == len(out) else bytes(len(out))

    def close(self) -> None:
        """Stop playing. Runs on the main thread; idempotent."""
        if self._stream.active:
            self._stream.stop()
        self._stream.close()


def open_device_audio(mic: bool, speaker: bool) -> tuple[DeviceMic | None, DeviceSpeaker | None]:
    """Open the default headset microphone and/or speaker, or say why not."""
    try:
        import sounddevice as sd  # noqa: PLC0415 - importing it needs the PortAudio library
    except OSError as exc:
        raise DeviceError(
            f"audio devices are unavailable ({exc}); install PortAudio (libportaudio2), "
            "or use --mic silence|tone:HZ|FILE and --speaker null|FILE"
        ) from exc
    devices = sd.query_devices()
    if mic and not any(d["max_input_channels"] > 0 for d in devices):
        raise DeviceError(
            "no audio input device found: plug in a headset, or use --mic silence, tone:HZ or FILE"
        )
    if speaker and not any(d["max_output_channels"] > 0 for d in devices):
        raise DeviceError(
            "no audio output device found: plug in a headset, or use --speaker null or FILE"
        )
    try:
        return (DeviceMic(sd) if mic else None, DeviceSpeaker(sd) if speaker else None)
    except sd.PortAudioError as exc:
        raise DeviceError(f"the audio device refused 16 kHz mono 16-bit audio: {exc}") from exc
