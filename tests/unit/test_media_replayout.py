"""The replay output's two sides: rate conversion on the main thread, the queue drained by the
PortAudio callback (called here as PortAudio would), over a PortAudio stand-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from softphone.media.devices import AudioDevice
from softphone.media.portaudio import StreamFormat
from softphone.media.replayout import SoundDeviceOutput

RATE = 16000


class StandIn:
    """What SoundDeviceOutput asks of PortAudio: one device that plays `fmt`."""

    def __init__(self, fmt: StreamFormat) -> None:
        self.fmt = fmt
        self.callback: Callable[..., None] | None = None
        self.released = 0

    def devices(self) -> list[AudioDevice]:
        return [AudioDevice(0, "speaker", "ALSA", 0, 2, 48000.0, default_output=True)]

    def negotiate(self, *_args: Any) -> StreamFormat:
        return self.fmt

    def open_stream(self, _device: Any, _output: bool, _fmt: Any, callback: Any, _end: Any) -> str:
        self.callback = callback
        return "stream"

    def start(self, _stream: Any, _name: str) -> None:
        """Nothing to start."""

    def release(self, _stream: Any) -> None:
        self.released += 1

    def pull(self, frames: int) -> np.ndarray:
        """One callback's worth of the device's int16 frames."""
        out = bytearray(frames * self.fmt.channels * 2)
        assert self.callback is not None
        self.callback(memoryview(out), frames, None, None)
        return np.frombuffer(bytes(out), dtype=np.int16).reshape(-1, self.fmt.channels)


def _output(fmt: StreamFormat) -> tuple[SoundDeviceOutput, StandIn]:
    pa = StandIn(fmt)
    out = SoundDeviceOutput(pa=pa)  # type: ignore[arg-type]
    out.open(RATE)
    return out, pa


def test_blocks_at_16khz_come_out_at_48khz_as_one_smooth_tone() -> None:
    out, pa = _output(StreamFormat(48000, 2, 960))
    t = np.arange(RATE) / RATE
    tone = np.repeat((0.5 * np.sin(2 * np.pi * 440 * t))[:, None], 2, axis=1).astype(np.float32)
    for start in range(0, RATE, 320):  # 20 ms blocks, as the player writes them
        out.write(tone[start : start + 320])
    assert out.queued_s() == pytest.approx(1.0, abs=0.001)
    heard = np.concatenate([pa.pull(960) for _ in range(50)])[:, 0] / 32767
    assert out.queued_s() == pytest.approx(0.0, abs=0.001)
    # Interpolation reaches back to the frame before each block: one input frame of delay.
    at = np.arange(len(heard)) / 48000 - 1 / RATE
    expected = 0.5 * np.sin(2 * np.pi * 440 * at)
    assert float(np.max(np.abs(heard[3:] - expected[3:]))) < 0.01  # no seam at any block


def test_an_empty_queue_plays_silence_and_a_clear_drops_what_was_queued() -> None:
    out, pa = _output(StreamFormat(RATE, 1, 320))
    assert not pa.pull(320).any()
    out.write(np.full((800, 2), 0.25, dtype=np.float32))
    first = pa.pull(320)
    assert (first == round(0.25 * 32767)).all()  # mono: both parties mixed
    out.clear()
    assert out.queued_s() == 0.0
    assert not pa.pull(320).any()  # the half-played block went too
    out.close()
    assert pa.released == 1
