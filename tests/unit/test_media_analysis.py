"""Tests for the FFT analysis used to check recordings by their audio."""

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from softphone.media.analysis import (
    Segment,
    dominant_frequency,
    follow,
    locate,
    read_channels,
    read_mono,
    rms_db,
    tone_duration_s,
    tone_level_db,
    tone_timeline,
)
from softphone.media.errors import AudioFileError
from softphone.vocabulary.frames import RATE


def sine(
    hz: float, seconds: float, rate: int = RATE, amplitude: float = 0.5, phase: float = 0.0
) -> npt.NDArray[np.float64]:
    """A sine tone as float samples."""
    t = np.arange(round(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * hz * t + phase)


def silence(seconds: float) -> npt.NDArray[np.float64]:
    """Digital silence at the bridge rate."""
    return np.zeros(round(seconds * RATE))


def db(amplitude: float) -> float:
    """Level of a sine of this amplitude relative to full scale."""
    return 20 * math.log10(amplitude)


# --- levels and frequency -------------------------------------------------------------------


@given(
    rate=st.sampled_from([8000, 16000, 44100, 48000]),
    fraction=st.floats(min_value=0.01, max_value=0.48),
    amplitude=st.floats(min_value=0.01, max_value=1.0),
    phase=st.floats(min_value=0.0, max_value=2 * math.pi),
)
def test_dominant_frequency_finds_a_generated_tone(
    rate: int, fraction: float, amplitude: float, phase: float
) -> None:
    hz = fraction * rate
    samples = sine(hz, 1.0, rate, amplitude, phase)
    assert dominant_frequency(samples, rate) == pytest.approx(hz, abs=1.0)


def test_dominant_frequency_picks_the_stronger_of_two_tones() -> None:
    samples = sine(440, 1.0, amplitude=0.2) + sine(2500.5, 1.0, amplitude=0.4)
    assert dominant_frequency(samples, RATE) == pytest.approx(2500.5, abs=0.5)


def test_dominant_frequency_refuses_silence() -> None:
    with pytest.raises(ValueError, match="silent"):
        dominant_frequency(silence(1.0), RATE)


@pytest.mark.parametrize("amplitude", [1.0, 0.3, 0.01])
@pytest.mark.parametrize("hz", [440.0, 1000.0, 1003.7, 3333.3])
def test_tone_level_is_relative_to_a_full_scale_sine(hz: float, amplitude: float) -> None:
    # 0.1 s gives 10 Hz bins, so 1003.7 and 3333.3 fall between bins: the band must still hold it.
    level = tone_level_db(sine(hz, 0.1, amplitude=amplitude), RATE, hz)
    assert level == pytest.approx(db(amplitude), abs=0.5)


def test_tone_level_ignores_other_frequencies() -> None:
    samples = sine(1000, 1.0, amplitude=1.0)
    assert tone_level_db(samples, RATE, 1100) < -80
    assert tone_level_db(silence(1.0), RATE, 1000) == -math.inf


def test_int16_samples_are_read_as_pcm() -> None:
    pcm = np.rint(sine(1000, 0.5, amplitude=0.25) * 32767).astype(np.int16)
    assert tone_level_db(pcm, RATE, 1000) == pytest.approx(db(0.25), abs=0.1)
    assert rms_db(pcm) == pytest.approx(db(0.25), abs=0.1)


def test_stereo_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="mono"):
        tone_level_db(np.zeros((100, 2)), RATE, 1000)


def test_rms_db_of_silence_is_minus_infinity() -> None:
    assert rms_db(silence(0.1)) == -math.inf


# --- timeline -------------------------------------------------------------------------------


def test_timeline_labels_tones_silence_and_mixtures() -> None:
    samples = np.concatenate(
        [
            sine(440, 1.0),
            silence(0.5),
            sine(1000, 2.0),
            sine(3000, 0.5),  # an unlisted tone is "other", not one of ours
            sine(440, 1.0) + sine(1000, 1.0),  # neither dominates
            sine(440, 0.3),
        ]
    )
    timeline = tone_timeline(samples, RATE, [440, 1000])
    expected = [
        Segment(440, 0.0, 1.0),
        Segment(None, 1.0, 1.5),
        Segment(1000, 1.5, 3.5),
        Segment(None, 3.5, 5.0),
        Segment(440, 5.0, 5.3),
    ]
    assert [s.hz for s in timeline] == [s.hz for s in expected]
    for got, want in zip(timeline, expected, strict=True):
        assert got.start_s == pytest.approx(want.start_s)
        assert got.end_s == pytest.approx(want.end_s)
    assert timeline[2].duration_s == pytest.approx(2.0)


@pytest.mark.parametrize(("quieter", "label"), [(0.05, 1000), (0.2, None)])
def test_timeline_requires_dominance_over_other_listed_tones(
    quieter: float, label: float | None
) -> None:
    # 0.3 vs 0.05 is 15.6 dB apart (dominant); 0.3 vs 0.2 is 3.5 dB (ambiguous).
    samples = sine(1000, 1.0, amplitude=0.3) + sine(440, 1.0, amplitude=quieter)
    assert tone_timeline(samples, RATE, [440, 1000]) == [Segment(label, 0.0, 1.0)]


@pytest.mark.parametrize(("threshold", "label"), [(-40.0, None), (-50.0, 440)])
def test_timeline_threshold(threshold: float, label: float | None) -> None:
    samples = sine(440, 0.5, amplitude=10 ** (-45 / 20))  # a -45 dB tone
    timeline = tone_timeline(samples, RATE, [440], threshold_db=threshold)
    assert timeline == [Segment(label, 0.0, 0.5)]


def test_timeline_finds_a_tone_under_noise() -> None:
    rng = np.random.default_rng(7)
    samples = sine(1000, 2.0, amplitude=0.1) + rng.normal(0, 0.05, 2 * RATE)
    assert tone_timeline(samples, RATE, [440, 1000]) == [Segment(1000, 0.0, 2.0)]


def test_timeline_ignores_a_tail_shorter_than_a_window() -> None:
    assert tone_timeline(sine(440, 0.25), RATE, [440]) == [Segment(440, 0.0, 0.2)]
    assert tone_timeline(sine(440, 0.05), RATE, [440]) == []


def test_tone_duration_counts_only_windows_with_the_tone() -> None:
    samples = np.concatenate([silence(1.0), sine(440, 2.5), sine(1000, 1.0), silence(0.5)])
    assert tone_duration_s(samples, RATE, 440) == pytest.approx(2.5)
    assert tone_duration_s(samples, RATE, 1000) == pytest.approx(1.0)
    assert tone_duration_s(samples, RATE, 2000) == 0.0


def test_tone_duration_of_a_quiet_leak_is_zero_at_the_default_threshold() -> None:
    samples = sine(440, 3.0, amplitude=10 ** (-50 / 20))
    assert tone_duration_s(samples, RATE, 440) == 0.0
    assert tone_duration_s(samples, RATE, 440, threshold_db=-60) == pytest.approx(3.0)


# --- files ----------------------------------------------------------------------------------


def test_read_channels_and_mono_from_a_stereo_file(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    left, right = sine(440, 1.0, amplitude=0.4), sine(1000, 1.0, amplitude=0.4)
    sf.write(path, np.column_stack([left, right]), RATE, subtype="PCM_16")
    channels, rate = read_channels(path)
    assert rate == RATE
    assert channels.shape == (RATE, 2)
    assert dominant_frequency(channels[:, 0], rate) == pytest.approx(440, abs=0.5)
    assert dominant_frequency(channels[:, 1], rate) == pytest.approx(1000, abs=0.5)
    mono, _ = read_mono(path)
    assert tone_level_db(mono, rate, 440) == pytest.approx(db(0.2), abs=0.2)
    assert tone_level_db(mono, rate, 1000) == pytest.approx(db(0.2), abs=0.2)


def test_read_mono_reports_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    with pytest.raises(AudioFileError, match="not a readable audio file"):
        read_mono(path)


# --- following a reference through audio whose timing slips --------------------------------

SPEECH = Path(__file__).resolve().parents[2] / "resources" / "disclosure" / "en.wav"


def _speech(seconds: float) -> npt.NDArray[np.float64]:
    data, rate = read_mono(SPEECH)
    assert rate == RATE
    return data[: int(seconds * RATE)]


def test_follow_finds_speech_where_it_starts() -> None:
    speech = _speech(2.0)
    heard = np.concatenate((silence(0.3), speech, silence(0.5)))
    found = follow(heard, speech, RATE, max_lag_s=1.0)
    assert found.start_s == pytest.approx(0.3, abs=0.001)
    assert found.end_s == pytest.approx(2.3, abs=0.001)
    assert found.worst > 0.99


def test_follow_survives_what_a_jitter_buffer_does_and_locate_does_not() -> None:
    speech = _speech(3.0)
    a, b, c = int(0.9 * RATE), int(1.7 * RATE), int(2.4 * RATE)
    # 60 ms concealed (repeated) at 0.9 s, 20 ms dropped at 1.7 s, 10 ms dropped at 2.4 s
    heard = np.concatenate(
        (silence(0.05), speech[:a], speech[a - 960 : a], speech[a:b], speech[b + 320 : c],
         speech[c + 160 :])
    )  # fmt: skip
    found = follow(heard, speech, RATE, max_lag_s=1.0, chunk_s=0.1)
    assert found.worst >= 0.6
    assert np.mean(np.array(found.scores) >= 0.6) == 1.0
    assert found.end_s == pytest.approx(0.05 + 3.0 + 0.06 - 0.03, abs=0.02)
    assert locate(heard, speech, RATE, 1.0)[1] < 0.6  # one correlation over it all collapses


def test_follow_scores_other_audio_low() -> None:
    speech = _speech(2.0)
    other, _ = read_mono(SPEECH.with_name("nl.wav"))
    assert follow(other[: speech.size], speech, RATE, max_lag_s=1.0, chunk_s=0.1).worst < 0.6
    assert follow(sine(1000, 3.0), speech, RATE, max_lag_s=1.0).worst < 0.6
    assert follow(silence(3.0), speech, RATE, max_lag_s=1.0).worst == pytest.approx(0.0, abs=1e-6)


def test_follow_counts_what_never_arrived() -> None:
    speech = _speech(2.0)
    heard = np.concatenate((speech[:RATE], silence(1.0)))  # cut off after 1 s
    scores = np.array(follow(heard, speech, RATE, max_lag_s=1.0, chunk_s=0.1).scores)
    assert 0.5 < np.mean(scores >= 0.6) < 0.7  # half of it, give or take the piece at the cut
