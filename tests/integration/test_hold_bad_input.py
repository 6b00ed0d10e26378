"""Issue 8, bad input: a peer refuses the resume, never answers it, or hangs up while held."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from softphone.media.analysis import read_channels
from softphone.vocabulary import exitcodes
from tests.integration.holdaudio import (
    AGENT_HZ,
    FRAME_S,
    HELD_HZ,
    RATE,
    TALK_HZ,
    tone_frames,
)
from tests.integration.policies import Compliance
from tests.integration.sipp import SippLogEntry, SippPeer
from tests.integration.softphone_cli import Finished, run_softphone, tone_call

pytestmark = pytest.mark.integration

HOLD_AT_S = 2.0  # after the 1.2 s disclosure, so that recording has started
HOLD_S = 1.5
HANGUP_AFTER_S = HOLD_AT_S + HOLD_S + 2.0
PEER_BYE_AFTER_S = 1.0  # uas_bye_on_hold hangs up this long after the ACK of the hold's answer
DURATION_SLACK_S = 0.3  # recording length vs. hold start - disclosure end
RUN_TIMEOUT_S = 30.0  # the softphone process; a silent resume must not make it wait for pjsip
SIPP_TIMEOUT_S = 30.0
UNRECORDED = "softphone: not recorded: "  # how stderr says why (part of) a call was not recorded
NEVER_HELD = "no media stream that was never held"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, repr=False)
class Outcome:
    """One bad-input call: the softphone's run, its recording and what the peer logged."""

    done: Finished
    report: dict[str, Any]
    metadata: dict[str, Any]
    customer: FloatArray
    agent: FloatArray
    peer_log: list[SippLogEntry]

    def __repr__(self) -> str:
        """Short, for pytest's report of a failed assertion (explain() has the detail)."""
        return f"Outcome(exit={self.done.returncode}, recording={self.report.get('recording')})"

    @property
    def hold_started(self) -> float:
        """Wall time of the agent's hold, from the metadata (the gate closed then)."""
        local = [h for h in self.metadata["holds"] if h["kind"] == "local"]
        assert len(local) == 1, self.metadata["holds"]
        return float(local[0]["start"])

    def frames_of(self, channel: FloatArray, hz: float) -> int:
        """How many 20 ms frames of `channel` carry `hz` as a peak of its own."""
        return int(np.count_nonzero(tone_frames(channel, hz)))

    def explain(self) -> str:
        """Context for a failed assertion."""
        return (
            f"exit {self.done.returncode}; stderr: {self.done.stderr[-2000:]}\n"
            f"report: {json.dumps(self.report)[:3000]}\n"
            f"metadata gate: {self.metadata.get('gate')}\nholds: {self.metadata.get('holds')}"
        )


def _call(scenario: str, tmp_path: Path, compliance: Compliance) -> Outcome:
    """Place the call against `scenario`: hold at HOLD_AT_S for HOLD_S, hang up at the end."""
    with SippPeer(scenario, workdir=tmp_path / "sipp", timeout_s=SIPP_TIMEOUT_S) as peer:
        done = run_softphone(
            tone_call(
                peer.uri("customer"),
                compliance.args,
                *("--hold", f"{HOLD_AT_S:g}:{HOLD_S:g}"),
                *("--hangup-after", f"{HANGUP_AFTER_S:g}"),
                hz=AGENT_HZ,
            ),
            timeout=RUN_TIMEOUT_S,
        )
        assert peer.wait(10) == 0, peer.describe()
        peer_log = peer.log_entries()
    assert "Traceback" not in done.stderr, done.stderr
    report = done.report
    assert report.get("error") is None, report
    assert report["recording"] and report["metadata"], (done.stderr, report)
    metadata = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    assert isinstance(metadata, dict)
    audio, rate = read_channels(report["recording"])
    assert rate == RATE and audio.ndim == 2 and audio.shape[1] == 2, (rate, audio.shape)
    assert metadata["audio"]["frames"] == audio.shape[0]
    return Outcome(done, report, metadata, audio[:, 1], audio[:, 0], peer_log)


def _assert_nothing_held_and_gate_stayed_closed(outcome: Outcome) -> None:
    """No held tone recorded; the gate never opened after the hold; only the talk before it."""
    why = outcome.explain()
    held = outcome.frames_of(outcome.customer, HELD_HZ)
    assert held == 0, f"{held} frames of the held tone were recorded\n{why}"
    hold_at = outcome.hold_started
    opened_later = [
        g for g in outcome.metadata["gate"] if g["state"] == "open" and g["wall_time"] > hold_at
    ]
    assert opened_later == [], f"the gate opened after the hold started\n{why}"
    # The gate opened once, when the disclosure ended; the hold closed it for good.
    assert [g["reason"] for g in outcome.metadata["gate"]] == [
        "disclosure-completed",
        "hold-requested",
    ], why
    disclosure_end = float(outcome.report["disclosure"]["ended_at"])
    recorded_s = outcome.customer.size / RATE
    assert recorded_s == pytest.approx(hold_at - disclosure_end, abs=DURATION_SLACK_S), why
    # What is there is the talk before the hold: both parties, in most frames.
    talk_frames = round((hold_at - disclosure_end) / FRAME_S)
    assert outcome.frames_of(outcome.customer, TALK_HZ) >= 0.7 * talk_frames, why
    assert outcome.frames_of(outcome.agent, AGENT_HZ) >= 0.7 * talk_frames, why


def _resume_offers(log: list[SippLogEntry]) -> list[SippLogEntry]:
    """The softphone's re-INVITEs that do not hold (its resumes), as the peer received them."""
    invites = [
        e for e in log if e.direction == "received" and e.is_request and e.method == "INVITE"
    ]
    return [e for e in invites[1:] if "a=sendrecv" in e.body and "c=IN IP4 0.0.0.0" not in e.body]


def _audio_port(offer: SippLogEntry) -> int:
    """The port of the first m=audio line of an offer."""
    found = re.search(r"^m=audio (\d+) ", offer.body, re.MULTILINE)
    assert found is not None, offer.text
    return int(found.group(1))


def _sent(log: list[SippLogEntry], status: int, cseq: int | None) -> list[SippLogEntry]:
    return [e for e in log if e.direction == "sent" and e.status == status and e.cseq == cseq]


def _assert_unrecorded_part_is_said(outcome: Outcome, problem: str) -> None:
    """The report, the recording's metadata and stderr name the problem; the file is final."""
    why = outcome.explain()
    lines = [p for p in outcome.report["recording_problems"] if problem in p]
    assert lines, why
    assert lines[0] in outcome.metadata["errors"], why  # the recording's own evidence says so
    assert f"{UNRECORDED}{lines[0]}" in outcome.done.stderr.splitlines(), why
    assert outcome.metadata["status"] == "complete", why
    assert outcome.metadata["interruption"] is None, why


def _assert_exit_says_recorded_in_part(outcome: Outcome) -> None:
    """Everything after the refused or unanswered resume went unrecorded while the agent talked:
    "the call went through but was not recorded, or only in part" (vocabulary.exitcodes)."""
    assert outcome.done.returncode == exitcodes.NOT_RECORDED, outcome.explain()


def test_a_refused_resume_keeps_the_gate_closed_and_says_so(
    tmp_path: Path, compliance: Compliance
) -> None:
    outcome = _call("uas_refuse_resume", tmp_path, compliance)
    why = outcome.explain()
    # The peer did its part: one resume, from a new media port, answered 488 (and it kept
    # sending the held tone to the held stream's port: the scenario ignores the resume's SDP).
    resumes = _resume_offers(outcome.peer_log)
    assert len(resumes) == 1, why
    first_offer = next(e for e in outcome.peer_log if e.is_request and e.method == "INVITE")
    assert _audio_port(resumes[0]) != _audio_port(first_offer), why
    assert _sent(outcome.peer_log, 488, resumes[0].cseq), why
    _assert_nothing_held_and_gate_stayed_closed(outcome)
    assert [r.get("status_code") for r in outcome.report["refused_reinvites"]] == [488], why
    _assert_unrecorded_part_is_said(outcome, "refused the resume")
    # The gate does not move after the hold, so its last entry is the hold's own closing.
    last = outcome.metadata["gate"][-1]
    assert last["state"] == "closed" and NEVER_HELD in last["blockers"], why
    _assert_exit_says_recorded_in_part(outcome)


def test_an_unanswered_resume_keeps_the_gate_closed_and_says_so(
    tmp_path: Path, compliance: Compliance
) -> None:
    outcome = _call("uas_silent_resume", tmp_path, compliance)
    why = outcome.explain()
    # The peer did its part: one resume, 100 Trying and no final answer before the BYE.
    resumes = _resume_offers(outcome.peer_log)
    assert len(resumes) == 1, why
    cseq = resumes[0].cseq
    answers = [
        e
        for e in outcome.peer_log
        if e.direction == "sent" and e.cseq == cseq and e.method == "INVITE"
    ]
    assert [a.status for a in answers] == [100], why
    _assert_nothing_held_and_gate_stayed_closed(outcome)
    assert outcome.report["refused_reinvites"] == [], why
    _assert_unrecorded_part_is_said(outcome, "never answered the resume")
    # The agent hung up on time: the unanswered transaction did not hold the call open.
    ended = float(outcome.report["ended_at"]) - float(outcome.report["answered_at"])
    assert ended == pytest.approx(HANGUP_AFTER_S, abs=1.0), why
    _assert_exit_says_recorded_in_part(outcome)


def test_a_peer_that_hangs_up_while_held_ends_a_complete_recording(
    tmp_path: Path, compliance: Compliance
) -> None:
    outcome = _call("uas_bye_on_hold", tmp_path, compliance)
    why = outcome.explain()
    byes = [e for e in outcome.peer_log if e.is_request and e.method == "BYE"]
    assert [b.direction for b in byes] == ["sent"], why  # the peer hung up, not the agent
    assert _resume_offers(outcome.peer_log) == [], why  # before the agent resumed
    _assert_nothing_held_and_gate_stayed_closed(outcome)
    assert outcome.done.returncode == exitcodes.OK, why
    assert UNRECORDED not in outcome.done.stderr, why
    assert outcome.report["recording_problems"] == [], why
    assert outcome.metadata["status"] == "complete", why
    assert outcome.metadata["interruption"] is None, why
    assert outcome.metadata["errors"] == [], why
    # The hold lasted until the call ended, which was when the peer's BYE came.
    ended_at = float(outcome.metadata["call"]["ended_at"])
    (hold,) = [h for h in outcome.metadata["holds"] if h["kind"] == "local"]
    assert hold["end"] == pytest.approx(ended_at, abs=0.1), why
    bye_at = byes[0].time.timestamp()  # SIPp logs local time
    assert ended_at == pytest.approx(bye_at, abs=0.3), why
    assert bye_at - outcome.hold_started == pytest.approx(PEER_BYE_AFTER_S, abs=0.3), why
    (report_hold,) = outcome.report["holds"]
    assert report_hold == [pytest.approx(hold["start"], abs=0.1), pytest.approx(ended_at, abs=0.1)]
