"""TLS and SRTP settings in the app's own words; pure Python, so tests can use it without pjsua2.

TLS: server verification is on unless the caller turns it off, TLS 1.2 is the minimum (the
wheel's OpenSSL 1.0.2 has nothing newer) and only forward-secret AEAD cipher suites are offered:
ECDHE or DHE key exchange with AES-GCM (or ChaCha20, or TLS 1.3 suites, where the library has
them). SRTP (SDES keys) is off, optional or mandatory per account. `tlsconfig` turns these into
pjsua2 objects.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

SrtpMode = Literal["off", "optional", "mandatory"]
SRTP_MODES: Final[tuple[SrtpMode, ...]] = ("off", "optional", "mandatory")

# The system's trusted CAs as one PEM file: Debian/Ubuntu, then Fedora/RHEL, then BSD/macOS.
_CA_BUNDLES = (
    Path("/etc/ssl/certs/ca-certificates.crt"),
    Path("/etc/pki/tls/certs/ca-bundle.crt"),
    Path("/etc/ssl/cert.pem"),
)
SYSTEM_CA_BUNDLE: Final = next((p for p in _CA_BUNDLES if p.is_file()), _CA_BUNDLES[0])
# A listening endpoint sends every trusted CA's name in its handshake; measured with pjsip
# 2.15.1 on OpenSSL 1.0.2k: 50 typical CA names (7 KB) worked, 60 stalled the handshake.
MAX_CAS_WHEN_LISTENING: Final = 40

# IANA cipher suite id -> OpenSSL name, in order of preference. Each has forward secrecy
# (ephemeral ECDHE/DHE keys, or TLS 1.3) and authenticated encryption (GCM or Poly1305).
FORWARD_SECRET_CIPHERS: Final[Mapping[int, str]] = MappingProxyType(
    {
        0x1302: "TLS_AES_256_GCM_SHA384",
        0x1303: "TLS_CHACHA20_POLY1305_SHA256",
        0x1301: "TLS_AES_128_GCM_SHA256",
        0xC02C: "ECDHE-ECDSA-AES256-GCM-SHA384",
        0xC030: "ECDHE-RSA-AES256-GCM-SHA384",
        0xCCA9: "ECDHE-ECDSA-CHACHA20-POLY1305",
        0xCCA8: "ECDHE-RSA-CHACHA20-POLY1305",
        0xC02B: "ECDHE-ECDSA-AES128-GCM-SHA256",
        0xC02F: "ECDHE-RSA-AES128-GCM-SHA256",
        0x009F: "DHE-RSA-AES256-GCM-SHA384",
        0xCCAA: "DHE-RSA-CHACHA20-POLY1305",
        0x009E: "DHE-RSA-AES128-GCM-SHA256",
    }
)


class CertProblem(enum.IntFlag):
    """Why a certificate failed verification: pjlib's `pj_ssl_cert_verify_flag_t` bits."""

    ISSUER_NOT_FOUND = 1 << 0
    UNTRUSTED = 1 << 1
    VALIDITY_PERIOD = 1 << 2
    INVALID_FORMAT = 1 << 3
    INVALID_PURPOSE = 1 << 4
    ISSUER_MISMATCH = 1 << 5
    CRL_FAILURE = 1 << 6
    REVOKED = 1 << 7
    CHAIN_TOO_LONG = 1 << 8
    WEAK_SIGNATURE = 1 << 9
    IDENTITY_NOT_MATCH = 1 << 30
    UNKNOWN = 1 << 31


UNTRUSTED: Final = (
    CertProblem.ISSUER_NOT_FOUND
    | CertProblem.UNTRUSTED
    | CertProblem.ISSUER_MISMATCH
    | CertProblem.CHAIN_TOO_LONG
)


class TlsSetupError(ValueError):
    """The TLS settings cannot work (a missing CA or certificate file); the message says which."""


@dataclass(frozen=True)
class TlsSettings:
    """How this endpoint speaks TLS: whom it trusts, and its own certificate if it has one.

    `ca_file` None means the system's trusted CAs. `verify_server` False is for an admin's
    explicit, acknowledged choice only. `cert_file`/`key_file` are needed to accept TLS
    connections (to listen) and serve as the client certificate otherwise.
    """

    ca_file: Path | None = None
    verify_server: bool = True
    cert_file: Path | None = None
    key_file: Path | None = None
    verify_client: bool = False

    @property
    def ca_list(self) -> Path:
        """The PEM file of trusted CA certificates actually used."""
        return self.ca_file or SYSTEM_CA_BUNDLE

    @property
    def loads_ca_list(self) -> bool:
        """Whether the CA list is loaded at all (not for a peer that verifies nobody)."""
        return self.verify_server or self.verify_client or self.ca_file is not None

    def problems(self) -> list[str]:
        """Why these settings cannot work, in words an admin can act on; empty when they can."""
        found: list[str] = []
        where = "security.ca_file" if self.ca_file else "the system's CA bundle"
        if self.loads_ca_list:
            found += _file_problem(self.ca_list, f"the trusted CA file ({where})")
            if found and self.ca_file is None:
                found[-1] += "; set security.ca_file to the CA certificate(s) of your SIP server"
            if self.cert_file is not None and not found:
                found += _listening_ca_problem(self.ca_list, where)
        if (self.cert_file is None) != (self.key_file is None):
            found.append("a TLS certificate needs its private key, and a key its certificate")
        if self.cert_file is not None:
            found += _file_problem(self.cert_file, "the TLS certificate")
        if self.key_file is not None:
            found += _file_problem(self.key_file, "the TLS private key")
        return found


def _listening_ca_problem(ca_list: Path, where: str) -> list[str]:
    """A TLS server sends the names of all its trusted CAs; too many stall this library."""
    try:
        count = ca_list.read_bytes().count(b"-----BEGIN CERTIFICATE-----")
    except OSError as exc:
        return [f"the trusted CA file {ca_list} cannot be read: {exc.strerror}"]
    if count <= MAX_CAS_WHEN_LISTENING:
        return []
    return [
        f"to take calls over TLS, the trusted CA file ({where}, {ca_list}) may hold at most "
        f"{MAX_CAS_WHEN_LISTENING} certificates, not {count}: a TLS server sends the names of "
        "all of them in its handshake, and pjsip's TLS stalls when that grows past about 8 KB; "
        "set security.ca_file to a file with only the CAs your PBX and callers use"
    ]


def _file_problem(path: Path, what: str) -> list[str]:
    if not path.is_file():
        return [f"{what} {path} does not exist or is not a file"]
    if not os.access(path, os.R_OK):
        return [f"{what} {path} is not readable by this user"]
    return []


def forward_secret_ciphers(available: Iterable[int]) -> list[int]:
    """The forward-secret suites the TLS library has, in order of preference."""
    have = set(available)
    return [cipher for cipher in FORWARD_SECRET_CIPHERS if cipher in have]


def transport_uri(uri: str, transport: str) -> str:
    """`uri` with `;transport=` set for a TCP or TLS account, unless the URI already says how.

    A `sips:` URI always means TLS; a `sip:` URI without a transport parameter would go by UDP.
    """
    if transport == "udp" or uri.lower().startswith("sips:"):
        return uri
    head, sep, headers = uri.partition("?")
    if ";transport=" in head.lower():
        return uri
    return f"{head};transport={transport}{sep}{headers}"
