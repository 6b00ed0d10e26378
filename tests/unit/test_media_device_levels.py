"""Level meters and the anti-alias filter used on devices that do not run at 16 kHz."""

from __future__ import annotations

import numpy as np
import pytest

from softphone.media.analysis import tone_level_db
from softphone.media.antialias import LowPass
from softphone.media.levels import SILENCE_DB, LevelMeter, dbfs


def sine(hz: float, rate: int, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * 32768 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_a_full_scale_sine_reads_0_dbfs_peak_and_minus_3_rms() -> None:
    meter = LevelMeter()
    signal = sine(1000, 16000, 0.5, 1.0)
    for start in range(0, signal.size, 160):
        meter.update(signal[start : start + 160], 16000)
    level = meter.read()
    assert level.peak_db == pytest.approx(0.0, abs=0.05)
    assert level.rms_db == pytest.approx(-3.01, abs=0.1)
    assert level.updates == 50


def test_the_peak_holds_then_falls_and_silence_reads_the_floor() -> None:
    meter = LevelMeter()
    meter.update(sine(1000, 16000, 0.02, 0.5), 16000)
    for _ in range(25):  # half a second of silence
        meter.update(np.zeros(320, dtype=np.float32), 16000)
    level = meter.read()
    assert level.peak_db == pytest.approx(dbfs(16384) - 10.0, abs=0.5)  # 20 dB/s for 0.5 s
    assert level.rms_db < -35.0  # RMS follows within about 100 ms
    meter.silence()
    assert meter.read().rms_db == SILENCE_DB == meter.read().peak_db


def test_the_low_pass_keeps_speech_and_removes_what_the_bridge_cannot_carry() -> None:
    low_pass = LowPass(48000, 16000)
    speech, alias = sine(1000, 48000, 1.0, 0.5), sine(12000, 48000, 1.0, 0.5)
    kept = np.concatenate([low_pass(speech[i : i + 480]) for i in range(0, 48000, 480)])
    low_pass = LowPass(48000, 16000)
    gone = np.concatenate([low_pass(alias[i : i + 480]) for i in range(0, 48000, 480)])
    assert tone_level_db(kept[4800:] / 32768, 48000, 1000.0) == pytest.approx(-6.0, abs=0.3)
    assert tone_level_db(gone[4800:] / 32768, 48000, 12000.0) < -60.0


def test_the_low_pass_is_only_for_faster_devices() -> None:
    with pytest.raises(ValueError, match="only needed"):
        LowPass(16000, 16000)
