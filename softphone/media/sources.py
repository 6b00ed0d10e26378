"""Frame sources for the bridge: silence, a test tone, a WAV file, and the CLI spec choosing one."""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import soundfile as sf

from softphone.media.errors import AudioFileError
from softphone.vocabulary.frames import FRAME_BYTES, FRAME_SAMPLES, RATE, FrameSource

_WAV_HINT = "give a readable WAV file (16-bit PCM, mono or stereo, any sample rate)"

# Resampler design (see resample()): 16 sinc zero crossings each side under a Kaiser window with
# beta 8.6 gives roughly 80 dB of stop-band rejection; the pass band ends at 92 % of the lower
# Nyquist frequency so the transition band lies below it instead of aliasing across it.
_ZERO_CROSSINGS = 16
_KAISER_BETA = 8.6
_PASSBAND = 0.92
_CHUNK = 16384  # output samples per vectorised step; bounds the temporary index matrix


def load_wav(path: Path | str) -> tuple[npt.NDArray[np.float64], int]:
    """Read a whole audio file as float64 frames x channels in [-1, 1] and its sample rate.

    Raises AudioFileError naming the path and the fix for a missing, empty, corrupt, non-audio
    or sample-less file.
    """
    path = Path(path)

    def fail(reason: str, hint: str = _WAV_HINT) -> AudioFileError:
        return AudioFileError(f"cannot read WAV '{path}': {reason}; {hint}")

    if not path.exists():
        raise fail("file not found", "give an existing 16-bit WAV file")
    if not path.is_file():
        raise fail("not a file")
    if path.stat().st_size == 0:
        raise fail("the file is empty")
    try:
        data, rate = sf.read(path, dtype="float64", always_2d=True)
    except sf.LibsndfileError as exc:
        raise fail(f"not a readable audio file ({exc.error_string.strip()})") from exc
    except OSError as exc:
        raise fail(exc.strerror or str(exc)) from exc
    if data.shape[0] == 0:
        raise fail("it contains no audio samples")
    # Float WAVs may carry NaN or overshoot; neither may reach the int16 conversion.
    clean = np.clip(np.nan_to_num(data, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
    return clean, int(rate)


def _kaiser(position: npt.NDArray[np.float64], half_width: int) -> npt.NDArray[np.float64]:
    """Kaiser window evaluated at continuous positions in [-half_width, half_width]."""
    ratio = np.clip(position / half_width, -1.0, 1.0)
    window: npt.NDArray[np.float64] = np.i0(_KAISER_BETA * np.sqrt(1.0 - ratio**2)) / np.i0(
        _KAISER_BETA
    )
    return window


def resample(
    samples: npt.NDArray[np.float64], src_rate: int, dst_rate: int
) -> npt.NDArray[np.float64]:
    """Resample 1-D float audio with a polyphase Kaiser-windowed-sinc low-pass filter.

    Linear interpolation (np.interp) was rejected: going down from 44.1 or 48 kHz it folds all
    content above 8 kHz back into the band as audible aliasing, which would also fool the tone
    analysis. A rational ratio up/down has only `up` distinct filter phases, so the kernel is
    tabulated once and each output sample is one dot product of 2 * half_width taps.
    """
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} and {dst_rate}")
    if src_rate == dst_rate or samples.size == 0:
        return samples.astype(np.float64, copy=True)
    common = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // common, src_rate // common
    cutoff = _PASSBAND * min(1.0, up / down)  # fraction of the input Nyquist frequency
    half_width = math.ceil(_ZERO_CROSSINGS / cutoff)  # in input samples
    offsets = np.arange(-half_width + 1, half_width + 1)
    distance = offsets[None, :] - (np.arange(up) / up)[:, None]
    table = cutoff * np.sinc(cutoff * distance) * _kaiser(distance, half_width)
    table /= table.sum(axis=1, keepdims=True)  # unity gain at DC for every phase

    padded = np.pad(samples.astype(np.float64, copy=False), (half_width, half_width + 1))
    n_out = samples.size * up // down
    out = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, _CHUNK):
        position = np.arange(start, min(start + _CHUNK, n_out), dtype=np.int64) * down
        base, phase = np.divmod(position, up)
        taps = padded[base[:, None] + offsets[None, :] + half_width]
        out[start : start + base.size] = np.einsum("ij,ij->i", taps, table[phase])
    return out


def to_pcm16(samples: npt.NDArray[np.float64]) -> bytes:
    """Convert float samples in [-1, 1] to 16-bit little-endian PCM bytes, clipping overshoot."""
    # Scaling by 32768 undoes libsndfile's int16-to-float scaling exactly, so a 16 kHz 16-bit
    # file is served bit for bit; only +1.0 itself needs the clip.
    scaled = np.clip(np.rint(samples * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()


class SilenceSource:
    """Serves digital silence."""

    _SILENCE = bytes(FRAME_BYTES)

    def read_frame(self) -> bytes:
        """Return one silent frame. Runs on the pjsua2 bridge clock thread; never blocks."""
        return self._SILENCE


class ToneSource:
    """Serves a phase-continuous sine tone."""

    def __init__(self, hz: float, amplitude: float = 0.3) -> None:
        if not (math.isfinite(hz) and 0 < hz < RATE / 2):
            raise ValueError(f"tone frequency must be between 0 and {RATE // 2} Hz, got {hz}")
        if not (math.isfinite(amplitude) and 0 <= amplitude <= 1):
            raise ValueError(f"tone amplitude must be between 0 and 1, got {amplitude}")
        self.hz = hz
        self.amplitude = amplitude
        step = 2 * math.pi * hz / RATE
        # Precomputed so read_frame is one sin over a shifted ramp, then a cast.
        self._ramp = step * np.arange(FRAME_SAMPLES, dtype=np.float64)
        self._frame_advance = step * FRAME_SAMPLES
        self._scale = amplitude * 32767.0
        self._phase = 0.0  # radians at the first sample of the next frame

    def read_frame(self) -> bytes:
        """Return the next frame of the tone. Runs on the pjsua2 bridge clock thread."""
        frame = np.sin(self._ramp + self._phase) * self._scale
        # Wrapping keeps the phase small, so precision does not decay over a long call.
        self._phase = (self._phase + self._frame_advance) % (2 * math.pi)
        return np.rint(frame).astype("<i2").tobytes()


class WavSource:
    """Serves a WAV file, mixed to mono and resampled to RATE, looping or then silence."""

    def __init__(self, path: Path | str, loop: bool = True) -> None:
        self.path = Path(path)
        self.loop = loop
        data, rate = load_wav(self.path)
        mono = resample(data.mean(axis=1), rate, RATE)
        if mono.size == 0:
            raise AudioFileError(
                f"cannot read WAV '{self.path}': too short to hold one sample at {RATE} Hz; "
                f"{_WAV_HINT}"
            )
        self.duration_s = mono.size / RATE
        pcm = to_pcm16(mono)
        if loop and len(pcm) < FRAME_BYTES:
            # Whole repeats keep the loop period while letting read_frame wrap at most once.
            pcm *= math.ceil(FRAME_BYTES / len(pcm))
        self._pcm = pcm
        self._pos = 0
        self.finished = False  # set once every sample has been served; never when looping

    def read_frame(self) -> bytes:
        """Return the next frame of the file. Runs on the pjsua2 bridge clock thread."""
        pcm, start = self._pcm, self._pos
        end = start + FRAME_BYTES
        if end <= len(pcm):
            self._pos = end
            if end == len(pcm):
                self._pos = 0 if self.loop else end
                self.finished = not self.loop
            return pcm[start:end]
        rest = pcm[start:]
        if self.loop:
            self._pos = FRAME_BYTES - len(rest)
            return rest + pcm[: self._pos]
        self._pos = len(pcm)
        self.finished = True
        return rest + bytes(FRAME_BYTES - len(rest))


SourceKind = Literal["device", "silence", "tone", "wav"]


@dataclass(frozen=True)
class SourceSpec:
    """A parsed microphone spec from the command line."""

    kind: SourceKind
    hz: float | None = None
    path: Path | None = None


_SPEC_HELP = "use 'device', 'silence', 'tone:HZ' (e.g. tone:440) or the path of a WAV file"


def parse_source_spec(spec: str) -> SourceSpec:
    """Parse `device`, `silence`, `tone:HZ` or a WAV path; raise ValueError saying what is valid."""
    text = spec.strip()
    if not text:
        raise ValueError(f"empty audio source; {_SPEC_HELP}")
    if text == "device":
        return SourceSpec("device")
    if text == "silence":
        return SourceSpec("silence")
    if text == "tone":
        raise ValueError(f"audio source 'tone' needs a frequency; {_SPEC_HELP}")
    if text.startswith("tone:"):
        value = text.removeprefix("tone:").strip()
        try:
            hz = float(value)
        except ValueError:
            raise ValueError(
                f"tone frequency {value!r} is not a number; give Hz, e.g. tone:440"
            ) from None
        if not (math.isfinite(hz) and 0 < hz < RATE / 2):
            raise ValueError(
                f"tone frequency {value!r} is out of range; give a number of Hz above 0 and "
                f"below {RATE // 2} (the bridge runs at {RATE} Hz), e.g. tone:440"
            )
        return SourceSpec("tone", hz=hz)
    return SourceSpec("wav", path=Path(text))


def open_source(spec: SourceSpec, *, loop: bool = True) -> FrameSource:
    """Build the frame source for a silence, tone or WAV spec (the device is opened elsewhere)."""
    if spec.kind == "silence":
        return SilenceSource()
    if spec.kind == "tone" and spec.hz is not None:
        return ToneSource(spec.hz)
    if spec.kind == "wav" and spec.path is not None:
        return WavSource(spec.path, loop=loop)
    raise ValueError(f"cannot open {spec} as a frame source; the sound device is opened elsewhere")
