"""`softphone selftest`: a loopback call to the embedded customer peer, judged by its audio."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from softphone.headless import (
    Audio,
    CallFailedError,
    CallReport,
    ScriptedCall,
    Timetable,
    engine_session,
)
from softphone.media.analysis import read_mono, tone_duration_s
from softphone.media.frames import RATE
from softphone.media.sinks import CaptureSink
from softphone.media.sources import ToneSource
from softphone.peerproc import CustomerPeer, PeerError
from softphone.sip.engine import SipError

log = logging.getLogger("softphone")

AGENT_HZ = 1000.0
CUSTOMER_HZ = 440.0
HOLD_AT, HOLD_FOR, HANG_UP_AT = 1.5, 1.5, 4.5
MIN_HEARD_S = 1.5  # of the 3 s of unheld talk, each side must hear at least this much
PJSUA_MEDIA_ACTIVE, PJSUA_MEDIA_REMOTE_HOLD = 1, 3


@dataclass(frozen=True)
class Check:
    """One verdict of the self-test, with the measurement behind it."""

    name: str
    passed: bool
    detail: str


def _call(tmp: Path) -> tuple[CallReport | None, str | None, CaptureSink, CustomerPeer]:
    peer = CustomerPeer(
        [
            "--listen",
            "127.0.0.1:0",
            "--play",
            f"tone:{CUSTOMER_HZ:g}",
            "--record",
            str(tmp / "customer-heard.wav"),
            "--max-seconds",
            "30",
        ],
        log_dir=tmp,
    )
    capture = CaptureSink(max_frames=int(30 * RATE / 320))
    plan = Timetable(holds=((HOLD_AT, HOLD_FOR),), hangup_after=HANG_UP_AT, ring_timeout=10.0)
    with engine_session("127.0.0.1:0", "selftest") as (engine, phone):
        runner = ScriptedCall(engine, phone, Audio(ToneSource(AGENT_HZ), capture), plan)
        try:
            return runner.place(f"sip:customer@127.0.0.1:{peer.port}"), None, capture, peer
        except CallFailedError as exc:
            return None, str(exc), capture, peer


def _checks(report: CallReport, capture: CaptureSink, peer: CustomerPeer, tmp: Path) -> list[Check]:
    checks = [Check("call answered by the customer peer", True, f"SIP {report.status_code}")]
    heard, rate = read_mono(tmp / "customer-heard.wav")
    agent_s = tone_duration_s(heard, rate, AGENT_HZ)
    checks.append(
        Check(
            "customer heard the agent",
            agent_s >= MIN_HEARD_S,
            f"{AGENT_HZ:g} Hz for {agent_s:.2f} s",
        )
    )
    received = capture.samples().astype(np.float64) / 32768.0
    customer_s = tone_duration_s(received, RATE, CUSTOMER_HZ)
    checks.append(
        Check(
            "agent heard the customer",
            customer_s >= MIN_HEARD_S,
            f"{CUSTOMER_HZ:g} Hz for {customer_s:.2f} s",
        )
    )
    statuses = [int(e["status"]) for e in peer.named("media")]
    held = PJSUA_MEDIA_REMOTE_HOLD in statuses
    resumed = held and PJSUA_MEDIA_ACTIVE in statuses[statuses.index(PJSUA_MEDIA_REMOTE_HOLD) :]
    checks.append(
        Check(
            "customer saw the hold and the resume",
            held and resumed,
            f"media states seen by the customer: {statuses}",
        )
    )
    if report.holds and report.answered_at is not None and len(report.holds[0]) == 2:
        start = report.holds[0][0] - report.answered_at + 0.2  # the re-INVITE's round trip
        end = report.holds[0][1] - report.answered_at - 0.1
        window = heard[int(start * rate) : int(end * rate)]
        leaked = tone_duration_s(window, rate, AGENT_HZ)
        checks.append(
            Check(
                "customer did not hear the agent while held",
                leaked == 0.0,
                f"{AGENT_HZ:g} Hz for {leaked:.2f} s of {end - start:.2f} s",
            )
        )
    return checks


def run_selftest(*, as_json: bool = False) -> int:
    """Run the self-test, print its report; 0 when every check passed."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="softphone-selftest-") as name:
        tmp = Path(name)
        try:
            report, failure, capture, peer = _call(tmp)
        except (PeerError, SipError) as exc:
            checks = [Check("start the customer peer and the SIP engine", False, str(exc))]
        else:
            try:
                peer.finish()
            except PeerError as exc:
                log.warning("%s", exc)
            if report is None:
                checks = [Check("call answered by the customer peer", False, failure or "")]
            else:
                checks = _checks(report, capture, peer, tmp)
    passed = all(c.passed for c in checks)
    result: dict[str, Any] = {
        "passed": passed,
        "started_at": started,
        "checks": [asdict(c) for c in checks],
    }
    print("softphone self-test: a real SIP call to the embedded customer peer on 127.0.0.1")
    for c in checks:
        print(f"  {'PASS' if c.passed else 'FAIL'}  {c.name}: {c.detail}")
    print(
        f"result: {'PASS' if passed else 'FAIL'} ({sum(c.passed for c in checks)} of {len(checks)})"
    )
    if as_json:
        print(json.dumps(result, sort_keys=True))
    return 0 if passed else 1
