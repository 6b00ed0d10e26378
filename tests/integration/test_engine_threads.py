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


def test_an_idle_engine_runs_no_clock_and_no_media_worker(start_peer: StartPeer) -> None:
    peer = start_peer()
    proc = run_driver("engine_threads", f"sip:customer@127.0.0.1:{peer.port}")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["idle_before"], "the bridge clock ticked before any call"
    assert "clock" in result["threads_in_call"]  # the call's media started it
    assert result["idle_after"], f"the clock still ticks after the call: {result['threads_idle']}"
    assert "media" not in result["threads_in_call"] + result["threads_idle"]  # RTP: main thread
