"""Tests for the frame sources, the resampler, WAV loading errors and the CLI source spec."""

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from softphone.media.analysis import dominant_frequency, tone_level_db
from softphone.media.errors import AudioFileError
from softphone.media.sources import (
    SilenceSource,
    SourceSpec,
    ToneSource,
    WavSource,
    load_wav,
    open_source,
    parse_source_spec,
    resample,
)
from softphone.vocabulary.frames import FRAME_BYTES, FRAME_SAMPLES, RATE, FrameSource


def read_pcm(source: FrameSource, frames: int) -> npt.NDArray[np.int16]:
    """Pull `frames` frames from a source, checking each one's size, as one int16 array."""
    chunks = [source.read_frame() for _ in range(frames)]
    assert all(len(chunk) == FRAME_BYTES for chunk in chunks)
    return np.frombuffer(b"".join(chunks), dtype="<i2").astype(np.int16)


def sine(hz: float, seconds: float, rate: int, amplitude: float = 0.5) -> npt.NDArray[np.float64]:
    """A sine tone as float samples."""
    t = np.arange(round(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * hz * t)


def ramp_wav(path: Path, samples: int) -> npt.NDArray[np.int16]:
    """Write a 16 kHz mono 16-bit WAV of distinct, non-zero sample values and return them."""
    data = ((np.arange(samples) * 37) % 20000 + 1).astype(np.int16)
    sf.write(path, data, RATE, subtype="PCM_16")
    return data


# --- silence and tone -----------------------------------------------------------------------


def test_silence_source_serves_zero_frames() -> None:
    source = SilenceSource()
    assert isinstance(source, FrameSource)
    assert not np.any(read_pcm(source, 3))


@given(
    hz=st.floats(min_value=1.0, max_value=7999.0),
    amplitude=st.floats(min_value=0.0, max_value=1.0),
    frames=st.integers(min_value=1, max_value=30),
)
def test_tone_frames_are_whole_and_phase_continuous(
    hz: float, amplitude: float, frames: int
) -> None:
    pcm = read_pcm(ToneSource(hz, amplitude), frames)
    # One continuous sine over all frames: any phase reset at a frame boundary breaks this.
    n = np.arange(frames * FRAME_SAMPLES)
    expected = np.rint(amplitude * 32767 * np.sin(2 * np.pi * hz * n / RATE))
    assert np.max(np.abs(pcm - expected)) <= 1


def test_tone_has_its_frequency_and_amplitude() -> None:
    pcm = read_pcm(ToneSource(1234.5, amplitude=0.25), 50)
    assert dominant_frequency(pcm, RATE) == pytest.approx(1234.5, abs=0.5)
    assert np.max(np.abs(pcm)) == pytest.approx(0.25 * 32767, abs=2)


@pytest.mark.parametrize(("hz", "amplitude"), [(0, 0.3), (-5, 0.3), (8000, 0.3), (math.nan, 0.3)])
def test_tone_rejects_frequency_outside_bridge_band(hz: float, amplitude: float) -> None:
    with pytest.raises(ValueError, match="tone frequency"):
        ToneSource(hz, amplitude)


@pytest.mark.parametrize("amplitude", [-0.1, 1.5, math.inf])
def test_tone_rejects_bad_amplitude(amplitude: float) -> None:
    with pytest.raises(ValueError, match="amplitude"):
        ToneSource(440, amplitude)


# --- WAV source -----------------------------------------------------------------------------


def test_wav_at_bridge_format_is_served_bit_for_bit(tmp_path: Path) -> None:
    path = tmp_path / "exact.wav"
    data = ramp_wav(path, 3 * FRAME_SAMPLES)
    data[0], data[1] = 32767, -32768  # extremes must survive the float round trip too
    sf.write(path, data, RATE, subtype="PCM_16")
    source = WavSource(path, loop=False)
    assert np.array_equal(read_pcm(source, 3), data)
    assert source.finished
    assert source.duration_s == pytest.approx(3 * FRAME_SAMPLES / RATE)


def test_wav_without_loop_pads_with_silence_and_reports_finished(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    data = ramp_wav(path, 1000)  # 3 frames and 40 samples
    source = WavSource(path, loop=False)
    first = read_pcm(source, 3)
    assert not source.finished
    last = read_pcm(source, 1)
    assert source.finished
    assert np.array_equal(np.concatenate([first, last[:40]]), data)
    assert not np.any(last[40:])
    assert not np.any(read_pcm(source, 2))


def test_wav_loop_wraps_across_frame_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "loop.wav"
    data = ramp_wav(path, 1000)
    source = WavSource(path, loop=True)
    pcm = read_pcm(source, 10)
    assert np.array_equal(pcm, np.tile(data, 4)[: pcm.size])
    assert not source.finished


def test_wav_shorter_than_a_frame_loops_with_its_own_period(tmp_path: Path) -> None:
    path = tmp_path / "tiny.wav"
    data = ramp_wav(path, 100)
    pcm = read_pcm(WavSource(path), 4)
    assert np.array_equal(pcm, np.tile(data, 13)[: pcm.size])


def test_stereo_44k1_wav_is_mixed_and_resampled_to_the_bridge_rate(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    tone = sine(1000, 2.0, 44100)
    # Channel mix is the mean: a tone only on the left comes out 6 dB down.
    sf.write(path, np.column_stack([tone, np.zeros_like(tone)]), 44100, subtype="PCM_16")
    source = WavSource(path, loop=False)
    assert source.duration_s == pytest.approx(2.0, abs=1e-3)
    pcm = read_pcm(source, 100)
    middle = pcm[RATE // 2 : RATE + RATE // 2]
    assert dominant_frequency(middle, RATE) == pytest.approx(1000, abs=1)
    assert tone_level_db(middle, RATE, 1000) == pytest.approx(20 * math.log10(0.25), abs=0.2)


def test_downsampling_rejects_content_above_the_new_nyquist(tmp_path: Path) -> None:
    path = tmp_path / "alias.wav"
    # 12 kHz does not exist at 16 kHz; naive decimation or np.interp would fold it to 4 kHz.
    sf.write(path, sine(12000, 1.0, 44100) + sine(1000, 1.0, 44100), 44100, subtype="PCM_16")
    pcm = read_pcm(WavSource(path), 50)
    assert tone_level_db(pcm, RATE, 4000) < -60
    assert tone_level_db(pcm, RATE, 1000) == pytest.approx(20 * math.log10(0.5), abs=0.2)


def test_upsampling_keeps_the_tone_without_an_image() -> None:
    upsampled = resample(sine(1000, 1.0, 8000), 8000, RATE)
    assert upsampled.size == RATE
    assert dominant_frequency(upsampled, RATE) == pytest.approx(1000, abs=0.5)
    assert tone_level_db(upsampled, RATE, 7000) < -60  # the mirror image at 8000 - 1000 Hz


@pytest.mark.parametrize(("src", "dst"), [(44100, 16000), (48000, 16000), (11025, 16000)])
def test_resample_length_follows_the_rate_ratio(src: int, dst: int) -> None:
    assert resample(np.zeros(src), src, dst).size == dst
    assert np.array_equal(resample(np.ones(5), dst, dst), np.ones(5))


# --- WAV errors -----------------------------------------------------------------------------


def write_corrupt(path: Path) -> None:
    """A WAV whose RIFF header is intact but whose chunks are garbage."""
    sf.write(path, np.zeros(1600, dtype=np.int16), RATE, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:12] + b"\xff" * 200)


@pytest.mark.parametrize(
    ("prepare", "reason"),
    [
        (lambda p: None, "file not found"),
        (lambda p: p.mkdir(), "not a file"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("this is a text file, not audio\n" * 20), "not a readable audio"),
        (write_corrupt, "not a readable audio"),
        (lambda p: sf.write(p, np.zeros(0, dtype=np.int16), RATE), "no audio samples"),
    ],
    ids=["missing", "directory", "empty", "text", "corrupt", "no-samples"],
)
def test_unusable_wav_raises_actionable_error(
    tmp_path: Path, prepare: Callable[[Path], object], reason: str
) -> None:
    path = tmp_path / "bad.wav"
    prepare(path)
    with pytest.raises(AudioFileError, match=reason) as caught:
        WavSource(path)
    message = str(caught.value)
    assert f"'{path}'" in message
    assert "give " in message  # says what to do
    assert isinstance(caught.value, ValueError)


def test_load_wav_returns_frames_by_channels(tmp_path: Path) -> None:
    path = tmp_path / "two.wav"
    sf.write(path, np.full((800, 2), [0.25, -0.5]), 22050, subtype="PCM_16")
    data, rate = load_wav(path)
    assert rate == 22050
    assert data.shape == (800, 2)
    assert np.allclose(data[0], [0.25, -0.5], atol=1e-4)


# --- source spec ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("device", SourceSpec("device")),
        ("silence", SourceSpec("silence")),
        ("tone:440", SourceSpec("tone", hz=440.0)),
        (" tone:1e3 ", SourceSpec("tone", hz=1000.0)),
        ("tone:7999.5", SourceSpec("tone", hz=7999.5)),
        ("greeting.wav", SourceSpec("wav", path=Path("greeting.wav"))),
        ("/tmp/dir with space/a.wav", SourceSpec("wav", path=Path("/tmp/dir with space/a.wav"))),
    ],
)
def test_parse_source_spec(text: str, expected: SourceSpec) -> None:
    assert parse_source_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tone:abc", "not a number"),
        ("tone:", "not a number"),
        ("tone:0", "out of range"),
        ("tone:-440", "out of range"),
        ("tone:8000", "out of range"),
        ("tone:nan", "out of range"),
        ("tone:inf", "out of range"),
        ("tone", "needs a frequency"),
        ("  ", "empty audio source"),
    ],
)
def test_parse_source_spec_rejects_bad_specs(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_source_spec(text)
    assert "tone:440" in str(caught.value)  # every message shows a valid example


@given(st.floats(min_value=0.0, max_value=8000.0, exclude_min=True, exclude_max=True))
def test_parse_source_spec_round_trips_valid_tones(hz: float) -> None:
    assert parse_source_spec(f"tone:{hz!r}") == SourceSpec("tone", hz=hz)


def test_open_source_builds_each_kind(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    data = ramp_wav(path, FRAME_SAMPLES)
    assert isinstance(open_source(SourceSpec("silence")), SilenceSource)
    tone = open_source(SourceSpec("tone", hz=700.0))
    assert isinstance(tone, ToneSource)
    assert tone.hz == 700.0
    wav = open_source(SourceSpec("wav", path=path), loop=False)
    assert isinstance(wav, WavSource)
    assert np.array_equal(read_pcm(wav, 1), data)
    assert wav.finished


def test_open_source_refuses_the_device() -> None:
    with pytest.raises(ValueError, match="opened elsewhere"):
        open_source(SourceSpec("device"))


def test_open_source_reports_missing_wav(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="file not found"):
        open_source(parse_source_spec(str(tmp_path / "nope.wav")))


def test_media_package_never_imports_pjsua2_or_qt() -> None:
    code = (
        "import sys\n"
        "import softphone.media.analysis, softphone.media.sinks, softphone.media.sources\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pjsua2', 'PySide6'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
