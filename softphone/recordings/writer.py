"""The recording writer: stereo 16-bit frames to disk through libsndfile, safe against a kill.

While the call runs, audio goes to a headerless RAW file (libsndfile's RAW format, interleaved
left=agent, right=customer) that a kill can never leave with a wrong header; the writer thread
flushes and fsyncs it every `sync_interval_s`, so a crash or power cut loses at most that much
plus what was queued. `finish()` turns it into the final WAV; `recover_partial()` does the same
for a file a killed process left behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from softphone.recordings.access import create_file
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


class RecordingWriter:
    """Owns one partial RAW file and the thread that writes it."""

    def __init__(
        self,
        partial: Path,
        on_error: Callable[[str], None],
        *,
        sync_interval_s: float = 0.5,
        max_queued_frames: int = 500,
    ) -> None:
        self.partial = partial
        self._on_error = on_error
        try:
            # Our own descriptor, so the writer can fsync what libsndfile flushed.
            self._fd = create_file(partial)
            self._file = _open_raw(self._fd, "w")
        except (sf.LibsndfileError, OSError) as exc:
            raise RecordingError(
                f"cannot create the recording '{partial}': {exc}; check that the recordings "
                "directory exists, is writable and has free space"
            ) from exc
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=max_queued_frames)
        self._sync_interval_s = sync_interval_s
        self.frames_written = 0
        self.dropped = 0
        self.error: str | None = None
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
                    self._sync()
                    last_sync = time.monotonic()
            self._sync()
        except (RuntimeError, OSError) as exc:  # LibsndfileError is a RuntimeError
            self.error = f"writing '{self.partial}' failed: {exc}; check free disk space"
            log.error("%s", self.error)
            self._on_error(self.error)

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._fd)

    def close(self) -> None:
        """Main thread: write what is queued and close the partial file."""
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

    def finish(self, final: Path) -> FinishedAudio:
        """Main thread: close, then convert the partial file into the final WAV."""
        self.close()
        return convert_partial(self.partial, final)


def convert_partial(partial: Path, final: Path) -> FinishedAudio:
    """Turn a RAW partial recording into a WAV; whole frames only; removes the partial file."""
    whole = partial.stat().st_size // _BYTES_PER_FRAME
    tmp = final.with_name(final.name + ".tmp")
    tmp.unlink(missing_ok=True)  # left by a conversion a crash cut short
    fd = create_file(tmp)
    try:
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
    finally:
        os.close(fd)
    os.replace(tmp, final)
    partial.unlink()
    return FinishedAudio(final, whole - max(left, 0), file_sha256(final))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
