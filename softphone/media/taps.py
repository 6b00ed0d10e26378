"""Recorder taps: pair each bridge tick's agent and customer frames into one stereo frame.

The agent tap listens to the microphone port and the customer tap to the call's stream port.
The conference bridge calls every port once per tick, in slot order, on its clock thread, so
the tap in the higher slot ("the closer") completes the pair that the other tap started in the
same tick. The pair goes to the writer only when the gate admits it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from softphone.vocabulary.frames import FRAME_BYTES, FRAME_SAMPLES

_SILENCE = np.zeros(FRAME_SAMPLES, dtype="<i2")


class Tap:
    """One side of the pair; `on_frame` runs on the bridge clock thread for every tick."""

    def __init__(self, assembler: StereoAssembler, side: str) -> None:
        self._assembler = assembler
        self.side = side

    def on_frame(self, pcm: bytes | None) -> None:
        """Runs on the bridge clock thread: `pcm` is this tick's audio, None when none came."""
        self._assembler.arrive(self.side, pcm)


class StereoAssembler:
    """Builds left=agent, right=customer frames at the bridge rate; never blocks."""

    def __init__(self, admits: Callable[[], bool], out: Callable[[bytes], None]) -> None:
        self._admits = admits
        self._out = out
        self.agent = Tap(self, "agent")
        self.customer = Tap(self, "customer")
        self._closer = "customer"
        self._pending: bytes | None = None
        self._fresh = False
        self.frames_accepted = 0  # stereo frames handed to the writer
        self.frames_refused = 0  # ticks with audio that the gate did not admit

    def set_slot_order(self, agent_slot: int, customer_slot: int) -> None:
        """Main thread, before the taps are connected: which tap the bridge calls last."""
        self._closer = "customer" if customer_slot > agent_slot else "agent"

    def arrive(self, side: str, pcm: bytes | None) -> None:
        """Runs on the bridge clock thread: store the first half of a tick or finish the pair."""
        if pcm is not None and len(pcm) != FRAME_BYTES:
            pcm = None
        if side != self._closer:
            self._pending, self._fresh = pcm, True
            return
        other = self._pending if self._fresh else None
        self._fresh = False
        agent, customer = (pcm, other) if side == "agent" else (other, pcm)
        if agent is None and customer is None:
            return
        if not self._admits():
            self.frames_refused += 1
            return
        stereo = np.empty(2 * FRAME_SAMPLES, dtype="<i2")
        stereo[0::2] = _SILENCE if agent is None else np.frombuffer(agent, dtype="<i2")
        stereo[1::2] = _SILENCE if customer is None else np.frombuffer(customer, dtype="<i2")
        self.frames_accepted += 1
        self._out(stereo.tobytes())
