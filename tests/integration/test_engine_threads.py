"""The engine's one thread model, checked on a real call in a child process."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.integration.softphone_cli import REPO, StartPeer, child_env


def test_pjsua2_is_only_reached_from_the_main_thread(start_peer: StartPeer) -> None:
    peer = start_peer()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.integration.drivers.engine_threads",
            f"sip:customer@127.0.0.1:{peer.port}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=child_env(),
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "must run on the main thread" in result["foreign_thread_error"]
    assert result["states"][-1] == "disconnected" and "confirmed" in result["states"]
    assert result["thread_violations"] == 0
    assert result["handler_errors"] == 0
