"""How the command line ends and speaks: a closed pipe, Ctrl-C, one prefix, text without dicts."""

from __future__ import annotations

import getpass
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.policies import Compliance
from tests.integration.softphone_cli import REPO, Answering, StartPeer, child_env, run_softphone

QUIET = ("--mic", "silence", "--speaker", "null")


def _into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `softphone ARGS` with its output going to a pipe nobody reads any more."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "softphone.cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=REPO,
            env=child_env(),
            check=False,
        )
    finally:
        os.close(write)


def test_a_closed_output_pipe_ends_quietly(compliance: Compliance) -> None:
    for args in (["config", "show"], ["config", "check"], ["config", "show", "--json"]):
        done = _into_closed_pipe(
            *args, *(["--policy", str(compliance.policy)] * (args[1] == "show"))
        )
        assert done.returncode == 141, (args, done.stderr)
        assert done.stderr == "", (args, done.stderr)


def test_ctrl_c_while_waiting_for_a_call(compliance: Compliance) -> None:
    with Answering([*compliance.args, *QUIET, "--wait", "60"]) as agent:
        agent.proc.send_signal(signal.SIGINT)
        done = agent.finish()
    assert done.returncode == 130
    assert done.stderr.splitlines() == ["softphone: interrupted"]


def test_ctrl_c_during_a_call_hangs_up_and_keeps_the_recording(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    with Answering([*compliance.args, *QUIET, "--wait", "30", "--json"]) as agent:
        peer = start_peer("--call", f"sip:agent@127.0.0.1:{agent.port}", "--play", "tone:440")
        peer.wait_for("state", 15.0, state="confirmed")
        _wait_for_recording(compliance.recordings)  # into the recorded part of the call
        agent.proc.send_signal(signal.SIGINT)
        done = agent.finish()
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["softphone: interrupted: the call was hung up"]
    assert peer.finish() == 0  # the peer saw the call end normally
    report = done.report
    metadata = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    assert metadata["status"] == "complete"
    assert Path(report["recording"]).is_file()


def _wait_for_recording(folder: Path) -> None:
    """Until the call's partial recording holds audio (the gate opened after the disclosure)."""
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline:
        if any(p.stat().st_size > 0 for p in folder.rglob("*.partial.raw")):
            return
        time.sleep(0.05)
    raise AssertionError(f"no recording started in {folder}")


def test_messages_have_one_prefix_and_text_output_has_no_dicts(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    with Answering([*compliance.args, *QUIET, "--hangup-after", "2", "--wait", "30"]) as agent:
        peer = start_peer("--call", f"sip:agent@127.0.0.1:{agent.port}")
        done = agent.finish()
    assert done.returncode == 0, done.stderr
    peer.finish()
    text = done.stdout.splitlines()  # after the "listening on" line, which Answering read
    assert text[0].startswith("inbound call from ")
    assert any(line.startswith("  recording: /") for line in text), text
    assert not any(mark in done.stdout for mark in ("{'", "': ", "[{", "None")), done.stdout
    refused = run_softphone(["call", "sip:x@127.0.0.1:9", "--recordings", "/proc/self", *QUIET])
    assert refused.returncode == 2
    for stderr in (done.stderr, refused.stderr):
        for line in stderr.splitlines():
            assert line.startswith("softphone: ") and not line.startswith("softphone: softphone")
    assert refused.stderr.splitlines() == [
        "softphone: --recordings: /proc/self is not writable by user "
        f"{getpass.getuser()}: no such file or directory; give a folder this "
        "account can write to"
    ]
