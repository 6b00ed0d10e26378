"""Rings while a call waits for the agent: the window says whether one rings, the ringer plays."""

from __future__ import annotations

from typing import Protocol


class RingerControl(Protocol):
    """What the window needs of a ringer (`softphone.media.ringer.Ringer` is one)."""

    def start(self) -> bool:
        """Start ringing (idempotent); False when no device can ring."""

    def stop(self) -> None:
        """Stop ringing (idempotent)."""


class RingFollower:
    """Starts the ringer when a call begins to ring and stops it when none rings any more."""

    def __init__(self, ringer: RingerControl | None) -> None:
        self._ringer = ringer
        self.ringing = False

    def follow(self, rings: bool) -> None:
        """Whether a call rings now: an answer, a reject, a hang-up or a cancel stops the ring."""
        if self._ringer is None or rings == self.ringing:
            return
        self.ringing = rings
        if rings:
            self._ringer.start()
        else:
            self._ringer.stop()
