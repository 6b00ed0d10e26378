"""Call and registration reports in plain words when `--json` is not given: no Python dicts."""

from __future__ import annotations

from softphone.app.headless import REFUSALS_KEPT, CallReport
from softphone.app.reporttext import call_text, registration_text


def test_a_recorded_call_in_words() -> None:
    report = CallReport(
        direction="outbound",
        remote_uri="sip:customer@203.0.113.7",
        call_id="abc@host",
        answered_at=1_796_157_254.0,
        ended_at=1_796_157_284.5,
        holds=[[1_796_157_259.0, 1_796_157_262.0]],
        recording="/r/a.wav",
        metadata="/r/a.json",
        disclosure={"id": "builtin-nl", "language": "nl", "completed": True,
                    "frames_played": 766, "rtp_packets_sent": 766},
    )  # fmt: skip
    assert call_text(report.as_json()) == [
        "outbound call to sip:customer@203.0.113.7",
        "  Call-ID abc@host",
        "  answered 2026-12-01 20:34:14 UTC, ended after 30.5 s",
        "  held 1 time: at 5.0 s for 3.0 s",
        "  disclosure builtin-nl (nl) played completely: 766 frames, 766 RTP packets",
        "  recording: /r/a.wav",
        "  metadata: /r/a.json",
    ]


def test_the_report_says_when_recording_was_paused_and_why() -> None:
    report = CallReport(direction="outbound", answered_at=100.0, ended_at=130.0)
    report.pauses += [
        {"start": 105.0, "end": 107.5, "reason": "card number", "by": "agent7"},
        {"start": 110.0, "end": 111.0, "reason": "", "by": "agent7"},
    ]
    assert "  recording paused 2 times: at 5.0 s for 2.5 s (card number), at 10.0 s for 1.0 s" in (
        call_text(report.as_json())
    )


def test_an_unrecorded_inbound_call_says_so() -> None:
    report = CallReport(direction="inbound", remote_uri="<sip:c@x>", answered_at=10.0, ended_at=11)
    report.refused.append(
        {
            "remote_uri": "<sip:m@y>",
            "status_code": 404,
            "reason": "this phone takes calls for a only",
        }
    )
    lines = call_text(report.as_json())
    assert lines[0] == "inbound call from <sip:c@x>"
    assert "  not recorded (standard error says why)" in lines
    assert (
        lines[-1]
        == "  refused a call from <sip:m@y> with SIP 404: this phone takes calls for a only"
    )
    assert not any("{" in line or "None" in line for line in lines)


def test_a_registration_in_words() -> None:
    report = {
        "registrar": "sip:pbx", "aor": "sip:alice@pbx", "registered": True, "status_code": 200,
        "reason": "OK", "unregistered": True, "attempts": [{}, {}], "account": None,
        "transport": "udp",
    }  # fmt: skip
    assert registration_text(report) == [
        "registered sip:alice@pbx at sip:pbx (SIP 200 OK)",
        "  the registration was removed again",
        "  transport udp, answered 2 times",
    ]


def test_transfers_in_words() -> None:
    report = CallReport(direction="outbound", remote_uri="sip:c@x", answered_at=10.0, ended_at=12)
    report.transfer = {"kind": "blind", "to": "sip:desk2@pbx", "result": "failed",
                       "status": 486, "reason": "Busy Here"}  # fmt: skip
    assert call_text(report.as_json())[-1] == (
        "  blind transfer to sip:desk2@pbx failed: Busy Here (SIP 486)"
    )
    report.transfer = {**report.transfer, "result": "transferred", "status": 200}
    report.transfer_requests = [{"to": "sip:desk3@pbx", "result": "declined"}]
    report.transferred_calls = [
        {"direction": "outbound", "remote_uri": "sip:desk3@pbx", "recording": "/r/b.wav"}
    ]
    assert call_text(report.as_json())[-3:] == [
        "  blind transfer to sip:desk2@pbx: transferred",
        "  the other side asked for a transfer to sip:desk3@pbx: declined",
        "  then an outbound call with sip:desk3@pbx: /r/b.wav",
    ]


def test_a_report_keeps_only_the_last_refusals_but_counts_them_all() -> None:
    report = CallReport(direction="inbound")
    for n in range(REFUSALS_KEPT + 30):
        report.note_refused({"remote_uri": f"<sip:scan{n}@y>", "status_code": 404})
    assert report.refused_total == REFUSALS_KEPT + 30
    assert len(report.refused) == REFUSALS_KEPT
    assert report.refused[0]["remote_uri"] == "<sip:scan30@y>"  # the oldest went first
    assert report.as_json()["refused_total"] == REFUSALS_KEPT + 30
