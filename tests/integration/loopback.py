"""The UDP datagrams one port sends over the loopback interface, as they arrive (needs root)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from types import TracebackType
from typing import Self

_ETH_P_ALL = 0x0003
_ETH_HEADER = 14
_IPV4 = b"\x08\x00"
_UDP = 17
_POLL_S = 0.2
_RECEIVE_BUFFER = 4 << 20  # bytes: keeps every packet of a call while the test is busy
_PACKET_OUTGOING = 4  # lo shows each datagram twice: as sent (this type) and as received


@dataclass(frozen=True)
class Datagram:
    """One datagram seen on lo: when, to which port, and its payload."""

    at: float  # wall-clock time (time.time())
    port: int  # destination port
    payload: bytes


class LoopbackCapture:
    """Every datagram sent from one UDP port on lo, in order of arrival.

    A packet socket (AF_PACKET) sees what the kernel delivers, stamped when the capture thread
    reads it: accurate to well under a millisecond on an idle loopback, which is what the
    benchmark compares with a 20 ms frame. Raises PermissionError without CAP_NET_RAW.
    """

    def __init__(self, source_port: int) -> None:
        self.source_port = source_port
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
        self._sock.bind(("lo", 0))
        self._sock.settimeout(_POLL_S)
        self.datagrams: list[Datagram] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loopback-capture", daemon=True)

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
        self._thread.join()
        self._sock.close()

    def arrivals(self) -> dict[int, list[float]]:
        """Destination port -> wall-clock arrival times (time.time()) of its datagrams."""
        times: dict[int, list[float]] = defaultdict(list)
        for datagram in self.datagrams:
            times[datagram.port].append(datagram.at)
        return dict(times)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, address = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            if address[2] != _PACKET_OUTGOING:
                self._take(time.time(), frame)

    def _take(self, now: float, frame: bytes) -> None:
        if len(frame) < _ETH_HEADER + 28 or frame[12:14] != _IPV4:
            return
        ip = frame[_ETH_HEADER:]
        if ip[9] != _UDP:
            return
        udp = ip[(ip[0] & 0x0F) * 4 :]
        sport, dport = struct.unpack("!HH", udp[:4])
        if sport != self.source_port:
            return
        self.datagrams.append(Datagram(now, dport, bytes(udp[8:])))


def first_arrival_after(
    arrivals: dict[int, list[float]], offered: float, opened: float, closed: float
) -> float | None:
    """When the first datagram of a stream that began after `offered` arrived after `opened`.

    A resume gives the call a new port, so its stream is a destination port whose first
    datagram came no earlier than the resume's offer; of those, the earliest datagram at or
    after the opening (and before the closing) is the first the open gate could write. None if
    no such datagram came.
    """
    best: float | None = None
    for times in arrivals.values():
        if not times or times[0] < offered:
            continue
        later = [t for t in times if opened <= t <= closed]
        if later and (best is None or later[0] < best):
            best = later[0]
    return best
