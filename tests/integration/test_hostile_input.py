"""Malformed INVITEs and an INVITE scan leave the softphone up and able to take the next call."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

from tests.integration.policies import Compliance
from tests.integration.refusedinvite import unserved_invite
from tests.integration.securepolicy import add_account
from tests.integration.softphone_cli import Answering, StartPeer


def _malformed(port: int, src: int) -> list[bytes]:
    return [
        # SDP that is not SDP
        unserved_invite(
            port, src, "badsdp", headers="Content-Type: application/sdp\r\n", body="garbage"
        ),
        # a Content-Type far beyond any sane length
        unserved_invite(port, src, "hugect", headers=f"Content-Type: application/{'x' * 6000}\r\n"),
        # an offer without a media line
        unserved_invite(
            port,
            src,
            "nomedia",
            headers="Content-Type: application/sdp\r\n",
            body="v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
        ),
        # mandatory headers missing
        f"INVITE sip:support@127.0.0.1:{port} SIP/2.0\r\nContent-Length: 0\r\n\r\n".encode(),
        # not SIP at all
        bytes(range(256)) * 4,
    ]


def _final_statuses(sock: socket.socket) -> dict[str, int]:
    """Read responses until the line is quiet; the final status per Call-ID tag."""
    finals: dict[str, int] = {}
    while True:
        try:
            data = sock.recv(65535)
        except TimeoutError:
            return finals
        lines = data.decode(errors="replace").split("\r\n")
        status = int(lines[0].split()[1])
        call_id = next(x.split(":", 1)[1].strip() for x in lines if x.startswith("Call-ID:"))
        if status >= 200:
            finals[call_id.split("@")[0]] = status


def test_malformed_invites_and_a_scan_leave_the_phone_able_to_answer(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    svwar = shutil.which("sipvicious_svwar", path=str(Path(sys.executable).parent))
    assert svwar is not None, "sipvicious is a test dependency: pip install -e '.[test]'"
    # The policy's account says which user this phone serves: calls for any other are refused.
    add_account(compliance.policy, user="agent", transport="udp", srtp="off")
    with Answering(
        [
            *compliance.args,
            "--mic",
            "silence",
            "--speaker",
            "null",
            "--hangup-after",
            "2",
            "--json",
            "--wait",
            "60",
            "--answer-after",
            "0.5",
        ]
    ) as agent:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(0.5)
            src = sock.getsockname()[1]
            for message in _malformed(agent.port, src):
                sock.sendto(message, ("127.0.0.1", agent.port))
            finals = _final_statuses(sock)
        # Each parseable INVITE is refused with a final error; none is answered.
        assert finals == {"badsdp": 400, "hugect": 404, "nomedia": 400}, finals
        names = tmp_path / "extensions.txt"
        names.write_text("\n".join([*map(str, range(100, 141)), "admin", "agent", "test"]) + "\n")
        scan = subprocess.run(
            [
                svwar,
                "-m",
                "INVITE",
                "-d",
                str(names),
                "-p",
                str(agent.port),
                "--maximumtime",
                "20",
                "-t",
                "0.1",  # slow enough that a call slot is free when it reaches "agent"
                "--force",
                "127.0.0.1",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert "agent" in scan.stdout, scan.stdout + scan.stderr  # it rang, so it was found
        assert agent.proc.poll() is None, "the softphone died under the scan"
        peer = start_peer("--call", f"sip:agent@127.0.0.1:{agent.port}")
        done = agent.finish()
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert peer.finish() == 0
    report = done.report
    assert report["answered_at"] is not None
    assert "sip:customer@" in report["remote_uri"]
    # The scanner rang the phone and cancelled before the answer: a missed call, then the next.
    assert [m["status_code"] for m in report["missed"]] == [487]
