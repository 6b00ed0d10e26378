"""An RTP endpoint for tests: records every packet sent to it, and talks back from the same port."""

from __future__ import annotations

import errno
import random
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import numpy as np
import numpy.typing as npt

__all__ = [
    "G711_RATE",
    "PCMA",
    "PCMU",
    "RtcpPacket",
    "RtpCapture",
    "RtpPacket",
    "alaw_to_linear",
    "parse_rtp",
    "ulaw_to_linear",
]

FloatArray = npt.NDArray[np.float64]

PCMU = 0
"""RTP payload type of G.711 mu-law (RFC 3551)."""
PCMA = 8
"""RTP payload type of G.711 A-law (RFC 3551)."""
G711_RATE = 8000
"""Sample rate of both G.711 laws."""

_HEADER = struct.Struct("!BBHII")
_MAX_DATAGRAM = 65535
_POLL_S = 0.05
_BIND_ATTEMPTS = 50
_PTIME_S = 0.02
_FRAME_BYTES = 160  # 20 ms of 8 kHz G.711
_MAX_LATE_S = 0.1  # a sender this late skips ahead instead of sending a burst


def _ulaw_table() -> FloatArray:
    """The 256 mu-law code words decoded to 16-bit linear, scaled to [-1, 1) (ITU-T G.711)."""
    table = np.empty(256, dtype=np.float64)
    for code in range(256):
        inverted = ~code & 0xFF
        exponent = (inverted >> 4) & 0x07
        mantissa = inverted & 0x0F
        magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
        table[code] = (-magnitude if inverted & 0x80 else magnitude) / 32768.0
    return table


def _alaw_table() -> FloatArray:
    """The 256 A-law code words decoded to 16-bit linear, scaled to [-1, 1) (ITU-T G.711)."""
    table = np.empty(256, dtype=np.float64)
    for code in range(256):
        toggled = code ^ 0x55
        exponent = (toggled >> 4) & 0x07
        mantissa = toggled & 0x0F
        # Segment 0 is linear; each further segment doubles the step (and adds the hidden bit).
        step = 1 << max(exponent - 1, 0)
        magnitude = ((mantissa << 4) + (0x108 if exponent else 8)) * step
        table[code] = (magnitude if toggled & 0x80 else -magnitude) / 32768.0
    return table


_ULAW = _ulaw_table()
_ALAW = _alaw_table()


def ulaw_to_linear(data: bytes) -> FloatArray:
    """Decode G.711 mu-law bytes to linear samples in [-1, 1)."""
    return _ULAW[np.frombuffer(data, dtype=np.uint8)]


def alaw_to_linear(data: bytes) -> FloatArray:
    """Decode G.711 A-law bytes to linear samples in [-1, 1)."""
    return _ALAW[np.frombuffer(data, dtype=np.uint8)]


@dataclass(frozen=True)
class RtpPacket:
    """One RTP packet as it arrived (RFC 3550 fixed header, CSRCs and payload)."""

    arrival: float  # time.time() right after the datagram was read
    source: tuple[str, int]
    version: int
    padding: bool
    extension: bool
    marker: bool
    payload_type: int
    seq: int
    timestamp: int
    ssrc: int
    csrcs: tuple[int, ...]
    payload: bytes

    @property
    def is_g711(self) -> bool:
        """Whether the payload is PCMU or PCMA audio."""
        return self.payload_type in (PCMU, PCMA)

    def audio(self) -> FloatArray:
        """The payload decoded to linear samples at 8 kHz; ValueError for another codec."""
        if self.payload_type == PCMU:
            return ulaw_to_linear(self.payload)
        if self.payload_type == PCMA:
            return alaw_to_linear(self.payload)
        raise ValueError(f"payload type {self.payload_type} is not G.711 (PCMU 0 or PCMA 8)")


@dataclass(frozen=True)
class RtcpPacket:
    """One datagram that arrived on the RTCP port (RTP port + 1), undecoded."""

    arrival: float
    source: tuple[str, int]
    data: bytes


def parse_rtp(data: bytes, arrival: float, source: tuple[str, int]) -> RtpPacket | None:
    """Parse an RTP datagram; None when it is not a well-formed RTP version 2 packet."""
    if len(data) < _HEADER.size:
        return None
    first, second, seq, timestamp, ssrc = _HEADER.unpack_from(data)
    version = first >> 6
    if version != 2:
        return None
    padding, extension, csrc_count = bool(first & 0x20), bool(first & 0x10), first & 0x0F
    offset = _HEADER.size + 4 * csrc_count
    if len(data) < offset:
        return None
    csrcs = struct.unpack_from(f"!{csrc_count}I", data, _HEADER.size)
    if extension:
        if len(data) < offset + 4:
            return None
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
    end = len(data)
    if padding:
        end -= data[-1]
    if end < offset:
        return None
    return RtpPacket(
        arrival=arrival,
        source=source,
        version=version,
        padding=padding,
        extension=extension,
        marker=bool(second & 0x80),
        payload_type=second & 0x7F,
        seq=seq,
        timestamp=timestamp,
        ssrc=ssrc,
        csrcs=tuple(csrcs),
        payload=bytes(data[offset:end]),
    )


def _bind_pair(host: str) -> tuple[socket.socket, socket.socket]:
    """Bind two UDP sockets on adjacent free ports P (RTP) and P + 1 (RTCP)."""
    for _ in range(_BIND_ATTEMPTS):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            rtp.bind((host, 0))
            port = int(rtp.getsockname()[1])
            if port % 2 or port >= 65535:  # RTP on an even port, RTCP on the odd one above
                rtp.close()
                continue
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtcp.bind((host, port + 1))
            except OSError as exc:
                rtcp.close()
                rtp.close()
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
        except BaseException:
            rtp.close()
            raise
        return rtp, rtcp
    raise OSError(f"no pair of adjacent free UDP ports on {host} after {_BIND_ATTEMPTS} attempts")


class RtpCapture:
    """An RTP endpoint on a free port that records every packet sent to it, in a thread.

    Use as a context manager: the sockets are bound on construction (so `port` can go into an
    SDP at once), the threads run inside the `with` block and the sockets are closed on exit.
    Datagrams on the RTP port that are not RTP version 2 are counted in `malformed`; whatever
    arrives on the RTCP port (`port + 1`) is kept raw.

    `play()` sends G.711 mu-law audio (PCMU, one 20 ms packet every 20 ms) to a destination from
    the same socket, as a phone with symmetric RTP does: a caller that latches onto the source
    of what it receives keeps sending here.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._rtp, self._rtcp = _bind_pair(host)
        self.port = int(self._rtp.getsockname()[1])
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._packets: list[RtpPacket] = []
        self._rtcp_packets: list[RtcpPacket] = []
        self.malformed = 0
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name="rtp-capture", daemon=True)
        self._sender = threading.Thread(target=self._send, name="rtp-talker", daemon=True)
        self._errors: list[BaseException] = []
        # What the sender plays: destination, mu-law bytes, loop; guarded by _lock.
        self._program: tuple[tuple[str, int], bytes, bool] | None = None
        self._program_changed = threading.Condition(self._lock)
        self._generation = 0
        self.sent = 0
        self._ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._timestamp = random.getrandbits(32)

    @property
    def rtcp_port(self) -> int:
        """The port RTCP is expected on (RTP port + 1)."""
        return self.port + 1

    @property
    def ssrc(self) -> int:
        """The SSRC of what `play()` sends."""
        return self._ssrc

    def packets(self) -> list[RtpPacket]:
        """Every RTP packet received so far, in arrival order."""
        with self._lock:
            return list(self._packets)

    def rtcp(self) -> list[RtcpPacket]:
        """Every datagram that arrived on the RTCP port so far."""
        with self._lock:
            return list(self._rtcp_packets)

    def wait_for(self, condition: Callable[[list[RtpPacket]], bool], timeout: float) -> bool:
        """Wait until `condition(packets)` holds; False if it did not within `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not condition(list(self._packets)):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._reader.is_alive():
                    return condition(list(self._packets))
                self._arrived.wait(min(remaining, _POLL_S))
        return True

    def play(self, destination: tuple[str, int], ulaw: bytes, *, loop: bool = False) -> None:
        """Send raw 8 kHz mu-law audio to `destination` as PCMU, replacing what was playing.

        The first packet of each `play()` has the marker bit (a talkspurt starts); sequence
        numbers and timestamps run on across calls, as from one source. Without `loop` the
        sender goes quiet after the last whole 20 ms frame.
        """
        if len(ulaw) < _FRAME_BYTES:
            raise ValueError(f"give at least one 20 ms frame ({_FRAME_BYTES} bytes) of audio")
        with self._lock:
            self._program = (destination, bytes(ulaw), loop)
            self._generation += 1
            self._program_changed.notify_all()

    def silence(self) -> None:
        """Stop sending (nothing is sent until the next `play()`)."""
        with self._lock:
            self._program = None
            self._generation += 1
            self._program_changed.notify_all()

    def _read(self) -> None:
        """Runs on the capture thread: read both sockets until stopped."""
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self._rtp, selectors.EVENT_READ, "rtp")
                selector.register(self._rtcp, selectors.EVENT_READ, "rtcp")
                while not self._stop.is_set():
                    for key, _ in selector.select(_POLL_S):
                        sock = key.fileobj
                        assert isinstance(sock, socket.socket)
                        data, address = sock.recvfrom(_MAX_DATAGRAM)
                        arrival = time.time()
                        source = (str(address[0]), int(address[1]))
                        self._take(key.data == "rtp", data, arrival, source)
        except OSError as exc:  # reported by stop(), never lost in the thread
            self._errors.append(exc)

    def _take(self, is_rtp: bool, data: bytes, arrival: float, source: tuple[str, int]) -> None:
        with self._arrived:
            if not is_rtp:
                self._rtcp_packets.append(RtcpPacket(arrival, source, data))
                return
            packet = parse_rtp(data, arrival, source)
            if packet is None:
                self.malformed += 1
            else:
                self._packets.append(packet)
                self._arrived.notify_all()

    def _send(self) -> None:
        """Runs on the talker thread: one packet of the current program every 20 ms."""
        try:
            while not self._stop.is_set():
                with self._lock:
                    while self._program is None and not self._stop.is_set():
                        self._program_changed.wait(_POLL_S)
                    if self._program is None:
                        return
                    program, generation = self._program, self._generation
                self._talk(program, generation)
        except OSError as exc:  # reported by stop(), never lost in the thread
            self._errors.append(exc)

    def _talk(self, program: tuple[tuple[str, int], bytes, bool], generation: int) -> None:
        """Send one program until it ends, is replaced or the capture stops."""
        destination, ulaw, loop = program
        frames = len(ulaw) // _FRAME_BYTES
        index = 0
        marker = True
        due = time.monotonic()
        while not self._stop.is_set():
            if index == frames:
                if not loop:
                    with self._lock:
                        if self._generation == generation:
                            self._program = None
                    return
                index = 0
            with self._lock:
                if self._generation != generation:
                    return
            delay = due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
                continue
            if -delay > _MAX_LATE_S:  # the machine stalled: go on from now, no burst
                due = time.monotonic()
            payload = ulaw[index * _FRAME_BYTES : (index + 1) * _FRAME_BYTES]
            header = _HEADER.pack(0x80, (0x80 if marker else 0) | PCMU, self._seq,
                                  self._timestamp, self._ssrc)  # fmt: skip
            self._rtp.sendto(header + payload, destination)
            self.sent += 1
            self._seq = (self._seq + 1) & 0xFFFF
            self._timestamp = (self._timestamp + _FRAME_BYTES) & 0xFFFFFFFF
            marker = False
            index += 1
            due += _PTIME_S

    def start(self) -> Self:
        """Start the reader and talker threads."""
        self._reader.start()
        self._sender.start()
        return self

    def stop(self) -> None:
        """Stop the threads and close the sockets; re-raise what failed in a thread."""
        self._stop.set()
        with self._lock:
            self._program_changed.notify_all()
        for thread in (self._reader, self._sender):
            if thread.is_alive():
                thread.join(5.0)
        self._rtp.close()
        self._rtcp.close()
        if self._errors:
            raise RuntimeError("an RTP capture thread failed") from self._errors[0]

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
