"""The recording writer: a finished WAV, and a killed writer that loses at most its last second."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from softphone.recordings.metadata import read_metadata
from softphone.recordings.store import PARTIAL_SUFFIX, RecordingStore
from softphone.recordings.writer import RecordingWriter, file_sha256
from softphone.vocabulary.frames import FRAME_SAMPLES, RATE

REPO = Path(__file__).resolve().parents[2]


def _stereo(tick: int) -> bytes:
    frame = np.empty(2 * FRAME_SAMPLES, dtype="<i2")
    frame[0::2] = tick % 30000
    frame[1::2] = -(tick % 30000)
    return frame.tobytes()


def test_finish_writes_a_stereo_wav_with_every_frame(tmp_path: Path) -> None:
    errors: list[str] = []
    writer = RecordingWriter(tmp_path / f"a{PARTIAL_SUFFIX}", errors.append)
    for tick in range(200):
        writer.write(_stereo(tick))
    done = writer.finish(tmp_path / "a.wav")
    data, rate = sf.read(done.path, dtype="int16")
    assert rate == RATE and data.shape == (200 * FRAME_SAMPLES, 2)
    assert (data[::FRAME_SAMPLES, 0] == np.arange(200)).all()
    assert (data[:, 1] == -data[:, 0]).all()
    assert done.frames == 200 * FRAME_SAMPLES and done.sha256 == file_sha256(done.path)
    assert not (tmp_path / f"a{PARTIAL_SUFFIX}").exists() and errors == []


def test_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    try:
        RecordingWriter(tmp_path / "missing" / f"a{PARTIAL_SUFFIX}", print)
    except OSError as exc:
        assert "cannot create the recording" in str(exc) and "writable" in str(exc)
    else:
        raise AssertionError("no error for a missing directory")


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from softphone.recordings.writer import RecordingWriter
    from tests.unit.test_recording_writer import _stereo
    writer = RecordingWriter(Path(sys.argv[1]), print)
    tick = 0
    start = time.monotonic()
    while True:
        writer.write(_stereo(tick))
        tick += 1
        print(tick, flush=True)
        time.sleep(max(0.0, start + tick * 0.02 - time.monotonic()))
    """
)


def test_a_kill_loses_at_most_the_last_second_and_recovery_makes_it_playable(
    tmp_path: Path,
) -> None:
    store = RecordingStore(tmp_path)
    paths = store.new_recording("call-1", "inbound", time.time())
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(paths.partial)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert child.stdout is not None
    produced = 0
    for line in child.stdout:
        produced = int(line)
        if produced >= 150:  # three seconds of audio handed to the writer
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    recovered = store.recover()
    assert recovered == [paths.metadata.with_suffix(".json")] or recovered
    data, _ = sf.read(paths.audio, dtype="int16")
    kept = data.shape[0] // FRAME_SAMPLES
    assert produced - kept <= 50, f"lost {produced - kept} frames of {produced}"
    assert (data[::FRAME_SAMPLES, 0] == np.arange(kept)).all()  # intact, in order
    metadata = read_metadata(paths.metadata)
    assert metadata.status == "interrupted"
    assert metadata.audio.frames == data.shape[0]
    assert metadata.audio.sha256 == file_sha256(paths.audio)
    assert "metadata missing" in metadata.errors[0]  # this test wrote none before the kill
