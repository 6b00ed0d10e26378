"""Low-pass filter for devices that do not run at the bridge's 16 kHz (48 kHz headsets, say).

The FIFO converts rates by interpolation, which alone would fold a 48 kHz microphone's content
above 8 kHz into the band (aliasing) and leave images above 8 kHz on a 48 kHz speaker. This filter
runs at the device's rate, before the FIFO for a microphone and after it for a speaker, and keeps
only what the 16 kHz bridge can carry.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_TAPS_PER_RATIO = 16  # filter length per unit of rate ratio: ~60 dB stop band, ~0.3 ms delay
_KAISER_BETA = 6.0
_PASSBAND = 0.9  # pass band edge as a share of the bridge's Nyquist frequency


class LowPass:
    """Streaming FIR low-pass at `device_rate` with its cut-off below `bridge_rate` / 2."""

    def __init__(self, device_rate: int, bridge_rate: int) -> None:
        if device_rate <= bridge_rate:
            raise ValueError("a low-pass is only needed when the device rate is above the bridge's")
        ratio = device_rate / bridge_rate
        taps = int(_TAPS_PER_RATIO * ratio) | 1  # odd: a whole-sample delay
        cutoff = _PASSBAND * bridge_rate / device_rate  # as a fraction of the device's Nyquist
        n = np.arange(taps) - (taps - 1) / 2
        kernel = cutoff * np.sinc(cutoff * n) * np.kaiser(taps, _KAISER_BETA)
        self._kernel = (kernel / kernel.sum()).astype(np.float32)
        self._state = np.zeros(taps - 1, dtype=np.float32)

    def __call__(self, block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Filter one block, continuing from the previous one.

        Runs on the PortAudio thread; must not block or touch Qt.
        """
        joined = np.concatenate((self._state, block))
        self._state = joined[block.shape[0] :]
        out: npt.NDArray[np.float32] = np.convolve(joined, self._kernel, mode="valid")
        return out.astype(np.float32, copy=False)
