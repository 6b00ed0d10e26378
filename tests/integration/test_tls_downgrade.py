"""Issue 14 item 4: a TLS account never falls back to plain SIP, neither calling nor called.

What test_tls.py proves already (and is not repeated here): a server on TLS 1.1 or without a
forward-secret cipher, and a certificate that is untrusted, for another name or expired, are
refused before any SIP is sent. Here: a destination that asks for UDP or TCP is refused before
anything is sent, and a TLS answerer has no plain-SIP socket an INVITE could reach.
"""

from __future__ import annotations

import socket

import pytest

from tests.integration.policies import Compliance
from tests.integration.securepolicy import add_account
from tests.integration.softphone_cli import Answering, StartPeer, run_softphone
from tests.integration.tlsca import Pki, make_pki

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.mark.parametrize("plain", ["udp", "tcp"])
def test_a_tls_account_refuses_to_call_over_plain_sip(
    compliance: Compliance, pki: Pki, start_peer: StartPeer, plain: str
) -> None:
    add_account(compliance.policy, srtp="off", ca_file=pki.ca)  # transport = "tls"
    peer = start_peer()  # listens on UDP and would take the call
    uri = f"sip:customer@127.0.0.1:{peer.port};transport={plain}"
    done = run_softphone(
        ["call", uri, "--bind", "127.0.0.1:0", "--mic", "silence", "--speaker", "null",
         "--hangup-after", "2", *compliance.args]
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().endswith("Unsuitable transport selected"), done.stderr
    assert peer.named("incoming") == []  # nothing was sent in clear text
    assert compliance.recordings_made() == []


def test_a_tls_answerer_takes_no_invite_over_udp(compliance: Compliance, pki: Pki) -> None:
    add_account(compliance.policy, srtp="off", ca_file=pki.ca)
    args = ["--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key), "--wait", "3",
            "--mic", "silence", "--speaker", "null", "--json", *compliance.args]  # fmt: skip
    with Answering(args) as agent:
        invite = _invite(agent.port).encode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            udp.settimeout(1.5)
            for _ in range(2):
                udp.sendto(invite, ("127.0.0.1", agent.port))
                with pytest.raises((TimeoutError, ConnectionRefusedError)):
                    udp.recvfrom(4096)  # no 100 Trying, no 200 OK: no UDP socket is listening
        done = agent.finish(timeout=30)
    assert done.returncode == 1, done.stderr  # the wait ended with no call
    assert "no call" in done.stderr.lower() or "nothing" in done.stderr.lower(), done.stderr
    assert compliance.recordings_made() == []


def _invite(port: int) -> str:
    body = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )
    return (
        f"INVITE sip:agent@127.0.0.1:{port} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-downgrade-1\r\n"
        "From: <sip:customer@127.0.0.1:5999>;tag=downgrade\r\n"
        f"To: <sip:agent@127.0.0.1:{port}>\r\n"
        "Call-ID: downgrade-1@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
        "Contact: <sip:customer@127.0.0.1:5999>\r\nMax-Forwards: 70\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    )


def test_the_policy_refuses_a_sips_registrar_over_plain_transport(compliance: Compliance) -> None:
    add_account(compliance.policy, registrar="sips:pbx.example.com", transport="tcp", srtp="off")
    done = run_softphone(["config", "check", str(compliance.policy)])
    assert done.returncode != 0
    assert 'expected "tls" because registrar is a sips: URI, got "tcp"' in done.stderr + done.stdout
