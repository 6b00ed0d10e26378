"""TLS and SRTP settings and failure messages, without pjsua2: the pure half of the SIP security."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from softphone.sip.security import (
    FORWARD_SECRET_CIPHERS,
    MAX_CAS_WHEN_LISTENING,
    SYSTEM_CA_BUNDLE,
    CertProblem,
    TlsSettings,
    forward_secret_ciphers,
    transport_uri,
)
from softphone.sip.securityerrors import (
    TlsFailure,
    describe_tls_failure,
    explain_failure,
    looks_like_tls_failure,
    plain_reason,
)

PEM_BLOCK = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_these_tests_run_without_pjsua2() -> None:
    # In a fresh interpreter: other unit tests in this process may import the CLI, which does.
    probe = (
        "import sys, softphone.sip.security, softphone.sip.securityerrors; "
        "print('pjsua2' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


# --- ciphers ----------------------------------------------------------------------------------


def _openssl_suites() -> dict[int, Mapping[str, object]]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return {int(c["id"]) & 0xFFFF: c for c in ctx.get_ciphers()}


def test_every_suite_is_named_as_openssl_names_its_id() -> None:
    suites = _openssl_suites()
    known = [cid for cid in FORWARD_SECRET_CIPHERS if cid in suites]
    assert len(known) >= 9, "the system OpenSSL should know nearly all of them"
    for cid in known:
        assert suites[cid]["name"] == FORWARD_SECRET_CIPHERS[cid], hex(cid)


def test_every_suite_is_forward_secret_with_authenticated_encryption() -> None:
    for cid, suite in _openssl_suites().items():
        if cid not in FORWARD_SECRET_CIPHERS:
            continue
        assert suite["aead"] is True, suite["name"]
        tls13 = suite["protocol"] == "TLSv1.3"  # TLS 1.3 key exchange is always ephemeral
        assert tls13 or suite["kea"] in ("kx-ecdhe", "kx-dhe"), suite["name"]


def test_only_the_library_s_forward_secret_suites_are_chosen_in_order() -> None:
    available = [0x0035, 0x009E, 0xC030, 0x000A, 0xC02F, 0x009C]  # RSA-AES, 3DES mixed in
    assert forward_secret_ciphers(available) == [0xC030, 0xC02F, 0x009E]
    assert forward_secret_ciphers([0x0035, 0x002F]) == []


# --- URIs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "transport", "expected"),
    [
        ("sip:c@127.0.0.1:5061", "tls", "sip:c@127.0.0.1:5061;transport=tls"),
        ("sip:c@host;user=phone", "tcp", "sip:c@host;user=phone;transport=tcp"),
        ("sip:c@host?Subject=x", "tls", "sip:c@host;transport=tls?Subject=x"),
        ("sip:c@host;Transport=TLS", "tls", "sip:c@host;Transport=TLS"),
        ("sips:c@host", "tls", "sips:c@host"),
        ("sip:c@host", "udp", "sip:c@host"),
    ],
)
def test_a_uri_goes_over_the_account_s_transport(uri: str, transport: str, expected: str) -> None:
    assert transport_uri(uri, transport) == expected


# --- settings ---------------------------------------------------------------------------------


def _ca(tmp_path: Path, count: int = 1) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text(PEM_BLOCK * count)
    return path


def test_verification_is_on_by_default_with_the_system_cas() -> None:
    settings = TlsSettings()
    assert settings.verify_server and settings.loads_ca_list
    assert settings.ca_list == SYSTEM_CA_BUNDLE


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    problems = TlsSettings(ca_file=tmp_path / "nope.pem").problems()
    assert problems == [
        f"the trusted CA file (security.ca_file) {tmp_path / 'nope.pem'} does not exist or is "
        "not a file"
    ]


def test_a_peer_that_verifies_nobody_needs_no_ca_file(tmp_path: Path) -> None:
    settings = TlsSettings(verify_server=False)
    assert not settings.loads_ca_list and settings.problems() == []


def test_a_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = _ca(tmp_path)
    problems = TlsSettings(ca_file=cert, cert_file=cert).problems()
    assert problems == ["a TLS certificate needs its private key, and a key its certificate"]


def test_listening_with_too_many_trusted_cas_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("key")
    many = _ca(tmp_path, MAX_CAS_WHEN_LISTENING + 1)
    problems = TlsSettings(ca_file=many, cert_file=many, key_file=key).problems()
    assert len(problems) == 1 and "may hold at most 40 certificates, not 41" in problems[0]
    few = _ca(tmp_path, MAX_CAS_WHEN_LISTENING)
    assert TlsSettings(ca_file=few, cert_file=few, key_file=key).problems() == []
    assert TlsSettings(ca_file=many).problems() == []  # a client sends no CA names


# --- failures ---------------------------------------------------------------------------------


def _failure(status: CertProblem | int = 0, **kw: object) -> TlsFailure:
    return TlsFailure(seq=1, remote="127.0.0.1:5061", verify_status=int(status), **kw)  # type: ignore[arg-type]


def test_an_untrusted_certificate_names_the_ca_file() -> None:
    settings = TlsSettings(ca_file=Path("/etc/softphone/ca.pem"))
    text = describe_tls_failure(_failure(CertProblem.UNTRUSTED), settings)
    assert text == (
        "the server's certificate (127.0.0.1:5061) is not trusted: it is not signed by a CA in "
        "security.ca_file /etc/softphone/ca.pem; check security.ca_file"
    )
    system = describe_tls_failure(_failure(CertProblem.ISSUER_NOT_FOUND), TlsSettings())
    assert f"the system's CA bundle {SYSTEM_CA_BUNDLE}" in system


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (CertProblem.IDENTITY_NOT_MATCH, "is for another name"),
        (CertProblem.VALIDITY_PERIOD, "has expired or is not valid yet"),
        (CertProblem.REVOKED, "has been revoked"),
        (CertProblem.WEAK_SIGNATURE, "was refused"),
        (-(2**31), "was refused"),  # PJ_SSL_CERT_EUNKNOWN as pjsua2 reports it (a signed int)
    ],
)
def test_each_certificate_problem_has_its_own_words(status: int, words: str) -> None:
    text = describe_tls_failure(_failure(status), TlsSettings())
    assert text.startswith(f"the server's certificate (127.0.0.1:5061) {words}"), text


def test_a_handshake_failure_says_what_the_server_must_offer() -> None:
    failure = _failure(0, error="unsupported protocol")
    assert describe_tls_failure(failure, TlsSettings()) == (
        "the TLS handshake with the server (127.0.0.1:5061) failed (unsupported protocol): the "
        "server must offer TLS 1.2 or newer with a forward-secret cipher (ECDHE or DHE with "
        "AES-GCM)"
    )


def test_no_connection_at_all_is_not_blamed_on_tls() -> None:
    failure = _failure(0, error="Connection refused", connect_error=True)
    assert describe_tls_failure(failure, TlsSettings()) == (
        "cannot connect to the server (127.0.0.1:5061) over TLS: Connection refused"
    )


def test_a_failure_is_explained_only_when_tls_or_srtp_caused_it() -> None:
    tls = TlsSettings()
    refused = _failure(CertProblem.UNTRUSTED)
    explain = explain_failure
    assert "not trusted" in (explain(503, "x", tls_failure=refused, tls=tls, srtp="off") or "")
    assert explain(503, "x", tls_failure=refused, tls=None, srtp="off") is None  # not a TLS account
    assert explain(403, "Forbidden", tls_failure=refused, tls=tls, srtp="off") is None
    assert explain(486, "Busy Here", tls_failure=None, tls=tls, srtp="mandatory") is None
    srtp = explain(488, "Not Acceptable Here", tls_failure=None, tls=tls, srtp="mandatory")
    assert srtp is not None and "does not offer SRTP" in srtp
    assert explain(488, "Not Acceptable Here", tls_failure=None, tls=tls, srtp="optional") is None
    by_reason = explain(
        503, "SSL certificate verification error (PJSIP_TLS_ECERTVERIF)", tls_failure=None,
        tls=tls, srtp="off",
    )  # fmt: skip
    assert by_reason == (
        "the server's certificate was refused (SSL certificate verification error); check "
        "security.ca_file"
    )
    handshake = explain(503, "unsupported protocol", tls_failure=None, tls=tls, srtp="off")
    assert handshake is not None and handshake.startswith("the TLS handshake with the server")


def test_tls_failures_are_recognised_by_status_and_reason() -> None:
    assert looks_like_tls_failure(503, "sslv3 alert handshake failure")
    assert not looks_like_tls_failure(503, "Service Unavailable")
    assert not looks_like_tls_failure(488, "TLS")


def test_pjsip_error_names_are_dropped() -> None:
    assert plain_reason("End of file (PJ_EEOF)") == "End of file"
    assert plain_reason("Forbidden") == "Forbidden"
