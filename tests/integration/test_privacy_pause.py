"""Issue 10 item 7, the privacy pause: nothing said while paused is recorded, and the call goes on.

A SIPp customer says a "secret" (its own tone) in a window it times from the ACK; the agent
pauses the recording MARGIN_S before the window and resumes MARGIN_S after it. The recording
must hold not one frame of the secret, and the talk on both sides of it; the call must never
have been held (no re-INVITE reached the peer) and the agent must have heard the secret. A
pjsua2 customer who records what it hears shows the other direction: the agent's microphone
reaches the customer while the recording is paused, including a pause asked for during the
disclosure, which the recording waits out.
"""

from __future__ import annotations

import getpass
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from softphone.media.analysis import read_mono, tone_duration_s
from softphone.recordings.catalog import find_recordings, verify
from tests.integration.holdaudio import AGENT_HZ, FRAME_S
from tests.integration.pauseaudio import (
    SECRET_FROM_S,
    SECRET_HZ,
    SECRET_UNTIL_S,
    analyse_pause,
    heard_s,
    pause_call,
    secret_peer,
)
from tests.integration.policies import DISCLOSURE_HZ, Compliance
from tests.integration.softphone_cli import (
    Answering,
    StartPeer,
    run_driver,
    run_softphone,
)

pytestmark = pytest.mark.integration

MARGIN_S = 0.3
"""How far the agent's pause keeps from the secret window, on either side.

What has to fit in it, measured on this 2-core machine (`benchmarks/pause_boundary.py`, see
docs/benchmarks.md): the customer's audio reaches the recorder about 40 to 60 ms after the peer
sent it (its jitter buffer, mostly); the softphone's timetable acts on the main loop's next
turn, 0 to 20 ms late, with gaps up to 68 ms under load; SIPp switches its tone a scheduler
step after each <pause>, a millisecond late at most when idle and tens of ms under load; the
softphone's answer and SIPp's ACK, from which both count, lie a millisecond apart. That is
about 160 ms at the worst on each side; 300 ms leaves room, and the test checks the margins the
run actually had before it judges the audio.
"""

PAUSE_AT_S = SECRET_FROM_S - MARGIN_S
PAUSE_S = SECRET_UNTIL_S + MARGIN_S - PAUSE_AT_S
HANGUP_AFTER_S = SECRET_UNTIL_S + 1.5
REASON = "card number"
MIN_SHARE = 0.8  # of each open stretch's frames must carry the talk (holdaudio's MIN_SHARE)
RECORDED_SLACK_S = 0.2  # recording length vs answer-to-hangup, less disclosure and pause
CUSTOMER_HZ = 440.0  # the pjsua2 customer's tone


def _metadata(report: dict[str, Any]) -> dict[str, Any]:
    assert report.get("recording") and report.get("metadata"), report
    value = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def test_nothing_said_while_paused_is_recorded_and_the_call_is_never_held(
    tmp_path: Path, compliance: Compliance
) -> None:
    agent_wav = tmp_path / "agent.wav"
    pause = f"{PAUSE_AT_S:g}:{PAUSE_S:g}:{REASON}"
    with secret_peer(tmp_path / "sipp") as sipp:
        done = run_softphone(
            pause_call(
                sipp.uri("customer"),
                compliance.args,
                pause,
                HANGUP_AFTER_S,
                "--speaker",
                str(agent_wav),
            ),
            timeout=40,
        )
        sipp_exit = sipp.wait(20)
        entries = sipp.log_entries()
        described = sipp.describe()
    assert done.returncode == 0, done.stderr[-3000:]
    assert sipp_exit == 0, described  # a re-INVITE or UPDATE would have failed its call
    metadata = _metadata(done.report)
    result = analyse_pause(done.report["recording"], metadata, entries)
    why = result.describe()

    # Not one frame of the secret, and the talk on both sides of the pause; the run kept its
    # margins (else the machine was too slow for the test to mean anything).
    assert result.secret_frames == 0, f"the secret was recorded: {why}"
    assert result.paused_at < SECRET_FROM_S - MARGIN_S / 3, why
    assert result.resumed_at > SECRET_UNTIL_S + MARGIN_S / 3, why
    assert result.before >= 0.8 / FRAME_S and result.after >= 1.0 / FRAME_S, why
    assert result.talk_before >= MIN_SHARE * result.before, why
    assert result.talk_after >= MIN_SHARE * result.after, why
    assert result.agent_frames >= MIN_SHARE * result.recorded_frames, why
    # The pause is skipped in the file, not filled: its length is missing from the audio.
    report = done.report
    talked = report["ended_at"] - report["answered_at"] - compliance.disclosure_s - PAUSE_S
    assert result.recorded_frames * FRAME_S <= talked + RECORDED_SLACK_S, why

    # Not a hold: the peer got one INVITE (the call's own), no re-INVITE, no UPDATE; the call
    # stayed up until the agent hung up, and the agent heard the secret all along.
    assert result.invites == 1 and result.updates == 0, why
    assert report["holds"] == [] and report["remote_holds"] == []
    assert report["ended_at"] - report["answered_at"] >= HANGUP_AFTER_S - 0.05
    heard = heard_s(agent_wav, SECRET_HZ)
    assert heard >= 0.9 * (SECRET_UNTIL_S - SECRET_FROM_S), f"the agent heard {heard:.2f} s"

    # The metadata marks the pause with its reason and who pressed it; so does the report.
    user = getpass.getuser()
    (span,) = metadata["pauses"]
    assert (span["reason"], span["by"], span["resumed_by"]) == (REASON, user, user)
    assert abs(span["end"] - span["start"] - PAUSE_S) < 0.1, span
    assert span["media_time"] == pytest.approx(result.before * FRAME_S, abs=0.001)
    closing = next(g for g in metadata["gate"] if g["reason"] == "privacy-paused")
    assert closing["state"] == "closed"
    assert closing["blockers"] == ["agent paused the recording for privacy"]
    assert [p["reason"] for p in report["pauses"]] == [REASON]
    (entry,) = find_recordings(compliance.recordings)
    assert verify(entry) == []  # what `softphone recordings verify` checks, the pause included


def test_a_pause_asked_for_during_the_disclosure_waits_for_both(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    peer_wav = tmp_path / "peer.wav"
    pause_from, pause_until, hangup = 0.6, 2.6, 4.5  # the disclosure lasts 1.2 s
    pause = f"{pause_from:g}:{pause_until - pause_from:g}:health"
    options = ["--json", "--wait", "30", *compliance.args, "--mic", f"tone:{AGENT_HZ:g}",
               "--speaker", "null", "--pause", pause, "--hangup-after", f"{hangup:g}"]  # fmt: skip
    with Answering(options) as agent:
        peer = start_peer(
            "--call", f"sip:agent@127.0.0.1:{agent.port}", "--play", f"tone:{CUSTOMER_HZ:g}",
            "--record", str(peer_wav),
        )  # fmt: skip
        done = agent.finish()
    assert done.returncode == 0, done.stderr[-3000:]
    assert peer.finish() == 0
    report = done.report
    metadata = _metadata(report)
    disclosure = metadata["disclosure"]
    (span,) = metadata["pauses"]
    first = metadata["gate"][0]

    # The customer heard the whole disclosure first; the pause did not stop it.
    assert disclosure["completed"], disclosure
    assert span["start"] < disclosure["ended_at"], (span, disclosure)
    heard, rate = read_mono(peer_wav)
    assert tone_duration_s(heard[: int(1.3 * rate)], rate, DISCLOSURE_HZ) >= 1.0
    # Recording began only once the pause was lifted, after the disclosure.
    assert (first["state"], first["reason"]) == ("open", "privacy-resumed"), metadata["gate"]
    assert first["wall_time"] >= max(disclosure["ended_at"], span["end"] - 0.001)
    assert (span["reason"], span["by"], span["media_time"]) == ("health", getpass.getuser(), 0.0)
    length = metadata["audio"]["duration_s"]
    assert abs(length - (report["ended_at"] - report["answered_at"] - pause_until)) < 0.3

    # Both parties stayed connected: the customer heard the agent while nothing was recorded.
    paused_talk = heard[int(1.4 * rate) : int((pause_until - 0.1) * rate)]
    assert tone_duration_s(paused_talk, rate, AGENT_HZ) >= 0.8 * (pause_until - 1.5)


def _quiet_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.strip().splitlines() if line]
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_policy_that_requires_a_reason_refuses_a_pause_without_one(
    compliance: Compliance,
) -> None:
    text = compliance.policy.read_text(encoding="utf-8")
    compliance.policy.write_text(text + "pause_requires_reason = true\n", encoding="utf-8")
    with _quiet_port() as customer:
        port = customer.getsockname()[1]
        done = run_softphone(
            ["call", f"sip:customer@127.0.0.1:{port}", "--bind", "127.0.0.1:0", "--mic",
             "silence", "--speaker", "null", *compliance.args, "--pause", "2:1",
             "--pause", "5:1:card number"],
            timeout=30,
        )  # fmt: skip
        with pytest.raises(BlockingIOError):
            customer.recv(4096)  # nothing was dialled
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert line.startswith("softphone: --pause 2:1 gives no reason, but policy "), line
    assert "recording.pause_requires_reason" in line and "--pause 2:1:REASON" in line, line
    assert compliance.recordings_made() == []

    answering = run_softphone(["answer", "--listen", "127.0.0.1:0", *compliance.args,
                               "--pause", "1:1"], timeout=30)  # fmt: skip
    assert answering.returncode == 2 and "listening" not in answering.stdout
    assert "gives no reason" in _one_line(answering.stderr)


def test_bad_pause_input_is_refused_before_dialling(compliance: Compliance) -> None:
    with _quiet_port() as customer:
        uri = f"sip:customer@127.0.0.1:{customer.getsockname()[1]}"
        base = ["call", uri, "--mic", "silence", "--speaker", "null", *compliance.args]
        blank = run_softphone([*base, "--pause", "2:1:"], timeout=30)
        overlapping = run_softphone([*base, "--pause", "2:3", "--pause", "4:1"], timeout=30)
        with pytest.raises(BlockingIOError):
            customer.recv(4096)  # nothing was dialled
    assert blank.returncode == 2 and "Traceback" not in blank.stderr
    assert "argument --pause: expected AT:DURATION[:REASON]" in blank.stderr.splitlines()[-1]
    assert overlapping.returncode == 2
    assert _one_line(overlapping.stderr) == (
        "softphone: --pause at 4 s starts before the pause at 2 s ends (5 s); give pauses "
        "that do not overlap"
    )


def test_a_call_that_cannot_be_paused_now_says_why_and_changes_nothing(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    peer = start_peer("--answer-after", "1", "--play", f"tone:{CUSTOMER_HZ:g}")
    done = run_driver("pause_commands", str(compliance.policy), peer.uri_for())
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    refusals = result["refusals"]
    assert [(r["command"], r["cause"]) for r in refusals] == [
        ("pause", "NOT_ANSWERED"),
        ("resume", "NOT_ANSWERED"),
        ("pause", "REASON_REQUIRED"),
        ("pause", "BAD_REASON"),
        ("pause", "REASON_TOO_LONG"),
        ("pause", "NO_ONE"),
        ("resume", "NOT_PAUSED"),
        ("pause", "ALREADY_PAUSED"),
        ("resume", "NO_ONE"),
        ("resume", "NOT_PAUSED"),
        ("pause", "ENDED"),
        ("resume", "ENDED"),
    ], refusals
    for refusal in refusals:
        assert refusal["unchanged"] and refusal["call_id"], refusal
        assert re.match(r"cannot (pause|resume) the recording of call \d+: ", refusal["message"])
    # Paused during the disclosure: the disclosure played to its end, the gate stayed closed
    # for the pause alone, and opened when it was lifted.
    waiting = result["checkpoints"]["disclosure played, still paused"]
    assert waiting == {"open": False, "paused": True, "disclosure_done": True,
                       "blockers": ["agent paused the recording for privacy"]}  # fmt: skip
    assert result["checkpoints"]["resumed"]["open"] is True
    (span,) = result["pauses"]
    assert (span["reason"], span["by"], span["resumed_by"]) == ("card number", "agent7", "agent8")
    metadata = json.loads(Path(result["metadata"]).read_text(encoding="utf-8"))
    assert [(p["reason"], p["media_time"]) for p in metadata["pauses"]] == [("card number", 0.0)]
