"""The engine's one thread model, checked on a real call in a child process."""

from __future__ import annotations

import json

from tests.integration.softphone_cli import StartPeer, run_driver


def test_pjsua2_is_only_reached_from_the_main_thread(start_peer: StartPeer) -> None:
    peer = start_peer()
    proc = run_driver("engine_threads", f"sip:customer@127.0.0.1:{peer.port}")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "must run on the main thread" in result["foreign_thread_error"]
    assert result["states"][-1] == "disconnected" and "confirmed" in result["states"]
    assert result["thread_violations"] == 0
    assert result["handler_errors"] == 0
