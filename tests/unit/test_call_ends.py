"""Why a call ended, and who may ring a registered agent: issue 14 items 1 and 4, pure rules."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.app.admission import admission, networks_of, source_address, trusted_hosts
from softphone.calls.session import SESSION_TIMER_EXPIRED, ended_by_sip
from softphone.calls.snapshot import CallEnded, CallRefused, ProblemRaised
from softphone.config.schema import AccountPolicy, SecurityPolicy
from softphone.vocabulary.events import IncomingCall, PeerLost
from tests.unit.test_desk import _answered_inbound
from tests.unit.test_desk_properties import Harness


@pytest.fixture
def desk() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


def _ended(h: Harness) -> CallEnded:
    return next(e for e in h.events if isinstance(e, CallEnded))


def test_a_lost_peer_s_reason_reaches_call_ended_and_the_recording(desk: Harness) -> None:
    call_id = _answered_inbound(desk)
    desk.engine.post(PeerLost(call_id, "no RTP for 2 s"))  # what the phone posts, then hangs up
    desk.phone.hangup(call_id)
    desk.phone.deliver(desk.desk.handle)
    ended = _ended(desk)
    assert ended.end_reason == "no RTP for 2 s"
    said = [(e.text, e.recording) for e in desk.events if isinstance(e, ProblemRaised)]
    # One calm line for the agent; news of the call, not a reason it went unrecorded.
    assert said == [("the call was ended: no RTP for 2 s", False)]
    assert ended.metadata is not None
    metadata = json.loads(Path(ended.metadata).read_text(encoding="utf-8"))
    assert metadata["status"] == "complete"
    assert metadata["call"]["end_reason"] == "no RTP for 2 s"


def test_the_agent_s_hang_up_is_the_reason_and_the_peer_s_later_word_does_not_change_it(
    desk: Harness,
) -> None:
    call_id = _answered_inbound(desk)
    desk.desk.hang_up(call_id)
    desk.engine.post(PeerLost(call_id, "no RTP for 2 s"))
    desk.phone.deliver(desk.desk.handle)
    assert _ended(desk).end_reason == "the agent hung up"


def test_a_peer_s_bye_is_said_with_its_sip_status(desk: Harness) -> None:
    call_id = _answered_inbound(desk)
    desk.phone.peer_hangs_up(call_id)
    desk.phone.deliver(desk.desk.handle)
    assert (_ended(desk).end_reason or "").startswith("the call ended: SIP 200")


def test_pjsip_s_own_hang_ups_of_a_dead_dialog_are_named() -> None:
    assert ended_by_sip(408, "No session refresh received.") == SESSION_TIMER_EXPIRED
    assert ended_by_sip(408, "Request Timeout") == (
        "the customer's side stopped answering SIP requests (SIP 408 Request Timeout)"
    )
    assert ended_by_sip(481, "Call/Transaction Does Not Exist").startswith(
        "the customer's side no longer knows the call (SIP 481"
    )
    # Before the answer a 408 is only an INVITE nobody answered.
    assert ended_by_sip(408, "Request Timeout", answered=False) == (
        "the call ended: SIP 408 Request Timeout"
    )


OFFICE = AccountPolicy(
    name="office",
    registrar="sip:pbx.example.com:5060;transport=udp",
    user="agent",
    auth_user="agent",
    domain="pbx.example.com",
    transport="udp",
    srtp="off",
    outbound_proxy="sip:127.0.0.9:5070",
)


def _invite(source: str) -> IncomingCall:
    return IncomingCall(1, "sip:someone@x", "sip:agent@pbx.example.com", source)


def test_the_hosts_of_a_registered_account() -> None:
    security = SecurityPolicy(trusted_hosts=("10.20.0.0/16", "::1"))
    assert trusted_hosts(OFFICE, security) == [
        "pbx.example.com",
        "127.0.0.9",
        "10.20.0.0/16",
        "::1",
    ]


def test_networks_take_addresses_cidrs_and_names() -> None:
    found = networks_of(["10.20.0.0/16", "127.0.0.9", "localhost", "no-such-host.invalid"])
    assert ipaddress.ip_network("10.20.0.0/16") in found
    assert ipaddress.ip_network("127.0.0.9/32") in found
    assert ipaddress.ip_network("127.0.0.1/32") in found  # localhost, resolved
    assert not any("invalid" in str(n) for n in found)  # unresolvable: left out, and logged


@pytest.mark.parametrize(
    ("source", "address"),
    [("127.0.0.2:5060", "127.0.0.2"), ("[::1]:5060", "::1"), ("::1", "::1"), ("", None)],
)
def test_the_address_an_invite_came_from(source: str, address: str | None) -> None:
    parsed = source_address(source)
    assert (None if parsed is None else str(parsed)) == address


def test_a_registered_account_refuses_strangers_with_403_and_takes_its_hosts() -> None:
    screen = admission(OFFICE, SecurityPolicy(trusted_hosts=("10.20.0.0/16",)), None)
    assert screen is not None
    assert screen(_invite("127.0.0.9:5070")) is None  # the outbound proxy
    assert screen(_invite("10.20.3.4:5060")) is None  # a trusted network
    refused = screen(_invite("127.0.0.2:5060"))
    assert refused is not None and refused[0] == 403
    assert "127.0.0.2:5060 is not the registrar, the outbound proxy or a trusted host" in refused[1]
    unknown = screen(_invite(""))
    assert unknown is not None and unknown[0] == 403


def test_a_direct_ip_account_takes_calls_from_anyone_and_the_next_screen_still_runs() -> None:
    direct = AccountPolicy("lab", None, "agent", "agent", None, "udp", "off")

    def busy(_event: IncomingCall) -> tuple[int, str] | None:
        return 486, "busy"

    assert admission(direct, SecurityPolicy(), None) is None
    assert admission(None, SecurityPolicy(), busy) is busy
    both = admission(OFFICE, SecurityPolicy(), busy)
    assert both is not None
    assert both(_invite("127.0.0.2:1"))[0] == 403  # type: ignore[index]
    assert both(_invite("127.0.0.9:1")) == (486, "busy")


def test_the_desk_refuses_on_its_loop_turn_and_counts_it() -> None:
    h = Harness(screen=admission(OFFICE, SecurityPolicy(), None))
    try:
        call_id = h.phone.incoming()  # the fake's INVITE has no source address: a stranger
        assert h.phone.sent == []  # nothing is answered before the desk takes the event
        h.phone.deliver(h.desk.handle)
        assert h.phone.sent == [("403", call_id)]
        assert h.desk.refusals[403] == 1
        refusal = next(e for e in h.events if isinstance(e, CallRefused))
        assert refusal.status_code == 403 and "not the registrar" in refusal.reason
    finally:
        h.close()
