"""The self-test's verdicts: a call without faults passes, and every violation injected fails.

The audio is built the way the self-test call produces it (the disclosure's real speech, the
agent's and the customer's tones, silence on hold), then one fault at a time is put in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from softphone.app.headless import CallReport
from softphone.app.selftestverdicts import (
    AGENT_HZ,
    CUSTOMER_HZ,
    HELD_HZ,
    Check,
    Evidence,
    Plan,
    judge,
)
from softphone.media.sources import load_wav
from softphone.recordings.evidence import EvidenceLog
from softphone.recordings.metadata import GateEntry
from softphone.recordings.store import RecordingStore
from softphone.recordings.writer import RecordingWriter
from softphone.vocabulary.frames import RATE

Audio = npt.NDArray[np.float64]
REPO = Path(__file__).resolve().parents[2]
PLAN = Plan()
ANSWERED = 1_796_000_000.0
LAG = 0.03  # the disclosure begins this long after the answer in what the customer hears


def _tone(hz: float, seconds: float, level: float = 0.3) -> Audio:
    return level * np.sin(2 * np.pi * hz * np.arange(int(seconds * RATE)) / RATE)


def _disclosure() -> Audio:
    speech, rate = load_wav(REPO / "resources" / "disclosure" / "en.wav")
    assert rate == RATE
    mono: Audio = speech.mean(axis=1)
    return mono[: int(PLAN.excerpt_s * RATE)]


@dataclasses.dataclass
class Scene:
    """What one self-test call left behind, to be spoiled by one fault at a time."""

    tmp: Path
    disclosure: Audio
    heard: Audio  # what the customer peer recorded; 0 s is the answer
    agent_heard: Audio
    recording: npt.NDArray[np.float64]  # frames x (agent, customer)
    holds: list[list[float]]
    reinvites: list[dict[str, object]]
    answered: bool = True
    recorded: bool = True
    alter_audio: bool = False

    def at(self, seconds: float) -> int:
        return int(seconds * RATE)

    def evidence(self) -> Evidence:
        report = CallReport(direction="outbound", status_code=200, reason="OK")
        if self.answered:
            report.answered_at = ANSWERED
            report.holds = self.holds
            report.disclosure = {"started_at": ANSWERED + LAG, "id": "builtin-en"}
        if self.recorded:
            report.recording, report.metadata = self._store()
        return Evidence(
            PLAN, report, self.disclosure, self.heard, RATE, self.agent_heard, RATE, self.reinvites
        )

    def _store(self) -> tuple[str, str]:
        paths = RecordingStore(self.tmp, agent="selftest").new_recording("c@x", "outbound", 1.0)
        writer = RecordingWriter(paths.partial, print)
        pcm = np.round(self.recording * 32767).astype("<i2")
        for start in range(0, pcm.shape[0] - 319, 320):
            writer.write(pcm[start : start + 320].tobytes())
        ended = ANSWERED + LAG + self.disclosure.size / RATE
        disclosure = {
            "id": "builtin-en", "language": "en", "purpose": "quality", "audio_sha256": "0",
            "duration_s": 2.5, "started_at": ANSWERED + LAG, "ended_at": ended,
            "frames_played": 125, "rtp_packets_sent": 125, "completed": True,
        }  # fmt: skip
        call = {"call_id": "c@x", "direction": "outbound", "local_uri": "", "remote_uri": "",
                "agent": "selftest", "answered_at": ANSWERED}  # fmt: skip
        log = EvidenceLog(paths, call, disclosure)
        opened = GateEntry(ended + 0.01, 0.0, "open", "disclosure-completed", [])
        log.finish(writer, [opened], [])
        if self.alter_audio:
            data = bytearray(paths.audio.read_bytes())
            data[-2:] = b"\x01\x02"
            paths.audio.write_bytes(bytes(data))
        return str(paths.audio), str(paths.metadata)


def _clean(tmp: Path) -> Scene:
    disclosure = _disclosure()
    seconds = disclosure.size / RATE
    total = PLAN.hangup_after(seconds) + 0.3
    holds = [[ANSWERED + at, ANSWERED + at + length] for at, length in PLAN.hold_times(seconds)]
    heard = np.zeros(int(total * RATE))
    start = int(LAG * RATE)
    heard[start : start + disclosure.size] = disclosure
    agent_heard = _tone(CUSTOMER_HZ, total, 0.2)
    talk_from = LAG + seconds
    spans = [(talk_from, holds[0][0] - ANSWERED)]
    spans += [(holds[i][1] - ANSWERED, holds[i + 1][0] - ANSWERED) for i in range(len(holds) - 1)]
    spans += [(holds[-1][1] - ANSWERED, total - 0.3)]
    for begin, end in spans:
        a, b = int(begin * RATE), int(end * RATE)
        heard[a:b] = 0.3 * np.sin(2 * np.pi * AGENT_HZ * np.arange(b - a) / RATE)
    for hold in holds:
        a, b = int((hold[0] - ANSWERED) * RATE), int((hold[1] - ANSWERED) * RATE)
        agent_heard[a:b] = 0.0
    recorded = sum(end - begin for begin, end in spans)
    recording = np.stack([_tone(AGENT_HZ, recorded), _tone(CUSTOMER_HZ, recorded)], axis=1)
    reinvites: list[dict[str, object]] = []
    for _ in holds:
        reinvites += [
            {"event": "reinvite", "holding": True},
            {"event": "reinvite", "holding": False},
        ]
    return Scene(tmp, disclosure, heard, agent_heard, recording, holds, reinvites)


def _verdicts(scene: Scene) -> dict[str, Check]:
    return {check.name: check for check in judge(scene.evidence())}


def test_a_call_without_faults_passes_every_verdict(tmp_path: Path) -> None:
    checks = _verdicts(_clean(tmp_path))
    assert [name for name, c in checks.items() if not c.passed] == []
    assert len(checks) == 12
    margins = [c.margin for c in checks.values() if c.margin is not None]
    assert all(m >= 0 for m in margins), margins


def _slip(scene: Scene) -> None:
    """The customer's jitter buffer conceals 60 ms and drops 20 ms later: no violation."""
    at, later = scene.at(LAG + 0.9), scene.at(LAG + 1.7)
    scene.heard = np.concatenate(
        (
            scene.heard[:at],
            scene.heard[at - 960 : at],
            scene.heard[at:later],
            scene.heard[later + 320 :],
        )
    )


def test_timing_slips_of_a_jitter_buffer_are_not_a_violation(tmp_path: Path) -> None:
    scene = _clean(tmp_path)
    _slip(scene)
    checks = _verdicts(scene)
    assert [name for name, c in checks.items() if not c.passed] == []


def _no_disclosure(s: Scene) -> None:
    s.heard[: s.at(LAG + 2.6)] = 0.0


def _late_disclosure(s: Scene) -> None:
    s.heard = np.concatenate((np.zeros(s.at(0.6)), s.heard))


def _other_audio(s: Scene) -> None:
    speech, _ = load_wav(REPO / "resources" / "disclosure" / "nl.wav")
    s.heard[s.at(LAG) : s.at(LAG) + s.disclosure.size] = speech.mean(axis=1)[: s.disclosure.size]


def _cut_short(s: Scene) -> None:
    s.heard[s.at(LAG + 1.2) : s.at(LAG + 2.5)] = 0.0


def _mic_open_during_disclosure(s: Scene) -> None:
    s.heard[: s.at(LAG + 2.5)] += _tone(AGENT_HZ, LAG + 2.5)[: s.at(LAG + 2.5)]


def _agent_heard_on_hold(s: Scene) -> None:
    a = s.at(s.holds[2][0] - ANSWERED + 0.2)
    s.heard[a : a + 1600] = _tone(AGENT_HZ, 0.1)


def _fewer_holds(s: Scene) -> None:
    s.reinvites = s.reinvites[:6]


def _held_frame_recorded(s: Scene) -> None:
    middle = s.recording.shape[0] // 2
    s.recording[middle : middle + 320, 1] = _tone(HELD_HZ, 0.02)


def _customer_not_recorded(s: Scene) -> None:
    s.recording[:, 1] = 0.0


def _agent_not_recorded(s: Scene) -> None:
    s.recording = s.recording[: s.recording.shape[0] // 3]


def _not_recorded(s: Scene) -> None:
    s.recorded = False


def _altered(s: Scene) -> None:
    s.alter_audio = True


def _agent_hears_held_customer(s: Scene) -> None:
    a = s.at(s.holds[1][0] - ANSWERED + 0.1)
    s.agent_heard[a : a + 320] = _tone(HELD_HZ, 0.02)


def _agent_hears_nothing(s: Scene) -> None:
    s.agent_heard[:] = 0.0


def _not_answered(s: Scene) -> None:
    s.answered = False


@pytest.mark.parametrize(
    ("fault", "fails"),
    [
        (_no_disclosure, "the customer heard the disclosure"),
        (_other_audio, "the customer heard the disclosure"),
        (_cut_short, "the customer heard the disclosure"),
        (_late_disclosure, "the disclosure started as the call was answered"),
        (
            _mic_open_during_disclosure,
            "the customer heard nothing else before the disclosure ended",
        ),
        (_agent_heard_on_hold, "the customer did not hear the agent while held"),
        (_fewer_holds, "the call was held and resumed, and the peer refused each hold"),
        (_held_frame_recorded, "the recording holds nothing from the holds"),
        (_customer_not_recorded, "the recording holds the customer (right channel)"),
        (_agent_not_recorded, "the recording holds the agent (left channel)"),
        (_not_recorded, "the call was recorded"),
        (_altered, "the metadata carries the disclosure evidence and the audio's SHA-256"),
        (_agent_hears_held_customer, "the agent did not listen in while the customer was held"),
        (_agent_hears_nothing, "the agent heard the customer"),
        (_not_answered, "the customer peer answered"),
    ],
)
def test_each_violation_fails_its_verdict(
    tmp_path: Path, fault: Callable[[Scene], None], fails: str
) -> None:
    scene = _clean(tmp_path)
    fault(scene)
    checks = _verdicts(scene)
    assert fails in checks, list(checks)
    assert not checks[fails].passed, checks[fails]
    margin = checks[fails].margin
    assert margin is None or margin < 0, checks[fails]
