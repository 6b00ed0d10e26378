"""Replaying a recording for QA: which channel is heard, how loud, how fast (pitch kept).

A recording is stereo, left the agent and right the customer (docs/recording-format.md). A
`ReplayCursor` reads it block by block on the main thread, mixed and stretched, for an
`AudioOutput` to play; `render` does the same for a whole part at once.
"""

from __future__ import annotations

import enum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from softphone.media.stretch import Block, TimeStretcher, stretch

Pcm = npt.NDArray[np.int16]
"""A recording's frames: int16, frames x 2 (agent, customer)."""


class Channel(enum.Enum):
    """Whom to hear: one party on both ears, or both parties, each on their own side."""

    AGENT = "agent"
    CUSTOMER = "customer"
    BOTH = "both"


def mix(samples: Pcm, channel: Channel, gains: tuple[float, float] = (1.0, 1.0)) -> Block:
    """`samples` as float32 stereo for the ears: `channel` chosen, agent and customer scaled."""
    audio = samples.astype(np.float32) / 32768.0 * np.asarray(gains, dtype=np.float32)
    if channel is Channel.AGENT:
        return np.repeat(audio[:, :1], 2, axis=1)
    if channel is Channel.CUSTOMER:
        return np.repeat(audio[:, 1:], 2, axis=1)
    return audio


def render(
    samples: Pcm,
    rate: int,
    channel: Channel = Channel.BOTH,
    speed: float = 1.0,
    gains: tuple[float, float] = (1.0, 1.0),
) -> Block:
    """A whole part of a recording as heard: mixed for `channel`, at `speed` with pitch kept."""
    return stretch(mix(samples, channel, gains), rate, speed)


class AudioOutput(Protocol):
    """Where replayed audio goes: a sound card, or a fake in tests. Main thread only."""

    def open(self, rate: int) -> None:
        """Get ready to play float32 stereo at `rate`; DeviceError when no output can."""

    def write(self, block: Block) -> None:
        """Queue `block` to be played after what is queued; never blocks."""

    def queued_s(self) -> float:
        """How much of what was written is still to be heard."""

    def clear(self) -> None:
        """Drop what is queued (a pause, a seek)."""

    def close(self) -> None:
        """Stop playing and let the device go."""


class ReplayCursor:
    """A position in a recording and how it is heard from there; read by the main thread."""

    def __init__(self, samples: Pcm, rate: int) -> None:
        self.samples = samples
        self.rate = rate
        self.channel = Channel.BOTH
        self.gains = (1.0, 1.0)
        self._frame = 0
        self._stretcher = TimeStretcher(2, rate)

    @property
    def duration_s(self) -> float:
        """How long the audio is at speed 1."""
        return len(self.samples) / self.rate

    @property
    def position_s(self) -> float:
        """Where in the audio the next block starts."""
        return self._frame / self.rate

    @property
    def finished(self) -> bool:
        """Whether the audio has been read to its end."""
        return self._frame >= len(self.samples)

    @property
    def speed(self) -> float:
        """How much faster than recorded (0.5 to 2)."""
        return self._stretcher.speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._stretcher.speed = value

    def seek(self, at_s: float) -> None:
        """Go to `at_s` into the audio (clamped to it)."""
        self._frame = int(min(max(at_s, 0.0), self.duration_s) * self.rate)
        self._stretcher.reset()

    def read(self, out_s: float) -> Block:
        """About `out_s` of output from the position on (empty at the end); moves the position."""
        take = max(1, round(out_s * self.speed * self.rate))
        part = self.samples[self._frame : self._frame + take]
        self._frame += len(part)
        if len(part) == 0:
            return np.zeros((0, 2), dtype=np.float32)
        return self._stretcher.process(mix(part, self.channel, self.gains))
