"""A drift-compensating FIFO of PCM samples between two audio clocks (a device and the bridge).

One thread pushes blocks at its clock (the producer), another pops blocks at its own (the
consumer). The clocks drift apart, so the consumer reads through a variable-ratio cubic
interpolator whose ratio a PI controller trims until the time-average fill sits at its target:
half a block of each side (the least that survives every phase between the two clocks) plus a
jitter margin. Latency therefore stays at that target for the whole call instead of growing or
shrinking with the drift. Two hard limits back the controller up: a pop that finds too little
audio is an underrun (silence until the FIFO is refilled; the margin widens a little) and audio
far above the target is skipped as an overrun, so latency is bounded whatever the clocks do.

Thread model: single producer, single consumer, no locks. Every field is written by one side only
(`push` owns `_w` and the push log, `pop` the read position and the controller) and the other side
reads it with single attribute loads, which the GIL makes atomic and ordered: the producer publishes
samples (`_w`) only after writing them and never overwrites unread ones; the consumer derives the
fill from the push log, so a push racing a pop is counted exactly once. `stats()` may be called from
any thread and is at most one push or pop old.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]
"""Mono samples as float32 in 16-bit units (full scale is 32768)."""

_LOG = 128  # pushes remembered for the fill average and the wait of each sample
_HISTORY = 1  # samples before the read position kept for the cubic interpolator
_LOOKAHEAD = 3  # samples from the last output's base on that the interpolator reads
_BURST_S = 0.002  # pushes (or pops) closer than this are one block of a bursty device
_IDLE_S = 0.2  # a side silent this long is idle (not pulled, not connected), not late
_SMOOTH_S = 0.2  # time constant of the fill average the controller sees
_KP = 2.0  # ratio correction per second of fill error: settles in about a second ...
_KI = 1.0  # ... critically damped (KP**2 == 4 * KI), and learns any constant drift
_P_LIMIT = 0.005  # the proportional part alone never bends the pitch by more than 0.5 %
_MARGIN_STEP_MS = 2.0  # an underrun widens the jitter margin by this much ...
_MARGIN_MAX_MS = 20.0  # ... up to this ...
_MARGIN_DECAY_MS_PER_S = 0.05  # ... and quiet time narrows it again, 1 ms per 20 s
# The drift reported in the stats: the integral averaged over this long, so that the transient
# an underrun causes (the margin widens, the integral swings by a few thousand ppm for about a
# second) does not pass for what was learnt. Only reported; the controller uses the integral.
_DRIFT_AVG_S = 10.0


@dataclass(frozen=True)
class FifoStats:
    """Counters and latency of one FIFO; latency counts from push to pop, in milliseconds."""

    pushed: int
    popped: int
    underruns: int
    overruns: int
    dropped: int
    correction_ppm: float
    drift_ppm: float
    latency_ms: float
    target_ms: float
    margin_ms: float
    wait_max_ms: float


class _Blocks:
    """Typical size of a burst of blocks: events closer than `_BURST_S` add up. One thread."""

    def __init__(self) -> None:
        self.average = 0.0
        self._last = -math.inf
        self._total = 0.0

    def add(self, now: float, size: float) -> None:
        if now - self._last >= _BURST_S and self._total:
            done = self._total
            self.average += 0.1 * (done - self.average) if self.average else done
            self._total = 0.0
        self._total += size
        self._last = now

    @property
    def size(self) -> float:
        """The average, or the burst so far while none has completed."""
        return max(self.average, self._total) if not self.average else self.average


class DriftFifo:
    """Bounded ring of mono samples with drift compensation; see the module docstring.

    `in_rate` is the producer's nominal rate and `out_rate` the consumer's; their ratio may be
    anything (a 48 kHz device into the 16 kHz bridge); drift is what the controller trims, up to
    `max_correction` (0.02 absorbs clocks 2 % apart). `margin_ms` is the slack kept for timing
    jitter, and `limit_ms` how far above its peak the fill may rise before the oldest audio is
    skipped (an overrun): latency never exceeds about twice the target plus this limit.
    """

    def __init__(
        self,
        in_rate: int,
        out_rate: int,
        *,
        margin_ms: float = 4.0,
        limit_ms: float = 40.0,
        capacity_ms: float = 500.0,
        max_correction: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError(f"rates must be positive, got {in_rate} and {out_rate}")
        if not 0 < margin_ms < limit_ms < capacity_ms / 2:
            raise ValueError("need 0 < margin_ms < limit_ms < capacity_ms / 2")
        if not 0 <= max_correction < 0.5:
            raise ValueError(f"max_correction must be in [0, 0.5), got {max_correction}")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._ratio = in_rate / out_rate  # input samples per output sample, before correction
        self._margin_min = margin_ms * in_rate / 1000
        self._margin_max = max(_MARGIN_MAX_MS, margin_ms) * in_rate / 1000
        self._margin = self._margin_min  # widened by underruns, see _MARGIN_STEP_MS
        self._limit = limit_ms * in_rate / 1000
        self._max_corr = max_correction
        size = 1 << math.ceil(math.log2(capacity_ms * in_rate / 1000))
        self._ring = np.zeros(size, dtype=np.float32)
        self._mask = size - 1
        self._clock = clock
        # Producer side.
        self._w = _HISTORY  # samples written so far; the ring starts with one silent sample
        self._dropped = 0
        self._log_t = np.zeros(_LOG, dtype=np.float64)  # when each push happened
        self._log_w = np.zeros(_LOG, dtype=np.int64)  # `_w` after it
        self._log_n = 0
        # Consumer side.
        self._r = _HISTORY  # integer read position
        self._frac = 0.0  # fractional read position in [0, 1)
        self.priming = True  # playing silence until the fill reaches the start level
        self._popped = 0
        self._underruns = 0
        self._overruns = 0
        self._in = _Blocks()  # bursts of pushes, in input samples
        self._out = _Blocks()  # bursts of pops, in input samples
        self._seen_j = 0  # next push-log entry to fold into the fill average
        self._seen_w = _HISTORY  # `_w` after the last push folded in
        self._wait_i = 0  # push-log entry of the oldest unread sample, for its wait
        self._starved_at: float | None = None  # when a pop last found too little audio
        self._last_pop = clock()
        self._fill_avg = 0.0  # smoothed time-average fill, in input samples
        self._fresh_start = False
        self._integral = 0.0
        self._drift_avg = 0.0
        self._corr = 0.0
        self._wait_max = 0.0

    # --- producer ------------------------------------------------------------------------------

    def push(self, samples: Samples) -> None:
        """Append samples; when the ring is full the newest are dropped and counted.

        Runs on the producer's real-time thread; must not block or touch Qt.
        """
        n = int(samples.shape[0])
        w = self._w
        room = len(self._ring) - (w - (self._r - _HISTORY))
        if n > room:
            if not self.priming and self._clock() - self._last_pop <= _IDLE_S:
                self._dropped += n - max(room, 0)  # only a running consumer loses audio
            n = max(room, 0)
            if n == 0:
                return
        start = w & self._mask
        first = min(n, len(self._ring) - start)
        self._ring[start : start + first] = samples[:first]
        if first < n:
            self._ring[: n - first] = samples[first:n]
        k = self._log_n % _LOG
        self._log_t[k] = self._clock()
        self._log_w[k] = w + n
        self._w = w + n  # publish the samples only once they are in the ring
        self._log_n += 1

    # --- consumer ------------------------------------------------------------------------------

    def pop(self, n: int) -> Samples:
        """Return exactly `n` samples at the consumer's rate; silence while empty or priming.

        Runs on the consumer's real-time thread; must not block or touch Qt.
        """
        now = self._clock()
        self._popped += n
        returning = now - self._last_pop > _IDLE_S
        self._fold_pushes(now)
        r, frac = self._r, self._frac
        avail = self._seen_w - r
        log_n = self._log_n
        fresh = log_n > 0 and now - float(self._log_t[(log_n - 1) % _LOG]) <= _IDLE_S
        if returning or not fresh:
            # Nobody pulled (a muted port, a disclosure playing) or nothing came (no call audio
            # yet): what waits is stale. Idle is no underrun; start afresh when both run again.
            self._r = self._seen_w
            self.priming = True
            return self._silence(n)
        step = self._ratio * (1.0 + self._corr)
        need = int(frac + step * (n - 1)) + _LOOKAHEAD
        self._out.add(now, step * n)
        target = self.target_samples()
        if self.priming:
            # Taking C now leaves the target minus C / 2, about the average once P arrives.
            start = int(target + self._out.size / 2.0) + _LOOKAHEAD
            if avail < max(start, need):
                return self._silence(n)
            # Audio that piled up beyond the start level is stale: skip it, but keep what this
            # pop reads (the interpolator looks _LOOKAHEAD samples past each output's base).
            keep = max(start, need)
            r += avail - keep
            avail = keep
            self.priming = False
            self._fresh_start = True  # the next fold measures the fill instead of smoothing it
        elif avail < need:
            # Starved. If the producer turns out to be merely late (it pushes again soon),
            # `_fold_pushes` counts an underrun and widens the margin; if it has stopped, idle.
            self.priming = True
            self._starved_at = now
            return self._silence(n)
        pos = frac + step * np.arange(n, dtype=np.float64)
        base = np.floor(pos)
        idx = (base.astype(np.int64) + r) & self._mask
        out = _cubic(self._ring, idx, (pos - base).astype(np.float32), self._mask)
        end = frac + step * n
        advance = int(end)
        self._frac = end - advance
        self._note_wait(r, now)
        r += advance
        peak = target + (self._in.size + self._out.size) / 2.0
        if self._seen_w - r > peak + self._limit:
            r = self._seen_w - int(target)  # the hard bound on latency: skip the oldest audio
            self._overruns += 1
            self._fill_avg = target
        self._r = r
        self._steer(target, step * n / self.in_rate)
        return out

    def target_samples(self) -> float:
        """The time-average fill aimed at, in input samples.

        Blocks of P samples in and C out keep the fill within (P + C) / 2 of its time average
        whatever the phase between the clocks, so that average must be at least (P + C) / 2 for
        the consumer never to find the FIFO empty; the margin absorbs timing jitter.
        Consumer thread (or any thread, as an estimate).
        """
        return (self._in.size + self._out.size) / 2.0 + self._margin

    def _silence(self, n: int) -> Samples:
        """Silence while priming; the drift learnt so far (the integral) is kept."""
        self._corr = self._integral
        return np.zeros(n, dtype=np.float32)

    def _fold_pushes(self, now: float) -> None:
        """Fold the exact time-average fill since the previous pop into `_fill_avg`.

        The fill is piecewise constant: `_seen_w - _r` after the previous pop, rising at each
        push logged since. By Little's law its time average over the rate is the mean time a
        sample waits in the FIFO.
        """
        span = max(now - self._last_pop, 0.0)
        self._last_pop = now
        area = (self._seen_w - self._r) * span
        log_n = self._log_n
        j = max(self._seen_j, log_n - _LOG)
        while j < log_n:
            k = j % _LOG
            w_after = int(self._log_w[k])
            size = w_after - self._seen_w
            pushed_at = float(self._log_t[k])
            area += size * min(max(now - pushed_at, 0.0), span)
            self._in.add(pushed_at, size)
            if self._starved_at is not None and pushed_at >= self._starved_at:
                if pushed_at - self._starved_at <= _IDLE_S:
                    self._underrun()
                self._starved_at = None
            self._seen_w = w_after
            j += 1
        self._seen_j = j
        if span > 0 and not self.priming:
            weight = 1.0 if self._fresh_start else min(span / _SMOOTH_S, 1.0)
            self._fill_avg += weight * (area / span - self._fill_avg)
            self._fresh_start = False

    def _underrun(self) -> None:
        """A pop found the FIFO short while the producer was running: widen the margin."""
        self._underruns += 1
        widen = _MARGIN_STEP_MS * self.in_rate / 1000
        self._margin = min(self._margin + widen, self._margin_max)

    def _steer(self, target: float, dt: float) -> None:
        """PI control of the read ratio so the average fill settles at the target."""
        error_s = (self._fill_avg - target) / self.in_rate  # > 0: audio waits too long
        limit = self._max_corr
        self._integral = max(-limit, min(limit, self._integral + _KI * error_s * dt))
        self._drift_avg += min(dt / _DRIFT_AVG_S, 1.0) * (self._integral - self._drift_avg)
        proportional = max(-_P_LIMIT, min(_P_LIMIT, _KP * error_s))
        self._corr = max(-limit, min(limit, self._integral + proportional))
        decay = _MARGIN_DECAY_MS_PER_S * self.in_rate / 1000 * dt
        self._margin = max(self._margin_min, self._margin - decay)

    def _note_wait(self, r: int, now: float) -> None:
        """Track the longest wait of any sample: the first one of this pop, since its push."""
        log_n = self._log_n
        i = max(self._wait_i, log_n - _LOG)
        while i < log_n - 1 and self._log_w[i % _LOG] <= r:
            i += 1
        self._wait_i = i
        if i < log_n:
            self._wait_max = max(self._wait_max, (now - float(self._log_t[i % _LOG])) * 1000.0)

    # --- any thread ----------------------------------------------------------------------------

    def stats(self) -> FifoStats:
        """A snapshot of the counters and the latency; may be read from any thread."""
        return FifoStats(
            pushed=self._w - _HISTORY,
            popped=self._popped,
            underruns=self._underruns,
            overruns=self._overruns,
            dropped=self._dropped,
            correction_ppm=self._corr * 1e6,
            drift_ppm=self._drift_avg * 1e6,
            latency_ms=self._fill_avg * 1000.0 / self.in_rate,
            target_ms=self.target_samples() * 1000.0 / self.in_rate,
            margin_ms=self._margin * 1000.0 / self.in_rate,
            wait_max_ms=self._wait_max,
        )


def _cubic(ring: Samples, idx: npt.NDArray[np.int64], t: Samples, mask: int) -> Samples:
    """4-point Catmull-Rom interpolation between ring[idx] and ring[idx + 1] at fraction t."""
    xm1 = ring[(idx - 1) & mask]
    x0 = ring[idx]
    x1 = ring[(idx + 1) & mask]
    x2 = ring[(idx + 2) & mask]
    c1 = 0.5 * (x1 - xm1)
    c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2
    c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1)
    out: Samples = ((c3 * t + c2) * t + c1) * t + x0
    return out
