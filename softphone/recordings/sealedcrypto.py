"""A sealed container's cryptography: one age-wrapped file key per recording, AES-GCM per chunk.

Writing (`ChunkSealer`) needs only QA's public keys: a random 256-bit file key is encrypted once
to them with age (one X25519 exchange per recipient, in the `K` chunk), and every audio chunk and
the trailer is AES-256-GCM under it, its nonce made of its index and its associated data naming
the container version, its kind, index and frames, so no chunk can be altered, moved, dropped or
taken from another recording without failing its authentication. Reading (`decrypt_pcm`) needs a
QA identity, and also reads version 1 containers (an independent age file per chunk).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyrage
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from softphone.recordings.sealed import (
    AUDIO,
    BYTES_PER_FRAME,
    CONTAINER,
    FRAME,
    KEY,
    MAGIC,
    TRAILER,
    Bytes,
    Layout,
    SealedError,
    layout,
)

KEY_BYTES = 32


def _nonce(index: int) -> bytes:
    """The 96-bit nonce of the chunk `index` (0 for the first audio chunk): 4 zero bytes, then
    the index as 64 bits big-endian. Each recording has its own key, so no nonce repeats."""
    return bytes(4) + index.to_bytes(8, "big")


def _associated(kind: bytes, index: int, frames: int) -> bytes:
    """What a chunk's tag also covers: the container version, its kind, index and frames."""
    return CONTAINER.encode() + kind + index.to_bytes(8, "big") + frames.to_bytes(4, "big")


def _trailer_body(frames: int, pcm_sha256: str) -> bytes:
    return json.dumps({"frames": frames, "pcm_sha256": pcm_sha256}, sort_keys=True).encode()


class ChunkSealer:
    """Seals one recording's chunks in file order; its file key lives in this object only.

    OSError when age cannot encrypt, so the writer treats it as any failed write.
    """

    def __init__(self, recipients: Sequence[Any]) -> None:
        key = AESGCM.generate_key(bit_length=8 * KEY_BYTES)
        try:
            wrapped = cast(bytes, pyrage.encrypt(key, list(recipients)))
        except pyrage.EncryptError as exc:
            raise OSError(f"encrypting the audio failed: {exc}") from None
        self._aead = AESGCM(key)
        self._index = 0
        self.header = MAGIC + FRAME.pack(KEY, 0, len(wrapped)) + wrapped
        """The header line and the `K` chunk: what the container begins with."""

    def audio(self, pcm: bytes) -> bytes:
        """The next audio chunk, framed: `pcm` (whole stereo frames) sealed."""
        return self._chunk(AUDIO, len(pcm) // BYTES_PER_FRAME, pcm)

    def trailer(self, frames: int, pcm_sha256: str) -> bytes:
        """The closing chunk: how many frames the audio chunks hold and their PCM's SHA-256."""
        return self._chunk(TRAILER, 0, _trailer_body(frames, pcm_sha256))

    def _chunk(self, kind: bytes, frames: int, plaintext: bytes) -> bytes:
        index, self._index = self._index, self._index + 1
        body = self._aead.encrypt(_nonce(index), plaintext, _associated(kind, index, frames))
        return FRAME.pack(kind, frames, len(body)) + body


@dataclass(frozen=True)
class Decrypted:
    """A sealed recording's audio, decrypted and authenticated, in memory only."""

    pcm: npt.NDArray[np.int16]  # frames x 2 (agent, customer), read-only
    closed: bool  # a trailer ended it (the call ended normally)


def decrypt_pcm(data: Bytes, identities: Sequence[Any]) -> Decrypted:
    """All the audio of container bytes (version 1 or 2), checked against the trailer if any.

    SealedError when no identity opens it, or when a chunk or the trailer does not agree.
    """
    view = memoryview(data).cast("B")
    found = layout(view)
    if found.whole != len(view):
        why = "it was cut off" if not found.closed else "bytes follow its trailer"
        raise SealedError(f"damaged sealed recording: {why} (at byte {found.whole})")
    out = np.empty(found.frames * BYTES_PER_FRAME, dtype=np.uint8)
    if found.magic == MAGIC:
        trailer = _open_v2(view, found, identities, out.data)
    else:
        trailer = _open_v1(view, found, identities, out.data)
    if trailer is not None:
        _check_trailer(trailer, out)
    pcm = out.view("<i2").reshape(-1, 2)
    pcm.flags.writeable = False
    return Decrypted(pcm, found.closed)


def _open_v2(
    view: memoryview, found: Layout, identities: Sequence[Any], out: memoryview
) -> bytes | None:
    """Decrypt version 2's chunks into `out`; the trailer's plaintext, if there is one."""
    if not found.chunks:
        return None  # killed before its file key was written: no audio
    _kind, _frames, offset, size = found.chunks[0]
    aead = AESGCM(_file_key(bytes(view[offset : offset + size]), identities))
    at, trailer = 0, None
    for index, (kind, frames, offset, size) in enumerate(found.chunks[1:]):
        nonce, associated = _nonce(index), _associated(kind, index, frames)
        body = view[offset : offset + size]
        try:
            if kind == TRAILER:
                trailer = aead.decrypt(nonce, body, associated)
            else:
                end = at + frames * BYTES_PER_FRAME
                aead.decrypt_into(nonce, body, associated, out[at:end])
                at = end
        except InvalidTag:
            what = "trailer" if kind == TRAILER else f"audio chunk {index}"
            raise SealedError(
                f"the sealed recording was tampered with: its {what} (at byte {offset}) fails "
                "its authentication (altered, moved, dropped or from another recording)"
            ) from None
    return trailer


def _file_key(wrapped: bytes, identities: Sequence[Any]) -> bytes:
    try:
        key = cast(bytes, pyrage.decrypt(wrapped, list(identities)))
    except pyrage.DecryptError as exc:
        raise SealedError(_decrypt_refusal(str(exc), first=True)) from None
    if len(key) != KEY_BYTES:
        raise SealedError(f"damaged sealed recording: its file key is {len(key)} bytes long")
    return key


def _open_v1(
    view: memoryview, found: Layout, identities: Sequence[Any], out: memoryview
) -> bytes | None:
    """Decrypt version 1's chunks (an age file each) into `out`; the trailer's plaintext."""
    at, trailer, keys = 0, None, list(identities)
    for kind, frames, offset, size in found.chunks:
        try:
            plain = cast(bytes, pyrage.decrypt(bytes(view[offset : offset + size]), keys))
        except pyrage.DecryptError as exc:
            raise SealedError(_decrypt_refusal(str(exc), at == 0)) from None
        if kind == TRAILER:
            trailer = plain
        elif len(plain) != frames * BYTES_PER_FRAME:
            why = f"the chunk at byte {offset} does not hold its {frames} frames"
            raise SealedError(f"damaged sealed recording: {why}")
        else:
            out[at : at + len(plain)] = plain
            at += len(plain)
    return trailer


def _decrypt_refusal(reason: str, first: bool) -> str:
    if first and "no matching keys" in reason.lower():
        return (
            "the QA key in the keyring does not open this recording: it was encrypted to other "
            "keys (see its metadata's audio.encryption.recipients and `softphone qa key-status`); "
            "import the matching key with softphone qa import-key"
        )
    return f"the sealed recording cannot be decrypted: {reason}"


def _check_trailer(plain: bytes, pcm: npt.NDArray[np.uint8]) -> None:
    try:
        facts = json.loads(plain)
        frames, digest = int(facts["frames"]), str(facts["pcm_sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SealedError(f"damaged sealed recording: unreadable trailer ({exc})") from None
    if frames * BYTES_PER_FRAME != len(pcm) or digest != hashlib.sha256(pcm.data).hexdigest():
        raise SealedError("the decrypted audio does not match the SHA-256 sealed with it")
