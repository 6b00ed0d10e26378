"""Invariants 1-5 with real peers: disclosure first, nothing on hold, evidence, no loss.

Every verdict on audio comes from analysing files (FFT), not from the app's bookkeeping. The
pjsua2 customer peer sends 440 Hz, or 1200 Hz while the call is held; the SIPp peers send
1200 Hz, or 1800 Hz from the moment a hold offer reaches them. The agent sends 1000 Hz.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from softphone.media.analysis import read_channels, read_mono, tone_duration_s, tone_timeline
from softphone.recordings.writer import file_sha256
from tests.integration.policies import DISCLOSURE_HZ, Compliance
from tests.integration.sipp import SippPeer
from tests.integration.softphone_cli import Answering, StartPeer, run_softphone, tone_call

AGENT_HZ, CUSTOMER_HZ, HELD_HZ = 1000.0, 440.0, 1200.0
SIPP_HZ, SIPP_HELD_HZ = 1200.0, 1800.0
TONES = [AGENT_HZ, CUSTOMER_HZ, HELD_HZ, DISCLOSURE_HZ, SIPP_HELD_HZ]


def _call(uri: str, compliance: Compliance, *options: str) -> list[str]:
    return tone_call(uri, compliance.args, *options, hz=AGENT_HZ)


def _answering(compliance: Compliance, *options: str) -> list[str]:
    return ["--mic", f"tone:{AGENT_HZ:g}", "--speaker", "null", "--json", "--wait", "30",
            *compliance.args, *options]  # fmt: skip


def _recording(report: dict[str, Any]) -> tuple[npt.NDArray[np.float64], dict[str, Any]]:
    assert report["recording"] and report["metadata"], report
    audio, rate = read_channels(report["recording"])
    assert rate == 16000 and audio.shape[1] == 2
    metadata = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    assert metadata["schema"] == "softphone.recording/1"
    assert metadata["audio"]["sha256"] == file_sha256(Path(report["recording"]))
    assert metadata["audio"]["frames"] == audio.shape[0]
    return audio, metadata


def _seconds(samples: npt.NDArray[np.float64], hz: float) -> float:
    """How long `hz` is present (for "is there": sensitive, may count other sounds' energy)."""
    return tone_duration_s(samples, 16000, hz)


def _frames_of(samples: npt.NDArray[np.float64], hz: float) -> float:
    """Seconds of single 20 ms frames in which `hz` is the dominant one of TONES.

    For "is it absent": one frame of it among other tones is found, and another tone's
    distortion products never count as it.
    """
    timeline = tone_timeline(samples, 16000, TONES, window_s=0.02)
    return sum(s.duration_s for s in timeline if s.hz == hz)


def test_the_customer_hears_the_disclosure_first_then_both_sides_are_recorded(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}", "--record", str(tmp_path / "heard.wav"))
    done = run_softphone(_call(peer.uri_for(), compliance, "--hangup-after", "4.2"))
    assert done.returncode == 0, done.stderr
    peer.finish()
    heard, rate = read_mono(tmp_path / "heard.wav")
    timeline = [s for s in tone_timeline(heard, rate, TONES) if s.hz is not None]
    assert timeline[0].hz == DISCLOSURE_HZ and timeline[0].start_s < 0.2
    assert timeline[0].duration_s >= compliance.disclosure_s - 0.15
    assert timeline[1].hz == AGENT_HZ and timeline[1].start_s >= timeline[0].end_s

    report = done.report
    disclosure = report["disclosure"]
    assert disclosure["completed"] and disclosure["id"] == "test-disclosure-en-1"
    assert disclosure["frames_played"] == 60
    # The last packet can still be on its way out when the counter is read.
    assert disclosure["rtp_packets_sent"] in (59, 60)
    assert disclosure["started_at"] - report["answered_at"] < 0.1
    audio, metadata = _recording(report)
    assert _seconds(audio[:, 0], AGENT_HZ) >= 2.5
    assert _seconds(audio[:, 1], CUSTOMER_HZ) >= 2.5
    assert _frames_of(audio[:, 0], DISCLOSURE_HZ) == 0.0  # recording began after it
    assert metadata["status"] == "complete"
    assert metadata["disclosure"] == disclosure
    assert metadata["gate"][0]["reason"] == "disclosure-completed"
    assert metadata["gate"][0]["state"] == "open"
    assert metadata["gate"][-1]["reason"] == "call-ended"
    assert metadata["call"]["direction"] == "outbound"


def test_an_inbound_call_is_disclosed_before_it_is_recorded(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    with Answering(_answering(compliance, "--hangup-after", "3")) as agent:
        peer = start_peer(
            "--call",
            f"sip:agent@127.0.0.1:{agent.port}",
            "--play",
            f"tone:{CUSTOMER_HZ:g}",
            "--record",
            str(tmp_path / "heard.wav"),
        )
        done = agent.finish()
    assert done.returncode == 0, done.stderr
    peer.finish()
    heard, rate = read_mono(tmp_path / "heard.wav")
    first = next(s for s in tone_timeline(heard, rate, TONES) if s.hz is not None)
    assert first.hz == DISCLOSURE_HZ
    audio, metadata = _recording(done.report)
    assert metadata["call"]["direction"] == "inbound"
    assert _seconds(audio[:, 1], CUSTOMER_HZ) >= 1.5


def test_a_call_ended_during_the_disclosure_leaves_no_recording(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    peer = start_peer("--hangup-after", "0.6")
    done = run_softphone(_call(peer.uri_for(), compliance))
    # The call went through but was not recorded: a code of its own, and the reason said.
    assert done.returncode == 4, done.stderr
    assert done.stderr.splitlines() == [
        "softphone: not recorded: the call ended before the disclosure completed"
    ]
    report = done.report
    assert report["recording"] is None and report["metadata"] is None
    assert report["disclosure"]["completed"] is False
    assert "the call ended before the disclosure completed" in report["recording_problems"]
    assert compliance.recordings_made() == []


def test_hold_pressed_during_the_disclosure(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    peer = start_peer(
        "--play",
        f"tone:{CUSTOMER_HZ:g}",
        "--hold-tone",
        f"tone:{HELD_HZ:g}",
        "--on-hold",
        "refuse",
        "--record",
        str(tmp_path / "heard.wav"),
    )
    done = run_softphone(
        _call(peer.uri_for(), compliance, "--hold", "0.4:2", "--hangup-after", "4.5")
    )
    assert done.returncode == 0, done.stderr
    peer.finish()
    heard, _ = read_mono(tmp_path / "heard.wav")
    assert _seconds(heard, DISCLOSURE_HZ) >= compliance.disclosure_s - 0.15  # all of it
    audio, metadata = _recording(done.report)
    assert _frames_of(audio[:, 1], HELD_HZ) == 0.0
    # The disclosure paused for the hold (0.4 s to 2.4 s) and played its last 0.8 s after the
    # resume, so recording started at about 3.2 s: about 1.3 s of the 4.5 s call, no hold in it.
    assert 1.0 < audio.shape[0] / 16000 < 1.6
    assert metadata["holds"] == []
    disclosure = done.report["disclosure"]
    assert disclosure["completed"] is True
    assert disclosure["ended_at"] - disclosure["started_at"] > 2.0 + compliance.disclosure_s - 0.2


@pytest.mark.parametrize("scenario", ["uas_ignore_hold", "uas_late_hold", "uas_refuse_hold"])
def test_a_peer_that_keeps_sending_through_hold_is_not_recorded(
    scenario: str, tmp_path: Path, compliance: Compliance
) -> None:
    with SippPeer(scenario, workdir=tmp_path / "sipp", timeout_s=40) as peer:
        done = run_softphone(
            _call(peer.uri("customer"), compliance, "--hold", "2.2:2.5", "--hangup-after", "6.7")
        )
        peer.wait(15)
    assert done.returncode == 0, done.stderr
    audio, metadata = _recording(done.report)
    customer = audio[:, 1]
    assert _frames_of(customer, SIPP_HELD_HZ) == 0.0, "audio sent during the hold was recorded"
    closed = next(g for g in metadata["gate"] if g["reason"] == "hold-requested")
    assert closed["state"] == "closed"
    hold_at = int(closed["media_time"] * 16000)
    # The peer's audio before the hold (1.0 s) and after the resume is there, its hold is not:
    # the audio lasts at most the unheld 3.0 s (less what the resume took to be confirmed).
    assert _seconds(customer[:hold_at], SIPP_HZ) >= 0.8
    assert _seconds(customer[hold_at:], SIPP_HZ) >= 0.3
    assert _seconds(audio[:, 0], AGENT_HZ) >= 1.0
    assert audio.shape[0] / 16000 < 3.1


def test_remote_hold_is_not_recorded(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    with Answering(_answering(compliance)) as agent:
        start_peer(
            "--call",
            f"sip:agent@127.0.0.1:{agent.port}",
            "--play",
            f"tone:{CUSTOMER_HZ:g}",
            "--hold-tone",
            f"tone:{HELD_HZ:g}",
            "--hold",
            "2.2:2",
            "--hangup-after",
            "6",
        )
        done = agent.finish()
    assert done.returncode == 0, done.stderr
    audio, metadata = _recording(done.report)
    assert _frames_of(audio[:, 1], HELD_HZ) == 0.0
    assert _seconds(audio[:, 1], CUSTOMER_HZ) >= 2.0
    assert "remote" in [h["kind"] for h in metadata["holds"]]
    assert any(g["reason"] == "remote-hold" and g["state"] == "closed" for g in metadata["gate"])


def test_a_corrupt_disclosure_refuses_calls_and_says_why(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    audio = Path(compliance.policy.read_text().split('audio = "')[1].split('"')[0])
    audio.write_bytes(b"RIFF not really audio")
    peer = start_peer()
    done = run_softphone(_call(peer.uri_for(), compliance, "--hangup-after", "2"))
    # An unplayable disclosure makes the policy invalid: no call at all, rather than one that
    # goes out without the disclosure.
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("softphone: calls are refused: the admin policy cannot be used")
    assert f"{audio} is not audio that can be decoded" in done.stderr
    assert peer.named("incoming") == []
    assert compliance.recordings_made() == []
