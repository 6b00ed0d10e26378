"""The recording disclosure: its audio, and its playback to the customer with a copy for the agent.

Playback is pulled frame by frame by the conference bridge, so it advances only while the
customer's stream takes it: a re-INVITE that replaces the stream pauses it, re-attaching resumes
it where it stopped, and "finished" means the bridge took the last frame for the customer.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from softphone.media.sources import load_wav, resample, to_pcm16
from softphone.vocabulary.frames import FRAME_BYTES, RATE

_SILENCE = bytes(FRAME_BYTES)


class DisclosureSpec(Protocol):
    """Which disclosure to play: an id, its language, the purpose it states, and its audio.

    The admin policy's `DisclosureLanguage` is one; media code needs nothing else from config.
    """

    @property
    def id(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def audio(self) -> Path: ...


@dataclass(frozen=True)
class Disclosure:
    """A disclosure ready to play: 16 kHz mono PCM and the SHA-256 of its audio file."""

    spec: DisclosureSpec
    pcm: bytes
    audio_sha256: str

    @property
    def duration_s(self) -> float:
        """Length of the audio."""
        return len(self.pcm) / 2 / RATE


def load_disclosure(spec: DisclosureSpec) -> Disclosure:
    """Read and convert the disclosure audio; AudioFileError says why it cannot be used."""
    samples, rate = load_wav(spec.audio)
    mono = samples.mean(axis=1)
    if rate != RATE:
        mono = resample(mono, rate, RATE)
    pcm = to_pcm16(mono)
    pad = -len(pcm) % FRAME_BYTES
    digest = hashlib.sha256(spec.audio.read_bytes()).hexdigest()
    return Disclosure(spec, pcm + bytes(pad), digest)


class _Mirror:
    """The agent's copy: exactly the frames the customer's side took, a tick later at most."""

    def __init__(self) -> None:
        self.frames: deque[bytes] = deque(maxlen=8)

    def read_frame(self) -> bytes:
        """Runs on the bridge clock thread."""
        try:
            return self.frames.popleft()
        except IndexError:
            return _SILENCE


class DisclosurePlayback:
    """A `FrameSource` for the customer's stream; `mirror` is the agent's `FrameSource`."""

    def __init__(self, disclosure: Disclosure, on_finished: Callable[[], None]) -> None:
        self.disclosure = disclosure
        self._on_finished = on_finished
        self._offset = 0
        self.frames_played = 0
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.mirror = _Mirror()

    @property
    def finished(self) -> bool:
        """Whether the customer's side has taken every frame."""
        return self.ended_at is not None

    @property
    def total_frames(self) -> int:
        """Frames in the disclosure."""
        return len(self.disclosure.pcm) // FRAME_BYTES

    def read_frame(self) -> bytes:
        """Runs on the bridge clock thread: the next disclosure frame, silence once finished."""
        if self.ended_at is not None:
            return _SILENCE
        if self.started_at is None:
            self.started_at = time.time()
        pcm = self.disclosure.pcm[self._offset : self._offset + FRAME_BYTES]
        self._offset += FRAME_BYTES
        self.frames_played += 1
        self.mirror.frames.append(pcm)
        if self._offset >= len(self.disclosure.pcm):
            self.ended_at = time.time()
            self._on_finished()  # only posts an event: thread-safe and non-blocking
        return pcm
