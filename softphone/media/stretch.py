"""Speed change with the pitch kept (time-scale modification), through Signalsmith Stretch.

The python-stretch binding (MIT) is stateful: blocks given one after the other come out as one
continuous stream, each about `len(block) / speed` frames long, so a player can change the speed
between blocks. At speed 1 the audio passes untouched.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from python_stretch.Signalsmith import Stretch

MIN_SPEED, MAX_SPEED = 0.5, 2.0
Block = npt.NDArray[np.float32]
"""Audio as float32 frames x channels, in -1..1."""


def check_speed(speed: float) -> float:
    """`speed` if it is one QA may use (0.5 to 2); ValueError otherwise."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"the speed must be from {MIN_SPEED:g} to {MAX_SPEED:g}, not {speed:g}")
    return speed


class TimeStretcher:
    """Plays `channels` of audio at `rate` faster or slower, pitch kept, block by block."""

    def __init__(self, channels: int, rate: int, speed: float = 1.0) -> None:
        self._format = (channels, rate)
        self._engine: Stretch | None = None  # made when first needed: speed 1 needs none
        self._speed = 1.0
        self.speed = speed

    @property
    def speed(self) -> float:
        """How much faster than recorded (0.5: half speed, 2: double)."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if self._engine is not None:
            if self._speed == 1.0:  # what it held is from before the untouched stretch
                self._engine.reset()
            self._engine.setTimeFactor(check_speed(value))
        self._speed = check_speed(value)

    def process(self, block: Block) -> Block:
        """The next stretch of output for `block` (frames x channels)."""
        if self._speed == 1.0:
            return block
        if self._engine is None:
            self._engine = Stretch()
            self._engine.preset(*self._format)
            self._engine.setTimeFactor(self._speed)
        out = self._engine.process(np.ascontiguousarray(block.T, dtype=np.float32))
        return np.ascontiguousarray(np.asarray(out, dtype=np.float32).T)

    def reset(self) -> None:
        """Forget the audio given so far (after a seek: what follows is not continuous)."""
        if self._engine is not None:
            self._engine.reset()


def stretch(samples: Block, rate: int, speed: float) -> Block:
    """`samples` (frames x channels) played at `speed`, pitch kept, as one buffer."""
    return TimeStretcher(samples.shape[1], rate, speed).process(samples)
