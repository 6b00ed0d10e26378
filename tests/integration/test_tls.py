"""SIP over TLS against real servers on 127.0.0.1: a registrar and a customer peer, with a test CA.

What is proven: registration and calls work over TLS 1.2 with a forward-secret cipher when the
server's certificate is signed by the CA in security.ca_file; a server the CA did not sign, a
certificate for another name, a server stuck on TLS 1.1 and a server without forward-secret
ciphers are all refused before any SIP message is sent, each with one line naming the cause.
"""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.media.analysis import read_mono, tone_duration_s
from softphone.sip.security import FORWARD_SECRET_CIPHERS
from tests.integration.policies import Compliance
from tests.integration.securepolicy import add_account, delete_password, set_password
from tests.integration.softphone_cli import REPO, Finished, StartPeer, child_env, run_softphone
from tests.integration.tlsca import Issued, Pki, make_pki
from tests.integration.tlsserver import TlsRegistrar, server_context

pytestmark = pytest.mark.integration

PASSWORD = "Tls-Registr4r-Secret"
AGENT_HZ = 1000.0


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def office(compliance: Compliance) -> Iterator[str]:
    """The account name whose password the test stores; removed from the keyring afterwards."""
    yield "office"
    delete_password("office")


def _register(compliance: Compliance, *extra: str) -> Finished:
    return run_softphone(
        ["register", "--account", "office", "--bind", "127.0.0.1:0", "--timeout", "10",
         "--json", *compliance.args, *extra]
    )  # fmt: skip


def _only_line(done: Finished) -> str:
    """The one line the failure printed (nothing else may be printed on stderr)."""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _registered_account(
    compliance: Compliance, pki: Pki, registrar: TlsRegistrar, **options: str
) -> None:
    add_account(compliance.policy, registrar=registrar.uri(), ca_file=pki.ca, **options)
    set_password(compliance.policy, "office", PASSWORD)


def test_registers_over_tls_1_2_with_a_forward_secret_cipher(
    compliance: Compliance, pki: Pki, office: str
) -> None:
    context = server_context(pki.server)
    with TlsRegistrar(context, user="agent", password=PASSWORD) as registrar:
        _registered_account(compliance, pki, registrar)
        done = _register(compliance)
    assert done.returncode == 0, done.stderr
    report = done.report
    assert report["registered"] is True and report["unregistered"] is True
    assert report["account"] == "office" and report["transport"] == "tls"
    assert registrar.bindings.challenged >= 1 and registrar.bindings.registered == 1
    assert registrar.bindings.unregistered == 1
    handshakes = [h for h in registrar.handshakes if h.ok]
    assert handshakes, registrar.handshakes
    assert {h.version for h in handshakes} == {"TLSv1.2"}
    assert {h.cipher for h in handshakes} <= set(FORWARD_SECRET_CIPHERS.values())
    first = registrar.requests[0]
    assert first.line.startswith(f"REGISTER {registrar.uri()} SIP/2.0"), first.line
    assert ";transport=tls" in (first.header("contact") or "").lower()
    authorization = next(r.header("authorization") for r in registrar.requests[1:2])
    assert authorization is not None and 'username="agent"' in authorization
    assert PASSWORD not in registrar.received_text()
    assert PASSWORD not in done.stdout + done.stderr


def test_registers_through_the_outbound_proxy(
    compliance: Compliance, pki: Pki, office: str
) -> None:
    context = server_context(pki.server)
    with TlsRegistrar(context, user="agent", password=PASSWORD) as proxy:
        add_account(
            compliance.policy,
            registrar="sips:pbx.example.com",
            outbound_proxy=proxy.uri(),
            ca_file=pki.ca,
        )
        set_password(compliance.policy, "office", PASSWORD)
        done = _register(compliance)
    assert done.returncode == 0, done.stderr
    first = proxy.requests[0]
    assert first.line == "REGISTER sips:pbx.example.com SIP/2.0", first.line
    route = first.header("route") or ""
    assert f"127.0.0.1:{proxy.port}" in route and ";lr" in route, route
    assert "pbx.example.com" in (first.header("to") or "")


@pytest.mark.parametrize(
    ("certificate", "expected"),
    [
        ("rogue", "is not trusted: it is not signed by a CA in security.ca_file"),
        ("wrong_name", "is for another name"),
        ("expired", "has expired or is not valid yet"),
    ],
)
def test_a_server_certificate_that_fails_verification_is_refused(
    compliance: Compliance, pki: Pki, office: str, certificate: str, expected: str
) -> None:
    cert: Issued = getattr(pki, certificate)
    with TlsRegistrar(server_context(cert), user="agent", password=PASSWORD) as registrar:
        _registered_account(compliance, pki, registrar)
        done = _register(compliance)
    assert done.returncode == 1, done.stderr
    line = _only_line(done)
    assert line.startswith(
        f"softphone: registration of account office at {registrar.uri()} failed: "
        f"the server's certificate (127.0.0.1:{registrar.port}) {expected}"
    ), line
    assert registrar.requests == []  # nothing was sent over the refused connection


@pytest.mark.parametrize(
    ("weakness", "options"),
    [
        ("TLS 1.1 at most", {"max_version": ssl.TLSVersion.TLSv1_1}),
        ("no forward secrecy", {"ciphers": "AES256-GCM-SHA384:AES128-GCM-SHA256"}),
    ],
)
def test_a_weak_tls_server_is_refused(
    compliance: Compliance, pki: Pki, office: str, weakness: str, options: dict[str, object]
) -> None:
    context = server_context(pki.server, **options)  # type: ignore[arg-type]
    with TlsRegistrar(context, user="agent", password=PASSWORD) as registrar:
        _registered_account(compliance, pki, registrar)
        done = _register(compliance)
    assert done.returncode == 1, f"{weakness}: {done.stderr}"
    line = _only_line(done)
    assert f"registration of account office at {registrar.uri()} failed: the TLS handshake" in line
    assert "TLS 1.2 or newer with a forward-secret cipher" in line, line
    assert registrar.requests == []
    assert registrar.handshakes and not any(h.ok for h in registrar.handshakes)


def test_a_wrong_password_fails_registration_and_the_call(
    compliance: Compliance, pki: Pki, office: str
) -> None:
    with TlsRegistrar(server_context(pki.server), user="agent", password="other") as registrar:
        _registered_account(compliance, pki, registrar)
        registered = _register(compliance)
        called = run_softphone(
            ["call", "sip:customer@127.0.0.1:9", "--bind", "127.0.0.1:0", "--mic", "silence",
             "--speaker", "null", *compliance.args]
        )  # fmt: skip
    where = f"registration of account office at {registrar.uri()} failed"
    assert registered.returncode == 1
    assert _only_line(registered) == f"softphone: {where}: SIP 403 Forbidden"
    assert called.returncode == 1
    assert _only_line(called) == f"softphone: {where}: SIP 403 Forbidden"
    assert compliance.recordings_made() == []


def test_a_missing_password_is_named(compliance: Compliance, pki: Pki) -> None:
    add_account(compliance.policy, name="nopw", registrar="sips:127.0.0.1:9", ca_file=pki.ca)
    done = run_softphone(["register", "--account", "nopw", *compliance.args])
    assert done.returncode == 2
    assert _only_line(done).startswith("softphone: no SIP password is stored for account nopw")


def test_call_over_tls_carries_audio(
    compliance: Compliance, pki: Pki, start_peer: StartPeer, tmp_path: Path
) -> None:
    add_account(compliance.policy, srtp="off", ca_file=pki.ca)
    heard = tmp_path / "peer.wav"
    peer = start_peer("--transport", "tls", "--cert", str(pki.server.cert), "--key",
                      str(pki.server.key), "--record", str(heard))  # fmt: skip
    done = run_softphone(
        ["call", f"sip:customer@127.0.0.1:{peer.port}", "--bind", "127.0.0.1:0", "--json",
         "--mic", f"tone:{AGENT_HZ:g}", "--speaker", "null", "--hangup-after", "3.2",
         *compliance.args]
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert peer.finish() == 0
    assert done.report["remote_uri"].endswith(";transport=tls")
    assert [e["srtp"] for e in peer.named("media") if "srtp" in e] == [False]
    samples, rate = read_mono(heard)
    assert tone_duration_s(samples, rate, AGENT_HZ) >= 1.5  # after the 1.2 s disclosure


def test_call_to_an_untrusted_peer_is_refused(
    compliance: Compliance, pki: Pki, start_peer: StartPeer
) -> None:
    add_account(compliance.policy, srtp="off", ca_file=pki.ca)
    peer = start_peer("--transport", "tls", "--cert", str(pki.rogue.cert), "--key",
                      str(pki.rogue.key))  # fmt: skip
    done = run_softphone(
        ["call", f"sip:customer@127.0.0.1:{peer.port}", "--bind", "127.0.0.1:0", "--mic",
         "silence", "--speaker", "null", *compliance.args]
    )  # fmt: skip
    assert done.returncode == 1
    assert _only_line(done).startswith(
        f"softphone: call failed: the server's certificate (127.0.0.1:{peer.port}) is not "
        f"trusted: it is not signed by a CA in security.ca_file {pki.ca}; check security.ca_file"
    ), done.stderr
    assert peer.named("incoming") == []
    assert compliance.recordings_made() == []


def test_engine_constants_match_the_wheel() -> None:
    """The pure-Python TLS tables agree with what pjsua2 itself reports (in a child process)."""
    probe = """
import pjsua2 as pj
from softphone.sip.security import CertProblem, forward_secret_ciphers
from softphone.sip.engine import EngineConfig, SipEngine
for flag in CertProblem:
    assert getattr(pj, "PJ_SSL_CERT_E" + str(flag.name)) & 0xFFFFFFFF == flag.value, flag
engine = SipEngine(EngineConfig())
engine.start()
ciphers = forward_secret_ciphers(engine.endpoint.utilSslGetAvailableCiphers())
engine.stop()
print(",".join(hex(c) for c in ciphers))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO,
        env=child_env(), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    offered = done.stdout.strip().split(",")
    assert "0xc02f" in offered and "0xc030" in offered, offered  # ECDHE-RSA with AES-GCM
