"""Recovery when a reader starts: `recordings list` after a killed `softphone answer` shows the
call with its real length, and a recording a live answerer is writing is never taken from it.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from softphone.media.analysis import read_channels, tone_duration_s
from softphone.recordings.audit import AuditLog
from softphone.recordings.store import PARTIAL_SUFFIX
from softphone.recordings.writer import file_sha256
from tests.integration.policies import Compliance
from tests.integration.softphone_cli import Answering, StartPeer, run_softphone

pytestmark = pytest.mark.integration

AGENT_HZ, CUSTOMER_HZ = 1000.0, 440.0


def _answering(compliance: Compliance, hangup_after: float) -> Answering:
    return Answering(["--json", "--wait", "30", *compliance.args, "--mic", f"tone:{AGENT_HZ:g}",
                      "--speaker", "null", "--hangup-after", f"{hangup_after:g}"])  # fmt: skip


def _recording_partial(recordings: Path, agent: Answering) -> Path:
    """The partial audio once the call records (the answerer must still be alive)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert agent.proc.poll() is None, agent.finish().stderr[-3000:]
        found = list(recordings.rglob(f"*{PARTIAL_SUFFIX}"))
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("the call never started recording")


def _listed(recordings: Path) -> list[dict[str, object]]:
    listed = run_softphone(["recordings", "list", "--json", "--recordings", str(recordings)])
    assert listed.returncode == 0, listed.stdout + listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_recordings_list_after_a_killed_answerer_shows_the_recovered_call(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    recordings = compliance.recordings
    with _answering(compliance, 30) as agent:
        start_peer("--call", f"sip:agent@127.0.0.1:{agent.port}", "--play",
                   f"tone:{CUSTOMER_HZ:g}")  # fmt: skip
        _recording_partial(recordings, agent)
        time.sleep(3.0)  # three seconds of recorded conversation
        agent.proc.send_signal(signal.SIGKILL)
        agent.finish()
    killed_at = time.time()
    # No call and no answer since: the listing itself recovers the call first.
    (row,) = _listed(recordings)
    assert row["status"] == "interrupted" and row["interrupted"] is True, row
    assert isinstance(row["duration_s"], float) and row["duration_s"] >= 2.0, row
    assert not list(recordings.rglob(f"*{PARTIAL_SUFFIX}"))
    wav = Path(str(row["audio"]))
    audio, rate = read_channels(wav)
    assert abs(audio.shape[0] / rate - row["duration_s"]) < 0.01
    assert tone_duration_s(audio[:, 1], rate, CUSTOMER_HZ) >= 1.9
    metadata = json.loads(wav.with_suffix(".json").read_text(encoding="utf-8"))
    assert metadata["interruption"]["last_write_at"] <= killed_at
    assert metadata["audio"]["sha256"] == file_sha256(wav)
    checked = run_softphone(["recordings", "verify", "--recordings", str(recordings)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert [e.event for e in AuditLog.of(recordings).entries()] == ["created", "recovered"]


def test_a_recording_a_live_answerer_writes_is_left_to_it(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    recordings = compliance.recordings
    # Long enough for the three commands below to start and end mid-call on a loaded machine
    # (6 s were over before them once: four Python starts beside other load).
    with _answering(compliance, 15) as agent:
        peer = start_peer("--call", f"sip:agent@127.0.0.1:{agent.port}", "--play",
                          f"tone:{CUSTOMER_HZ:g}")  # fmt: skip
        partial = _recording_partial(recordings, agent)
        time.sleep(1.0)
        # Mid-call, a reader lists the recordings and another softphone starts (both recover
        # what they find): the partial file is the live answerer's, neither touches it.
        (row,) = _listed(recordings)
        assert row["status"] == "recording", row
        live = run_softphone(["recordings", "verify", "--recordings", str(recordings)])
        assert "the call is still being recorded" in live.stdout + live.stderr, live.stdout
        other = run_softphone(["answer", "--listen", "127.0.0.1:0", "--wait", "0.1", "--mic",
                               "silence", "--speaker", "null", *compliance.args])  # fmt: skip
        assert "no call arrived" in other.stderr, other.stderr[-3000:]  # it started, and ended
        assert partial.exists() and not list(recordings.rglob("*.wav"))
        assert agent.proc.poll() is None
        done = agent.finish()
    assert done.returncode == 0, done.stderr[-3000:]
    assert peer.finish() == 0
    metadata = json.loads(Path(done.report["metadata"]).read_text(encoding="utf-8"))
    assert metadata["status"] == "complete" and metadata["errors"] == [], metadata
    audio, rate = read_channels(done.report["recording"])
    assert audio.shape[0] == metadata["audio"]["frames"] and audio.shape[0] / rate >= 3.5
    assert [e.event for e in AuditLog.of(recordings).entries()] == ["created", "finalised"]
    checked = run_softphone(["recordings", "verify", "--recordings", str(recordings)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
