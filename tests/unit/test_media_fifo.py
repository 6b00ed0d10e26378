"""The drift-compensating FIFO, driven by simulated device and bridge clocks."""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softphone.media.analysis import dominant_frequency, tone_level_db
from softphone.media.fifo import DriftFifo, FifoStats


class Clock:
    """Simulated time for the FIFO's timestamps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Run:
    """What a simulated call through one FIFO produced."""

    fifo: DriftFifo
    out: npt.NDArray[np.float32]
    latency_ms: list[float] = field(default_factory=list)  # sampled once a second after 10 s
    corrections: list[float] = field(default_factory=list)
    settled_underruns: int = 0  # underruns before the 10 s mark, while the controller learns

    @property
    def stats(self) -> FifoStats:
        return self.fifo.stats()


def simulate(
    *,
    drift: float,
    seconds: float = 60.0,
    in_rate: int = 16000,
    out_rate: int = 16000,
    push_block: int = 160,
    pop_block: int = 320,
    jitter_s: float = 0.001,
    max_correction: float = 0.02,
    seed: int = 7,
    signal_hz: float = 0.0,
    stall_at: float | None = None,
) -> Run:
    """Push blocks at `in_rate * (1 + drift)` and pop at `out_rate`, each with random jitter.

    `drift` > 0 is a producer clock that runs fast. The pushed signal is a sine at `signal_hz`
    (or a constant when 0), so what comes out can be analysed. With `stall_at`, the producer
    stalls for 60 ms then (a busy machine), which starves the consumer once.
    """
    rng = random.Random(seed)
    clock = Clock()
    fifo = DriftFifo(in_rate, out_rate, clock=clock, max_correction=max_correction)
    push_period = push_block / (in_rate * (1 + drift))
    pop_period = pop_block / out_rate
    events = [(0.0037, 0, "push"), (0.0, 0, "pop")]
    outs: list[npt.NDArray[np.float32]] = []
    run = Run(fifo, np.zeros(0, dtype=np.float32))
    pushed = 0
    next_sample = 10.0
    while events:
        t, k, kind = heapq.heappop(events)
        if t > seconds:
            break
        clock.now = t
        if kind == "push":
            idx = np.arange(pushed, pushed + push_block)
            pushed += push_block
            phase = 2 * np.pi * signal_hz * idx / in_rate
            block = np.sin(phase) * 8000 if signal_hz else np.full(push_block, 1000.0)
            fifo.push(block.astype(np.float32))
            due = (k + 1) * push_period + 0.0037 + rng.uniform(-jitter_s, jitter_s)
            if stall_at is not None and stall_at <= due < stall_at + 0.06:
                due = stall_at + 0.06
            heapq.heappush(events, (due, k + 1, "push"))
        else:
            outs.append(fifo.pop(pop_block))
            if t >= next_sample:
                if next_sample == 10.0:
                    run.settled_underruns = fifo.stats().underruns
                next_sample += 1.0
                run.latency_ms.append(fifo.stats().latency_ms)
                run.corrections.append(fifo.stats().correction_ppm)
            due = (k + 1) * pop_period + rng.uniform(0, jitter_s)
            heapq.heappush(events, (due, k + 1, "pop"))
    run.out = np.concatenate(outs)
    return run


@pytest.mark.parametrize("drift", [0.01, -0.01])
def test_a_device_clock_1_percent_off_for_60_s_keeps_latency_at_its_target(drift: float) -> None:
    run = simulate(drift=drift)
    stats = run.stats
    assert stats.overruns == 0
    assert stats.underruns <= 3  # while it learns the drift, in the first seconds ...
    assert stats.underruns == run.settled_underruns  # ... and none afterwards
    assert stats.dropped == 0
    # After settling, latency sits at the target (about 19 ms) and never wanders off.
    assert max(run.latency_ms) < stats.target_ms + 3.0
    assert min(run.latency_ms) > stats.target_ms - 3.0
    assert stats.target_ms < 22.0
    # The controller learnt the drift: it reads 1 % faster (or slower) than nominal.
    assert np.median(run.corrections) == pytest.approx(drift * 1e6, rel=0.15)
    assert stats.drift_ppm == pytest.approx(drift * 1e6, rel=0.15)  # and says so in its stats


def test_an_underrun_late_in_the_call_does_not_pass_for_the_learnt_drift() -> None:
    run = simulate(drift=0.01, stall_at=59.5)
    stats = run.stats
    assert stats.underruns > run.settled_underruns  # the stall starved the consumer
    # The controller's integral swings for a second after the margin widens (to about 8,800
    # ppm here half a second later); what it learnt, as reported, is its average over the
    # last seconds: still the clock's 1 %, within 2 %.
    assert stats.drift_ppm == pytest.approx(0.01 * 1e6, rel=0.02)


def test_without_drift_compensation_latency_runs_into_the_bound() -> None:
    run = simulate(drift=0.01, max_correction=0.0)
    stats = run.stats
    # 1 % too much audio every second: latency climbs until the hard bound skips audio.
    assert stats.overruns >= 3
    assert max(run.latency_ms) > stats.target_ms + 20.0


def test_a_slow_device_without_compensation_underruns_again_and_again() -> None:
    run = simulate(drift=-0.01, max_correction=0.0)
    assert run.stats.underruns >= 5


def test_even_a_device_3_percent_fast_stays_bounded() -> None:
    run = simulate(drift=0.03, seconds=30.0)
    stats = run.stats
    assert stats.overruns > 0  # beyond the controller's 2 % the bound takes over ...
    assert max(run.latency_ms) < 2 * stats.target_ms + 40.0 + 10.0  # ... and holds


def test_the_audio_comes_out_intact_through_drift() -> None:
    run = simulate(drift=0.01, seconds=6.0, signal_hz=1000.0)
    settled = run.out[16000 * 2 :].astype(np.float64) / 32768.0
    # The simulated device's samples are a 1000 Hz tone at the nominal rate; reading them 1 %
    # faster gives 1010 Hz. It must stay clean: no clicks, no interpolation noise.
    assert dominant_frequency(settled, 16000) == pytest.approx(1010.0, abs=6.0)
    level = tone_level_db(settled, 16000, 1010.0, bandwidth=40.0)
    assert level == pytest.approx(20 * np.log10(8000 / 32768), abs=0.5)
    noise = tone_level_db(settled, 16000, 4000.0, bandwidth=4000.0)
    assert noise < level - 40.0


def test_a_48_khz_device_is_converted_to_the_bridge_rate() -> None:
    run = simulate(drift=0.0, seconds=4.0, in_rate=48000, push_block=480, signal_hz=1000.0)
    settled = run.out[16000:].astype(np.float64)
    assert run.stats.underruns == 0
    assert dominant_frequency(settled, 16000) == pytest.approx(1000.0, abs=5.0)


def test_the_bridge_feeding_a_48_khz_speaker() -> None:
    run = simulate(
        drift=0.0, seconds=4.0, out_rate=48000, push_block=320, pop_block=480, signal_hz=440.0
    )
    settled = run.out[48000:].astype(np.float64)
    assert run.stats.underruns == 0
    assert dominant_frequency(settled, 48000) == pytest.approx(440.0, abs=5.0)


def test_a_producer_that_stops_is_idle_not_an_underrun() -> None:
    clock = Clock()
    fifo = DriftFifo(16000, 16000, clock=clock)
    for k in range(100):
        clock.now = k * 0.02
        fifo.push(np.ones(320, dtype=np.float32))
        clock.now += 0.01
        fifo.pop(320)
    for k in range(100, 200):  # the call's audio stops; the device keeps asking
        clock.now = k * 0.02 + 0.01
        assert not fifo.pop(320).any()
    assert fifo.stats().underruns == 0


def test_a_producer_that_is_late_counts_an_underrun_and_widens_the_margin() -> None:
    clock = Clock()
    fifo = DriftFifo(16000, 16000, clock=clock)
    for k in range(100):
        clock.now = k * 0.02
        if k != 60:  # one push arrives 30 ms late, after two pops
            fifo.push(np.ones(320, dtype=np.float32))
        if k == 61:
            fifo.push(np.ones(320, dtype=np.float32))
        clock.now += 0.01
        fifo.pop(320)
    assert fifo.stats().underruns == 1
    assert fifo.stats().margin_ms > 4.0


def test_a_consumer_that_was_away_starts_with_fresh_audio() -> None:
    clock = Clock()
    fifo = DriftFifo(16000, 16000, clock=clock)
    for k in range(50):  # nobody pulls for a second: the ring fills and then refuses audio
        clock.now = k * 0.02
        fifo.push(np.full(320, 1.0, dtype=np.float32))
    for k in range(50, 100):  # then the consumer starts; only fresh audio may come out
        clock.now = k * 0.02
        fifo.push(np.full(320, 2.0, dtype=np.float32))
        clock.now += 0.01
        out = fifo.pop(320)
        assert not np.any(out == 1.0)
    assert fifo.stats().dropped == 0
    assert fifo.stats().overruns == 0
    assert fifo.stats().wait_max_ms < 60.0


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="rates"):
        DriftFifo(0, 16000)
    with pytest.raises(ValueError, match="margin"):
        DriftFifo(16000, 16000, margin_ms=50.0, limit_ms=40.0)


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["push", "pop"]),
            st.integers(min_value=1, max_value=1200),
            st.floats(min_value=0.0, max_value=0.3),
        ),
        min_size=1,
        max_size=200,
    ),
    in_rate=st.sampled_from([8000, 16000, 44100, 48000]),
    out_rate=st.sampled_from([16000, 48000]),
)
def test_any_interleaving_keeps_the_fifo_sound(
    ops: list[tuple[str, int, float]], in_rate: int, out_rate: int
) -> None:
    clock = Clock()
    fifo = DriftFifo(in_rate, out_rate, clock=clock, capacity_ms=200.0)
    before = fifo.stats()
    for kind, size, dt in ops:
        clock.now += dt
        if kind == "push":
            fifo.push(np.full(size, 1000.0, dtype=np.float32))
        else:
            out = fifo.pop(size)
            assert out.shape == (size,) and out.dtype == np.float32
            assert np.all(np.isfinite(out))
            # Interpolating a constant gives the constant (or silence while priming).
            assert np.all((np.abs(out - 1000.0) < 1e-2) | (out == 0.0))
        stats = fifo.stats()
        assert stats.pushed - stats.dropped >= 0
        assert 0 <= fifo._seen_w - fifo._r <= len(fifo._ring)  # never more than the ring holds
        for name in ("underruns", "overruns", "dropped", "popped"):
            assert getattr(stats, name) >= getattr(before, name)
        assert abs(stats.correction_ppm) <= 20000.0 + 1e-6
        before = stats


@pytest.mark.parametrize(
    "ops",
    [
        [("push", 1, 0.0), ("pop", 1, 0.0), ("push", 1, 0.25), ("pop", 1, 0.0),
         ("push", 37, 0.0), ("pop", 70, 0.0)],
        [("push", 1, 0.0), ("push", 472, 0.125), ("pop", 1, 0.0), ("push", 868, 0.25),
         ("pop", 1, 0.0), ("push", 707, 0.0), ("pop", 120, 0.0)],
    ],
)  # fmt: skip
def test_the_first_pop_after_priming_reads_only_written_audio(
    ops: list[tuple[str, int, float]],
) -> None:
    # Found by the property test above: the start level could leave less than the pop reads,
    # so the interpolator took samples never written (a 1062.5 in a constant 1000, the read
    # position past the write position).
    clock = Clock()
    fifo = DriftFifo(8000, 16000, clock=clock, capacity_ms=200.0)
    for kind, size, dt in ops:
        clock.now += dt
        if kind == "push":
            fifo.push(np.full(size, 1000.0, dtype=np.float32))
        else:
            out = fifo.pop(size)
            assert np.all((np.abs(out - 1000.0) < 1e-2) | (out == 0.0)), out
        assert fifo._seen_w - fifo._r >= 0
