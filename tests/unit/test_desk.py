"""The desk's commands one by one: call waiting, switching, the limit, and typed errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from softphone.calls.snapshot import (
    CallEnded,
    CallRefused,
    DeskError,
    DeviceChanged,
    DigitReceived,
    DisclosureState,
    ProblemRaised,
    ReinviteRefused,
    UnknownCallError,
)
from softphone.media.deviceevents import DeviceLost, DevicesChanged, Role
from softphone.vocabulary.events import CallState, DtmfMethod, DtmfReceived, ReinviteKind
from tests.unit.test_desk_properties import Harness


@pytest.fixture
def desk() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


def _answered_inbound(h: Harness) -> int:
    call_id = h.phone.incoming()
    h.phone.deliver(h.desk.handle)
    h.desk.answer(call_id)
    h.phone.deliver(h.desk.handle)
    h.phone.bridge_ticks(3)  # the disclosure plays to its end
    h.phone.deliver(h.desk.handle)
    return call_id


def test_a_second_call_waits_and_answering_it_holds_the_first(desk: Harness) -> None:
    first = _answered_inbound(desk)
    assert desk.desk.call(first).recording_open
    second = desk.phone.incoming()
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.call(second).state is CallState.INCOMING  # call waiting: it rings
    assert desk.desk.call(first).recording_open  # the agent still talks on the first

    desk.desk.answer(second)
    first_now = desk.desk.call(first)
    assert first_now.local_hold and not first_now.recording_open
    assert "agent is on another call" in first_now.recording_blockers
    # The first call's hold went out before the second call's 200 OK.
    sent = desk.phone.sent
    assert sent.index(("re-INVITE hold", first)) < sent.index(("200", second))
    desk.phone.deliver(desk.desk.handle)
    assert [s.call_id for s in desk.desk.calls() if s.talking] == [second]


def test_resuming_the_held_call_holds_the_other(desk: Harness) -> None:
    first = _answered_inbound(desk)
    second = desk.phone.incoming()
    desk.phone.deliver(desk.desk.handle)
    desk.desk.answer(second)
    desk.phone.deliver(desk.desk.handle)
    desk.phone.peer_answers_reinvite(first, accept=True)  # the first call's hold
    desk.phone.deliver(desk.desk.handle)

    desk.desk.resume(first)
    assert desk.desk.call(second).local_hold
    assert not desk.desk.call(first).local_hold
    desk.phone.peer_answers_reinvite(first, accept=True)  # resumed, on fresh media
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.call(first).recording_open
    assert not desk.desk.call(second).recording_open


def test_beyond_the_limit_a_call_is_refused_busy(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    desk.phone.incoming()
    desk.phone.incoming()
    third = desk.phone.incoming()
    desk.phone.deliver(desk.desk.handle)
    assert len(desk.desk.calls()) == 2
    assert ("486", third) in desk.phone.sent
    refused = [e for e in events if isinstance(e, CallRefused)]
    assert [r.status_code for r in refused] == [486]


def test_commands_on_a_ringing_or_unknown_call_say_which_and_why(desk: Harness) -> None:
    ringing = desk.phone.incoming()
    desk.phone.deliver(desk.desk.handle)
    before = list(desk.phone.sent)
    with pytest.raises(DeskError, match=rf"call {ringing}: cannot hold it: it is not answered"):
        desk.desk.hold(ringing)
    with pytest.raises(UnknownCallError, match="call 42: no such call"):
        desk.desk.hang_up(42)
    with pytest.raises(DeskError, match="DTMF digits are"):
        desk.desk.send_dtmf(ringing, "12x")
    with pytest.raises(DeskError, match="4xx-6xx"):
        desk.desk.reject(ringing, 200)
    assert desk.phone.sent == before  # nothing was sent for any of them


def test_an_ended_call_leaves_the_desk_with_its_recording(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    call_id = _answered_inbound(desk)
    snapshot = desk.desk.call(call_id)
    assert snapshot.disclosure is DisclosureState.COMPLETED
    desk.phone.peer_hangs_up(call_id)
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.calls() == ()
    ended = [e for e in events if isinstance(e, CallEnded)]
    assert len(ended) == 1 and ended[0].call.recording is not None
    call = ended[0].call
    assert call.ended_at is not None and call.answered_at is not None
    assert call.duration_s(call.ended_at + 60) == call.ended_at - call.answered_at
    assert ended[0].metadata is not None
    with pytest.raises(UnknownCallError):
        desk.desk.call(call_id)
    assert snapshot.live  # a snapshot never changes once made


def test_a_privacy_pause_closes_the_gate_without_any_sip(desk: Harness) -> None:
    call_id = _answered_inbound(desk)
    sent = list(desk.phone.sent)
    with pytest.raises(DeskError, match=rf"call {call_id}: .*requires a reason"):
        desk.desk.pause_recording(call_id, "", "agent")
    desk.desk.pause_recording(call_id, "card number", "agent")
    paused = desk.desk.call(call_id)
    assert paused.privacy_paused and not paused.recording_open and not paused.local_hold
    desk.desk.resume_recording(call_id, "agent")
    assert desk.desk.call(call_id).recording_open  # the same stream: it was never held
    assert desk.phone.sent == sent  # no re-INVITE, no anything


def test_a_refused_hold_and_a_received_digit_reach_the_client(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    call_id = _answered_inbound(desk)
    desk.desk.hold(call_id)
    desk.phone.peer_answers_reinvite(call_id, accept=False)
    desk.engine.post(DtmfReceived(call_id, "5", DtmfMethod.RFC4733))
    desk.phone.deliver(desk.desk.handle)
    refused = [e for e in events if isinstance(e, ReinviteRefused)]
    assert [(e.call_id, e.request) for e in refused] == [(call_id, ReinviteKind.HOLD)]
    assert refused[0].status_code >= 400
    digits = [e for e in events if isinstance(e, DigitReceived)]
    assert [(e.call_id, e.digit) for e in digits] == [(call_id, "5")]
    assert not desk.desk.call(call_id).recording_open  # a refused hold keeps the gate closed


def test_an_ended_call_leaves_its_evidence_in_the_event(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    call_id = _answered_inbound(desk)
    desk.desk.pause_recording(call_id, "card number", by="agent7")
    desk.phone.peer_hangs_up(call_id)
    desk.phone.deliver(desk.desk.handle)
    (ended,) = [e for e in events if isinstance(e, CallEnded)]
    assert ended.call.sip_call_id
    assert ended.disclosure is not None and ended.disclosure["completed"] is True
    assert [(p["reason"], p["by"]) for p in ended.pauses] == [("card number", "agent7")]
    assert ended.transfers == ()


def test_a_device_event_reaches_the_client_and_a_lost_one_is_a_problem(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    desk.desk.device_changed(DevicesChanged(added=("USB headset",), removed=()))
    desk.desk.device_changed(DeviceLost(Role.MICROPHONE, "USB headset", "unplugged"))
    changed = [e for e in events if isinstance(e, DeviceChanged)]
    assert [type(e.device) for e in changed] == [DevicesChanged, DeviceLost]
    assert changed[1].message == "microphone 'USB headset' stopped working (unplugged)"
    problems = [e for e in events if isinstance(e, ProblemRaised)]
    assert [(p.call_id, p.text) for p in problems] == [(None, changed[1].message)]
