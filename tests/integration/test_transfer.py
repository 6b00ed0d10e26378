"""Transfers against real peers: blind and attended REFERs, the ones that fail, and the peer's own.

A transfer means the agent is leaving the call: its gate closes before the REFER goes, its
recording ends with the leg and its metadata says to whom it was transferred; one that fails
(a 603, a NOTIFY telling 486, no outcome at all) leaves the call up with its gate back as it was.
The peer's REFER is declined unless the policy allows it; allowed, the call it brings is a call
like any other (disclosure first, recording).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from softphone.media.analysis import read_channels, read_mono, tone_duration_s
from tests.integration.policies import DISCLOSURE_HZ, Compliance
from tests.integration.sipp import SippLogEntry, SippPeer
from tests.integration.softphone_cli import (
    Answering,
    Finished,
    StartPeer,
    run_driver,
    run_softphone,
    tone_call,
)

pytestmark = pytest.mark.integration

AGENT_HZ, CUSTOMER_HZ, TARGET_HZ = 1000.0, 1200.0, 600.0  # CUSTOMER_HZ: the SIPp peers' tone
TRANSFER_AT_S = 1.8  # after the 1.2 s disclosure: the call has been recorded for a while
HANGUP_AFTER_S = 3.8  # a transfer that failed leaves the call up until then
TARGET = "sip:desk2@127.0.0.1:5999"  # the transferee is asked to call it; no one listens there
SLACK_S = 0.35  # wall clock vs. the recording's length (a frame batch, process scheduling)


def _metadata(report: dict[str, Any]) -> dict[str, Any]:
    assert report["recording"] and report["metadata"], report
    metadata = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    assert isinstance(metadata, dict)
    assert metadata["status"] == "complete", metadata
    return metadata


def _gate(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    return [(g["reason"], g["state"]) for g in metadata["gate"]]


def _received(peer: SippPeer, method: str) -> list[SippLogEntry]:
    return [
        e
        for e in peer.log_entries()
        if e.direction == "received" and e.is_request and e.method == method
    ]


def _transfer_call(scenario: str, tmp_path: Path, compliance: Compliance, *options: str,
                   keys: dict[str, str] | None = None) -> tuple[Finished, SippPeer]:  # fmt: skip
    """`softphone call` to `scenario` with --transfer TRANSFER_AT_S:TARGET; SIPp must pass."""
    peer = SippPeer(scenario, workdir=tmp_path / "sipp", keys=keys, timeout_s=20)
    with peer:
        done = run_softphone(
            tone_call(
                peer.uri("customer"),
                compliance.args,
                *("--transfer", f"{TRANSFER_AT_S:g}:{TARGET}"),
                *("--hangup-after", f"{HANGUP_AFTER_S:g}"),
                *options,
                hz=AGENT_HZ,
            ),
            timeout=30,
        )
        assert peer.wait(10) == 0, peer.describe()
        peer.log_entries()  # read before the context ends (the log is kept in workdir)
    assert "Traceback" not in done.stderr, done.stderr
    return done, peer


def test_a_blind_transfer_hands_the_call_on_and_its_recording_ends_with_the_leg(
    tmp_path: Path, compliance: Compliance
) -> None:
    done, peer = _transfer_call("uas_transferee", tmp_path, compliance, keys={"sipfrag": "200 OK"})
    assert done.returncode == 0, done.stderr
    report = done.report
    transfer = report["transfer"]
    assert transfer["kind"] == "blind" and transfer["to"] == TARGET, transfer
    assert (transfer["result"], transfer["status"]) == ("transferred", 200), transfer
    refer = _received(peer, "REFER")
    assert len(refer) == 1 and refer[0].header("Refer-To") == TARGET, refer
    # The agent hangs up once the final NOTIFY told the outcome, not at --hangup-after.
    final_notify = [e for e in peer.log_entries() if e.direction == "sent" and e.is_request][-1]
    assert final_notify.method == "NOTIFY" and "terminated" in (
        final_notify.header("Subscription-State") or ""
    )
    bye = _received(peer, "BYE")
    assert len(bye) == 1 and 0 <= (bye[0].time - final_notify.time).total_seconds() < 0.5
    assert report["ended_at"] - report["answered_at"] < HANGUP_AFTER_S - 0.5, report

    metadata = _metadata(report)
    assert metadata["transfers"] == [transfer]
    assert _gate(metadata) == [("disclosure-completed", "open"), ("transfer-requested", "closed")]
    [gap] = metadata["holds"]  # the timeline shows where the recording stopped
    assert gap["kind"] == "transfer" and gap["start"] == pytest.approx(transfer["requested_at"])
    # The recording holds the talk from the disclosure's end to the REFER, and ends with the leg.
    talk_s = transfer["requested_at"] - report["disclosure"]["ended_at"]
    assert metadata["audio"]["duration_s"] == pytest.approx(talk_s, abs=SLACK_S), metadata
    assert metadata["call"]["ended_at"] == pytest.approx(bye[0].time.timestamp(), abs=0.5)
    audio, rate = read_channels(report["recording"])
    assert audio.shape[0] == metadata["audio"]["frames"]
    assert tone_duration_s(audio[:, 0], rate, AGENT_HZ) >= 0.7 * talk_s
    assert tone_duration_s(audio[:, 1], rate, CUSTOMER_HZ) >= 0.7 * talk_s


@pytest.mark.parametrize(
    ("scenario", "keys", "options", "status", "reason"),
    [
        ("uas_refer_decline", None, (), 603, "Decline"),
        ("uas_transferee", {"sipfrag": "486 Busy Here"}, (), 486, "Busy Here"),
        ("uas_refer_no_notify", None, ("--transfer-timeout", "1"), 408, "within 1 s"),
    ],
    ids=["refer-declined", "notify-486", "no-notify"],
)
def test_a_transfer_that_fails_leaves_the_call_with_the_agent(
    tmp_path: Path,
    compliance: Compliance,
    scenario: str,
    keys: dict[str, str] | None,
    options: tuple[str, ...],
    status: int,
    reason: str,
) -> None:
    done, peer = _transfer_call(scenario, tmp_path, compliance, *options, keys=keys)
    assert done.returncode == 1, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("softphone: ")]
    assert len(said) == 1 and "transfer" in said[0] and str(status) in said[0], done.stderr
    report = done.report
    assert report["error"] is None, report
    transfer = report["transfer"]
    assert (transfer["result"], transfer["status"]) == ("failed", status), transfer
    assert reason in transfer["reason"], transfer
    # The call stayed up until the script hung it up, and was recorded again after the attempt.
    assert report["ended_at"] - report["answered_at"] == pytest.approx(HANGUP_AFTER_S, abs=0.6)
    assert len(_received(peer, "REFER")) == 1 and len(_received(peer, "BYE")) == 1
    metadata = _metadata(report)
    assert metadata["transfers"] == [transfer]
    assert _gate(metadata) == [
        ("disclosure-completed", "open"),
        ("transfer-requested", "closed"),
        ("transfer-failed", "open"),
        ("call-ended", "closed"),
    ]
    reopened = metadata["gate"][2]["wall_time"]
    assert reopened == pytest.approx(transfer["ended_at"], abs=0.1)
    [gap] = metadata["holds"]
    assert gap["kind"] == "transfer" and gap["end"] == pytest.approx(reopened, abs=0.1)
    audio, rate = read_channels(report["recording"])
    after = audio[int(metadata["gate"][2]["media_time"] * rate) :, 1]
    assert tone_duration_s(after, rate, CUSTOMER_HZ) >= 0.7 * (report["ended_at"] - reopened)


def test_an_attended_transfer_replaces_the_consult_call_and_ends_both_legs(
    tmp_path: Path, compliance: Compliance
) -> None:
    customer = SippPeer(
        "uas_transferee", workdir=tmp_path / "customer", keys={"sipfrag": "200 OK"}, timeout_s=20
    )
    colleague = SippPeer("uas_accept_hold", workdir=tmp_path / "colleague", timeout_s=20)
    with customer, colleague:
        done = run_driver(
            "attended_transfer",
            str(compliance.policy),
            customer.uri("customer"),
            colleague.uri("colleague"),
        )
        assert done.returncode == 0, done.stderr
        assert customer.wait(10) == 0, customer.describe()
        assert colleague.wait(10) == 0, colleague.describe()
        refer = _received(customer, "REFER")
        consult_invite = _received(colleague, "INVITE")[0]
        colleague_200 = next(
            e for e in colleague.log_entries() if e.direction == "sent" and e.status == 200
        )
        customer_byes, colleague_byes = _received(customer, "BYE"), _received(colleague, "BYE")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["outcomes"] == ["transferred", "transferred"], result
    # The customer is asked to call the colleague in place of the consult call's dialog.
    assert len(refer) == 1
    refer_to = refer[0].header("Refer-To") or ""
    to_tag = (colleague_200.header("To") or "").rsplit("tag=", 1)[1]
    from_tag = (consult_invite.header("From") or "").rsplit("tag=", 1)[1]
    consult_id = consult_invite.header("Call-ID")
    assert f"Replaces={consult_id}%3Bto-tag%3D{to_tag}%3Bfrom-tag%3D{from_tag}" in refer_to
    assert refer_to.startswith(f"<{colleague.uri('colleague')}?")
    assert len(customer_byes) == 1 and len(colleague_byes) == 1  # both legs ended by the agent

    calls = {c["consult"]: c for c in result["calls"]}
    assert calls[True]["call_id"] == consult_id
    for leg, other in ((calls[False], calls[True]), (calls[True], calls[False])):
        assert leg["problems"] == [], leg
        [transfer] = leg["transfers"]
        assert (transfer["kind"], transfer["result"]) == ("attended", "transferred"), transfer
        assert transfer["consult_call_id"] == other["call_id"]
        metadata = json.loads(Path(leg["metadata"]).read_text(encoding="utf-8"))
        assert metadata["status"] == "complete" and metadata["transfers"] == [transfer]
        assert metadata["disclosure"]["completed"] is True  # the consult call is a call too
    customer_gate = _gate(json.loads(Path(calls[False]["metadata"]).read_text()))
    consult_gate = _gate(json.loads(Path(calls[True]["metadata"]).read_text()))
    assert customer_gate[:2] == [("disclosure-completed", "open"), ("consult-started", "closed")]
    assert ("consult-started", "closed") not in consult_gate
    assert consult_gate == [("disclosure-completed", "open"), ("transfer-requested", "closed")]


def _answer_refer(
    tmp_path: Path, compliance: Compliance, refer_to: str, scenario: str = "uac_refer"
) -> tuple[Finished, SippPeer]:
    with Answering(["--json", "--wait", "20", "--mic", f"tone:{AGENT_HZ:g}", "--speaker",
                    "null", *compliance.args]) as agent:  # fmt: skip
        peer = SippPeer(
            scenario,
            remote=f"127.0.0.1:{agent.port}",
            service="agent",
            keys={"refer_to": refer_to} if refer_to else None,
            workdir=tmp_path / "sipp",
            timeout_s=20,
        )
        with peer:
            done = agent.finish(30)
            assert peer.wait(10) == 0, peer.describe()
            peer.log_entries()
    assert "Traceback" not in done.stderr, done.stderr
    return done, peer


def _sent_answers(peer: SippPeer, method: str) -> list[int]:
    return [
        e.status
        for e in peer.log_entries()
        if e.direction == "received" and e.status is not None and e.method == method
    ]


def test_the_peers_refer_is_declined_unless_the_policy_allows_it(
    tmp_path: Path, compliance: Compliance
) -> None:
    done, peer = _answer_refer(tmp_path, compliance, TARGET)
    assert done.returncode == 0, done.stderr
    assert _sent_answers(peer, "REFER") == [603]
    assert _received(peer, "NOTIFY") == []
    report = done.report
    [request] = report["transfer_requests"]
    assert (request["result"], request["status"], request["to"]) == ("declined", 603, TARGET)
    assert report["transferred_calls"] == [] and report["transfer"] is None
    metadata = _metadata(report)
    assert metadata["transfers"] == [request]
    assert _gate(metadata) == [("disclosure-completed", "open"), ("call-ended", "closed")]


def test_an_invite_that_would_replace_the_call_is_declined_by_default(
    tmp_path: Path, compliance: Compliance
) -> None:
    done, peer = _answer_refer(tmp_path, compliance, "", scenario="uac_replaces")
    assert done.returncode == 0, done.stderr
    report = done.report
    [request] = report["transfer_requests"]
    assert (request["kind"], request["result"], request["status"]) == ("attended", "declined", 603)
    assert request["to"] == f"sip:customer@127.0.0.1:{peer.port}"
    assert report["transferred_calls"] == []
    # The call went on to the customer's own BYE, recorded, its gate never moved by the request.
    assert len(_received(peer, "BYE")) == 0
    metadata = _metadata(report)
    assert metadata["transfers"] == [request]
    assert _gate(metadata) == [("disclosure-completed", "open"), ("call-ended", "closed")]


def test_the_peers_refer_allowed_by_the_policy_is_a_call_like_any_other(
    tmp_path: Path, compliance: Compliance, start_peer: StartPeer
) -> None:
    with compliance.policy.open("a", encoding="utf-8") as policy:
        policy.write("\n[calls]\nallow_incoming_transfer = true\n")
    heard = tmp_path / "target.wav"
    target = start_peer("--play", f"tone:{TARGET_HZ:g}", "--hangup-after", "2.4",
                        "--record", str(heard))  # fmt: skip
    started = time.monotonic()
    done, peer = _answer_refer(tmp_path, compliance, target.uri_for("desk2"))
    assert done.returncode == 0, done.stderr
    assert target.finish() == 0
    assert time.monotonic() - started < 20
    # The customer got 202, then NOTIFYs up to the target's 200 OK; the agent left its call.
    assert _sent_answers(peer, "REFER") == [202]
    notifies = _received(peer, "NOTIFY")
    assert notifies and notifies[-1].body.strip() == "SIP/2.0 200 OK", notifies
    assert len(_received(peer, "BYE")) == 1
    report = done.report
    [request] = report["transfer_requests"]
    assert (request["result"], request["to"]) == ("transferred", target.uri_for("desk2"))
    first = _metadata(report)
    assert _gate(first) == [("disclosure-completed", "open"), ("transfer-accepted", "closed")]
    assert first["transfers"] == [request]
    # The new call: disclosure first (the target heard it), then recorded like any call.
    [call] = report["transferred_calls"]
    assert call["direction"] == "outbound" and call["recording_problems"] == [], call
    assert call["disclosure"]["completed"] is True
    second = _metadata(call)
    assert _gate(second)[0] == ("disclosure-completed", "open")
    samples, rate = read_mono(heard)
    disclosure_s = call["disclosure"]["ended_at"] - call["disclosure"]["started_at"]
    assert tone_duration_s(samples, rate, DISCLOSURE_HZ) >= 0.8 * disclosure_s
    assert tone_duration_s(samples[: int(disclosure_s * rate)], rate, AGENT_HZ) == 0.0
    audio, rate = read_channels(call["recording"])
    assert tone_duration_s(audio[:, 1], rate, TARGET_HZ) >= 0.5


def test_a_peers_refer_to_an_address_that_cannot_be_called_gives_the_call_back(
    tmp_path: Path, compliance: Compliance
) -> None:
    with compliance.policy.open("a", encoding="utf-8") as policy:
        policy.write("\n[calls]\nallow_incoming_transfer = true\n")
    done, peer = _answer_refer(tmp_path, compliance, "sip:desk2@")
    assert done.returncode == 0, done.stderr
    assert _sent_answers(peer, "REFER") == [202]
    assert _received(peer, "NOTIFY")[-1].body.strip() == "SIP/2.0 500 Server Internal Error"
    report = done.report
    [request] = report["transfer_requests"]
    assert request["result"] == "failed" and "could not call sip:desk2@" in request["reason"]
    assert report["transferred_calls"] == []
    metadata = _metadata(report)
    assert _gate(metadata) == [
        ("disclosure-completed", "open"),
        ("transfer-accepted", "closed"),
        ("transfer-failed", "open"),  # the call is the agent's again, and recorded
        ("call-ended", "closed"),
    ]


def test_an_invalid_transfer_address_is_refused_before_dialling(
    tmp_path: Path, compliance: Compliance
) -> None:
    with SippPeer("uas_transferee", workdir=tmp_path / "sipp", keys={"sipfrag": "200 OK"}) as peer:
        for bad in ("2:desk2@127.0.0.1", "soon:sip:desk2@127.0.0.1", "2:sip:", "-1:sip:a@b"):
            done = run_softphone(
                tone_call(peer.uri("customer"), compliance.args, f"--transfer={bad}"), timeout=20
            )
            assert done.returncode == 2, (bad, done.stderr)
            assert done.stderr.splitlines() == [
                "softphone: --transfer: expected AT:URI, AT seconds after answer and a SIP URI "
                f"to hand the call to, such as 5:sip:desk2@pbx.example.com, not {bad!r}"
            ]
            assert done.stdout == ""
        assert peer.messages() == ""  # nothing was dialled
