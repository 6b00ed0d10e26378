"""The sealed recording container: a versioned header, then length-prefixed age-encrypted chunks.

Layout (docs/recording-format.md, "Sealed audio"): the 25-byte line `softphone-sealed-audio/1\n`,
then chunks, each a 9-byte frame header (kind: b"A" audio or b"T" trailer; the chunk's audio
frames and its age file's length, both unsigned 32-bit big-endian) followed by one complete age
file (binary, X25519 recipients). An audio chunk decrypts to raw PCM (s16le, stereo, 16 kHz); the
trailer, written only when a call ends normally, decrypts to JSON with the frame count and the
SHA-256 of all the PCM. Only public keys are needed to write it; reading it needs an identity.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pyrage

from softphone.config.agekeys import fingerprint

MAGIC = b"softphone-sealed-audio/1\n"
CONTAINER = "softphone.sealed/1"
AUDIO = b"A"
TRAILER = b"T"
_FRAME = struct.Struct(">cII")
BYTES_PER_FRAME = 4  # two 16-bit samples
SEALED_MESSAGE = (
    "sealed: this recording is encrypted to QA's key; import it with softphone qa import-key"
)


class SealedError(ValueError):
    """A sealed recording cannot be read (damaged, or no key that opens it)."""


def encryption_facts(recipients: Sequence[str]) -> dict[str, Any]:
    """What the metadata says of a sealed recording's encryption (no key material)."""
    return {
        "container": CONTAINER,
        "scheme": "age-x25519",
        "recipients": [fingerprint(r) for r in recipients],
    }


def chunk(kind: bytes, frames: int, plaintext: bytes, recipients: Sequence[Any]) -> bytes:
    """One framed chunk: `plaintext` encrypted as an independent age file to `recipients`.

    OSError when age cannot encrypt, so the writer treats it as any failed write.
    """
    try:
        sealed = cast(bytes, pyrage.encrypt(plaintext, list(recipients)))
    except pyrage.EncryptError as exc:
        raise OSError(f"encrypting the audio failed: {exc}") from None
    return _FRAME.pack(kind, frames, len(sealed)) + sealed


def trailer(frames: int, pcm_sha256: str, recipients: Sequence[Any]) -> bytes:
    """The closing chunk: how many frames the audio chunks hold and their PCM's SHA-256."""
    body = json.dumps({"frames": frames, "pcm_sha256": pcm_sha256}, sort_keys=True).encode()
    return chunk(TRAILER, 0, body, recipients)


@dataclass(frozen=True)
class Layout:
    """What the framing says, read without a key: chunk positions, frames, where it ends whole."""

    chunks: tuple[tuple[bytes, int, int, int], ...]  # kind, frames, offset of the age file, size
    frames: int
    whole: int  # bytes up to the end of the last complete chunk
    closed: bool  # a trailer ends it


def layout(data: bytes) -> Layout:
    """The framing of container bytes; SealedError when they are not a sealed recording."""
    if not data.startswith(MAGIC):
        raise SealedError(f"not a sealed recording (it does not begin with {MAGIC!r})")
    chunks, frames, at, closed = [], 0, len(MAGIC), False
    while at + _FRAME.size <= len(data) and not closed:
        kind, count, size = _FRAME.unpack_from(data, at)
        if kind not in (AUDIO, TRAILER):
            raise SealedError(f"damaged sealed recording: unknown chunk kind {kind!r} at {at}")
        if at + _FRAME.size + size > len(data):
            break
        chunks.append((kind, count, at + _FRAME.size, size))
        frames += count
        at += _FRAME.size + size
        closed = kind == TRAILER
    return Layout(tuple(chunks), frames, at, closed)


def decrypt_pcm(data: bytes, identities: Sequence[Any]) -> bytes:
    """All the audio of container bytes as PCM, checked against the trailer when there is one.

    SealedError when no identity opens it, or when a chunk or the trailer does not agree.
    """
    found = layout(data)
    pcm = bytearray()
    for kind, frames, offset, size in found.chunks:
        try:
            plain = cast(bytes, pyrage.decrypt(data[offset : offset + size], list(identities)))
        except pyrage.DecryptError as exc:
            raise SealedError(_decrypt_refusal(str(exc), pcm == b"")) from None
        if kind == TRAILER:
            _check_trailer(plain, bytes(pcm))
        elif len(plain) != frames * BYTES_PER_FRAME:
            why = f"the chunk at byte {offset} does not hold its {frames} frames"
            raise SealedError(f"damaged sealed recording: {why}")
        else:
            pcm += plain
    return bytes(pcm)


def _decrypt_refusal(reason: str, first: bool) -> str:
    if first and "no matching keys" in reason.lower():
        return (
            "the QA key in the keyring does not open this recording: it was encrypted to other "
            "keys (see its metadata's audio.encryption.recipients and `softphone qa key-status`); "
            "import the matching key with softphone qa import-key"
        )
    return f"the sealed recording cannot be decrypted: {reason}"


def _check_trailer(plain: bytes, pcm: bytes) -> None:
    try:
        facts = json.loads(plain)
        frames, digest = int(facts["frames"]), str(facts["pcm_sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SealedError(f"damaged sealed recording: unreadable trailer ({exc})") from None
    if frames * BYTES_PER_FRAME != len(pcm) or digest != hashlib.sha256(pcm).hexdigest():
        raise SealedError("the decrypted audio does not match the SHA-256 sealed with it")


def seal_partial(partial: Path, final: Path) -> int:
    """Cut a partial container after its last whole chunk and move it to `final`; its frames.

    Nothing is decrypted: the workstation has no key. A chunk cut off by a kill is dropped.
    """
    data = partial.read_bytes()
    if len(data) < len(MAGIC) and MAGIC.startswith(data):  # killed while it was being created
        data = MAGIC
    found = layout(data)
    with partial.open("r+b") as handle:
        handle.write(data[: len(MAGIC)])
        handle.truncate(found.whole)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, final)
    return found.frames
