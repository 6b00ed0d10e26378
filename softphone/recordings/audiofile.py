"""The one door to a recording's audio bytes: every open checks them against their SHA-256.

Verify, export and playback read audio only through `open_audio`, so what they see is what was
finalised, and a later layer (encryption at rest) has one place to wrap.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf


class AudioIntegrityError(OSError):
    """The audio does not match the SHA-256 it was finalised with (or has none to match)."""


@dataclass(frozen=True)
class VerifiedAudio:
    """A recording's audio bytes, as they matched their SHA-256 when read."""

    path: Path
    data: bytes
    sha256: str

    def info(self) -> sf._SoundFileInfo:
        """What libsndfile reads from the bytes (RuntimeError when it cannot)."""
        return sf.info(io.BytesIO(self.data))

    def samples(self, start_s: float = 0.0, end_s: float | None = None) -> tuple[np.ndarray, int]:
        """The frames from `start_s` to `end_s` (None: the end) as int16, and the rate."""
        with sf.SoundFile(io.BytesIO(self.data)) as audio:
            rate = audio.samplerate
            first = min(round(start_s * rate), audio.frames)
            last = audio.frames if end_s is None else min(round(end_s * rate), audio.frames)
            audio.seek(first)
            block = audio.read(max(0, last - first), dtype="int16", always_2d=True)
        return block, rate


def open_audio(path: Path, expected: Collection[str | None]) -> VerifiedAudio:
    """Read `path` whole and check it against every hash in `expected` (the metadata's, the
    audit trail's); OSError when it cannot be read, AudioIntegrityError when it does not match.
    """
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    known = [e for e in expected if e]
    if not known:
        raise AudioIntegrityError(f"'{path.name}' has no SHA-256 to be checked against")
    if any(e != digest for e in known):
        raise AudioIntegrityError(
            f"the audio '{path.name}' does not match the SHA-256 it was finalised with: "
            "the file was altered"
        )
    return VerifiedAudio(path, data, digest)


def damaged_frames(path: Path) -> int:
    """How many frames libsndfile finds in audio that failed its check (truncated or altered?)."""
    return int(sf.info(str(path)).frames)
