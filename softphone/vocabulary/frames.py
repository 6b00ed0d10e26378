"""Frame format of the conference bridge and the source/sink interfaces that move frames."""

from typing import Protocol, runtime_checkable

RATE = 16000
"""Conference bridge clock rate in Hz (mono)."""
FRAME_SAMPLES = 320
"""Samples per 20 ms bridge frame."""
FRAME_BYTES = FRAME_SAMPLES * 2
"""Bytes per frame: signed 16-bit little-endian samples."""


@runtime_checkable
class FrameSource(Protocol):
    """Something the bridge pulls audio from, one 20 ms frame at a time."""

    def read_frame(self) -> bytes:
        """Return exactly FRAME_BYTES of 16-bit little-endian mono PCM at RATE.

        Runs on the pjsua2 bridge clock thread: must not block, allocate much or touch Qt.
        """
        ...


@runtime_checkable
class FrameSink(Protocol):
    """Something the bridge pushes audio into, one 20 ms frame at a time."""

    def write_frame(self, pcm: bytes) -> None:
        """Accept one frame of 16-bit little-endian mono PCM at RATE.

        Runs on the pjsua2 bridge clock thread: must not block, raise or touch Qt.
        """
        ...

    def close(self) -> None:
        """Finish and release resources. Runs on the main thread; idempotent."""
        ...


@runtime_checkable
class TickSink(Protocol):
    """Something told about every bridge tick, with the tick's audio or None when none came."""

    def on_frame(self, pcm: bytes | None) -> None:
        """Runs on the pjsua2 bridge clock thread, once per tick: must not block or touch Qt."""
        ...
