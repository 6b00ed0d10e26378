"""`softphone answer --calls N`: calls in turn, each its own recording; 0 runs until a signal."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

from tests.integration.policies import Compliance
from tests.integration.softphone_cli import Answering, Finished, StartPeer

QUIET = ("--mic", "silence", "--speaker", "null", "--json")


def _reports(done: Finished) -> list[dict[str, Any]]:
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _recorded(report: dict[str, Any]) -> bool:
    metadata = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    return bool(metadata["status"] == "complete" and Path(report["recording"]).is_file())


def _wait_for_recordings(folder: Path, count: int, timeout: float = 30.0) -> None:
    """The child's output is read when it ends: wait until `count` recordings are finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(folder.rglob("*.json"))
        if len(found) >= count and all(_complete(p) for p in found):
            return
        time.sleep(0.2)
    raise AssertionError(f"{count} finished recordings did not appear in {folder} in {timeout} s")


def _complete(metadata: Path) -> bool:
    try:
        return bool(json.loads(metadata.read_text(encoding="utf-8")).get("status") == "complete")
    except (OSError, ValueError):
        return False


def test_two_calls_are_taken_in_turn_then_it_exits(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    with Answering([*compliance.args, *QUIET, "--calls", "2", "--wait", "30"]) as agent:
        for _ in range(2):
            peer = start_peer(
                "--call", f"sip:customer@127.0.0.1:{agent.port}", "--hangup-after", "2"
            )
            assert peer.finish() == 0
        done = agent.finish(timeout=30)
    assert done.returncode == 0, done.stderr
    reports = _reports(done)
    assert len(reports) == 2, done.stdout
    assert reports[0]["call_id"] != reports[1]["call_id"]
    assert reports[0]["recording"] != reports[1]["recording"]
    assert all(_recorded(r) for r in reports), reports


def test_with_calls_0_a_sigterm_ends_the_wait_cleanly(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    with Answering([*compliance.args, *QUIET, "--calls", "0"]) as agent:
        peer = start_peer("--call", f"sip:customer@127.0.0.1:{agent.port}", "--hangup-after", "2")
        assert peer.finish() == 0
        _wait_for_recordings(compliance.recordings, 1)
        agent.proc.send_signal(signal.SIGTERM)
        done = agent.finish(timeout=20)
    assert done.returncode == 0, done.stderr
    reports = _reports(done)
    assert len(reports) == 1 and _recorded(reports[0]), done.stdout


def test_with_calls_0_a_sigterm_mid_call_hangs_up_and_finishes_the_recording(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    with Answering([*compliance.args, *QUIET, "--calls", "0"]) as agent:
        peer = start_peer("--call", f"sip:customer@127.0.0.1:{agent.port}", "--hangup-after", "20")
        time.sleep(3.0)  # answered, the 1.2 s disclosure played, recording
        agent.proc.send_signal(signal.SIGTERM)
        done = agent.finish(timeout=20)
        assert peer.finish() == 0  # the softphone hung up: the peer's call ended normally
    assert done.returncode == 0, done.stderr
    reports = _reports(done)
    assert len(reports) == 1, done.stdout
    assert reports[0]["error"] == "interrupted: the call was hung up"
    assert _recorded(reports[0])
