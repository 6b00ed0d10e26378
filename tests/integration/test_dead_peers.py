"""Issue 14 item 1 with real peers: a call whose other side is gone ends, and says why.

A SIPp callee that goes silent after two seconds, the same callee while the agent holds the call
(it was told not to send), a pjsua2 customer killed with SIGKILL mid-call, and a SIPp caller
that negotiates a session timer and then never refreshes it.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.policies import Compliance
from tests.integration.securepolicy import add_account
from tests.integration.sipp import SippPeer
from tests.integration.softphone_cli import (
    Answering,
    Running,
    StartPeer,
    run_softphone,
    tone_call,
)

pytestmark = pytest.mark.integration


def _with_rtp_timeout(compliance: Compliance, seconds: int) -> Compliance:
    """The test policy with [media] rtp_timeout_s set."""
    text = compliance.policy.read_text(encoding="utf-8")
    compliance.policy.write_text(f"{text}\n[media]\nrtp_timeout_s = {seconds}\n", encoding="utf-8")
    return compliance


def _metadata(report: dict[str, Any]) -> dict[str, Any]:
    assert report["metadata"], report
    value = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def test_a_peer_that_stops_sending_rtp_is_hung_up_and_the_recording_says_why(
    tmp_path: Path, compliance: Compliance
) -> None:
    _with_rtp_timeout(compliance, 2)
    with SippPeer("uas_rtp_stops", workdir=tmp_path / "sipp", timeout_s=40) as peer:
        # No --hangup-after: only the silence can end this call (the run is bounded by its timeout).
        done = run_softphone(tone_call(peer.uri("customer"), compliance.args), timeout=40)
        peer.wait(15)
    assert done.returncode == 0, done.stderr
    report = done.report
    assert report["end_reason"] == "no RTP for 2 s", report
    assert "ended: no RTP for 2 s" not in done.stderr  # the JSON report, not the text one
    # The peer sent for 2 s; the call ends 2 s (+ one watch interval) after its last packet.
    assert 3.5 <= report["ended_at"] - report["answered_at"] <= 6.0, report
    metadata = _metadata(report)
    assert metadata["status"] == "complete"
    assert metadata["call"]["end_reason"] == "no RTP for 2 s"
    assert metadata["gate"][-1]["reason"] == "call-ended"


def test_a_call_held_by_the_agent_is_not_ended_for_the_silence_it_asked_for(
    tmp_path: Path, compliance: Compliance
) -> None:
    _with_rtp_timeout(compliance, 2)
    with SippPeer("uas_rtp_stops", workdir=tmp_path / "sipp", timeout_s=40) as peer:
        # Held (sendonly, answered recvonly: the peer must not send) from 1 s to 7 s: three
        # timeouts long. The agent hangs up at 7.5 s, before the silence after the resume counts.
        done = run_softphone(
            tone_call(
                peer.uri("customer"), compliance.args, "--hold", "1:6", "--hangup-after", "7.5"
            ),
            timeout=40,
        )
        peer.wait(15)
    assert done.returncode == 0, done.stderr
    report = done.report
    assert report["end_reason"] == "the agent hung up", report
    assert report["ended_at"] - report["answered_at"] >= 7.4


def test_a_customer_killed_mid_call_is_hung_up_within_the_rtp_timeout(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    _with_rtp_timeout(compliance, 2)
    peer = start_peer("--play", "tone:440")
    with Running(tone_call(peer.uri_for(), compliance.args)) as agent:
        peer.wait_for("state", 15.0, state="confirmed")
        time.sleep(2.0)  # the disclosure is over, both sides talk
        peer.proc.send_signal(signal.SIGKILL)  # its sockets close: nothing answers any more
        killed = time.time()
        done = agent.finish(timeout=20)
    assert done.returncode == 0, done.stderr
    report = done.report
    assert report["end_reason"] == "no RTP for 2 s", report
    assert report["ended_at"] - killed <= 4.5, report
    metadata = _metadata(report)
    assert metadata["status"] == "complete"
    assert metadata["call"]["end_reason"] == "no RTP for 2 s"


def test_a_session_timer_that_is_not_refreshed_ends_the_call(
    tmp_path: Path, compliance: Compliance
) -> None:
    """RFC 4028: the caller asks for 90 s sessions (the floor), refreshed by itself, and never
    refreshes; the answerer ends the call before the session expires (pjsip: after 60 s)."""
    _with_rtp_timeout(compliance, 0)  # SIPp sends no RTP here: only the timer may end it
    args = ["--mic", "tone:1000", "--speaker", "null", "--json", "--wait", "30", *compliance.args]
    with Answering(args) as agent:
        remote = f"127.0.0.1:{agent.port}"
        with SippPeer(
            "uac_session_timer", remote=remote, workdir=tmp_path / "sipp", timeout_s=100
        ) as peer:
            code = peer.wait(100)
            messages = peer.messages()
        done = agent.finish(timeout=30)
    assert code == 0, peer.describe()
    assert "Session-Expires: 90;refresher=uac" in messages  # our 200 OK took the timer
    assert done.returncode == 0, done.stderr
    report = done.report
    assert report["end_reason"].startswith("the session timer expired"), report
    assert _metadata(report)["call"]["end_reason"] == report["end_reason"]


def test_a_request_to_a_killed_tcp_customer_ends_the_call_at_once(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    """Over TCP the closed port is seen (a refused connection: TCP's ICMP): the hold's re-INVITE
    cannot be delivered and the call ends then, long before any timeout."""
    _with_rtp_timeout(compliance, 0)  # only the failed request may end it
    add_account(compliance.policy, transport="tcp", srtp="off")
    peer = start_peer("--transport", "tcp", "--play", "tone:440")
    uri = f"sip:customer@127.0.0.1:{peer.port};transport=tcp"
    # The hold at 4 s is the first request after the kill; the hang-up at 12 s is a backstop.
    args = tone_call(uri, compliance.args, "--hold", "4:3", "--hangup-after", "12")
    with Running(args) as agent:
        peer.wait_for("state", 15.0, state="confirmed")
        time.sleep(2.0)
        peer.proc.send_signal(signal.SIGKILL)
        done = agent.finish(timeout=30)
    assert done.returncode == 0, done.stderr
    report = done.report
    assert report["end_reason"].startswith("the customer's side cannot be reached: our INVITE"), (
        report
    )
    assert report["ended_at"] - report["answered_at"] < 8.0, report
    assert _metadata(report)["call"]["end_reason"] == report["end_reason"]
