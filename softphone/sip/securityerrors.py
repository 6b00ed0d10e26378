"""Why a TLS connection or an SRTP call failed, as one line an agent or an admin can act on."""

from __future__ import annotations

from dataclasses import dataclass

from softphone.sip.security import SYSTEM_CA_BUNDLE, UNTRUSTED, CertProblem, SrtpMode, TlsSettings

# SIP statuses pjsip gives a request whose TLS connection failed (503 mostly, 408 on timeout).
_TRANSPORT_STATUSES = (0, 408, 502, 503)


@dataclass(frozen=True)
class TlsFailure:
    """A TLS connection that failed or was refused: what pjsip reported, copied in a callback.

    `seq` is the engine's event sequence number when it was noted; `connect_error` is true when
    there was no TCP connection at all (refused, unreachable), so TLS never started.
    """

    seq: int
    remote: str
    verify_status: int
    verify_messages: tuple[str, ...] = ()
    error: str = ""
    connect_error: bool = False


def describe_tls_failure(failure: TlsFailure, settings: TlsSettings) -> str:
    """One clear line naming the cause of a TLS failure and what to check."""
    status = CertProblem(failure.verify_status & 0xFFFFFFFF)
    remote = f" ({failure.remote})" if failure.remote else ""
    detail = "; ".join(m for m in failure.verify_messages if m and m != "OK")
    detail = f" ({detail})" if detail else ""
    if status & UNTRUSTED:
        source = (
            f"security.ca_file {settings.ca_file}"
            if settings.ca_file
            else f"the system's CA bundle {SYSTEM_CA_BUNDLE}"
        )
        return (
            f"the server's certificate{remote} is not trusted: it is not signed by a CA in "
            f"{source}; check security.ca_file"
        )
    if status & CertProblem.IDENTITY_NOT_MATCH:
        return (
            f"the server's certificate{remote} is for another name{detail}: put a name or "
            "address the certificate lists in the SIP URI, or have the server's certificate "
            "name the one in the URI"
        )
    if status & CertProblem.VALIDITY_PERIOD:
        return (
            f"the server's certificate{remote} has expired or is not valid yet: renew it on the "
            "server, and check this computer's clock"
        )
    if status & CertProblem.REVOKED:
        return f"the server's certificate{remote} has been revoked"
    if status:
        return f"the server's certificate{remote} was refused{detail}; check security.ca_file"
    cause = plain_reason(failure.error) or "the connection failed"
    if failure.connect_error:
        return f"cannot connect to the server{remote} over TLS: {cause}"
    return (
        f"the TLS handshake with the server{remote} failed ({cause}): the server must offer "
        "TLS 1.2 or newer with a forward-secret cipher (ECDHE or DHE with AES-GCM)"
    )


def looks_like_tls_failure(status_code: int, reason: str) -> bool:
    """Whether a SIP failure status and reason come from a failed TLS connection."""
    text = reason.lower()
    words = ("ssl", "tls", "handshake", "certificate", "unsupported protocol")
    return status_code in _TRANSPORT_STATUSES and any(w in text for w in words)


def explain_failure(
    status_code: int,
    reason: str,
    *,
    tls_failure: TlsFailure | None,
    tls: TlsSettings | None,
    srtp: SrtpMode,
) -> str | None:
    """Why a registration or call failed, when TLS or SRTP is the cause; None otherwise.

    `tls` is None for an account that does not use TLS; `tls_failure` the latest failed TLS
    connection of the engine, if any.
    """
    if tls is not None and tls_failure is not None and status_code in _TRANSPORT_STATUSES:
        return describe_tls_failure(tls_failure, tls)
    if tls is not None and looks_like_tls_failure(status_code, reason):
        if "certificate" in reason.lower():  # refused, but the callback saw no details
            refused = TlsFailure(0, "", CertProblem.UNKNOWN, (plain_reason(reason),))
            return describe_tls_failure(refused, tls)
        return describe_tls_failure(TlsFailure(0, "", 0, error=reason), tls)
    if status_code == 488 and srtp == "mandatory":
        return (
            "the customer's side does not offer SRTP (encrypted audio), and this account "
            'requires it (srtp = "mandatory")'
        )
    return None


def plain_reason(reason: str) -> str:
    """pjsip's reason text without its internal error name: "End of file (PJ_EEOF)"."""
    if "(PJ" in reason and reason.endswith(")"):
        return reason[: reason.rfind("(PJ")].rstrip()
    return reason
