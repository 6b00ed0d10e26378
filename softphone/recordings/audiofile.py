"""The one door to a recording's audio bytes: every open checks them against their SHA-256.

Verify, export and playback read audio only through `open_audio`, so what they see is what was
finalised. A sealed recording (encrypted at rest, `sealed.py`) is checked on its ciphertext, so
verify needs no key; it is decrypted here, in memory only, when QA's keys are given.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
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

    `data` is the WAV file's bytes (None for a sealed file); `pcm` the decrypted samples of a
    sealed file (frames x 2, read-only, in memory only; None when it was opened without keys);
    `frames` is known either way, and `closed` says whether a sealed file has its trailer.
    """

    path: Path
    data: bytes | None
    sha256: str
    frames: int
    sealed: bool = False
    pcm: npt.NDArray[np.int16] | None = None
    closed: bool = True

    def wav(self) -> bytes:
        """The WAV's bytes (a sealed file's built in memory); SealedAudioError for a sealed file
        opened without keys."""
        if self.data is not None:
            return self.data
        buffer = io.BytesIO()
        sf.write(buffer, self._pcm(), RATE, subtype="PCM_16", format="WAV")
        return buffer.getvalue()

    def samples(self, start_s: float = 0.0, end_s: float | None = None) -> tuple[np.ndarray, int]:
        """The frames from `start_s` to `end_s` (None: the end) as int16, and the rate.

        A sealed file's are a read-only view of the decrypted audio, not a copy.
        """
        if self.data is None:
            pcm = self._pcm()
            return pcm[_span(start_s, end_s, RATE, len(pcm))], RATE
        with sf.SoundFile(io.BytesIO(self.data)) as audio:
            rate = audio.samplerate
            part = _span(start_s, end_s, rate, audio.frames)
            audio.seek(part.start)
            block = audio.read(part.stop - part.start, dtype="int16", always_2d=True)
        return block, rate

    def _pcm(self) -> npt.NDArray[np.int16]:
        if self.pcm is None:
            raise SealedAudioError(f"'{self.path.name}': {sealed.SEALED_MESSAGE}")
        return self.pcm


def _span(start_s: float, end_s: float | None, rate: int, frames: int) -> slice:
    first = min(round(start_s * rate), frames)
    last = frames if end_s is None else min(round(end_s * rate), frames)
    return slice(first, max(first, last))


def open_audio(
    path: Path, expected: Collection[str | None], *, keys: KeySource | None = None
) -> VerifiedAudio:
    """Read `path` whole and check it against every hash in `expected` (the metadata's, the
    audit trail's); OSError when it cannot be read, AudioIntegrityError when it does not match.

    A sealed file is decrypted with `keys` when they are given (SealedAudioError when none of
    them opens it); without `keys` only its framing is read.
    """
    known = [e for e in expected if e]
    if not known:
        raise AudioIntegrityError(f"'{path.name}' has no SHA-256 to be checked against")
    data = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    if any(e != digest for e in known):
        raise AudioIntegrityError(
            f"the audio '{path.name}' does not match the SHA-256 it was finalised with: "
            "the file was altered"
        )
    if isinstance(data, bytes):
        return VerifiedAudio(path, data, digest, int(sf.info(io.BytesIO(data)).frames))
    try:
        found = sealed.layout(data)
        if keys is None:
            return VerifiedAudio(path, None, digest, found.frames, sealed=True, closed=found.closed)
        held = keys()
        if not held:
            raise SealedAudioError(f"'{path.name}': {sealed.SEALED_MESSAGE}")
        # cryptography costs 7 MB at start: only sealing or opening sealed audio loads it
        from softphone.recordings.sealedcrypto import decrypt_pcm  # noqa: PLC0415

        opened = decrypt_pcm(data, [parse_identity(k) for k in held])
    except (sealed.SealedError, ValueError) as exc:
        raise SealedAudioError(f"'{path.name}': {exc}") from None
    return VerifiedAudio(
        path, None, digest, found.frames, sealed=True, pcm=opened.pcm, closed=opened.closed
    )


def _read(path: Path) -> bytes | memoryview:
    """A file's bytes: a WAV's as bytes (soundfile reads them), a sealed container's read
    straight into one numpy buffer (no copy after, and numpy's large allocations fault in
    fewer pages)."""
    with path.open("rb", buffering=0) as handle:
        if not sealed.is_sealed(handle.read(len(sealed.MAGIC))):
            handle.seek(0)
            return handle.readall()
        size = os.fstat(handle.fileno()).st_size
        data = np.empty(size, dtype=np.uint8)
        view, at = data.data, 0
        handle.seek(0)
        while at < size:
            got = handle.readinto(view[at:])
            if not got:
                raise OSError(f"'{path.name}' was cut short while it was read")
            at += got
    return view


def damaged_frames(path: Path) -> int:
    """How many frames a file that failed its check holds (truncated or altered?)."""
    data = path.read_bytes()
    if sealed.is_sealed(data):
        try:
            return sealed.layout(data).frames
        except sealed.SealedError as exc:
            raise OSError(str(exc)) from None
    return int(sf.info(io.BytesIO(data)).frames)
