"""Bad input on the command line: one clear line naming the cause, a non-zero exit, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.integration.softphone_cli import StartPeer, run_softphone

BASE = ["--bind", "127.0.0.1:0", "--speaker", "null"]


def _one_clear_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.strip().splitlines() if line]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["call", "customer@127.0.0.1", "--mic", "silence"], "invalid destination"),
        (["call", "sip:x@127.0.0.1", "--mic", "/nonexistent/hello.wav"], "file not found"),
        (["call", "sip:x@127.0.0.1", "--mic", "tone:abc"], "is not a number"),
        (["call", "sip:x@nonexistent.invalid", "--mic", "silence"], "cannot be resolved"),
    ],
)
def test_bad_call_arguments(args: list[str], expected: str) -> None:
    done = run_softphone([*args, *BASE], timeout=30)
    assert done.returncode == 2
    line = _one_clear_line(done.stderr)
    assert line.startswith("softphone: ") and expected in line, line


def test_a_file_that_is_not_audio_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "greeting.wav"
    fake.write_text("this is not audio")
    done = run_softphone(["call", "sip:x@127.0.0.1", "--mic", str(fake), *BASE])
    assert done.returncode == 2
    assert "not a readable audio file" in _one_clear_line(done.stderr)


def test_a_busy_port_is_named() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        done = run_softphone(
            ["answer", "--listen", f"127.0.0.1:{port}", "--mic", "silence", "--speaker", "null"]
        )
    assert done.returncode == 2
    line = _one_clear_line(done.stderr)
    assert f"127.0.0.1:{port}" in line and "already in use" in line, line


def test_an_unanswered_call_gives_up_with_a_reason() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # a port that receives the INVITE and never answers
        port = silent.getsockname()[1]
        done = run_softphone(
            ["call", f"sip:x@127.0.0.1:{port}", "--mic", "silence", "--ring-timeout", "1", *BASE]
        )
    assert done.returncode == 1
    assert "no answer within 1 s" in _one_clear_line(done.stderr)


def test_a_server_error_is_reported_with_its_status(start_peer: StartPeer) -> None:
    peer = start_peer("--reject", "503")
    done = run_softphone(["call", f"sip:c@127.0.0.1:{peer.port}", "--mic", "silence", *BASE])
    assert done.returncode == 1
    assert _one_clear_line(done.stderr) == "softphone: call refused: SIP 503 Service Unavailable"
