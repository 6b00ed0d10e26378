"""The RTP watch's rules: who is watched, when the countdown restarts, and what it says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from softphone.sip.liveness import RtpWatch
from softphone.vocabulary.events import MediaStatus

SENDRECV = MediaStatus(True, False, False, True, True, "127.0.0.1:4000")
WE_HOLD = MediaStatus(False, True, False, True, False, "127.0.0.1:4000")  # sendonly
PEER_HOLDS_SENDONLY = MediaStatus(False, False, True, False, True, "127.0.0.1:4000")  # recvonly
INACTIVE = MediaStatus(False, True, True, False, False, "127.0.0.1:4000")


@dataclass
class Stream:
    """A call's stream: its address and the packets received so far."""

    key: str = "127.0.0.1:4000"
    packets: int = 0

    def rx_packets(self) -> tuple[str, int] | None:
        return self.key, self.packets


@dataclass
class Loop:
    """No real timers: the test calls `check` with the time it wants."""

    running: bool = True
    later: list[Callable[[], None]] = field(default_factory=list)

    def call_later(self, delay_s: float, action: Callable[[], None]) -> None:
        self.later.append(action)


def _watch(stream: Stream, media: list[MediaStatus]) -> tuple[RtpWatch, list[tuple[int, str]]]:
    ended: list[tuple[int, str]] = []
    watch = RtpWatch(
        Loop(), {7: stream}, lambda _call: media[-1], lambda c, r: ended.append((c, r))
    )
    watch.set_timeout(2)
    return watch, ended


def test_a_silent_call_is_ended_once_after_the_timeout_with_the_reason() -> None:
    stream = Stream()
    watch, ended = _watch(stream, [SENDRECV])
    watch.check(0.0)
    stream.packets = 50
    watch.check(1.0)  # packets moved: the countdown starts again from here
    watch.check(2.9)
    assert ended == []
    watch.check(3.0)
    assert ended == [(7, "no RTP for 2 s")]
    watch.check(4.0)  # a new countdown, not a second end at once
    assert ended == [(7, "no RTP for 2 s")]


def test_a_call_we_hold_or_that_is_inactive_is_exempt_and_starts_afresh() -> None:
    stream = Stream()
    media = [WE_HOLD]
    watch, ended = _watch(stream, media)
    for second in range(10):
        watch.check(float(second))
    media.append(INACTIVE)
    watch.check(10.0)
    assert ended == []
    media.append(SENDRECV)  # resumed: the peer should send again, counted from now
    watch.check(11.0)
    watch.check(12.5)
    assert ended == []
    watch.check(13.0)
    assert ended == [(7, "no RTP for 2 s")]


def test_a_peer_that_holds_us_with_sendonly_still_sends_and_stays_watched() -> None:
    stream = Stream()
    watch, ended = _watch(stream, [PEER_HOLDS_SENDONLY])
    watch.check(0.0)
    watch.check(2.0)
    assert ended == [(7, "no RTP for 2 s")]


def test_a_new_stream_restarts_the_countdown() -> None:
    stream = Stream()
    watch, ended = _watch(stream, [SENDRECV])
    watch.check(0.0)
    stream.key, stream.packets = "127.0.0.1:4002", 0  # a resume renewed the media
    watch.check(1.5)
    watch.check(3.0)
    assert ended == []
    watch.check(3.5)
    assert ended == [(7, "no RTP for 2 s")]


def test_zero_stops_watching() -> None:
    loop = Loop()
    watch = RtpWatch(loop, {}, lambda _c: SENDRECV, lambda _c, _r: None)
    watch.set_timeout(0)
    assert loop.later == [] and watch.timeout_s == 0
    watch.set_timeout(5)
    assert len(loop.later) == 1
    watch.set_timeout(0)
    loop.later.pop()()  # the pending tick finds the watch off and does not come back
    assert loop.later == []
