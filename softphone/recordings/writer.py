"""The recording writer: stereo 16-bit frames to disk through libsndfile, safe against a kill.

While the call runs, audio goes to a headerless RAW file (libsndfile's RAW format, interleaved
left=agent, right=customer) that a kill can never leave with a wrong header; the writer thread
flushes and fsyncs it every `sync_interval_s`, so a crash or power cut loses at most that much
plus what was queued. The writer holds an exclusive lock on its partial file from before anyone
can see it until it is gone (`ownership.py`), so no other process recovers a live recording.
`finish()` turns it into the final WAV; `convert_partial()` does the same for a file a killed
process left behind. A write that fails (a full disk) or a partial file taken away with its
folder stops the writer for good: `stop` says why (`writefault.py`) and `on_error` is told once.

With `seal_to` (age public keys) no plaintext audio reaches the disk: the partial file is a
sealed container (`sealed.py`) that begins with the recording's file key encrypted to them, and
at every sync the writer thread encrypts what it holds into one more chunk under that key
(`sealedcrypto.py`), so a kill loses no more than without it. `finish()` then adds the trailer
and renames the container; nothing on this workstation can decrypt it once the call is over.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from softphone.config.agekeys import parse_recipients
from softphone.recordings import sealed
from softphone.recordings.access import create_file
from softphone.recordings.ownership import create_locked
from softphone.recordings.writefault import WriterStop, diagnose, folder_gone, moved_away
from softphone.vocabulary.frames import RATE

log = logging.getLogger("softphone.recorder")

CHANNELS = 2
_BYTES_PER_FRAME = 2 * CHANNELS  # one sample per channel, 16 bits each
_BLOCK = RATE * 10  # frames per conversion step
_BATCH_S = 0.1  # how often the writer thread takes what queued up


class RecordingError(OSError):
    """The recording cannot be written; the message says where and what to check."""


@dataclass(frozen=True)
class FinishedAudio:
    """The final WAV and what it holds."""

    path: Path
    frames: int
    sha256: str


def _open_raw(target: Path | int, mode: str) -> sf.SoundFile:
    return sf.SoundFile(
        target,
        mode,
        samplerate=RATE,
        channels=CHANNELS,
        subtype="PCM_16",
        format="RAW",
        endian="LITTLE",
        closefd=False,
    )


class _SealedFile:
    """The partial sealed container: PCM is held in memory until `flush` encrypts it."""

    def __init__(self, fd: int, recipients: Sequence[Any]) -> None:
        self._fd = fd
        # cryptography costs 7 MB at start: only sealing or opening sealed audio loads it
        from softphone.recordings.sealedcrypto import ChunkSealer  # noqa: PLC0415

        self._sealer = ChunkSealer(recipients)
        self._pending = bytearray()
        self._digest = hashlib.sha256()
        self.frames = 0
        self.closed = False
        self._append(self._sealer.header)  # fsynced with the first chunk, on the writer thread

    def write(self, samples: np.ndarray) -> None:
        """Writer thread: keep the frames for the next chunk."""
        self._pending += samples.tobytes()

    def flush(self) -> None:
        """Writer thread: encrypt what is held into one chunk and append it (the caller fsyncs)."""
        if not self._pending:
            return
        pcm = bytes(self._pending)
        frames = len(pcm) // _BYTES_PER_FRAME
        self._append(self._sealer.audio(pcm))
        self._digest.update(pcm)
        self.frames += frames
        self._pending.clear()

    def seal(self) -> None:
        """Main thread, after the writer thread ended: the last chunk, then the trailer."""
        self.flush()
        self._append(self._sealer.trailer(self.frames, self._digest.hexdigest()))
        os.fsync(self._fd)

    def close(self) -> None:
        """Drop what was never encrypted (only after a failure) and mark the file closed."""
        self._pending.clear()
        self.closed = True

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]


class RecordingWriter:
    """Owns one partial file (RAW, or sealed with `seal_to`) and the thread that writes it."""

    def __init__(
        self,
        partial: Path,
        on_error: Callable[[str], None],
        *,
        sync_interval_s: float = 0.5,
        max_queued_frames: int = 500,
        seal_to: Sequence[str] = (),
    ) -> None:
        self.partial = partial
        self._on_error = on_error
        self._sealed = bool(seal_to)
        try:
            recipients = parse_recipients(seal_to)
            # Our own descriptor, so the writer can fsync what libsndfile flushed; locked, and
            # a duplicate keeps the lock until the partial file is gone (`ownership.py`).
            self._fd = create_locked(partial)
        except (ValueError, OSError) as exc:
            raise _creation_error(partial, exc) from exc
        self._lock: int | None = os.dup(self._fd)
        try:
            self._file: sf.SoundFile | _SealedFile = (
                _SealedFile(self._fd, recipients) if seal_to else _open_raw(self._fd, "w")
            )
        except (sf.LibsndfileError, OSError) as exc:
            os.close(self._fd)  # let go: what is there is recovered as any interrupted file
            self._release()
            raise _creation_error(partial, exc) from exc
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=max_queued_frames)
        self._sync_interval_s = sync_interval_s
        self.frames_written = 0
        self.dropped = 0
        self.error: str | None = None
        self.stop: WriterStop | None = None
        self._thread = threading.Thread(target=self._run, name="recording-writer", daemon=True)
        self._thread.start()

    def write(self, stereo: bytes) -> None:
        """Runs on the bridge clock thread: queue one interleaved frame; never blocks."""
        if self.error is not None:
            self.dropped += 1
            return
        try:
            self._queue.put_nowait(stereo)
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        """Runs on the writer thread: write what queued up every batch interval, sync on time.

        Waking for every 20 ms frame costs more CPU than the writing itself; frames are taken
        in batches instead (at most `_BATCH_S` late, well inside the one-second loss budget).
        """
        last_sync = time.monotonic()
        stopping = False
        try:
            while not stopping:
                time.sleep(_BATCH_S)
                batch = []
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stopping = True
                        break
                    batch.append(item)
                if batch:
                    samples = np.frombuffer(b"".join(batch), dtype="<i2").reshape(-1, CHANNELS)
                    self._file.write(samples)
                    self.frames_written += samples.shape[0]
                if time.monotonic() - last_sync >= self._sync_interval_s:
                    if not self._sync():
                        return
                    last_sync = time.monotonic()
            self._sync()
        except (RuntimeError, OSError) as exc:  # LibsndfileError is a RuntimeError
            self._stopped(diagnose(self._fd, self.partial, exc))

    def _sync(self) -> bool:
        """Writer thread: make what was written durable; False (and stopped) when the file was
        taken away: writing on would only fill the disk with audio nobody can find."""
        self._file.flush()
        os.fsync(self._fd)
        if moved_away(self._fd, self.partial):
            self._stopped(folder_gone(self.partial))
            return False
        return True

    def _stopped(self, stop: WriterStop) -> None:
        """Writer thread: stop for good and say so once (the call's problems tell the agent)."""
        self.stop, self.error = stop, stop.text
        log.info("recording stopped (%s): %s", stop.reason.value, stop.text)
        self._on_error(stop.text)

    def close(self) -> None:
        """Main thread: write what is queued, close the partial file and let go of it: from
        then on recovery may turn it into the final file, as after a crash."""
        self._close_file()
        self._release()

    def _close_file(self) -> None:
        if not self._thread.is_alive() and self._file.closed:
            return
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if not self._file.closed:
            try:
                self._file.close()
                os.close(self._fd)
            except (RuntimeError, OSError) as exc:
                self.error = self.error or f"closing '{self.partial}' failed: {exc}"

    def release(self) -> None:
        """Main thread, once the file is closed: let go of it, so that recovery may take it."""
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def finish(self, final: Path) -> FinishedAudio:
        """Main thread: close, then convert the partial file into the final WAV (or sealed file).

        The partial file stays locked (owned by this process) until it is gone; if finishing
        fails it stays so until the process ends, and the next start recovers it.
        """
        if not self._sealed:
            self._close_file()
            done = convert_partial(self.partial, final)
        else:
            if self._thread.is_alive():
                self._queue.put(None)
                self._thread.join()
            assert isinstance(self._file, _SealedFile)
            try:
                if self.error is None and not self._file.closed:
                    self._file.seal()
            finally:
                self._close_file()
            done = seal_partial(self.partial, final)
        self._release()
        return done


def _creation_error(partial: Path, exc: Exception) -> RecordingError:
    if isinstance(exc, ValueError):
        return RecordingError(f"cannot encrypt the recording '{partial}': {exc}")
    return RecordingError(
        f"cannot create the recording '{partial}': {exc}; check that the recordings "
        "directory exists, is writable and has free space"
    )


def convert_partial(partial: Path, final: Path) -> FinishedAudio:
    """Turn a RAW partial recording into a WAV; whole frames only; removes the partial file."""
    whole = partial.stat().st_size // _BYTES_PER_FRAME
    tmp = final.with_name(final.name + ".tmp")
    tmp.unlink(missing_ok=True)  # left by a conversion a crash cut short
    fd = create_file(tmp)
    try:
        frames = _convert(partial, fd, whole)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)  # on a full disk, a half copy only takes the space left
        raise
    os.close(fd)
    os.replace(tmp, final)
    partial.unlink()
    return FinishedAudio(final, frames, file_sha256(final))


def _convert(partial: Path, fd: int, whole: int) -> int:
    """Copy the first `whole` frames of a RAW partial file into a WAV open as `fd`, fsynced;
    returns how many it copied."""
    with (
        partial.open("rb") as raw,
        _open_raw(raw.fileno(), "r") as src,
        sf.SoundFile(
            fd,
            "w",
            samplerate=RATE,
            channels=CHANNELS,
            subtype="PCM_16",
            format="WAV",
            closefd=False,
        ) as dst,
    ):
        left = whole
        while left > 0:
            block = src.read(min(_BLOCK, left), dtype="int16", always_2d=True)
            if block.shape[0] == 0:
                break
            dst.write(block)
            left -= block.shape[0]
    os.fsync(fd)
    return whole - max(left, 0)


def seal_partial(partial: Path, final: Path) -> FinishedAudio:
    """Move a sealed partial recording to `final`, whole chunks only, without decrypting it."""
    frames = sealed.seal_partial(partial, final)
    return FinishedAudio(final, frames, file_sha256(final))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
