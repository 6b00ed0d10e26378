"""FFT analysis of recorded audio: tone levels, dominant frequency and a timeline of tones.

Levels are in dB relative to a full-scale sine (a sine of amplitude 1.0 is 0 dB), measured with a
Hann window. Integer sample arrays are read as 16-bit PCM and scaled to [-1, 1].
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from softphone.media.sources import load_wav

FloatArray = npt.NDArray[np.float64]

_LEAD_S = 0.04  # how much earlier than a recording's start `follow` looks for a needle


@dataclass(frozen=True)
class Segment:
    """A stretch of audio where one of the listed tones dominates, or none does (hz is None)."""

    hz: float | None
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        """Length of the segment in seconds."""
        return self.end_s - self.start_s


def read_channels(path: Path | str) -> tuple[FloatArray, int]:
    """Read an audio file as float frames x channels in [-1, 1] and its rate (AudioFileError)."""
    return load_wav(path)


def read_mono(path: Path | str) -> tuple[FloatArray, int]:
    """Read an audio file mixed down to mono floats in [-1, 1] and its rate (AudioFileError)."""
    data, rate = load_wav(path)
    mono: FloatArray = data.mean(axis=1)
    return mono, rate


def _as_float(samples: npt.NDArray[np.generic]) -> FloatArray:
    """Return 1-D float64 samples; integer input is taken as 16-bit PCM."""
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples (1-D), got shape {samples.shape}")
    if np.issubdtype(samples.dtype, np.integer):
        return samples.astype(np.float64) / 32768.0
    return samples.astype(np.float64, copy=False)


def _band_levels_db(
    blocks: FloatArray, rate: int, freqs: Sequence[float], bandwidth: float
) -> FloatArray:
    """Level in dB of each band around freqs in each row of blocks; shape (rows, len(freqs))."""
    size = blocks.shape[1]
    window = np.hanning(size)
    power = np.abs(np.fft.rfft(blocks * window, axis=1)) ** 2
    bin_hz = np.fft.rfftfreq(size, 1.0 / rate)
    # A window too short to resolve `bandwidth` still gets the Hann main lobe, else a tone
    # between two bins could fall outside every bin of its band.
    half = max(bandwidth / 2, 1.5 * rate / size)
    # Parseval: one-sided band energy over the window's energy is the band's mean square.
    scale = 2.0 / size / float(np.sum(window**2))
    levels = np.empty((blocks.shape[0], len(freqs)), dtype=np.float64)
    for column, hz in enumerate(freqs):
        band = np.abs(bin_hz - hz) <= half
        mean_square = power[:, band].sum(axis=1) * scale
        with np.errstate(divide="ignore"):  # digital silence is -inf dB, not a warning
            levels[:, column] = 10 * np.log10(2 * mean_square)  # full-scale sine: 0.5
    return levels


def _windows(samples: FloatArray, rate: int, window_s: float) -> FloatArray:
    """Cut samples into whole non-overlapping windows; a shorter tail is not analysed."""
    size = round(window_s * rate)
    if size < 2:
        raise ValueError(f"window of {window_s} s is too short at {rate} Hz")
    count = samples.size // size
    return samples[: count * size].reshape(count, size)


def rms_db(samples: npt.NDArray[np.generic]) -> float:
    """Overall RMS level in dB relative to a full-scale sine; -inf for digital silence."""
    x = _as_float(samples)
    if x.size == 0:
        return float("-inf")
    with np.errstate(divide="ignore"):
        return float(10 * np.log10(2 * np.mean(x**2)))


def tone_level_db(
    samples: npt.NDArray[np.generic], rate: int, hz: float, bandwidth: float = 30.0
) -> float:
    """Energy of the band hz +- bandwidth/2 in dB relative to a full-scale sine (Hann, rfft)."""
    x = _as_float(samples)
    if x.size < 2:
        return float("-inf")
    return float(_band_levels_db(x[None, :], rate, [hz], bandwidth)[0, 0])


def dominant_frequency(samples: npt.NDArray[np.generic], rate: int) -> float:
    """Frequency in Hz of the strongest spectral peak (DC excluded), refined between bins.

    Raises ValueError for silence, which has no dominant frequency.
    """
    x = _as_float(samples)
    x = x - x.mean() if x.size else x
    if x.size < 4 or not np.any(x):
        raise ValueError("no signal: the samples are silent or too short")
    magnitude = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    peak = int(np.argmax(magnitude[1:])) + 1
    offset = 0.0
    if peak < magnitude.size - 1:
        # A parabola through the log magnitudes of the peak bin and its neighbours finds the
        # true peak to a small fraction of a bin for a Hann window.
        left, centre, right = np.log(magnitude[peak - 1 : peak + 2] + 1e-300)
        curvature = left - 2 * centre + right
        if curvature < 0:
            offset = 0.5 * (left - right) / curvature
    return float((peak + offset) * rate / x.size)


def tone_timeline(
    samples: npt.NDArray[np.generic],
    rate: int,
    freqs: Sequence[float],
    window_s: float = 0.1,
    threshold_db: float = -40.0,
    *,
    dominance_db: float = 10.0,
    bandwidth: float = 30.0,
) -> list[Segment]:
    """Label each window with the listed tone that is present and dominant, then merge runs.

    A window gets a tone when its band level is at least threshold_db and at least dominance_db
    above every other listed tone; otherwise (silence, another sound, two tones at once) None.
    """
    if not freqs:
        raise ValueError("give at least one frequency to look for")
    blocks = _windows(_as_float(samples), rate, window_s)
    if blocks.shape[0] == 0:
        return []
    levels = _band_levels_db(blocks, rate, freqs, bandwidth)
    best = np.argmax(levels, axis=1)
    rows = np.arange(levels.shape[0])
    best_level = levels[rows, best]
    others = levels.copy()
    others[rows, best] = -np.inf
    runner_up = others.max(axis=1)
    with np.errstate(invalid="ignore"):  # -inf minus -inf in silent windows is simply not a tone
        present = (best_level >= threshold_db) & (best_level - runner_up >= dominance_db)

    step = blocks.shape[1] / rate
    segments: list[Segment] = []
    for index, (is_present, column) in enumerate(zip(present, best, strict=True)):
        hz = float(freqs[column]) if is_present else None
        if segments and segments[-1].hz == hz:
            segments[-1] = Segment(hz, segments[-1].start_s, (index + 1) * step)
        else:
            segments.append(Segment(hz, index * step, (index + 1) * step))
    return segments


def tone_duration_s(
    samples: npt.NDArray[np.generic],
    rate: int,
    hz: float,
    window_s: float = 0.1,
    threshold_db: float = -40.0,
    *,
    bandwidth: float = 30.0,
) -> float:
    """Total time in seconds of the windows where the band around hz reaches threshold_db."""
    blocks = _windows(_as_float(samples), rate, window_s)
    if blocks.shape[0] == 0:
        return 0.0
    levels = _band_levels_db(blocks, rate, [hz], bandwidth)[:, 0]
    return float(np.count_nonzero(levels >= threshold_db) * blocks.shape[1] / rate)


def locate(
    haystack: npt.NDArray[np.generic], needle: npt.NDArray[np.generic], rate: int, max_lag_s: float
) -> tuple[float, float]:
    """Where `needle` starts in `haystack` (within `max_lag_s`) and how well it matches there.

    Returns (lag in seconds, normalised correlation in [-1, 1]). The match survives a narrowband
    codec on the way (PCMU keeps a speech signal's correlation well above 0.5); an unrelated or
    silent haystack scores near 0.
    """
    h, n = _as_float(haystack), _as_float(needle)
    if n.size == 0 or h.size < n.size:
        return 0.0, 0.0
    found = _search(h, n, 0, int(max_lag_s * rate))
    return found.position / rate, found.score


@dataclass(frozen=True)
class _Placement:
    """Where a piece of a needle fits best in a haystack, with the sums behind its score."""

    position: int
    dot: float
    energy: float  # of the haystack window at `position`
    needle_energy: float

    @property
    def score(self) -> float:
        """Normalised correlation at `position`."""
        return self.dot / float(np.sqrt(max(self.energy, 1e-12) * max(self.needle_energy, 1e-12)))


def _search(h: FloatArray, n: FloatArray, lo: int, hi: int) -> _Placement:
    """The best position of `n` in `h` among start positions lo..hi (clipped to fit)."""
    lo, hi = max(lo, 0), min(hi, h.size - n.size)
    needle_energy = float(np.sum(n**2))
    if hi < lo or n.size == 0:
        return _Placement(max(lo, 0), 0.0, 0.0, needle_energy)
    span = h[lo : hi + n.size]
    size = 1 << int(np.ceil(np.log2(span.size + n.size)))
    corr = np.fft.irfft(np.fft.rfft(span, size) * np.conj(np.fft.rfft(n, size)), size)
    dots = corr[: hi - lo + 1]
    # Energy of each haystack window, for normalisation.
    cumulative = np.concatenate(([0.0], np.cumsum(span**2)))
    energy = cumulative[n.size : n.size + dots.size] - cumulative[: dots.size]
    scores = dots / np.sqrt(np.maximum(energy, 1e-12) * max(needle_energy, 1e-12))
    best = int(np.argmax(scores))
    return _Placement(lo + best, float(dots[best]), float(energy[best]), needle_energy)


@dataclass(frozen=True)
class Alignment:
    """Where a reference (a disclosure, say) was heard in a recording whose timing may slip.

    `start_s` and `end_s` are where its first and last sample fell in the recording; `scores`
    holds the normalised correlation of each of its voiced chunks at that chunk's own position.
    """

    start_s: float
    end_s: float
    scores: tuple[float, ...]

    @property
    def worst(self) -> float:
        """The score of the chunk heard worst (0.0 when no chunk could be scored)."""
        return min(self.scores, default=0.0)


def follow(
    haystack: npt.NDArray[np.generic],
    needle: npt.NDArray[np.generic],
    rate: int,
    *,
    max_lag_s: float,
    chunk_s: float = 0.2,
    slip_s: float = 0.1,
    quiet_db: float = -30.0,
) -> Alignment:
    """Follow `needle` through `haystack` chunk by chunk, allowing its timing to slip.

    A receiver's jitter buffer conceals (inserts) or drops a frame or a few when packets come
    late or in a burst: the content all arrives, but shifted by tens of milliseconds from the
    slip on. A single correlation over the whole needle collapses at the first slip (one 20 ms
    slip in the middle halves it). Here the needle's start is found within `max_lag_s`, then
    each chunk of `chunk_s` is placed on its own within `slip_s` of where the previous one
    ended, and a chunk may be split once, at any 20 ms boundary, into two parts placed apart.
    Chunks more than `quiet_db` below the needle's mean level (pauses) are not scored.
    """
    n = _as_float(needle)
    if n.size == 0:
        return Alignment(0.0, 0.0, ())
    # The recording may have begun a moment after the needle's first frame was sent (a
    # receiver attaches its recorder as its media starts): silence in front lets that frame
    # count as not heard instead of pushing the whole needle out of place.
    lead = round(_LEAD_S * rate)
    h = np.concatenate((np.zeros(lead), _as_float(haystack)))
    found, _ = locate(h, n[: min(n.size, rate)], rate, max_lag_s + _LEAD_S)
    offset = round(found * rate)  # padded haystack index minus needle index, as it stands
    chunk, radius, step = round(chunk_s * rate), round(slip_s * rate), round(0.02 * rate)
    quiet = float(np.mean(n**2)) * 10 ** (quiet_db / 10)
    scores: list[float] = []
    for begin in range(0, n.size, chunk):
        part = n[begin : begin + chunk]
        if float(np.mean(part**2)) < quiet:
            continue
        score, offset = _place(h, part, begin, offset, radius=radius, step=step)
        scores.append(score)
    return Alignment(found - _LEAD_S, (n.size + offset - lead) / rate, tuple(scores))


def _place(
    h: FloatArray, part: FloatArray, begin: int, offset: int, *, radius: int, step: int
) -> tuple[float, int]:
    """Score one chunk whole or split once; returns the score and the offset after it."""
    centre = begin + offset
    whole = _search(h, part, centre - radius, centre + radius)
    best, after = whole.score, whole.position - begin
    if best >= 0.95:
        return best, after
    for cut in range(step, part.size - step + 1, step):
        a = _search(h, part[:cut], centre - radius, centre + radius)
        b = _search(h, part[cut:], centre + cut - radius, centre + cut + radius)
        joint = _Placement(0, a.dot + b.dot, a.energy + b.energy, a.needle_energy + b.needle_energy)
        if joint.score > best:
            best, after = joint.score, b.position - (begin + cut)
    return best, after
