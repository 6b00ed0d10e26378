"""The stereo assembler pairs each tick's agent and customer frames, whichever slot comes first."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from softphone.media.taps import StereoAssembler
from softphone.vocabulary.frames import FRAME_SAMPLES


def _frame(value: int) -> bytes:
    return np.full(FRAME_SAMPLES, value, dtype="<i2").tobytes()


def _collect(admit: list[bool]) -> tuple[StereoAssembler, list[np.ndarray]]:
    out: list[np.ndarray] = []
    asm = StereoAssembler(lambda: admit[0], lambda b: out.append(np.frombuffer(b, "<i2")))
    return asm, out


@pytest.mark.parametrize("agent_first", [True, False])
def test_each_tick_becomes_one_aligned_stereo_frame(agent_first: bool) -> None:
    asm, out = _collect([True])
    asm.set_slot_order(agent_slot=3 if agent_first else 9, customer_slot=9 if agent_first else 3)
    for tick in range(1, 6):
        pair = [("agent", _frame(tick)), ("customer", _frame(-tick))]
        for side, pcm in pair if agent_first else reversed(pair):
            asm.arrive(side, pcm)
    assert len(out) == 5
    for tick, stereo in enumerate(out, start=1):
        assert (stereo[0::2] == tick).all() and (stereo[1::2] == -tick).all()


def test_a_missing_side_is_silence_not_a_shift() -> None:
    asm, out = _collect([True])
    asm.set_slot_order(agent_slot=1, customer_slot=2)
    asm.arrive("agent", None)  # muted agent: no audio this tick
    asm.arrive("customer", _frame(7))
    asm.arrive("agent", _frame(5))
    asm.arrive("customer", None)  # the customer's stream was being replaced
    assert [(s[0], s[1]) for s in out] == [(0, 7), (5, 0)]


def test_a_closed_gate_writes_nothing_and_counts_it() -> None:
    admit = [False]
    asm, out = _collect(admit)
    asm.set_slot_order(1, 2)
    asm.arrive("agent", _frame(1))
    asm.arrive("customer", _frame(1))
    assert out == [] and asm.frames_refused == 1
    admit[0] = True
    asm.arrive("agent", _frame(2))
    asm.arrive("customer", _frame(2))
    assert len(out) == 1 and asm.frames_accepted == 1


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=40), st.booleans())
def test_pairs_never_mix_ticks(present: list[tuple[bool, bool]], agent_first: bool) -> None:
    asm, out = _collect([True])
    asm.set_slot_order(1 if agent_first else 2, 2 if agent_first else 1)
    expected = []
    for tick, (has_agent, has_customer) in enumerate(present, start=1):
        arrivals = [
            ("agent", _frame(tick) if has_agent else None),
            ("customer", _frame(-tick) if has_customer else None),
        ]
        for side, pcm in arrivals if agent_first else reversed(arrivals):
            asm.arrive(side, pcm)
        if has_agent or has_customer:
            expected.append((tick if has_agent else 0, -tick if has_customer else 0))
    assert [(int(s[0]), int(s[1])) for s in out] == expected
