"""A lossy, jittery path between the softphone and a SIPp peer: a user-space UDP relay.

This kernel has no `netem`, so the relay stands in the middle of the call instead. The
softphone calls the relay's SIP port; the relay passes SIP on both ways unimpaired, rewriting
each SDP's audio port (and each Contact) to ports of its own, so that all RTP and RTCP of the
call flows through it. RTP is impaired in both directions: each packet is dropped with
probability `loss` and otherwise held back by a uniform random 0..`jitter_s` delay, each drawn
from one seeded generator (so packets reorder only as far as their delays imply). RTCP passes
unimpaired.

Every media port named in an SDP gets its own relay port pair, for as long as the call lasts:
a packet sent to an old port (a stream a re-INVITE replaced) still arrives at that old port,
as it would on a real network; the relay never redirects audio in flight to a newer stream.
"""

from __future__ import annotations

import heapq
import random
import re
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from tests.integration.loopback import Datagram
from tests.integration.ports import free_udp_port

__all__ = ["ImpairedPath", "Impairment"]

HOST = "127.0.0.1"
_AUDIO = re.compile(rb"^(m=audio )(\d+)", re.MULTILINE)
_CONTACT = re.compile(rb"^((?:Contact|m):[^\r\n]*?@?)127\.0\.0\.1:(\d+)", re.MULTILINE | re.I)
_LENGTH = re.compile(rb"^(Content-Length|l):[ \t]*\d+", re.MULTILINE | re.IGNORECASE)
_MAX_DATAGRAM = 65535


@dataclass(frozen=True)
class Impairment:
    """What the relay does to RTP: the share of packets lost, the largest extra delay, the seed."""

    loss: float = 0.05
    jitter_s: float = 0.040
    seed: int = 14


@dataclass
class _Counts:
    """RTP packets the relay saw, dropped and forwarded, per direction."""

    to_peer: int = 0
    to_softphone: int = 0
    dropped_to_peer: int = 0
    dropped_to_softphone: int = 0
    delays_s: list[float] = field(default_factory=list)


class _MediaPair:
    """Relay sockets (RTP, RTCP) that stand for one far-end media port in the other side's SDP."""

    def __init__(self, far_port: int, toward_softphone: bool) -> None:
        base = free_udp_port(HOST, span=2)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((HOST, base))
        self.rtcp.bind((HOST, base + 1))
        self.port = base
        self.far_port = far_port  # where what arrives here goes (from the other side's pair)
        self.toward_softphone = toward_softphone  # arrivals come from the peer, go to the phone

    def close(self) -> None:
        self.rtp.close()
        self.rtcp.close()


class ImpairedPath:
    """The relay between the softphone and a SIPp peer at `peer_sip_port`, on its own thread.

    Call `uri(user)`; `datagrams_to_softphone` are the RTP packets that left the relay for the
    softphone (as `Datagram`s addressed to the relay port the peer sent them to, which is the
    port the peer's SDP log names), for the held-packet allowance of the hold analysis.
    """

    def __init__(self, peer_sip_port: int, impairment: Impairment | None) -> None:
        self.impairment = impairment
        self._random = random.Random(impairment.seed if impairment else 0)
        self._peer_sip = (HOST, peer_sip_port)
        self._softphone_sip: tuple[str, int] | None = None
        self._sip_front = self._bound()  # the softphone talks to this one
        self._sip_back = self._bound()  # ... and the peer to this one
        self._pairs: dict[int, _MediaPair] = {}  # far port -> its stand-in
        self._by_socket: dict[socket.socket, tuple[_MediaPair, bool]] = {}
        self._queue: list[tuple[float, int, socket.socket, bytes, tuple[str, int]]] = []
        self._order = 0
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._sip_front, selectors.EVENT_READ)
        self._selector.register(self._sip_back, selectors.EVENT_READ)
        self._stop = threading.Event()
        self.counts = _Counts()
        self.datagrams_to_softphone: list[Datagram] = []
        self._thread = threading.Thread(target=self._run, name="impaired-path", daemon=True)

    @staticmethod
    def _bound() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((HOST, 0))
        return sock

    @property
    def sip_port(self) -> int:
        """The SIP port the softphone calls."""
        return int(self._sip_front.getsockname()[1])

    def uri(self, user: str = "customer") -> str:
        """The SIP URI the softphone dials to reach the peer through the relay."""
        return f"sip:{user}@{HOST}:{self.sip_port}"

    # --- SIP ---------------------------------------------------------------------------------

    def _sip(self, data: bytes, from_softphone: bool) -> None:
        """Rewrite one SIP message's SDP audio port and Contact, and pass it on."""
        head, sep, body = data.partition(b"\r\n\r\n")
        if _AUDIO.search(body):
            body = _AUDIO.sub(
                lambda m: m.group(1) + str(self._pair(int(m.group(2)), from_softphone)).encode(),
                body,
            )
            head = _LENGTH.sub(lambda m: m.group(1) + b": " + str(len(body)).encode(), head)
        stand_in = self._sip_back if from_softphone else self._sip_front
        contact_port = str(stand_in.getsockname()[1]).encode()
        head = _CONTACT.sub(lambda m: m.group(1) + b"127.0.0.1:" + contact_port, head)
        message = head + sep + body
        if from_softphone:
            self._sip_back.sendto(message, self._peer_sip)
        elif self._softphone_sip is not None:
            self._sip_front.sendto(message, self._softphone_sip)

    def _pair(self, far_port: int, from_softphone: bool) -> int:
        """The relay port that stands for `far_port` (a port of the side that sent the SDP)."""
        pair = self._pairs.get(far_port)
        if pair is None:
            # The softphone's port is stood in for toward the peer: the peer sends to it.
            pair = _MediaPair(far_port, toward_softphone=from_softphone)
            self._pairs[far_port] = pair
            for sock, rtcp in ((pair.rtp, False), (pair.rtcp, True)):
                self._by_socket[sock] = (pair, rtcp)
                self._selector.register(sock, selectors.EVENT_READ)
        return pair.port

    # --- media -------------------------------------------------------------------------------

    def _media(self, sock: socket.socket, data: bytes, source: tuple[str, int]) -> None:
        """A packet reached a stand-in: send it on from the stand-in of its source port."""
        pair, rtcp = self._by_socket[sock]
        source_port = source[1] - 1 if rtcp else source[1]
        origin = self._pairs.get(source_port)
        if origin is None:
            return  # from a port no SDP named: not part of the call
        out = origin.rtcp if rtcp else origin.rtp
        destination = (HOST, pair.far_port + 1 if rtcp else pair.far_port)
        if rtcp or self.impairment is None:
            out.sendto(data, destination)
            self._note(pair, data, dropped=False)
            return
        dropped = self._random.random() < self.impairment.loss
        delay = self._random.uniform(0.0, self.impairment.jitter_s)
        self._note(pair, data, dropped=dropped, delay=delay)
        if not dropped:
            self._order += 1
            heapq.heappush(
                self._queue, (time.monotonic() + delay, self._order, out, data, destination)
            )

    def _note(self, pair: _MediaPair, data: bytes, *, dropped: bool, delay: float = 0.0) -> None:
        with self._lock:
            counts = self.counts
            if pair.toward_softphone:
                counts.to_softphone += 1
                counts.dropped_to_softphone += dropped
                if not dropped:
                    self.datagrams_to_softphone.append(Datagram(time.time(), pair.port, data))
            else:
                counts.to_peer += 1
                counts.dropped_to_peer += dropped
            if not dropped:
                counts.delays_s.append(delay)

    def _run(self) -> None:
        """Runs on the relay thread: receive, rewrite or impair, and send what is due."""
        while not self._stop.is_set():
            now = time.monotonic()
            while self._queue and self._queue[0][0] <= now:
                _, _, out, data, destination = heapq.heappop(self._queue)
                out.sendto(data, destination)
            timeout = 0.05 if not self._queue else max(0.0, self._queue[0][0] - now)
            for key, _ in self._selector.select(timeout):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data, source = sock.recvfrom(_MAX_DATAGRAM)
                except OSError:
                    continue  # an ICMP error of an earlier send, say
                if sock is self._sip_front:
                    self._softphone_sip = source
                    self._sip(data, from_softphone=True)
                elif sock is self._sip_back:
                    self._sip(data, from_softphone=False)
                else:
                    self._media(sock, data, source)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(5)
        self._selector.close()
        for pair in self._pairs.values():
            pair.close()
        self._sip_front.close()
        self._sip_back.close()
