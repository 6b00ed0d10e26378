"""SRTP per account, over TLS, against the pjsua2 customer peer with and without SRTP.

The peer reports whether its negotiated audio stream is SRTP (RTP/SAVP) and records what it
hears, so each verdict comes from the other side of the call, not from the app's bookkeeping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.media.analysis import read_mono, tone_duration_s
from tests.integration.policies import Compliance
from tests.integration.securepolicy import add_account
from tests.integration.softphone_cli import Answering, Finished, StartPeer, run_softphone
from tests.integration.tlsca import Pki, make_pki

pytestmark = pytest.mark.integration

AGENT_HZ, CUSTOMER_HZ = 1000.0, 440.0


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _tls_peer(pki: Pki, srtp: str, *extra: str) -> list[str]:
    return ["--transport", "tls", "--cert", str(pki.server.cert), "--key", str(pki.server.key),
            "--srtp", srtp, *extra]  # fmt: skip


def _call(port: int, compliance: Compliance, *extra: str) -> Finished:
    return run_softphone(
        ["call", f"sip:customer@127.0.0.1:{port}", "--bind", "127.0.0.1:0", "--json",
         "--mic", f"tone:{AGENT_HZ:g}", "--speaker", "null", *compliance.args, *extra]
    )  # fmt: skip


def _srtp_seen(events: list[dict[str, object]]) -> list[object]:
    return [e["srtp"] for e in events if "srtp" in e]


@pytest.mark.parametrize(
    ("account", "peer"), [("mandatory", "mandatory"), ("optional", "optional")]
)
def test_an_srtp_call_to_an_srtp_peer_carries_audio(
    compliance: Compliance,
    pki: Pki,
    start_peer: StartPeer,
    tmp_path: Path,
    account: str,
    peer: str,
) -> None:
    add_account(compliance.policy, srtp=account, ca_file=pki.ca)
    heard = tmp_path / "peer.wav"
    customer = start_peer(*_tls_peer(pki, peer, "--record", str(heard)))
    done = _call(customer.port, compliance, "--hangup-after", "3.2")
    assert done.returncode == 0, done.stderr
    assert customer.finish() == 0
    assert _srtp_seen(customer.named("media")) == [True]
    samples, rate = read_mono(heard)
    assert tone_duration_s(samples, rate, AGENT_HZ) >= 1.5
    assert done.report["recording"] is not None


def test_an_optional_srtp_account_calls_a_peer_without_srtp(
    compliance: Compliance, pki: Pki, start_peer: StartPeer, tmp_path: Path
) -> None:
    add_account(compliance.policy, srtp="optional", ca_file=pki.ca)
    heard = tmp_path / "peer.wav"
    customer = start_peer(*_tls_peer(pki, "off", "--record", str(heard)))
    done = _call(customer.port, compliance, "--hangup-after", "3.2")
    assert done.returncode == 0, done.stderr
    assert customer.finish() == 0
    assert _srtp_seen(customer.named("media")) == [False]
    samples, rate = read_mono(heard)
    assert tone_duration_s(samples, rate, AGENT_HZ) >= 1.5


def test_an_srtp_mandatory_call_to_a_peer_without_srtp_fails_with_the_reason(
    compliance: Compliance, pki: Pki, start_peer: StartPeer
) -> None:
    add_account(compliance.policy, srtp="mandatory", ca_file=pki.ca)
    customer = start_peer(*_tls_peer(pki, "off"))
    done = _call(customer.port, compliance)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "softphone: call refused: SIP 488 Not Acceptable Here: the customer's side does not "
        'offer SRTP (encrypted audio), and this account requires it (srtp = "mandatory")'
    ]
    assert done.report["answered_at"] is None
    assert customer.named("media") == []  # no audio stream was ever set up
    assert compliance.recordings_made() == []


def test_an_srtp_mandatory_agent_takes_an_srtp_call_over_tls(
    compliance: Compliance, pki: Pki, start_peer: StartPeer, tmp_path: Path
) -> None:
    add_account(compliance.policy, srtp="mandatory", ca_file=pki.ca)
    heard = tmp_path / "peer.wav"
    options = ["--json", "--wait", "30", "--mic", f"tone:{AGENT_HZ:g}", "--speaker", "null",
               "--hangup-after", "3.2", "--tls-cert", str(pki.server.cert), "--tls-key",
               str(pki.server.key), *compliance.args]  # fmt: skip
    with Answering(options) as agent:
        customer = start_peer(
            "--transport", "tls", "--ca", str(pki.ca), "--srtp", "mandatory", "--call",
            f"sip:agent@127.0.0.1:{agent.port};transport=tls", "--record", str(heard),
        )  # fmt: skip
        done = agent.finish()
    assert done.returncode == 0, done.stderr
    assert customer.finish() == 0
    assert done.report["direction"] == "inbound"
    assert _srtp_seen(customer.named("media")) == [True]
    samples, rate = read_mono(heard)
    assert tone_duration_s(samples, rate, AGENT_HZ) >= 1.5


def test_an_srtp_mandatory_agent_refuses_a_call_without_srtp(
    compliance: Compliance, pki: Pki, start_peer: StartPeer
) -> None:
    add_account(compliance.policy, srtp="mandatory", ca_file=pki.ca)
    options = ["--json", "--wait", "6", "--mic", "silence", "--speaker", "null",
               "--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key),
               *compliance.args]  # fmt: skip
    with Answering(options) as agent:
        customer = start_peer(
            "--transport", "tls", "--ca", str(pki.ca), "--srtp", "off", "--call",
            f"sip:agent@127.0.0.1:{agent.port};transport=tls",
        )  # fmt: skip
        customer.wait_for("state", 15.0, state="disconnected", code=488)
        done = agent.finish()
    assert done.returncode == 1
    assert compliance.recordings_made() == []


def test_taking_tls_calls_directly_needs_a_certificate(compliance: Compliance, pki: Pki) -> None:
    add_account(compliance.policy, srtp="mandatory", ca_file=pki.ca)
    done = run_softphone(
        ["answer", "--listen", "127.0.0.1:0", "--wait", "1", "--mic", "silence", "--speaker",
         "null", *compliance.args]
    )  # fmt: skip
    assert done.returncode == 2
    assert "give --tls-cert and --tls-key" in done.stderr.strip().splitlines()[-1]
