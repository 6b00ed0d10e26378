"""Level meters for the headset: RMS and peak of each audio block, in dB relative to full scale.

The real-time side calls `LevelMeter.update` once per device block; it only does arithmetic on
the block and stores plain floats (one writer), so it never blocks. Any other thread reads a
consistent-enough snapshot with `read()`; at the 10-20 ms block rate of a headset that is 50 to 100
updates a second, far above what a meter needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FULL_SCALE = 32768.0
"""Magnitude of a full-scale 16-bit sample."""
SILENCE_DB = -120.0
"""The level reported for digital silence, instead of minus infinity."""

_PEAK_FALL_DB_PER_S = 20.0  # peak hold falls like a VU meter's needle, 20 dB a second
_RMS_TIME_S = 0.1  # RMS is averaged over about 100 ms


def dbfs(value: float) -> float:
    """Convert a magnitude in 16-bit units to dBFS, clamped at `SILENCE_DB`."""
    if value <= 0.0:
        return SILENCE_DB
    return max(SILENCE_DB, 20.0 * math.log10(value / FULL_SCALE))


@dataclass(frozen=True)
class Level:
    """One meter reading: smoothed RMS, falling peak hold, and how many blocks fed it so far."""

    rms_db: float
    peak_db: float
    updates: int


class LevelMeter:
    """Smoothed RMS and a falling peak of a mono stream of float32 blocks in 16-bit units."""

    def __init__(self) -> None:
        self._mean_square = 0.0
        self._peak_db = SILENCE_DB
        self._updates = 0

    def update(self, block: npt.NDArray[np.float32], rate: int) -> None:
        """Fold one block in. Runs on the PortAudio thread; must not block or touch Qt."""
        n = int(block.shape[0])
        if n == 0:
            return
        seconds = n / rate
        square = float(np.dot(block, block)) / n
        weight = min(seconds / _RMS_TIME_S, 1.0)
        self._mean_square += weight * (square - self._mean_square)
        peak = dbfs(float(np.max(np.abs(block))))
        self._peak_db = max(peak, self._peak_db - _PEAK_FALL_DB_PER_S * seconds)
        self._updates += 1

    def silence(self) -> None:
        """Show silence at once (the device stopped). Runs on the thread that owns the meter."""
        self._mean_square = 0.0
        self._peak_db = SILENCE_DB

    def read(self) -> Level:
        """The current reading; any thread."""
        return Level(dbfs(math.sqrt(self._mean_square)), self._peak_db, self._updates)
