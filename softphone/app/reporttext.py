"""Calls and registrations in words for people: reports, and the one-line outcome of a call."""

from __future__ import annotations

import time
from typing import Any


def _clock(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))


def _times(count: int, what: str) -> str:
    return f"{what} {count} time{'s' * (count != 1)}"


def call_text(report: dict[str, Any]) -> list[str]:
    """The lines describing one call: who, when, holds, disclosure and recording."""
    direction = "inbound call from" if report["direction"] == "inbound" else "outbound call to"
    lines = [f"{direction} {report.get('remote_uri') or '?'}"]
    if report.get("call_id"):
        lines.append(f"  Call-ID {report['call_id']}")
    answered, ended = report.get("answered_at"), report.get("ended_at")
    if answered is None:
        lines.append("  not answered")
    else:
        length = f", ended after {ended - answered:.1f} s" if ended else ""
        lines.append(f"  answered {_clock(answered)}{length}")
        if report.get("end_reason"):
            lines.append(f"  ended: {report['end_reason']}")
    holds = report.get("holds") or []
    if holds:
        shown = ", ".join(
            f"at {h[0] - answered:.1f} s for {h[1] - h[0]:.1f} s"
            for h in holds
            if len(h) == 2 and answered is not None
        )
        lines.append(f"  {_times(len(holds), 'held')}: {shown}")
    if report.get("remote_holds"):
        lines.append(f"  {_times(len(report['remote_holds']), 'the other side held')}")
    pauses = report.get("pauses") or []
    if pauses and answered is not None:
        shown = ", ".join(
            f"at {p['start'] - answered:.1f} s for {p['end'] - p['start']:.1f} s"
            + (f" ({p['reason']})" if p.get("reason") else "")
            for p in pauses
            if p.get("end") is not None
        )
        lines.append(f"  {_times(len(pauses), 'recording paused')}: {shown}")
    for refused in report.get("refused_reinvites") or []:
        status = refused.get("status_code")
        lines.append(
            f"  a hold or resume was refused: {('SIP ' + str(status)) if status else ''} "
            f"{refused.get('reason', '')}".rstrip()
        )
    if report.get("dtmf_received"):
        digits = "".join(d["digit"] for d in report["dtmf_received"])
        lines.append(f"  DTMF received: {digits}")
    disclosure = report.get("disclosure")
    if disclosure:
        state = "played completely" if disclosure.get("completed") else "not completed"
        packets = disclosure.get("rtp_packets_sent")
        sent = "" if packets is None else f", {packets} RTP packets"
        lines.append(
            f"  disclosure {disclosure.get('id')} ({disclosure.get('language')}) {state}: "
            f"{disclosure.get('frames_played')} frames{sent}"
        )
    if report.get("recording"):
        lines.append(f"  recording: {report['recording']}")
        lines.append(f"  metadata: {report['metadata']}")
    elif answered is not None:
        lines.append("  not recorded (standard error says why)")
    lines.extend(_transfer_lines(report))
    strangers = report.get("strangers_refused") or 0
    if strangers:
        lines.append(f"  {_times(strangers, 'refused a call from an unknown host')} (SIP 403)")
    for refused in report.get("refused") or []:
        lines.append(
            f"  refused a call from {refused['remote_uri']} with SIP {refused['status_code']}: "
            f"{refused['reason']}"
        )
    return lines


def _transfer_lines(report: dict[str, Any]) -> list[str]:
    """The agent's transfer, the other side's requests, and the calls those brought."""
    lines = []
    transfer = report.get("transfer")
    if transfer:
        status = f" (SIP {transfer['status']})" if transfer.get("status") else ""
        if transfer["result"] == "transferred":
            lines.append(f"  {transfer['kind']} transfer to {transfer['to']}: transferred")
        else:
            lines.append(
                f"  {transfer['kind']} transfer to {transfer['to']} {transfer['result']}: "
                f"{transfer['reason']}{status}"
            )
    for request in report.get("transfer_requests") or []:
        lines.append(
            f"  the other side asked for a transfer to {request['to']}: {request['result']}"
        )
    for call in report.get("transferred_calls") or []:
        where = call.get("recording") or "not recorded (standard error says why)"
        lines.append(f"  then an {call['direction']} call with {call['remote_uri']}: {where}")
    return lines


def registration_text(report: dict[str, Any]) -> list[str]:
    """The lines describing one register-and-unregister round."""
    who = f"account {report['account']}: " if report.get("account") else ""
    if report.get("registered"):
        lines = [
            f"{who}registered {report['aor']} at {report['registrar']} "
            f"(SIP {report['status_code']} {report['reason']})"
        ]
        state = "removed again" if report.get("unregistered") else "could not be removed"
        lines.append(f"  the registration was {state}")
    else:
        status = report.get("status_code")
        answer = f"SIP {status} {report.get('reason', '')}".rstrip() if status else "no answer"
        lines = [f"{who}{report['aor']} did not register at {report['registrar']}: {answer}"]
    lines.append(
        f"  transport {report.get('transport', 'udp')}, "
        f"{_times(len(report.get('attempts') or []), 'answered')}"
    )
    return lines


def final_status(status_code: int, reason: str) -> str:
    """ "call refused: SIP 486 Busy Here" when the other side declined, else "call failed: ..."."""
    refused = 400 <= status_code < 700 and status_code not in (408, 487)
    return f"call {'refused' if refused else 'failed'}: SIP {status_code} {reason}".rstrip()


def nothing_answered(
    refused: list[dict[str, Any]], missed: list[dict[str, Any]], wait_s: float
) -> str:
    """Why `answer` took no call: none came, or each one was refused or abandoned."""
    seen = []
    if refused:
        first = refused[0]
        seen.append(
            f"{len(refused)} refused (the first, to {first['local_uri']}, with SIP "
            f"{first['status_code']}: {first['reason']})"
        )
    if missed:
        seen.append(f"{len(missed)} hung up by the caller before the answer")
    if not seen:
        return f"no call arrived within {wait_s:g} s"
    calls = len(refused) + len(missed)
    return (
        f"no call was answered within {wait_s:g} s: {calls} call{'s' * (calls != 1)} "
        f"came, {' and '.join(seen)}"
    )
