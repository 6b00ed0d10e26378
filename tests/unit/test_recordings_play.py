"""`softphone recordings play`: the part, the party and the speed asked for, pitch kept, audited."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from softphone.cli import playcommand
from softphone.cli.main import build_parser
from softphone.media.devices import DeviceError
from softphone.media.replay import ReplayCursor
from softphone.media.stretch import Block
from softphone.recordings.audiofile import SealedAudioError
from softphone.recordings.audit import AuditLog
from softphone.recordings.store import recording_id
from softphone.vocabulary.frames import FRAME_SAMPLES, RATE
from tests.unit.test_recording_sealed import QA, QA_PUBLIC, _record

AGENT_HZ, CUSTOMER_HZ = 1000.0, 440.0
SECONDS = 3.0


def _tones() -> list[bytes]:
    """SECONDS of the agent at AGENT_HZ on the left and the customer at CUSTOMER_HZ on the right."""
    t = np.arange(int(SECONDS * RATE)) / RATE
    pcm = np.empty((len(t), 2), dtype="<i2")
    pcm[:, 0] = 8000 * np.sin(2 * np.pi * AGENT_HZ * t)
    pcm[:, 1] = 8000 * np.sin(2 * np.pi * CUSTOMER_HZ * t)
    data = pcm.tobytes()
    size = 4 * FRAME_SAMPLES
    return [data[i : i + size] for i in range(0, len(data), size)]


def _args(root: Path, rid: str, *options: str) -> argparse.Namespace:
    return build_parser().parse_args(
        ["recordings", "play", rid, "--recordings", str(root), *options]
    )


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    middle = samples[len(samples) // 4 : -len(samples) // 4]
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
    return float(np.argmax(spectrum) * rate / len(middle))


@pytest.fixture
def recording(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "recordings"
    root.mkdir()
    return root, recording_id(root, _record(root, _tones(), keys=()))


@pytest.mark.parametrize("speed", [0.5, 1.0, 1.5, 2.0])
def test_the_length_scales_with_the_speed_and_the_pitch_stays(
    recording: tuple[Path, str], tmp_path: Path, speed: float
) -> None:
    root, rid = recording
    out = tmp_path / "out.wav"
    done = playcommand.run(_args(root, rid, "--speed", str(speed), "--to-file", str(out)), root)
    assert done == 0
    heard, rate = sf.read(out, dtype="float32", always_2d=True)
    assert rate == RATE
    assert len(heard) / rate == pytest.approx(SECONDS / speed, abs=0.05)
    assert _peak_hz(heard[:, 0], rate) == pytest.approx(AGENT_HZ, abs=5)
    assert _peak_hz(heard[:, 1], rate) == pytest.approx(CUSTOMER_HZ, abs=5)


@pytest.mark.parametrize(("channel", "hz"), [("agent", AGENT_HZ), ("customer", CUSTOMER_HZ)])
def test_one_party_is_heard_on_both_ears(
    recording: tuple[Path, str], tmp_path: Path, channel: str, hz: float
) -> None:
    root, rid = recording
    out = tmp_path / "out.wav"
    assert playcommand.run(_args(root, rid, "--channel", channel, "--to-file", str(out)), root) == 0
    heard, rate = sf.read(out, dtype="float32", always_2d=True)
    assert np.array_equal(heard[:, 0], heard[:, 1])
    assert _peak_hz(heard[:, 0], rate) == pytest.approx(hz, abs=5)


def test_a_part_is_cut_and_the_file_export_is_audited(
    recording: tuple[Path, str], tmp_path: Path
) -> None:
    root, rid = recording
    out = tmp_path / "part.wav"
    args = _args(root, rid, "--from", "1", "--to", "2.5", "--speed", "1.5", "--to-file", str(out))
    assert playcommand.run(args, root) == 0
    assert sf.info(out).duration == pytest.approx(1.0, abs=0.05)
    last = list(AuditLog.of(root).entries())[-1].data
    assert (last["event"], last["recording"], last["to"]) == ("exported", rid, str(out))
    assert (last["from_s"], last["to_s"], last["speed"], last["channel"]) == (1.0, 2.5, 1.5, "both")
    with pytest.raises(ValueError, match="exists already"):
        playcommand.run(args, root)


class FakeOutput:
    """An AudioOutput that plays instantly and keeps what it was given."""

    def __init__(self) -> None:
        self.rate = 0
        self.blocks: list[Block] = []
        self.closed = False
        self.refuse = False

    def open(self, rate: int) -> None:
        if self.refuse:
            raise DeviceError("no audio speaker found: plug in a headset")
        self.rate = rate

    def write(self, block: Block) -> None:
        self.blocks.append(block)

    def queued_s(self) -> float:
        return 0.0

    def clear(self) -> None:
        self.blocks.clear()

    def close(self) -> None:
        self.closed = True


def test_playing_feeds_the_output_and_enters_the_part_heard(recording: tuple[Path, str]) -> None:
    root, rid = recording
    output = FakeOutput()
    args = _args(root, rid, "--from", "0.5", "--speed", "2", "--channel", "customer")
    assert playcommand.run(args, root, output) == 0
    assert output.closed and output.rate == RATE
    heard = np.concatenate(output.blocks)
    assert len(heard) / RATE == pytest.approx((SECONDS - 0.5) / 2, abs=0.1)
    last = list(AuditLog.of(root).entries())[-1].data
    assert (last["event"], last["recording"], last["channel"], last["speed"]) == (
        "played", rid, "customer", 2.0,
    )  # fmt: skip
    assert (last["start_s"], last["end_s"]) == (0.5, pytest.approx(SECONDS))


def test_a_sealed_recording_needs_the_qa_key(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    rid = recording_id(root, _record(root, _tones(), keys=(QA_PUBLIC,)))
    out = tmp_path / "out.wav"
    args = _args(root, rid, "--to-file", str(out))
    with pytest.raises(SealedAudioError, match="softphone qa import-key"):
        playcommand.run(args, root, keys=list)
    assert not out.exists()
    assert playcommand.run(args, root, keys=lambda: [str(QA)]) == 0
    assert sf.info(out).duration == pytest.approx(SECONDS, abs=0.05)


def test_a_speed_outside_half_to_double_is_refused(recording: tuple[Path, str]) -> None:
    root, rid = recording
    with pytest.raises(SystemExit):
        _args(root, rid, "--speed", "3")


def test_a_seek_moves_the_cursor_and_the_end_is_reached() -> None:
    cursor = ReplayCursor(np.zeros((RATE, 2), dtype=np.int16), RATE)
    cursor.seek(0.75)
    assert cursor.position_s == 0.75
    while not cursor.finished:
        cursor.read(0.1)
    assert cursor.position_s == 1.0 and len(cursor.read(0.1)) == 0


def test_without_a_sound_output_nothing_is_played_or_audited(
    recording: tuple[Path, str],
) -> None:
    root, rid = recording
    output = FakeOutput()
    output.refuse = True
    with pytest.raises(DeviceError, match="no audio speaker"):
        playcommand.run(_args(root, rid), root, output)
    assert [e.data["event"] for e in AuditLog.of(root).entries()][-1] == "finalised"
