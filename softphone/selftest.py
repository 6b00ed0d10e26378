"""`softphone selftest`: a loopback call to the embedded customer peer, judged by its audio.

The peer sends one tone while the call is live and a different tone while the agent holds it,
and it refuses the hold (the hardest case: its audio keeps flowing). The verdicts come from
analysing what the peer heard and what was recorded, not from the app's own bookkeeping.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from softphone.calls.session import SessionSetup
from softphone.calls.setup import prepare_setup
from softphone.headless import (
    Audio,
    CallFailedError,
    CallReport,
    ScriptedCall,
    Timetable,
    engine_session,
)
from softphone.media.analysis import (
    locate,
    read_channels,
    read_mono,
    tone_duration_s,
    tone_timeline,
)
from softphone.media.disclosure import DisclosureSpec
from softphone.media.frames import RATE
from softphone.media.sinks import CaptureSink
from softphone.media.sources import ToneSource
from softphone.peerproc import CustomerPeer, PeerError
from softphone.recordings.writer import file_sha256
from softphone.sip.engine import SipError

AGENT_HZ, CUSTOMER_HZ, HELD_HZ = 1000.0, 440.0, 1200.0
TALK_S, HOLD_S = 2.5, 2.5
MIN_CORRELATION = 0.6  # the disclosure through PCMU scores above 0.9; anything else near 0


@dataclass(frozen=True)
class Check:
    """One verdict of the self-test, with the measurement behind it."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Run:
    """What one self-test call produced."""

    report: CallReport
    setup: SessionSetup
    peer_heard: Path
    agent_heard: npt.NDArray[np.float64]


def _call(tmp: Path, spec: DisclosureSpec, peer: CustomerPeer) -> Run:
    capture = CaptureSink(max_frames=int(120 * RATE / 320))
    with engine_session("127.0.0.1:0", "selftest") as (engine, phone):
        setup = prepare_setup(
            spec=spec,
            recordings=tmp / "recordings",
            agent="selftest",
        )
        if setup.disclosure is None or setup.store is None:
            raise CallFailedError("; ".join(setup.problems))
        talk = setup.disclosure.duration_s + TALK_S
        plan = Timetable(holds=((talk, HOLD_S),), hangup_after=talk + HOLD_S + TALK_S)
        runner = ScriptedCall(engine, phone, Audio(ToneSource(AGENT_HZ), capture), plan, setup)
        report = runner.place(f"sip:customer@127.0.0.1:{peer.port}")
    heard = capture.samples().astype(np.float64) / 32768.0
    return Run(report, setup, tmp / "customer-heard.wav", heard)


def _disclosure_first(run: Run) -> list[Check]:
    assert run.setup.disclosure is not None
    heard, rate = read_mono(run.peer_heard)
    pcm = np.frombuffer(run.setup.disclosure.pcm, dtype="<i2").astype(np.float64) / 32768.0
    lag, score = locate(heard, pcm, rate, max_lag_s=1.0)
    window = heard[: int((lag + run.setup.disclosure.duration_s - 0.1) * rate)]
    # Speech touches any frequency now and then; the agent's steady tone would hold for seconds.
    runs = [
        s.duration_s
        for s in tone_timeline(window, rate, [AGENT_HZ, CUSTOMER_HZ, HELD_HZ])
        if s.hz == AGENT_HZ
    ]
    longest = max(runs, default=0.0)
    return [
        Check(
            "the customer heard the disclosure when the call started",
            score >= MIN_CORRELATION and lag < 0.5,
            f"found {lag:.2f} s after answer, correlation {score:.2f}",
        ),
        Check(
            "the customer heard nothing else before the disclosure ended",
            longest < 0.3,
            f"longest steady {AGENT_HZ:g} Hz (the agent) during the disclosure: {longest:.2f} s",
        ),
    ]


def _recording(run: Run) -> list[Check]:
    report = run.report
    if report.recording is None or report.metadata is None:
        problems = "; ".join(report.recording_problems) or "no recording was made"
        return [Check("the call was recorded", False, problems)]
    audio, rate = read_channels(report.recording)
    agent_s = tone_duration_s(audio[:, 0], rate, AGENT_HZ)
    customer_s = tone_duration_s(audio[:, 1], rate, CUSTOMER_HZ)
    # Frame by frame (20 ms): a single frame of the on-hold tone in the recording is found.
    tones = [AGENT_HZ, CUSTOMER_HZ, HELD_HZ]
    held_s = sum(
        segment.duration_s
        for side in (0, 1)
        for segment in tone_timeline(audio[:, side], rate, tones, window_s=0.02)
        if segment.hz == HELD_HZ
    )
    metadata = json.loads(Path(report.metadata).read_text(encoding="utf-8"))
    stored = metadata["audio"]["sha256"] == file_sha256(Path(report.recording))
    return [
        Check(
            "the recording holds the agent (left channel)",
            agent_s >= TALK_S,
            f"{AGENT_HZ:g} Hz for {agent_s:.2f} s",
        ),
        Check(
            "the recording holds the customer (right channel)",
            customer_s >= TALK_S,
            f"{CUSTOMER_HZ:g} Hz for {customer_s:.2f} s",
        ),
        Check(
            "the recording holds nothing from the hold",
            held_s == 0.0,
            f"the customer's on-hold tone {HELD_HZ:g} Hz for {held_s:.2f} s; recorded "
            f"{audio.shape[0] / rate:.2f} s of a {2 * TALK_S + HOLD_S:.1f} s conversation",
        ),
        Check(
            "the metadata carries the disclosure evidence and the audio's SHA-256",
            stored and metadata["disclosure"]["completed"] and bool(metadata["gate"]),
            f"disclosure {metadata['disclosure']['id']}, "
            f"{metadata['disclosure']['rtp_packets_sent']} RTP packets, "
            f"{len(metadata['gate'])} gate transitions",
        ),
    ]


def _agent(run: Run) -> list[Check]:
    timeline = tone_timeline(run.agent_heard, RATE, [AGENT_HZ, CUSTOMER_HZ, HELD_HZ])
    heard_s = sum(s.duration_s for s in timeline if s.hz == CUSTOMER_HZ)
    held_s = sum(s.duration_s for s in timeline if s.hz == HELD_HZ)
    return [
        Check("the agent heard the customer", heard_s >= TALK_S, f"{heard_s:.2f} s"),
        Check(
            "the agent did not listen in while the customer was held",
            held_s == 0.0,
            f"on-hold tone heard for {held_s:.2f} s",
        ),
    ]


def run_checks(spec: DisclosureSpec, tmp: Path) -> list[Check]:
    """Place the self-test call and judge it."""
    (tmp / "recordings").mkdir()
    try:
        peer = CustomerPeer(
            [
                "--listen",
                "127.0.0.1:0",
                "--play",
                f"tone:{CUSTOMER_HZ:g}",
                "--hold-tone",
                f"tone:{HELD_HZ:g}",
                "--on-hold",
                "refuse",
                "--record",
                str(tmp / "customer-heard.wav"),
                "--max-seconds",
                "90",
            ],
            tmp,
        )
    except PeerError as exc:
        return [Check("start the embedded customer peer", False, str(exc))]
    try:
        run = _call(tmp, spec, peer)
    except (CallFailedError, SipError) as exc:
        peer.stop()
        return [Check("place a call to the customer peer", False, str(exc))]
    try:
        peer.finish()
    except PeerError as exc:
        return [Check("the customer peer finished the call", False, str(exc))]
    answered = Check("the customer peer answered", True, f"SIP {run.report.status_code}")
    return [answered, *_disclosure_first(run), *_recording(run), *_agent(run)]


def run_selftest(spec: DisclosureSpec, *, as_json: bool = False) -> int:
    """Run the self-test, print its report; 0 when every check passed."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="softphone-selftest-") as name:
        checks = run_checks(spec, Path(name))
    passed = all(c.passed for c in checks)
    print("softphone self-test: a real SIP call to the embedded customer peer on 127.0.0.1,")
    print(f"with the disclosure '{spec.id}' ({spec.language}), a hold the peer refuses, judged")
    print("by analysing the audio the customer heard and the audio that was recorded")
    for c in checks:
        print(f"  {'PASS' if c.passed else 'FAIL'}  {c.name}: {c.detail}")
    verdict = "PASS" if passed else "FAIL"
    print(f"result: {verdict} ({sum(c.passed for c in checks)} of {len(checks)} checks passed)")
    if as_json:
        result: dict[str, Any] = {
            "passed": passed,
            "started_at": started,
            "disclosure": spec.id,
            "checks": [asdict(c) for c in checks],
        }
        print(json.dumps(result, sort_keys=True))
    return 0 if passed else 1
