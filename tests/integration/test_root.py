"""The composition root ends what it built in order: calls first, then the engine, audio last."""

from __future__ import annotations

import json
from pathlib import Path

from softphone.recordings.metadata import read_metadata
from tests.integration.policies import Compliance
from tests.integration.softphone_cli import StartPeer, run_driver


def test_leaving_the_root_mid_call_hangs_up_finishes_the_recording_then_closes_audio(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    peer = start_peer("--play", "tone:440")
    done = run_driver("root_shutdown", str(compliance.policy), peer.uri_for())
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["live_before_exit"], result  # the call was in conversation when it left
    assert result.get("recorded"), result
    [ended] = result["ended"]
    assert ended["metadata"] and ended["recording"], ended
    assert read_metadata(Path(ended["metadata"])).status == "complete"
    assert result["events"][-1] == "CallEnded"
    # The speaker was closed only after the engine (and its clock thread) had stopped.
    assert result["engine_running_at_speaker_close"] is False
    peer.wait_for("state", 10, state="disconnected")  # the peer got our BYE
