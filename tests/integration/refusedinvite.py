"""An INVITE for a user the phone under test does not serve, which it must refuse (tests)."""

from __future__ import annotations


def unserved_invite(port: int, src: int, tag: str, *, headers: str = "", body: str = "") -> bytes:
    """An INVITE to `support` at `port` from `src`, with `headers` and `body` added.

    Addressed to a user the phone does not serve, so it must be refused (after the callback,
    never inside it: a final response from onIncomingCall can abort the process).
    """
    text = (
        f"INVITE sip:support@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{src};branch=z9hG4bK-{tag}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:mallory@127.0.0.1:{src}>;tag={tag}\r\n"
        f"To: <sip:support@127.0.0.1:{port}>\r\n"
        f"Call-ID: {tag}@127.0.0.1\r\n"
        "CSeq: 1 INVITE\r\n"
        f"Contact: <sip:mallory@127.0.0.1:{src}>\r\n"
        f"{headers}"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    )
    return text.encode()
