"""The pjsua2 objects for the settings in `security`: a `TlsConfig` and an account's SRTP use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import pjsua2 as pj

from softphone.sip.security import SrtpMode, TlsSettings, TlsSetupError, forward_secret_ciphers

# TLS 1.2 and anything newer the library has; never SSLv3, TLS 1.0 or 1.1.
TLS_PROTOCOLS: Final = pj.PJ_SSL_SOCK_PROTO_TLS1_2 | pj.PJ_SSL_SOCK_PROTO_TLS1_3

SRTP_USE: Final[Mapping[SrtpMode, int]] = MappingProxyType(
    {
        "off": pj.PJMEDIA_SRTP_DISABLED,
        "optional": pj.PJMEDIA_SRTP_OPTIONAL,
        "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
    }
)


def tls_config(settings: TlsSettings, available_ciphers: Iterable[int]) -> pj.TlsConfig:
    """A pjsua2 `TlsConfig`: verification, TLS 1.2 minimum and forward-secret ciphers only."""
    problems = settings.problems()
    if problems:
        raise TlsSetupError("; ".join(problems))
    ciphers = forward_secret_ciphers(available_ciphers)
    if not ciphers:
        raise TlsSetupError(
            "the TLS library offers none of the forward-secret cipher suites (ECDHE or DHE with "
            "AES-GCM): TLS cannot be used safely with it"
        )
    cfg = pj.TlsConfig()
    if settings.loads_ca_list:
        cfg.CaListFile = str(settings.ca_list)
    if settings.cert_file is not None and settings.key_file is not None:
        cfg.certFile = str(settings.cert_file)
        cfg.privKeyFile = str(settings.key_file)
    cfg.verifyServer = settings.verify_server
    cfg.verifyClient = settings.verify_client
    cfg.requireClientCert = settings.verify_client
    cfg.method = pj.PJSIP_TLSV1_2_METHOD  # ignored by pjsip when `proto` is set; kept to agree
    cfg.proto = TLS_PROTOCOLS
    chosen = pj.IntVector()
    for cipher in ciphers:
        chosen.append(cipher)
    cfg.ciphers = chosen
    cfg.enableRenegotiation = False
    return cfg


def apply_srtp(cfg: pj.AccountConfig, mode: SrtpMode) -> None:
    """Set the account's SRTP use; mandatory SRTP also requires TLS on the first hop."""
    cfg.mediaConfig.srtpUse = SRTP_USE[mode]
    # 1: SDES keys only over a secure (TLS) first hop. The policy refuses mandatory SRTP
    # without TLS; this makes pjsua refuse it too rather than send keys in clear text.
    cfg.mediaConfig.srtpSecureSignaling = 1 if mode == "mandatory" else 0
