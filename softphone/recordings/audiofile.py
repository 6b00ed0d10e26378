"""The one door to a recording's audio bytes: every open checks them against their SHA-256.

Verify, export and playback read audio only through `open_audio`, so what they see is what was
finalised. A sealed recording (encrypted at rest, `sealed.py`) is checked on its ciphertext, so
verify needs no key; it is decrypted here, in memory only, when QA's keys are given.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from softphone.config.agekeys import parse_identity
from softphone.recordings import sealed
from softphone.vocabulary.frames import RATE

KeySource = Callable[[], Sequence[str]]
"""QA's secret keys (AGE-SECRET-KEY-1...) at hand, fetched only when a sealed file is opened."""


class AudioIntegrityError(OSError):
    """The audio does not match the SHA-256 it was finalised with (or has none to match)."""


class SealedAudioError(OSError):
    """A sealed recording cannot be opened here: no QA key, the wrong one, or damage inside."""


@dataclass(frozen=True)
class VerifiedAudio:
    """A recording's audio, as its file's bytes matched their SHA-256 when read.

    `data` is the WAV (for a sealed file: decrypted, in memory), or None for a sealed file that
    was opened without keys; `frames` is known either way.
    """

    path: Path
    data: bytes | None
    sha256: str
    frames: int
    sealed: bool = False

    def wav(self) -> bytes:
        """The WAV's bytes; SealedAudioError for a sealed file opened without keys."""
        if self.data is None:
            raise SealedAudioError(f"'{self.path.name}': {sealed.SEALED_MESSAGE}")
        return self.data

    def samples(self, start_s: float = 0.0, end_s: float | None = None) -> tuple[np.ndarray, int]:
        """The frames from `start_s` to `end_s` (None: the end) as int16, and the rate."""
        with sf.SoundFile(io.BytesIO(self.wav())) as audio:
            rate = audio.samplerate
            first = min(round(start_s * rate), audio.frames)
            last = audio.frames if end_s is None else min(round(end_s * rate), audio.frames)
            audio.seek(first)
            block = audio.read(max(0, last - first), dtype="int16", always_2d=True)
        return block, rate


def open_audio(
    path: Path, expected: Collection[str | None], *, keys: KeySource | None = None
) -> VerifiedAudio:
    """Read `path` whole and check it against every hash in `expected` (the metadata's, the
    audit trail's); OSError when it cannot be read, AudioIntegrityError when it does not match.

    A sealed file is decrypted with `keys` when they are given (SealedAudioError when none of
    them opens it); without `keys` only its framing is read.
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
    if not data.startswith(sealed.MAGIC):
        return VerifiedAudio(path, data, digest, int(sf.info(io.BytesIO(data)).frames))
    try:
        frames = sealed.layout(data).frames
        if keys is None:
            return VerifiedAudio(path, None, digest, frames, sealed=True)
        held = keys()
        if not held:
            raise SealedAudioError(f"'{path.name}': {sealed.SEALED_MESSAGE}")
        pcm = sealed.decrypt_pcm(data, [parse_identity(k) for k in held])
    except (sealed.SealedError, ValueError) as exc:
        raise SealedAudioError(f"'{path.name}': {exc}") from None
    return VerifiedAudio(path, _wav(pcm), digest, frames, sealed=True)


def _wav(pcm: bytes) -> bytes:
    """The WAV a plaintext recording of the same audio would be, built in memory."""
    samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, 2)
    buffer = io.BytesIO()
    sf.write(buffer, samples, RATE, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def damaged_frames(path: Path) -> int:
    """How many frames a file that failed its check holds (truncated or altered?)."""
    data = path.read_bytes()
    if data.startswith(sealed.MAGIC):
        try:
            return sealed.layout(data).frames
        except sealed.SealedError as exc:
            raise OSError(str(exc)) from None
    return int(sf.info(io.BytesIO(data)).frames)
