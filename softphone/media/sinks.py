"""Frame sinks for the bridge: discard, record to a WAV file, or capture in memory."""

import logging
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from softphone.media.errors import AudioWriteError
from softphone.vocabulary.frames import RATE

log = logging.getLogger("softphone.media")

_SFC_UPDATE_HEADER_NOW = 0x1060  # libsndfile command; soundfile does not wrap it


class NullSink:
    """Discards every frame."""

    def write_frame(self, pcm: bytes) -> None:
        """Drop the frame. Runs on the pjsua2 bridge clock thread; never blocks."""

    def close(self) -> None:
        """Nothing to release. Runs on the main thread."""


class CaptureSink:
    """Keeps the most recent frames in memory; for tests and the self-test."""

    def __init__(self, max_frames: int = 3000) -> None:
        if max_frames <= 0:
            raise ValueError(f"max_frames must be positive, got {max_frames}")
        self._frames: deque[bytes] = deque(maxlen=max_frames)
        self.frames_written = 0
        self.dropped = 0  # frames refused because they held a partial sample

    def write_frame(self, pcm: bytes) -> None:
        """Keep a copy of the frame. Runs on the pjsua2 bridge clock thread; never blocks."""
        if len(pcm) % 2:
            self.dropped += 1
            return
        self._frames.append(bytes(pcm))  # the oldest frame falls out when full
        self.frames_written += 1

    def samples(self) -> npt.NDArray[np.int16]:
        """Return the kept frames as one int16 array. Runs on any thread but the clock thread."""
        # deque.copy() is a single C call, so it cannot see a half-appended deque.
        return np.frombuffer(b"".join(self._frames.copy()), dtype="<i2").astype(np.int16)

    def clear(self) -> None:
        """Forget the kept frames."""
        self._frames.clear()

    def close(self) -> None:
        """Nothing to release; the frames stay readable. Runs on the main thread."""


_DRAIN_S = 0.1  # how often the writer thread empties the queue


class WavFileSink:
    """Records frames to a 16 kHz mono 16-bit WAV file through a bounded queue and a writer thread.

    The queue is a deque the writer drains every `_DRAIN_S`: the clock thread only appends (no
    lock, no wake-up of the writer per frame, which cost a quarter of its Python time).

    The header is rewritten and the file synced every `flush_interval_s`, so a killed process
    leaves a playable file missing at most that much audio plus what was still queued.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        max_queued_frames: int = 250,
        flush_interval_s: float = 0.5,
    ) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise AudioWriteError(
                f"cannot write WAV '{self.path}': directory '{self.path.parent}' does not exist; "
                "create it or choose another path"
            )
        try:
            self._file = sf.SoundFile(
                self.path, "w", samplerate=RATE, channels=1, subtype="PCM_16", format="WAV"
            )
        except (sf.LibsndfileError, OSError) as exc:
            raise AudioWriteError(
                f"cannot write WAV '{self.path}': {exc}; check that the directory is writable "
                "and has free space"
            ) from exc
        self._queue: deque[bytes] = deque()
        self._max_queued = max_queued_frames
        self._flush_interval_s = flush_interval_s
        self._stopping = threading.Event()
        self._closed = False
        self.dropped = 0  # frames lost to a full queue, a partial sample or a closed sink
        self.samples_written = 0
        self.samples_synced = 0  # samples a killed process would leave readable in the file
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"wav-writer:{self.path.name}", daemon=True
        )
        self._thread.start()

    def write_frame(self, pcm: bytes) -> None:
        """Queue one frame for the writer thread.

        Runs on the pjsua2 bridge clock thread: never blocks; a full queue drops the frame and
        counts it in `dropped` rather than stalling the bridge.
        """
        if self._closed or len(pcm) % 2 or len(self._queue) >= self._max_queued:
            self.dropped += 1
            return
        self._queue.append(bytes(pcm))  # copy: the caller may reuse its buffer

    def _run(self) -> None:
        """Drain the queue into the file. Runs on this sink's own writer thread."""
        last_sync = time.monotonic()
        unsynced = False
        try:
            while True:
                # A short wait lets close() finish quickly; syncing is timed separately.
                stopping = self._stopping.is_set() or (
                    not self._queue and self._stopping.wait(_DRAIN_S)
                )
                batch: list[bytes] = []
                while self._queue and len(batch) < 50:  # up to a second in one write
                    batch.append(self._queue.popleft())
                if not batch and stopping:
                    break
                if batch:
                    samples = np.frombuffer(b"".join(batch), dtype="<i2")
                    self._file.write(samples)
                    self.samples_written += samples.size
                    unsynced = True
                now = time.monotonic()
                if unsynced and now - last_sync >= self._flush_interval_s:
                    self._sync()
                    self.samples_synced = self.samples_written
                    last_sync, unsynced = now, False
        except (RuntimeError, OSError) as exc:  # LibsndfileError is a RuntimeError
            self.error = exc
            log.exception("recording to %s stopped", self.path)

    def _sync(self) -> None:
        """Make the file on disk playable as it stands. Runs on the writer thread or at close."""
        # Without a header update a killed process leaves data size 0, which only libsndfile
        # tolerates; other players refuse the file. soundfile keeps these handles private.
        snd, handle = getattr(sf, "_snd", None), getattr(self._file, "_file", None)
        if snd is not None and handle is not None:
            snd.sf_command(handle, _SFC_UPDATE_HEADER_NOW, sf._ffi.NULL, 0)
        self._file.flush()

    def close(self) -> None:
        """Write what is queued, stop the writer and close the file. Runs on the main thread.

        Raises AudioWriteError if the writer failed; the file then holds what was written before.
        """
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self._thread.join()
        # A frame that raced past the closed check after the writer's last poll is lost: count it.
        self.dropped += len(self._queue)
        self._queue.clear()
        try:
            self._file.close()
        except (RuntimeError, OSError) as exc:
            self.error = self.error or exc
        if self.error is not None:
            raise AudioWriteError(
                f"recording to '{self.path}' failed: {self.error}; check free disk space and "
                "permissions"
            ) from self.error

    @property
    def seconds_written(self) -> float:
        """Audio time written to the file so far."""
        return self.samples_written / RATE
