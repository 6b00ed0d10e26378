"""Decodes a disclosure's audio file as a call will, and says what would make it unplayable."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile as sf

from softphone.config.filechecks import readable_file_problem

MIN_RATE = 8000  # telephone audio; calls play at 16 kHz, other rates are converted
MAX_CHANNELS = 2  # mono, or stereo mixed down to mono
MIN_SECONDS = 1.0  # "this call is recorded, for ..." cannot be said faster
SILENT_DBFS = -50.0  # an overall level below this is silence to a caller
_FIX = "record or export it again as a WAV file (16-bit PCM, mono, 16 kHz is best)"


def disclosure_audio_problem(path: Path) -> str | None:
    """Why `path` cannot be played as the disclosure, or None when it can.

    It is read whole, the way a call reads it: a file that is not audio, a sample rate below
    8 kHz, more than two channels, less than a second of sound, or silence is each named, with
    what to do about it.
    """
    problem = readable_file_problem(path)
    if problem is not None:
        return problem
    try:
        info = sf.info(str(path))
        data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        reason = getattr(exc, "error_string", "") or str(exc)
        return f"{path} is not audio that can be decoded ({reason.strip()}); {_FIX}"
    if rate < MIN_RATE:
        return f"{path} has a sample rate of {rate} Hz, below the {MIN_RATE} Hz needed; {_FIX}"
    if info.channels > MAX_CHANNELS:
        return f"{path} has {info.channels} channels, at most {MAX_CHANNELS} can be played; {_FIX}"
    seconds = data.shape[0] / rate
    if seconds < MIN_SECONDS:
        return (
            f"{path} lasts {math.floor(seconds * 100) / 100:.2f} s, less than the "
            f"{MIN_SECONDS:g} s a disclosure of the recording and its purpose takes; {_FIX}"
        )
    mono = np.nan_to_num(data.mean(axis=1))
    mean_square = float(np.mean(mono**2))
    level = 10 * math.log10(2 * mean_square) if mean_square > 0 else float("-inf")
    if level < SILENT_DBFS:
        shown = "digital silence" if mean_square == 0 else f"{-level:.0f} dB below full scale"
        return f"{path} is silent ({shown}): the customer would hear nothing; {_FIX}"
    return None
