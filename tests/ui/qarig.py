"""The QA view's test library: real recordings (tones, holds, a pause; one sealed, one altered)
and an audio output that plays only when the test says so."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from softphone.media.devices import DeviceError
from softphone.media.stretch import Block
from softphone.recordings.metadata import HoldInterval, PauseInterval, read_metadata, write_metadata
from softphone.recordings.store import RecordingStore, recording_id
from softphone.recordings.writer import RecordingWriter
from tests.unit.test_recording_sealed import QA_PUBLIC, _seal_metadata
from tests.unit.test_recordings_play import _tones

ANSWERED = 1_795_512_672.0  # 2026-11-24T09:31:12Z
DISCLOSURE_SHA = "ab"  # what tests/unit/test_recording_sealed.py's metadata says it played


class PacedOutput:
    """An AudioOutput whose queue drains only by `hear(s)`; keeps every block written."""

    def __init__(self, refuse: str = "") -> None:
        self.refuse = refuse  # a DeviceError's words for every open, when given
        self.rate = 0
        self.blocks: list[Block] = []
        self.queued = 0.0
        self.opened = self.closed = 0

    def open(self, rate: int) -> None:
        if self.refuse:
            raise DeviceError(self.refuse)
        self.rate = rate
        self.opened += 1

    def write(self, block: Block) -> None:
        self.blocks.append(block)
        self.queued += len(block) / self.rate

    def queued_s(self) -> float:
        return self.queued

    def clear(self) -> None:
        self.queued = 0.0

    def close(self) -> None:
        self.closed += 1

    def hear(self, seconds: float) -> None:
        """The listener heard `seconds` of what is queued."""
        self.queued = max(0.0, self.queued - seconds)

    def written(self) -> Block:
        """Everything written so far, joined."""
        return np.concatenate(self.blocks) if self.blocks else np.zeros((0, 2), np.float32)


@dataclass(frozen=True)
class Library:
    """The recordings directory and the ids of what is in it."""

    root: Path
    plain: str
    sealed: str
    altered: str


def _evidence(meta: Path, remote: str, direction: str, offset: float) -> None:
    """Give a recording a caller, an answer time, two holds, a pause and its gate transitions."""
    data = read_metadata(meta)
    t0 = ANSWERED + offset
    data.call.remote_uri, data.call.direction = remote, direction
    data.call.answered_at, data.call.ended_at = t0, t0 + 30
    data.audio.duration_s = data.audio.frames / data.audio.rate
    data.disclosure.started_at, data.disclosure.ended_at = t0, t0 + 2
    data.holds = [
        HoldInterval("local", t0 + 3, t0 + 7, 1.0),
        HoldInterval("remote", t0 + 8, t0 + 10, 2.0),
    ]
    data.pauses = [PauseInterval("card number", "agent7", t0 + 11, t0 + 12.5, 2.5, "agent7")]
    write_metadata(meta, data)


def _record(
    root: Path, call_id: str, started: float, direction: str, keys: tuple[str, ...] = ()
) -> Path:
    """A finalised recording of `_tones()` (sealed to `keys` when given)."""
    paths = RecordingStore(root, seal_to=keys).new_recording(call_id, direction, started)
    writer = RecordingWriter(paths.partial, print, seal_to=paths.seal_to)
    for frame in _tones():
        writer.write(frame)
    audio = writer.finish(paths.audio)
    _seal_metadata(paths, audio.frames, audio.sha256)
    return paths.metadata


def make_library(folder: Path) -> Library:
    """Three recordings of 3 s each: plain, sealed to QA_PUBLIC, and one with altered audio."""
    root = folder / "recordings"
    root.mkdir()
    plain = _record(root, "plain", ANSWERED, "inbound")
    _evidence(plain, "sip:+31201234567@carrier.example", "inbound", 0)
    sealed = _record(root, "sealed", ANSWERED + 60, "outbound", (QA_PUBLIC,))
    _evidence(sealed, "sip:+31609876543@carrier.example", "outbound", 60)
    altered = _record(root, "altered", ANSWERED + 120, "inbound")
    _evidence(altered, "sip:+32470000000@carrier.example", "inbound", 120)
    audio = altered.with_suffix(".wav")
    audio.write_bytes(audio.read_bytes()[:-2] + b"\x01\x02")
    return Library(
        root, recording_id(root, plain), recording_id(root, sealed), recording_id(root, altered)
    )
