"""The headset as the conference bridge sees it: a microphone source and a speaker sink.

Both never fail and keep the bridge's rhythm: they read from and write to whatever FIFO the
headset's supervisor has swapped in (one attribute load per frame), or carry silence while no
device works. Taps on them see exactly what went to and came from the customer.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from softphone.media.deviceevents import Role
from softphone.media.fifo import DriftFifo
from softphone.vocabulary.frames import FRAME_BYTES, FRAME_SAMPLES, FrameSink

_SILENCE = bytes(FRAME_BYTES)


class RoleFifo(Protocol):
    """The one thing a port reads of its role: the FIFO carrying it now, or None."""

    fifo: DriftFifo | None


class Owner(Protocol):
    """The headset behind the ports."""

    muted: bool

    def close_role(self, role: Role) -> None:
        """Stop one role's device."""
        ...


class HeadsetMic:
    """The microphone as the bridge sees it: a `FrameSource` that never fails."""

    def __init__(self, headset: Owner, channel: RoleFifo) -> None:
        self._headset = headset
        self._channel = channel
        self.tap: FrameSink | None = None  # sees exactly what each read_frame returned

    def read_frame(self) -> bytes:
        """The next 20 ms the customer hears: device audio, or silence when muted or degraded.

        Runs on the pjsua2 bridge clock thread; must not block or touch Qt.
        """
        fifo = self._channel.fifo
        frame = _SILENCE
        if fifo is not None:
            samples = fifo.pop(FRAME_SAMPLES)  # drained even when muted: unmuting is current
            if not self._headset.muted:
                frame = np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()
        tap = self.tap
        if tap is not None:
            tap.write_frame(frame)
        return frame

    def close(self) -> None:
        """Stop the microphone device. Main thread; idempotent."""
        self._headset.close_role(Role.MICROPHONE)


class HeadsetSpeaker:
    """The speaker as the bridge sees it: a `FrameSink` that never fails."""

    def __init__(self, headset: Owner, channel: RoleFifo) -> None:
        self._headset = headset
        self._channel = channel
        self.tap: FrameSink | None = None  # sees exactly what the bridge wrote

    def write_frame(self, pcm: bytes) -> None:
        """Queue 20 ms of the customer for the device; dropped while no device works.

        Runs on the pjsua2 bridge clock thread; must not block, raise or touch Qt.
        """
        tap = self.tap
        if tap is not None:
            tap.write_frame(pcm)
        fifo = self._channel.fifo
        if fifo is not None and len(pcm) == FRAME_BYTES:
            fifo.push(np.frombuffer(pcm, dtype="<i2").astype(np.float32))

    def on_frame(self, pcm: bytes | None) -> None:
        """Every bridge tick (a `TickSink`): the customer's audio, or silence when none came.

        Feeding silence on empty ticks (the customer's silence suppression, no call yet) keeps
        the device side running on the bridge clock: no false underruns, no drift misjudged,
        and the customer tap stays aligned with the agent tap.
        Runs on the pjsua2 bridge clock thread; must not block, raise or touch Qt.
        """
        self.write_frame(_SILENCE if pcm is None else pcm)

    def close(self) -> None:
        """Stop the speaker device. Main thread; idempotent."""
        self._headset.close_role(Role.SPEAKER)
