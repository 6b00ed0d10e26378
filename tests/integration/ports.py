"""Free UDP ports on the loopback for test peers: a SIP port, or a block of adjacent RTP ports."""

from __future__ import annotations

import contextlib
import errno
import socket

__all__ = ["free_udp_port", "udp_port_in_use"]

_ATTEMPTS = 200


def free_udp_port(host: str = "127.0.0.1", span: int = 1) -> int:
    """Return a port P such that UDP ports P .. P+span-1 on ``host`` can all be bound right now.

    The ports are released before returning, so another process may still take them: callers that
    start a server on them should retry on a bind failure. ``span`` > 1 serves tools that bind
    adjacent ports (SIPp binds -mp and -mp+2, RTP/RTCP pairs use P and P+1).
    """
    if span < 1:
        raise ValueError(f"span must be at least 1, not {span}")
    for _ in range(_ATTEMPTS):
        with contextlib.ExitStack() as stack:
            first = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            first.bind((host, 0))
            base = int(first.getsockname()[1])
            if base + span - 1 > 65535:
                continue
            try:
                for offset in range(1, span):
                    other = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                    other.bind((host, base + offset))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            return base
    raise OSError(f"no block of {span} free UDP port(s) on {host} after {_ATTEMPTS} attempts")


def udp_port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True if some socket already holds UDP ``port`` on ``host`` (a bind attempt fails)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False
