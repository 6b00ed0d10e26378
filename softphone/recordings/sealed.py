"""The sealed recording container's framing: a versioned header line, then length-prefixed chunks.

Layout (docs/recording-format.md, "Sealed audio"): a 25-byte line `softphone-sealed-audio/N\n`,
then chunks, each a 9-byte frame header (kind; the chunk's audio frames and its body's length,
both unsigned 32-bit big-endian) and its body. Version 2 (written today): a `K` chunk holding an
age file (X25519 recipients) that wraps the recording's random file key, then `A` audio chunks
and a closing `T` trailer, each AES-256-GCM ciphertext under that key (`sealedcrypto.py`).
Version 1 (read only): every `A` and `T` body is an independent age file. Reading the framing,
and recovering a partial container, needs no key.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from softphone.config.agekeys import fingerprint

MAGIC_V1 = b"softphone-sealed-audio/1\n"
MAGIC = b"softphone-sealed-audio/2\n"
CONTAINER = "softphone.sealed/2"
CONTAINERS = {MAGIC_V1: "softphone.sealed/1", MAGIC: CONTAINER}
KEY = b"K"
AUDIO = b"A"
TRAILER = b"T"
TAG_BYTES = 16  # AES-GCM's tag, after each version-2 ciphertext
FRAME = struct.Struct(">cII")
BYTES_PER_FRAME = 4  # two 16-bit samples
Bytes: TypeAlias = bytes | bytearray | memoryview
SEALED_MESSAGE = (
    "sealed: this recording is encrypted to QA's key; import it with softphone qa import-key"
)


class SealedError(ValueError):
    """A sealed recording cannot be read (damaged, or no key that opens it)."""


def encryption_facts(recipients: Sequence[str]) -> dict[str, Any]:
    """What the metadata says of a sealed recording's encryption (no key material)."""
    return {
        "container": CONTAINER,
        "scheme": "age-x25519 file key, aes-256-gcm chunks",
        "recipients": [fingerprint(r) for r in recipients],
    }


def is_sealed(head: Bytes) -> bool:
    """Whether bytes begin like a sealed container of any version."""
    return bytes(memoryview(head)[: len(MAGIC)]) in CONTAINERS


@dataclass(frozen=True)
class Layout:
    """What the framing says, read without a key: chunk positions, frames, where it ends whole."""

    magic: bytes  # the header line: which version
    chunks: tuple[tuple[bytes, int, int, int], ...]  # kind, frames, offset of the body, size
    frames: int
    whole: int  # bytes up to the end of the last complete chunk
    closed: bool  # a trailer ends it


def layout(data: Bytes) -> Layout:
    """The framing of container bytes; SealedError when they are not a sealed recording."""
    view = memoryview(data).cast("B")
    magic = bytes(view[: len(MAGIC)])
    if magic not in CONTAINERS:
        raise SealedError(f"not a sealed recording (it does not begin with {MAGIC!r})")
    version2 = magic == MAGIC
    chunks: list[tuple[bytes, int, int, int]] = []
    frames, at, closed = 0, len(MAGIC), False
    while at + FRAME.size <= len(view) and not closed:
        kind, count, size = FRAME.unpack_from(view, at)
        _check_kind(kind, count, size, first=not chunks, version2=version2, at=at)
        if at + FRAME.size + size > len(view):
            break
        chunks.append((kind, count, at + FRAME.size, size))
        frames += count
        at += FRAME.size + size
        closed = kind == TRAILER
    return Layout(magic, tuple(chunks), frames, at, closed)


def _check_kind(
    kind: bytes, frames: int, size: int, *, first: bool, version2: bool, at: int
) -> None:
    """SealedError for a frame header that cannot be where it is (nothing is decrypted)."""
    damaged = f"damaged sealed recording: the chunk at byte {at}"
    if kind not in (KEY, AUDIO, TRAILER) or (kind == KEY and not version2):
        raise SealedError(f"{damaged} is of an unknown kind {kind!r}")
    if version2 and (kind == KEY) != first:
        raise SealedError(f"{damaged} is {kind!r}: the file key must come first, and once")
    if version2 and kind == AUDIO and size != frames * BYTES_PER_FRAME + TAG_BYTES:
        raise SealedError(f"{damaged} is {size} bytes long, not its {frames} frames")


def seal_partial(partial: Path, final: Path) -> int:
    """Cut a partial container after its last whole chunk and move it to `final`; its frames.

    Nothing is decrypted: the workstation has no key. A chunk cut off by a kill is dropped; a
    file killed before its file key was whole holds no audio and keeps only its header line.
    """
    data = partial.read_bytes()
    if len(data) < len(MAGIC):  # killed while it was being created (a version 1 file too)
        data = next((m for m in (MAGIC, MAGIC_V1) if m.startswith(data)), data)
    found = layout(data)
    with partial.open("r+b") as handle:
        handle.write(data[: len(MAGIC)])
        handle.truncate(found.whole)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, final)
    return found.frames
