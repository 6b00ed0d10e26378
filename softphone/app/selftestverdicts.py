"""The self-test's verdicts: each judges one promise from the audio each side really heard.

Every verdict rests on one figure and a pass mark, so that a benchmark can show how far each
run was from failing (`Check.margin`). The figures come from analysing audio: what the customer
peer recorded, what the agent's speaker got, and the recording; the app's own bookkeeping is
only trusted where the recording's metadata itself is what is checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from softphone.app.headless import CallReport
from softphone.media.analysis import (
    Alignment,
    follow,
    read_channels,
    tone_duration_s,
    tone_timeline,
)
from softphone.recordings.catalog import Entry, verify
from softphone.recordings.metadata import MetadataError, read_metadata

FloatArray = npt.NDArray[np.float64]

AGENT_HZ, CUSTOMER_HZ, HELD_HZ = 1000.0, 440.0, 1200.0
TONES = (AGENT_HZ, CUSTOMER_HZ, HELD_HZ)
FRAME_S = 0.02  # one bridge frame: a single frame of held audio is found
MIN_CHUNK_SCORE = 0.6  # a chunk of speech through G.722 or G.711 scores above 0.9
HEARD_SHARE = 90.0  # % of the disclosure's chunks the customer must have heard, in order
START_WITHIN_S = 0.5  # the disclosure starts this soon after the answer at the latest
STEADY_AGENT_S = 0.3  # speech touches 1000 Hz now and then; the agent's tone would hold
SHARE_OF_PLAN = 80.0  # % of the planned conversation each side must carry
EDGE_S = 0.15  # hold windows are judged this far inside their ends (timing slips)
FOLLOW = {"max_lag_s": 2.0, "chunk_s": 0.1}  # how the disclosure is looked for (0.1 s pieces)


@dataclass(frozen=True)
class Check:
    """One verdict: its figure, the pass mark it is held to, and the words behind it."""

    name: str
    passed: bool
    detail: str
    figure: float | None = None
    limit: float | None = None
    at_least: bool = True  # the figure passes at or above `limit` (else at or below it)
    unit: str = ""

    @property
    def margin(self) -> float | None:
        """How far the figure is on the passing side of the pass mark (negative: failed)."""
        if self.figure is None or self.limit is None:
            return None
        return self.figure - self.limit if self.at_least else self.limit - self.figure

    def as_json(self) -> dict[str, Any]:
        """The verdict as a JSON-ready dict."""
        return {
            "name": self.name,
            "passed": self.passed,
            "detail": self.detail,
            "figure": self.figure,
            "limit": self.limit,
            "at_least": self.at_least,
            "unit": self.unit,
            "margin": self.margin,
        }


def measured(
    name: str, figure: float, limit: float, detail: str, *, at_least: bool, unit: str
) -> Check:
    """A verdict that passes when `figure` is on the right side of `limit`."""
    passed = figure >= limit if at_least else figure <= limit
    return Check(name, passed, detail, round(figure, 3), limit, at_least, unit)


@dataclass(frozen=True)
class Plan:
    """The self-test call: how long each part lasts and how often it holds."""

    excerpt_s: float = 2.5
    talk_s: float = 0.7
    hold_s: float = 0.5
    holds: int = 5
    settle_s: float = 0.2  # the disclosure starts a moment after the answer

    def hold_times(self, disclosure_s: float) -> tuple[tuple[float, float], ...]:
        """(at, duration) of each hold, counted from the answer."""
        first = disclosure_s + self.settle_s + self.talk_s
        step = self.hold_s + self.talk_s
        return tuple((first + i * step, self.hold_s) for i in range(self.holds))

    def hangup_after(self, disclosure_s: float) -> float:
        """When the agent hangs up, counted from the answer."""
        return disclosure_s + self.settle_s + self.talk_s + self.holds * (self.hold_s + self.talk_s)

    @property
    def conversation_s(self) -> float:
        """The time both parties talk after the disclosure, holds not counted."""
        return self.settle_s + (self.holds + 1) * self.talk_s


@dataclass(frozen=True)
class Evidence:
    """What the self-test call left behind to be judged."""

    plan: Plan
    report: CallReport
    disclosure: FloatArray  # what the customer should have heard first, 16 kHz floats
    peer_heard: FloatArray
    peer_rate: int
    agent_heard: FloatArray
    agent_rate: int
    peer_reinvites: list[dict[str, Any]] = field(default_factory=list)


def judge(evidence: Evidence) -> list[Check]:
    """Every verdict on one self-test call."""
    report = evidence.report
    answered = Check(
        "the customer peer answered",
        report.answered_at is not None,
        f"SIP {report.status_code} {report.reason}".strip(),
    )
    heard = follow(evidence.peer_heard, evidence.disclosure, evidence.peer_rate, **FOLLOW)
    return [
        answered,
        *_disclosure(evidence, heard),
        _holds(evidence),
        _agent_cut_while_held(evidence, heard),
        *_recording(evidence),
        *_agent_side(evidence),
    ]


# --- what the customer heard ------------------------------------------------------------


def _disclosure(ev: Evidence, found: Alignment) -> list[Check]:
    heard, rate = ev.peer_heard, ev.peer_rate
    seconds = ev.disclosure.size / rate
    scores = np.array(found.scores)
    share = 100.0 * float(np.mean(scores >= MIN_CHUNK_SCORE)) if scores.size else 0.0
    # Before the disclosure ended, the agent's steady tone is what a microphone that was not
    # cut would add; speech touches 1000 Hz now and then, but not for long.
    window = heard[: max(0, int((found.end_s - 0.1) * rate))]
    longest = max(
        (s.duration_s for s in tone_timeline(window, rate, TONES) if s.hz == AGENT_HZ),
        default=0.0,
    )
    return [
        measured(
            "the disclosure started as the call was answered",
            found.start_s,
            START_WITHIN_S,
            f"the customer heard it begin {found.start_s:.2f} s after the answer",
            at_least=False,
            unit="s",
        ),
        measured(
            "the customer heard the disclosure",
            share,
            HEARD_SHARE,
            f"{share:.0f} % of its {scores.size} voiced 0.1 s pieces ({seconds:.1f} s) were "
            f"found in order in what the customer heard (worst correlation "
            f"{found.worst:.2f}, {MIN_CHUNK_SCORE} counts as heard)",
            at_least=True,
            unit="%",
        ),
        measured(
            "the customer heard nothing else before the disclosure ended",
            longest,
            STEADY_AGENT_S,
            f"longest steady {AGENT_HZ:g} Hz (the agent's microphone) up to the disclosure's "
            f"end: {longest:.2f} s",
            at_least=False,
            unit="s",
        ),
    ]


def _holds(ev: Evidence) -> Check:
    held = sum(1 for e in ev.peer_reinvites if e.get("holding") is True)
    resumed = sum(1 for e in ev.peer_reinvites if e.get("holding") is False)
    return measured(
        "the call was held and resumed, and the peer refused each hold",
        float(min(held, resumed)),
        float(ev.plan.holds),
        f"the customer peer saw {held} hold and {resumed} resume requests and answered each "
        "hold with 488, so its audio kept flowing",
        at_least=True,
        unit="holds",
    )


def _hold_windows(ev: Evidence, rate: int, start_s: float) -> list[tuple[int, int]]:
    """Sample ranges of what the customer heard that fall inside the agent's holds."""
    report = ev.report
    anchor = (report.disclosure or {}).get("started_at") or report.answered_at
    if not isinstance(anchor, float):
        return []
    windows = []
    for hold in report.holds:
        if len(hold) != 2:
            continue
        begin = start_s + hold[0] - anchor + EDGE_S
        end = start_s + hold[1] - anchor - EDGE_S
        if end > begin:
            windows.append((int(begin * rate), int(end * rate)))
    return windows


def _agent_cut_while_held(ev: Evidence, found: Alignment) -> Check:
    rate = ev.peer_rate
    windows = _hold_windows(ev, rate, found.start_s)
    heard = sum(
        tone_duration_s(ev.peer_heard[a:b], rate, AGENT_HZ, window_s=FRAME_S) for a, b in windows
    )
    total = sum(b - a for a, b in windows) / rate
    return measured(
        "the customer did not hear the agent while held",
        heard,
        0.0,
        f"{AGENT_HZ:g} Hz for {heard:.2f} s of {total:.2f} s on hold",
        at_least=False,
        unit="s",
    )


# --- the recording ----------------------------------------------------------------------


def _recording(ev: Evidence) -> list[Check]:
    report = ev.report
    if report.recording is None or report.metadata is None:
        problems = "; ".join(report.recording_problems) or "no recording was made"
        return [Check("the call was recorded", False, problems)]
    audio, rate = read_channels(report.recording)
    planned = ev.plan.conversation_s
    agent_s = tone_duration_s(audio[:, 0], rate, AGENT_HZ)
    customer_s = tone_duration_s(audio[:, 1], rate, CUSTOMER_HZ)
    held_s = sum(
        segment.duration_s
        for side in (0, 1)
        for segment in tone_timeline(audio[:, side], rate, TONES, window_s=FRAME_S)
        if segment.hz == HELD_HZ
    )
    return [
        _share("the recording holds the agent (left channel)", AGENT_HZ, agent_s, planned),
        _share(
            "the recording holds the customer (right channel)", CUSTOMER_HZ, customer_s, planned
        ),
        measured(
            "the recording holds nothing from the holds",
            held_s,
            0.0,
            f"the customer's on-hold tone {HELD_HZ:g} Hz for {held_s:.2f} s; recorded "
            f"{audio.shape[0] / rate:.2f} s of a {planned:.1f} s conversation",
            at_least=False,
            unit="s",
        ),
        _evidence_check(Path(report.metadata)),
    ]


def _share(name: str, hz: float, seconds: float, planned: float) -> Check:
    share = 100.0 * seconds / planned if planned else 0.0
    return measured(
        name,
        share,
        SHARE_OF_PLAN,
        f"{hz:g} Hz for {seconds:.2f} s, {share:.0f} % of the {planned:.1f} s planned",
        at_least=True,
        unit="%",
    )


def _evidence_check(path: Path) -> Check:
    name = "the metadata carries the disclosure evidence and the audio's SHA-256"
    try:
        entry = Entry(path, read_metadata(path))
    except MetadataError as exc:
        return Check(name, False, str(exc))
    problems = verify(entry)
    meta = json.loads(path.read_text(encoding="utf-8"))
    detail = (
        f"disclosure {meta['disclosure']['id']}, {meta['disclosure']['rtp_packets_sent']} RTP "
        f"packets, {len(meta['gate'])} gate transitions, {len(meta['holds'])} holds"
    )
    return Check(name, not problems, "; ".join(p.text for p in problems) or detail)


# --- what the agent heard ---------------------------------------------------------------


def _agent_side(ev: Evidence) -> list[Check]:
    heard, rate = ev.agent_heard, ev.agent_rate
    planned = ev.disclosure.size / ev.peer_rate + ev.plan.conversation_s
    customer_s = tone_duration_s(heard, rate, CUSTOMER_HZ)
    held_s = sum(
        s.duration_s for s in tone_timeline(heard, rate, TONES, window_s=FRAME_S) if s.hz == HELD_HZ
    )
    return [
        _share("the agent heard the customer", CUSTOMER_HZ, customer_s, planned),
        measured(
            "the agent did not listen in while the customer was held",
            held_s,
            0.0,
            f"the customer's on-hold tone {HELD_HZ:g} Hz heard for {held_s:.2f} s",
            at_least=False,
            unit="s",
        ),
    ]
