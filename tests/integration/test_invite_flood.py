"""An INVITE flood leaves the softphone alive and answering: refused calls cannot fill its sockets.

Each INVITE pjsua accepts gets an RTP and an RTCP socket before the app hears of it, and a
closed socket keeps its slot in the 64-slot ioqueue for half a second: refused at once, 32
INVITEs at 70/s or more filled it and the wheel's assertion aborted the process.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.integration.policies import Compliance
from tests.integration.refusedinvite import unserved_invite
from tests.integration.securepolicy import add_account
from tests.integration.softphone_cli import Answering, StartPeer

FLOOD_RATE = 200  # INVITEs a second
FLOOD_S = 5.0
SDP = (
    "v=0\r\no=mallory 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


def _flood(port: int) -> dict[int, int]:
    """Send FLOOD_RATE INVITEs a second for FLOOD_S; the final statuses that came back."""
    finals: dict[int, int] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        src = sock.getsockname()[1]
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    data = sock.recv(65535)
                except TimeoutError:
                    continue
                status = int(data.split(b" ", 2)[1])
                if status >= 200:
                    finals[status] = finals.get(status, 0) + 1

        reader = threading.Thread(target=read, name="flood-reader")
        reader.start()
        start = time.monotonic()
        total = int(FLOOD_RATE * FLOOD_S)
        for n in range(total):
            time.sleep(max(0.0, start + n / FLOOD_RATE - time.monotonic()))
            invite = unserved_invite(
                port, src, f"flood{n}", headers="Content-Type: application/sdp\r\n", body=SDP
            )
            sock.sendto(invite, ("127.0.0.1", port))
        time.sleep(2.0)  # the last refusals
        stop.set()
        reader.join()
    return finals


def test_an_invite_flood_leaves_the_phone_alive_and_answering(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    add_account(compliance.policy, user="agent", transport="udp", srtp="off")
    args = [*compliance.args, "--mic", "silence", "--speaker", "null", "--json"]
    args += ["--hangup-after", "2", "--wait", "60", "--answer-after", "0.5"]
    with Answering(args) as agent:
        finals = _flood(agent.port)
        assert agent.proc.poll() is None, f"the softphone died under the flood: {finals}"
        # Every INVITE was for a user this phone does not serve: refused, never answered.
        assert finals and set(finals) <= {404, 486, 503}, finals
        peer = start_peer("--call", f"sip:agent@127.0.0.1:{agent.port}")
        done = agent.finish()
    assert done.returncode == 0, done.stderr[-2000:]
    assert peer.finish() == 0
    assert done.report["answered_at"] is not None
    assert "sip:customer@" in done.report["remote_uri"]


def test_a_full_speed_invite_scan_leaves_the_phone_alive_and_answering(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    svwar = shutil.which("sipvicious_svwar", path=str(Path(sys.executable).parent))
    assert svwar is not None, "sipvicious is a test dependency: pip install -e '.[test]'"
    add_account(compliance.policy, user="agent", transport="udp", srtp="off")
    args = [*compliance.args, "--mic", "silence", "--speaker", "null", "--json"]
    args += ["--hangup-after", "2", "--wait", "90", "--answer-after", "0.5"]
    with Answering(args) as agent:
        command = [svwar, "-m", "INVITE", "-e", "100-999", "-p", str(agent.port)]
        scan = subprocess.run(
            [*command, "--maximumtime", "30", "--force", "127.0.0.1"],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert agent.proc.poll() is None, "the softphone died under the scan: " + scan.stdout
        peer = start_peer("--call", f"sip:agent@127.0.0.1:{agent.port}")
        done = agent.finish()
    assert done.returncode == 0, done.stderr[-2000:]
    assert peer.finish() == 0
    assert done.report["answered_at"] is not None
