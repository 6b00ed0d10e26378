"""The desk's commands one by one: call waiting, switching, the limit, transfers, typed errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from softphone.calls.snapshot import (
    CallChanged,
    CallEnded,
    CallRefused,
    DeskError,
    DeviceChanged,
    DigitReceived,
    DisclosureState,
    ProblemRaised,
    ReinviteRefused,
    TransferFinished,
    UnknownCallError,
)
from softphone.media.deviceevents import DeviceLost, DevicesChanged, Role
from softphone.vocabulary.events import (
    CallDirection,
    CallState,
    DtmfMethod,
    DtmfReceived,
    ReinviteKind,
    SipError,
    TransferKind,
)
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


def test_a_malformed_invite_is_refused_400_and_never_rings(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    bad = desk.phone.incoming(malformed="the INVITE repeats a header that takes one value: to")
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.calls() == ()
    assert ("400", bad) in desk.phone.sent
    refused = [e for e in events if isinstance(e, CallRefused)]
    assert [(r.status_code, r.reason) for r in refused] == [
        (400, "the INVITE repeats a header that takes one value: to")
    ]


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


# --- transfers --------------------------------------------------------------------------------

TARGET = "sip:desk2@pbx"


def _finished(events: list[object]) -> list[TransferFinished]:
    return [e for e in events if isinstance(e, TransferFinished)]


def _ended(events: list[object]) -> list[CallEnded]:
    return [e for e in events if isinstance(e, CallEnded)]


def _spy_refers(h: Harness, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether any gate of the desk was open at each REFER the phone was asked to send."""
    seen: list[bool] = []
    blind, attended = h.phone.transfer, h.phone.transfer_replaces

    def transfer(call_id: int, uri: str, *, timeout_s: float) -> None:
        seen.append(any(c.recording_open for c in h.desk.calls()))
        blind(call_id, uri, timeout_s=timeout_s)

    def transfer_replaces(call_id: int, consult_call_id: int, *, timeout_s: float) -> None:
        seen.append(any(c.recording_open for c in h.desk.calls()))
        attended(call_id, consult_call_id, timeout_s=timeout_s)

    monkeypatch.setattr(h.phone, "transfer", transfer)
    monkeypatch.setattr(h.phone, "transfer_replaces", transfer_replaces)
    return seen


def test_a_blind_transfer_closes_the_gate_first_and_ends_the_call_when_it_succeeded(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    call_id = _answered_inbound(desk)
    refers = _spy_refers(desk, monkeypatch)
    desk.desk.transfer(call_id, TARGET)
    assert refers == [False]  # the gate was closed when the REFER went
    assert desk.phone.sent[-1] == ("REFER", call_id)
    snapshot = desk.desk.call(call_id)
    assert snapshot.transferring and not snapshot.recording_open and not snapshot.local_hold
    assert "call is being transferred" in snapshot.recording_blockers
    assert "transfer" in desk.phone.calls[call_id].mic_cuts  # the customer no longer hears us
    for status, reason in ((100, "Accepted"), (180, "Ringing")):
        desk.phone.peer_notifies(call_id, status, reason)
        desk.phone.deliver(desk.desk.handle)
        assert desk.desk.call(call_id).transferring
    desk.phone.peer_notifies(call_id, 200, "OK")
    desk.phone.deliver(desk.desk.handle)
    [finished] = _finished(events)
    assert (finished.call_id, finished.kind, finished.to) == (call_id, TransferKind.BLIND, TARGET)
    assert (finished.result, finished.status_code, finished.requested_by) == (
        "transferred",
        200,
        "agent",
    )
    assert desk.phone.sent[-1] == ("BYE", call_id)  # the agent's part is over
    [ended] = _ended(events)
    assert events.index(finished) < events.index(ended)
    assert [(t["result"], t["to"]) for t in ended.transfers] == [("transferred", TARGET)]
    assert desk.desk.calls() == ()


@pytest.mark.parametrize(
    ("status", "reason"),
    [(603, "Decline"), (486, "Busy Here"), (408, "no outcome from the transferee within 5 s")],
    ids=["refer-declined", "notify-486", "no-outcome"],
)
def test_a_blind_transfer_that_failed_gives_the_call_back(
    desk: Harness, status: int, reason: str
) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    call_id = _answered_inbound(desk)
    desk.desk.transfer(call_id, TARGET, timeout_s=5.0)
    if status == 408:
        desk.engine.advance(4.9)
        desk.phone.deliver(desk.desk.handle)
        assert desk.desk.call(call_id).transferring  # not yet
        desk.engine.advance(0.1)  # the phone's bound passes
    else:
        desk.phone.peer_notifies(call_id, status, reason)
    desk.phone.deliver(desk.desk.handle)
    [finished] = _finished(events)
    assert (finished.result, finished.status_code, finished.reason) == ("failed", status, reason)
    snapshot = desk.desk.call(call_id)
    assert snapshot.recording_open and not snapshot.transferring  # the agent has it again
    assert "transfer" not in desk.phone.calls[call_id].mic_cuts
    desk.phone.peer_notifies(call_id, 200, "OK")  # a late report changes nothing
    desk.phone.deliver(desk.desk.handle)
    assert len(_finished(events)) == 1 and desk.desk.call(call_id).recording_open


def _consulting(h: Harness) -> tuple[int, int]:
    """An answered customer call and, once it is held, an answered consult call."""
    customer = _answered_inbound(h)
    consult = h.desk.consult(customer, "sip:colleague@pbx")
    held = h.desk.call(customer)
    assert held.local_hold and not held.recording_open
    assert "agent is consulting" in held.recording_blockers
    sent = h.phone.sent
    assert sent.index(("re-INVITE hold", customer)) < sent.index(("INVITE", consult))
    h.phone.deliver(h.desk.handle)
    h.phone.peer_answers_reinvite(customer, accept=True)
    h.phone.peer_answers(consult)
    h.phone.deliver(h.desk.handle)
    h.phone.bridge_ticks(3)  # the colleague hears the disclosure too
    h.phone.deliver(h.desk.handle)
    assert [c.call_id for c in h.desk.calls() if c.talking] == [consult]
    assert h.desk.call(consult).recording_open
    return customer, consult


def test_a_consult_then_complete_transfer_hands_the_customer_to_the_colleague(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    customer, consult = _consulting(desk)
    refers = _spy_refers(desk, monkeypatch)
    desk.desk.complete_transfer(customer, consult)
    assert refers == [False]
    assert desk.phone.sent[-1] == ("REFER with Replaces", customer)
    assert desk.desk.call(customer).transferring and desk.desk.call(consult).transferring
    desk.phone.peer_notifies(customer, 200, "OK")
    desk.phone.deliver(desk.desk.handle)
    finished = _finished(events)
    assert sorted((f.call_id, f.kind, f.result) for f in finished) == [
        (customer, TransferKind.ATTENDED, "transferred"),
        (consult, TransferKind.ATTENDED, "transferred"),
    ]
    assert ("BYE", customer) in desk.phone.sent and ("BYE", consult) in desk.phone.sent
    ended = {e.call.call_id: e for e in _ended(events)}
    assert ended[customer].transfers[0]["consult_call_id"] == ended[consult].call.sip_call_id
    assert ended[consult].transfers[0]["consult_call_id"] == ended[customer].call.sip_call_id
    assert ended[consult].call.recording is not None  # the consult call was a call of its own
    assert desk.desk.calls() == ()


def test_an_attended_transfer_that_failed_leaves_both_calls_with_the_agent(
    desk: Harness,
) -> None:
    customer, consult = _consulting(desk)
    desk.desk.complete_transfer(customer, consult)
    desk.phone.peer_notifies(customer, 486, "Busy Here")
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.call(consult).recording_open  # the agent talks to the colleague again
    held = desk.desk.call(customer)
    assert held.local_hold and not held.transferring and not held.recording_open
    desk.desk.hang_up(consult)
    desk.phone.deliver(desk.desk.handle)
    assert not desk.desk.call(customer).recording_open  # still held: the agent resumes it
    desk.desk.resume(customer)
    desk.phone.peer_answers_reinvite(customer, accept=True)
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.call(customer).recording_open


def test_transfer_commands_refuse_what_cannot_be_done_and_change_nothing(desk: Harness) -> None:
    answered = _answered_inbound(desk)

    def refused(match: str, command: Callable[[], object]) -> None:
        before = (desk.desk.calls(), list(desk.phone.sent))
        with pytest.raises(DeskError, match=match):
            command()
        assert (desk.desk.calls(), desk.phone.sent) == before

    refused("call 42: no such call", lambda: desk.desk.transfer(42, TARGET))
    refused("call 42: no such call", lambda: desk.desk.consult(42, TARGET))
    refused("call 42: no such call", lambda: desk.desk.complete_transfer(answered, 42))
    refused(rf"call {answered}: not a SIP URI", lambda: desk.desk.transfer(answered, "desk 2"))
    refused(rf"call {answered}: not a SIP URI", lambda: desk.desk.consult(answered, "desk 2"))
    refused(rf"call {answered}: cannot transfer a call to itself",
            lambda: desk.desk.complete_transfer(answered, answered))  # fmt: skip

    ringing = desk.phone.incoming()
    desk.phone.deliver(desk.desk.handle)
    refused(rf"call {ringing}: cannot transfer it: it is not answered",
            lambda: desk.desk.transfer(ringing, TARGET))  # fmt: skip
    refused(rf"call {ringing}: cannot consult on it: it is not answered",
            lambda: desk.desk.consult(ringing, TARGET))  # fmt: skip
    refused(rf"call {ringing}: cannot transfer it: it is not answered",
            lambda: desk.desk.complete_transfer(answered, ringing))  # fmt: skip
    refused(rf"call {answered}: the agent has 2 calls, the limit",
            lambda: desk.desk.consult(answered, TARGET))  # fmt: skip

    desk.desk.transfer(answered, TARGET)
    refused(rf"call {answered}: .*a transfer of it is already under way",
            lambda: desk.desk.transfer(answered, TARGET))  # fmt: skip
    refused(rf"call {answered}: .*a transfer of it is under way",
            lambda: desk.desk.consult(answered, TARGET))  # fmt: skip


def test_a_refer_that_cannot_be_sent_is_refused_and_kept_as_a_failed_attempt(
    desk: Harness,
) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    call_id = _answered_inbound(desk)
    before = (desk.desk.calls(), list(desk.phone.sent))
    desk.phone.refer_error = "Transport error"
    with pytest.raises(DeskError, match=rf"call {call_id}: .*REFER could not be sent: Transport"):
        desk.desk.transfer(call_id, TARGET)
    assert (desk.desk.calls(), desk.phone.sent) == before  # the gate is back, nothing went
    assert "transfer" not in desk.phone.calls[call_id].mic_cuts
    desk.phone.deliver(desk.desk.handle)
    [finished] = _finished(events)
    assert (finished.call_id, finished.result) == (call_id, "failed")
    desk.phone.peer_hangs_up(call_id)
    desk.phone.deliver(desk.desk.handle)
    [ended] = _ended(events)
    [attempt] = ended.transfers
    assert attempt["result"] == "failed" and "Transport error" in str(attempt["reason"])


def test_a_consult_that_cannot_be_placed_gives_the_call_back(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = _answered_inbound(desk)

    def unreachable(uri: str, account: str | None = None) -> int:
        raise SipError(f"cannot call {uri}: no route")

    monkeypatch.setattr(desk.phone, "make_call", unreachable)
    with pytest.raises(DeskError, match=rf"call {call_id}: cannot consult .*no route"):
        desk.desk.consult(call_id, "sip:colleague@pbx")
    snapshot = desk.desk.call(call_id)
    assert not snapshot.local_hold and len(desk.desk.calls()) == 1
    assert not desk.phone.calls[call_id].agent_wants_hold  # the hold was taken back
    desk.phone.peer_answers_reinvite(call_id, accept=True)  # the hold, then the resume
    desk.phone.deliver(desk.desk.handle)
    desk.phone.peer_answers_reinvite(call_id, accept=True)
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.call(call_id).recording_open  # on fresh media


def test_the_peers_refer_declined_by_the_policy_leaves_only_evidence(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    call_id = _answered_inbound(desk)
    assert desk.phone.peer_refers(call_id, TARGET) is None
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.call(call_id).recording_open and len(desk.desk.calls()) == 1
    [told] = _finished(events)  # a window can say that the peer's request was declined
    assert (told.call_id, told.result, told.requested_by, told.to) == (
        call_id,
        "declined",
        "peer",
        TARGET,
    )
    desk.phone.peer_hangs_up(call_id)
    desk.phone.deliver(desk.desk.handle)
    [ended] = _ended(events)
    [request] = ended.transfers
    assert (request["result"], request["status"], request["requested_by"]) == (
        "declined",
        603,
        "peer",
    )


def test_the_peers_accepted_refer_brings_a_desk_call_the_agent_goes_on_with(
    desk: Harness,
) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    asked = _answered_inbound(desk)
    desk.phone.allow_incoming_transfers(True)
    new = desk.phone.peer_refers(asked, TARGET)
    assert new is not None
    desk.phone.deliver(desk.desk.handle)
    snapshot = desk.desk.call(asked)
    assert snapshot.transferring and not snapshot.recording_open
    first = next(e for e in events if isinstance(e, CallChanged) and e.call.call_id == new)
    assert first.call.state is CallState.CALLING and first.call.remote_uri == TARGET
    desk.phone.peer_answers(new)
    desk.phone.deliver(desk.desk.handle)
    [finished] = _finished(events)
    assert (finished.call_id, finished.result, finished.requested_by) == (
        asked,
        "transferred",
        "peer",
    )
    assert ("BYE", asked) in desk.phone.sent
    [ended] = _ended(events)
    assert ended.call.call_id == asked and not ended.call.local_hold  # left, never held
    assert [c.call_id for c in desk.desk.calls()] == [new]
    assert desk.desk.call(new).talking  # the agent followed the customer's request
    desk.phone.bridge_ticks(3)
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.call(new).recording_open  # after its own disclosure


def test_a_peers_refer_no_call_could_be_placed_for_gives_the_call_back(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    asked = _answered_inbound(desk)
    desk.phone.allow_incoming_transfers(True)
    desk.phone.peer_refers(asked, "sip:nowhere@", reachable=False)
    desk.phone.deliver(desk.desk.handle)
    assert desk.desk.call(asked).transferring
    desk.engine.advance(1.0)  # pjsua would have placed the call by now
    desk.phone.deliver(desk.desk.handle)
    [finished] = _finished(events)
    assert finished.result == "failed" and "could not call sip:nowhere@" in finished.reason
    assert desk.desk.call(asked).recording_open


def test_an_accepted_replaces_brings_an_answered_call_in_place_of_the_old(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    asked = _answered_inbound(desk)
    desk.phone.allow_incoming_transfers(True)
    new = desk.phone.peer_replaces(asked)
    desk.phone.deliver(desk.desk.handle)
    [finished] = _finished(events)
    assert (finished.call_id, finished.kind, finished.result) == (
        asked,
        TransferKind.ATTENDED,
        "transferred",
    )
    [ended] = _ended(events)
    assert ended.call.call_id == asked
    [call] = desk.desk.calls()
    assert call.call_id == new and call.direction is CallDirection.INBOUND and call.talking


def test_resuming_a_call_held_for_a_consult_takes_the_agent_back_from_the_colleague(
    desk: Harness,
) -> None:
    customer, consult = _consulting(desk)
    desk.desk.resume(customer)
    back = desk.desk.call(customer)
    assert not back.local_hold and "agent is consulting" not in back.recording_blockers
    assert desk.desk.call(consult).local_hold  # the colleague waits now
    desk.phone.peer_answers_reinvite(consult, accept=True)
    desk.phone.peer_answers_reinvite(customer, accept=True)
    desk.phone.deliver(desk.desk.handle)
    assert [c.call_id for c in desk.desk.calls() if c.talking] == [customer]
    desk.desk.complete_transfer(customer, consult)  # still possible from here
    assert desk.phone.sent[-1] == ("REFER with Replaces", customer)


def test_a_second_refer_while_the_first_is_followed_is_not_followed(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    asked = _answered_inbound(desk)
    desk.phone.allow_incoming_transfers(True)
    first = desk.phone.peer_refers(asked, TARGET)
    desk.phone.deliver(desk.desk.handle)
    second = desk.phone.peer_refers(asked, "sip:desk3@peer")
    desk.phone.deliver(desk.desk.handle)
    [refused] = _finished(events)
    assert (refused.to, refused.result, refused.reason) == (
        "sip:desk3@peer",
        "failed",
        "another transfer of the call was under way",
    )
    assert second is not None and ("BYE", second) in desk.phone.sent  # the phone made it anyway
    assert desk.desk.call(asked).transferring  # the first one goes on
    assert first is not None
    desk.phone.peer_answers(first)
    desk.phone.deliver(desk.desk.handle)
    assert [f.result for f in _finished(events)] == ["failed", "transferred"]
    assert [c.call_id for c in desk.desk.calls()] == [first]


def test_a_replaces_overtakes_a_refer_being_followed(desk: Harness) -> None:
    events: list[object] = []
    desk.desk.subscribe(events.append)
    asked = _answered_inbound(desk)
    desk.phone.allow_incoming_transfers(True)
    placed = desk.phone.peer_refers(asked, TARGET)
    desk.phone.deliver(desk.desk.handle)
    new = desk.phone.peer_replaces(asked)
    desk.phone.deliver(desk.desk.handle)
    assert placed is not None and ("BYE", placed) in desk.phone.sent
    results = {(f.to, f.result) for f in _finished(events)}
    assert results == {(TARGET, "unknown"), ("sip:colleague@peer", "transferred")}
    assert [c.call_id for c in desk.desk.calls()] == [new]


def test_a_call_that_cannot_be_placed_is_explained_once(
    desk: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unresolvable(uri: str, account: str | None = None) -> int:
        raise SipError(f"cannot call {uri}: the host name cannot be resolved")

    monkeypatch.setattr(desk.phone, "make_call", unresolvable)
    with pytest.raises(DeskError) as raised:
        desk.desk.dial("sip:x@nowhere.invalid")
    said = str(raised.value)
    assert said.count("cannot call") == 1, said
    assert "the host name cannot be resolved" in said and not desk.desk.calls()
