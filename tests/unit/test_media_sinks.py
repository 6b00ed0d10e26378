"""Tests for the frame sinks: the in-memory capture and the queued WAV recorder."""

import os
import signal
import subprocess
import sys
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from softphone.media.errors import AudioWriteError
from softphone.media.sinks import CaptureSink, NullSink, WavFileSink
from softphone.media.sources import ToneSource
from softphone.vocabulary.frames import FRAME_BYTES, FRAME_SAMPLES, RATE, FrameSink


def tone_frames(count: int, hz: float = 700.0) -> list[bytes]:
    """Consecutive frames of a tone, so order and loss are visible in the samples."""
    source = ToneSource(hz)
    return [source.read_frame() for _ in range(count)]


def as_int16(frames: list[bytes]) -> npt.NDArray[np.int16]:
    """Frames joined as one int16 array."""
    return np.frombuffer(b"".join(frames), dtype="<i2").astype(np.int16)


class BlockingFile:
    """Wraps a SoundFile so a test can hold the writer thread inside write()."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def write(self, data: Any) -> None:
        self.entered.set()
        assert self.release.wait(10), "test never released the writer"
        self.inner.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_null_sink_is_a_frame_sink() -> None:
    sink = NullSink()
    assert isinstance(sink, FrameSink)
    sink.write_frame(bytes(FRAME_BYTES))
    sink.close()


def test_capture_sink_keeps_frames_in_order() -> None:
    frames = tone_frames(5)
    sink = CaptureSink()
    assert isinstance(sink, FrameSink)
    for frame in frames:
        sink.write_frame(frame)
    assert np.array_equal(sink.samples(), as_int16(frames))
    assert sink.frames_written == 5
    sink.clear()
    assert sink.samples().size == 0


def test_capture_sink_is_bounded_and_keeps_the_newest() -> None:
    frames = tone_frames(10)
    sink = CaptureSink(max_frames=4)
    for frame in frames:
        sink.write_frame(frame)
    assert np.array_equal(sink.samples(), as_int16(frames[-4:]))
    assert sink.frames_written == 10


def test_capture_sink_refuses_partial_samples() -> None:
    sink = CaptureSink()
    sink.write_frame(b"\x01\x02\x03")
    assert sink.dropped == 1
    assert sink.samples().size == 0


def test_wav_sink_records_every_frame_exactly(tmp_path: Path) -> None:
    path = tmp_path / "rec.wav"
    frames = tone_frames(120)
    sink = WavFileSink(path)
    assert isinstance(sink, FrameSink)
    for frame in frames:
        sink.write_frame(frame)
    sink.close()
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.subtype, info.format) == (
        RATE,
        1,
        "PCM_16",
        "WAV",
    )
    data, _ = sf.read(path, dtype="int16")
    assert np.array_equal(data, as_int16(frames))
    assert sink.dropped == 0
    assert sink.seconds_written == pytest.approx(120 * FRAME_SAMPLES / RATE)


def test_wav_sink_drops_and_counts_when_the_queue_is_full(tmp_path: Path) -> None:
    path = tmp_path / "full.wav"
    frames = tone_frames(9)
    sink = WavFileSink(path, max_queued_frames=3)
    blocker = BlockingFile(sink._file)
    sink._file = blocker
    sink.write_frame(frames[0])
    assert blocker.entered.wait(10)  # the writer holds frame 0 and is stuck in write()
    for frame in frames[1:]:
        sink.write_frame(frame)  # must return at once even though nothing drains
    assert sink.dropped == 5
    blocker.release.set()
    sink._file = blocker.inner
    sink.close()
    data, _ = sf.read(path, dtype="int16")
    assert np.array_equal(data, as_int16(frames[:4]))


def test_wav_sink_close_is_idempotent_and_later_frames_are_counted(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "closed.wav")
    sink.write_frame(tone_frames(1)[0])
    sink.close()
    sink.close()
    sink.write_frame(tone_frames(1)[0])
    assert sink.dropped == 1
    assert sf.info(tmp_path / "closed.wav").frames == FRAME_SAMPLES


def test_wav_sink_refuses_a_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "rec.wav"
    with pytest.raises(AudioWriteError, match="does not exist") as caught:
        WavFileSink(path)
    assert str(path) in str(caught.value)


def test_wav_sink_reports_a_write_failure_at_close(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "fail.wav")
    blocker = BlockingFile(sink._file)

    def full_disk(data: Any) -> None:
        raise OSError(28, "No space left on device")

    blocker.write = full_disk  # type: ignore[method-assign]
    sink._file = blocker
    sink.write_frame(tone_frames(1)[0])
    sink._thread.join(10)  # the writer stops on the error instead of spinning
    assert not sink._thread.is_alive()
    assert isinstance(sink.error, OSError)
    sink._file = blocker.inner
    with pytest.raises(AudioWriteError, match="No space left"):
        sink.close()


_KILLED_WRITER = """
import sys, time
from softphone.media.sinks import WavFileSink
from softphone.media.sources import ToneSource
sink = WavFileSink(sys.argv[1], flush_interval_s=0.05)
tone = ToneSource(700.0)
for _ in range(50):
    sink.write_frame(tone.read_frame())
while sink.samples_synced < 50 * 320:
    time.sleep(0.01)
print("synced", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_wav_sink_leaves_a_playable_file_when_killed(tmp_path: Path) -> None:
    path = tmp_path / "killed.wav"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert line.strip() == "synced"
    # The stdlib reader trusts the header alone, so this proves the header was kept current.
    with wave.open(str(path)) as reader:
        assert reader.getnframes() == 50 * FRAME_SAMPLES
        pcm = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    assert np.array_equal(pcm, as_int16(tone_frames(50)))
