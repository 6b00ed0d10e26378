"""The recording gate's state machine, driven by random event sequences (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from softphone.calls.gate import GateFacts, GateReason, RecordingGate

INTENTS = ("hold_requested", "consulting", "other_call_active")
FACTS = (
    *INTENTS,
    "privacy_paused",
    "disclosure_done",
    "remote_hold",
    "transferring",
    "media_confirmed",
    "writer_ok",
    "ended",
)


@dataclass
class Walls:
    """Records what the gate did to the taps, and the admit flag at that moment."""

    gate: RecordingGate | None = None
    connected: bool = False
    log: list[tuple[str, bool]] = field(default_factory=list)

    def open(self) -> None:
        assert self.gate is not None
        self.log.append(("open", self.gate.admits()))
        self.connected = True

    def close(self) -> None:
        assert self.gate is not None
        self.log.append(("close", self.gate.admits()))
        self.connected = False


def _gate() -> tuple[RecordingGate, Walls]:
    walls = Walls()
    gate = RecordingGate(walls.open, walls.close, media_time=lambda: 0.0, clock=lambda: 1.0)
    walls.gate = gate
    return gate, walls


def _open_gate(gate: RecordingGate) -> None:
    gate.update(GateReason.DISCLOSURE_COMPLETED, disclosure_done=True)
    gate.update(GateReason.MEDIA_CHANGED, stream="s1", media_confirmed=True)


def test_opens_only_when_every_fact_allows() -> None:
    gate, walls = _gate()
    gate.update(GateReason.MEDIA_CHANGED, stream="s1", media_confirmed=True)
    assert not gate.is_open  # the disclosure has not been played
    gate.update(GateReason.DISCLOSURE_COMPLETED, disclosure_done=True)
    assert gate.is_open and walls.connected
    assert [t.reason for t in gate.transitions] == [GateReason.DISCLOSURE_COMPLETED]


def test_closing_drops_the_admit_flag_before_disconnecting_the_taps() -> None:
    gate, walls = _gate()
    _open_gate(gate)
    gate.update(GateReason.HOLD_REQUESTED, hold_requested=True)
    # Wall 2 (the flag) was already down when wall 1 (the taps) was taken down; on opening,
    # the taps were connected while the flag still refused frames.
    assert walls.log == [("open", False), ("close", False)]
    assert not walls.connected


def test_a_resume_needs_a_stream_that_was_never_held() -> None:
    gate, _ = _gate()
    _open_gate(gate)
    gate.update(GateReason.HOLD_REQUESTED, hold_requested=True)
    gate.update(GateReason.MEDIA_CHANGED, stream="s2", media_confirmed=True)  # new while held
    gate.update(GateReason.RESUME_REQUESTED, hold_requested=False)
    assert not gate.is_open  # nothing confirmed since the resume
    gate.update(GateReason.MEDIA_CHANGED, stream="s1", media_confirmed=True)  # a refused resume
    assert not gate.is_open and "no media stream that was never held" in gate.facts.blockers()
    gate.update(GateReason.MEDIA_CHANGED, stream="s2", media_confirmed=True)
    assert not gate.is_open  # s2 existed during the hold: it may hold buffered held audio
    gate.update(GateReason.MEDIA_CHANGED, stream="s3", media_confirmed=True)
    assert gate.is_open
    assert gate.tainted == {"s1", "s2"}


def test_a_remote_hold_taints_the_stream_too() -> None:
    gate, _ = _gate()
    _open_gate(gate)
    gate.update(GateReason.REMOTE_HOLD, remote_hold=True)
    assert not gate.is_open
    gate.update(GateReason.MEDIA_CHANGED, stream="s1", remote_hold=False, media_confirmed=True)
    assert not gate.is_open
    gate.update(GateReason.MEDIA_CHANGED, stream="s2", remote_hold=False, media_confirmed=True)
    assert gate.is_open


def test_a_transfer_closes_the_gate_and_one_that_failed_gives_it_back() -> None:
    gate, walls = _gate()
    _open_gate(gate)
    gate.update(GateReason.TRANSFER_REQUESTED, transferring=True)
    assert not gate.is_open and not walls.connected
    assert gate.facts.blockers() == ["call is being transferred"]
    # Not a hold: the call's media flows on (and is listened to), so its stream stays fresh.
    assert gate.tainted == set()
    gate.update(GateReason.TRANSFER_FAILED, transferring=False)
    assert gate.is_open and walls.connected
    assert [t.reason for t in gate.transitions][-2:] == [
        GateReason.TRANSFER_REQUESTED,
        GateReason.TRANSFER_FAILED,
    ]


def test_a_failed_transfer_of_a_held_call_leaves_it_held() -> None:
    gate, _ = _gate()
    _open_gate(gate)
    gate.update(GateReason.HOLD_REQUESTED, hold_requested=True)
    gate.update(GateReason.TRANSFER_REQUESTED, transferring=True)
    gate.update(GateReason.TRANSFER_FAILED, transferring=False)
    assert not gate.is_open
    assert "agent put the call on hold" in gate.facts.blockers()
    assert [t.reason for t in gate.transitions][-1] is GateReason.HOLD_REQUESTED


def test_no_known_stream_is_never_fresh() -> None:
    gate, _ = _gate()
    gate.update(GateReason.DISCLOSURE_COMPLETED, disclosure_done=True)
    gate.update(GateReason.MEDIA_CHANGED, stream="", media_confirmed=True)
    assert not gate.is_open and not gate.facts.stream_fresh


def test_blockers_name_every_closing_condition() -> None:
    facts = GateFacts(hold_requested=True, remote_hold=True)
    assert facts.blockers() == [
        "disclosure not completed",
        "agent put the call on hold",
        "customer side is holding",
        "media not confirmed active",
        "no media stream that was never held",
    ]


def test_a_privacy_pause_closes_both_walls_and_its_end_reopens_on_the_same_stream() -> None:
    gate, walls = _gate()
    _open_gate(gate)
    gate.update(GateReason.PRIVACY_PAUSED, privacy_paused=True)
    assert not gate.is_open and not walls.connected
    assert walls.log == [("open", False), ("close", False)]  # flag down before the taps left
    assert gate.facts.blockers() == ["agent paused the recording for privacy"]
    # Not a hold: the media stays confirmed and the stream untainted, so no new stream is needed.
    assert gate.facts.media_confirmed and gate.facts.stream_fresh and gate.tainted == set()
    gate.update(GateReason.PRIVACY_RESUMED, privacy_paused=False)
    assert gate.is_open and walls.connected
    assert [t.reason for t in gate.transitions] == [
        GateReason.MEDIA_CHANGED,
        GateReason.PRIVACY_PAUSED,
        GateReason.PRIVACY_RESUMED,
    ]
    assert gate.transitions[1].blockers == ("agent paused the recording for privacy",)


def test_a_pause_during_the_disclosure_keeps_the_gate_closed_until_both_are_done() -> None:
    gate, _ = _gate()
    gate.update(GateReason.MEDIA_CHANGED, stream="s1", media_confirmed=True)
    gate.update(GateReason.PRIVACY_PAUSED, privacy_paused=True)
    gate.update(GateReason.DISCLOSURE_COMPLETED, disclosure_done=True)
    assert not gate.is_open and gate.transitions == []
    gate.update(GateReason.PRIVACY_RESUMED, privacy_paused=False)
    assert gate.is_open
    assert [t.reason for t in gate.transitions] == [GateReason.PRIVACY_RESUMED]


def test_lifting_a_pause_does_not_lift_a_hold_nor_the_other_way_round() -> None:
    gate, _ = _gate()
    _open_gate(gate)
    gate.update(GateReason.PRIVACY_PAUSED, privacy_paused=True)
    gate.update(GateReason.HOLD_REQUESTED, hold_requested=True)
    gate.update(GateReason.PRIVACY_RESUMED, privacy_paused=False)
    assert not gate.is_open  # still held
    gate.update(GateReason.PRIVACY_PAUSED, privacy_paused=True)
    gate.update(GateReason.RESUME_REQUESTED, hold_requested=False)
    gate.update(GateReason.MEDIA_CHANGED, stream="s2", media_confirmed=True)
    assert not gate.is_open  # the hold is over, on a fresh stream, but the pause stands
    assert gate.facts.blockers() == ["agent paused the recording for privacy"]
    gate.update(GateReason.PRIVACY_RESUMED, privacy_paused=False)
    assert gate.is_open


STREAMS = ("s1", "s2", "s3", "s4")

steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(list(GateReason)), st.sampled_from(FACTS), st.booleans()),
        st.tuples(st.just(GateReason.MEDIA_CHANGED), st.just("stream"), st.sampled_from(STREAMS)),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(steps)
def test_never_open_while_a_closing_condition_holds(
    sequence: list[tuple[GateReason, str, bool | str]],
) -> None:
    gate, walls = _gate()
    confirmed_since_intent = False
    held_streams: set[str] = set()
    for reason, fact, value in sequence:
        intent_before = any(getattr(gate.facts, name) for name in INTENTS)
        if fact == "stream":
            assert isinstance(value, str)
            gate.update(reason, stream=value)
        else:
            assert isinstance(value, bool)
            changes: dict[str, bool] = {fact: value}
            gate.update(reason, None, **changes)
        facts = gate.facts
        intent_now = any(getattr(facts, name) for name in INTENTS)
        if intent_now or (fact in INTENTS and value):
            confirmed_since_intent = False
        elif fact == "media_confirmed":
            confirmed_since_intent = bool(value)
        elif intent_before:
            confirmed_since_intent = False
        if intent_now or facts.remote_hold:
            held_streams.add(facts.stream)
        # The gate, the taps and the facts always agree.
        assert gate.is_open == facts.may_record == walls.connected == gate.admits()
        # A privacy pause taints nothing: only holds do.
        assert gate.tainted == held_streams - {""}
        if gate.is_open:
            assert facts.disclosure_done and not facts.ended and facts.writer_ok
            assert not facts.privacy_paused
            assert not facts.remote_hold and not intent_now and not facts.transferring
            # Media confirmed after the last intent was withdrawn, never before it.
            assert confirmed_since_intent
            # ... on a stream that never existed while the call was held.
            assert facts.stream and facts.stream not in held_streams
    for entry in walls.log:
        assert entry[1] is False  # the taps never moved while frames were admitted
