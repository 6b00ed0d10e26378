"""What a QA reviewer does with a recording's audio, each audited: export it, or play a part.

Both read the audio through `audiofile.open_audio`, held to the SHA-256 of the metadata and of
the audit trail's finalised entry; a sealed recording is decrypted there, in memory, with the QA
keys of the OS keyring, and an export of it is a decrypted WAV (its audit entry says so). An
export is written beside its destination under a temporary name, fsynced and renamed, so a full
disk leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from softphone.config.qakey import load_identities
from softphone.recordings.audiofile import KeySource, SealedAudioError, VerifiedAudio, open_audio
from softphone.recordings.audit import AuditEvent, AuditLog
from softphone.recordings.catalog import UNCLOSED, Entry, read_trail
from softphone.recordings.store import recording_id


class ExportError(OSError):
    """The export could not be written; nothing was left at the destination."""


def open_recording(root: Path, entry: Entry, keys: KeySource = load_identities) -> VerifiedAudio:
    """The recording's audio, checked against its metadata and the audit trail, and decrypted
    with `keys` (by default QA's keys in the OS keyring) when it is sealed; SealedAudioError
    for a sealed recording of a call that ended normally without its trailer (cut off).
    """
    if entry.metadata is None:
        raise ValueError("; ".join(p.text for p in entry.problems))
    sealed = read_trail(AuditLog.of(root)).get(recording_id(root, entry.metadata_path))
    trail_hash = sealed.sealed.get("audio_sha256") if sealed and sealed.sealed else None
    audio = open_audio(
        entry.audio_path, [entry.metadata.audio.sha256, _text(trail_hash)], keys=keys
    )
    if not audio.closed and entry.metadata.status == "complete":
        raise SealedAudioError(f"'{entry.audio_path.name}': {UNCLOSED}")
    return audio


def export_recording(
    root: Path,
    entry: Entry,
    target: Path,
    start_s: float | None,
    end_s: float | None,
    *,
    keys: KeySource = load_identities,
) -> dict[str, Any]:
    """Write the recording (or the part from `start_s` to `end_s`) to `target` as a WAV.

    The whole call is copied byte for byte; a part is cut on frame boundaries. Returns the
    audit entry. ValueError for a bad range or an existing target, ExportError when writing
    fails, AudioIntegrityError when the audio is not what was finalised, SealedAudioError when
    it is sealed and `keys` do not open it.
    """
    if target.exists():
        raise ValueError(f"'{target}' exists already; choose another name")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise ValueError(f"--to-s ({end_s:g}) must come after --from ({start_s:g})")
    audio = open_recording(root, entry, keys)
    if start_s is None and end_s is None:
        data = audio.wav()
    else:
        samples, rate = audio.samples(start_s or 0.0, end_s)
        if samples.shape[0] == 0:
            raise ValueError(f"the recording has no audio from {start_s or 0.0:g} s on")
        data = _wav_bytes(samples, rate)
    return _export(root, entry, target, data, (start_s, end_s), decrypted=audio.sealed)


def export_processed(
    root: Path,
    entry: Entry,
    target: Path,
    samples: npt.NDArray[np.float32],
    *,
    rate: int,
    part: tuple[float, float],
    **how: Any,
) -> dict[str, Any]:
    """Write audio made from the recording's part `part` (seconds into it: slowed, one
    channel, ... as `how` says) to `target` as a 16-bit WAV, whole or not at all; audited.

    ValueError for an existing target, ExportError when writing fails.
    """
    if target.exists():
        raise ValueError(f"'{target}' exists already; choose another name")
    sealed = entry.metadata is not None and entry.metadata.audio.encryption is not None
    return _export(root, entry, target, _wav_bytes(samples, rate), part, decrypted=sealed, **how)


def _wav_bytes(samples: npt.NDArray[Any], rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def _export(
    root: Path,
    entry: Entry,
    target: Path,
    data: bytes,
    part: tuple[float | None, float | None],
    **how: Any,
) -> dict[str, Any]:
    """Write `data` to `target` whole or not at all, then enter the export in the audit trail."""
    _write_whole(target, data)
    return AuditLog.of(root).append(
        AuditEvent.EXPORTED,
        recording_id(root, entry.metadata_path),
        to=str(target),
        from_s=part[0],
        to_s=part[1],
        bytes=len(data),
        **how,
    )


def note_played(
    root: Path,
    metadata: Path,
    start_s: float,
    end_s: float,
    by: str | None = None,
    **how: Any,
) -> dict[str, Any]:
    """Enter in the audit trail that a part of a recording was played (the QA player's hook).

    `by` names the reviewer when it is not the account running the player; `how` adds how it
    was heard (speed, channel).
    """
    details: dict[str, Any] = {"start_s": start_s, "end_s": end_s, **how}
    if by is not None:
        details["reviewer"] = by
    return AuditLog.of(root).append(AuditEvent.PLAYED, recording_id(root, metadata), **details)


def _write_whole(target: Path, data: bytes) -> None:
    """`data` at `target`, or nothing there: temporary file, fsync, rename."""
    tmp = target.with_name(f".{target.name}.partial")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ExportError(f"cannot write to '{target.parent}': {exc.strerror}") from exc
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):  # closed already when the rename failed
            os.close(fd)
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise ExportError(
                f"the disk holding '{target}' is full (or its quota reached): the export needs "
                f"{len(data) / 1e6:.1f} MB; nothing was written"
            ) from exc
        raise ExportError(f"cannot write '{target}': {exc.strerror}; nothing was written") from exc


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
