"""Notices calls whose other side stopped sending RTP: each stream's receive counter, once a second.

Cheap by design: one `getStreamStat` per live call per second, on the main thread, from the
engine's timers; nothing runs per frame. A call is watched only while its negotiated media says
the other side sends to us (`MediaStatus.receiving`): a call we hold with sendonly or inactive,
or one the other side holds with inactive, is exempt, and its countdown starts afresh when the
media flows again. A peer that holds us with sendonly still sends, and stays watched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from softphone.vocabulary.events import MediaStatus, SipError


class Counted(Protocol):
    """A call as the watch reads it (`SipCall`)."""

    def rx_packets(self) -> tuple[str, int] | None:
        """The audio stream's local address and its RTP packets received; None: no stream."""
        ...


class Timers(Protocol):
    """The engine as the watch uses it (`SipEngine`)."""

    @property
    def running(self) -> bool:
        """The library is up."""
        ...

    def call_later(self, delay_s: float, action: Callable[[], None]) -> None:
        """Run `action` on the main thread after `delay_s`."""
        ...


WATCH_INTERVAL_S = 1.0
"""How often the counters are read; a dead call ends at most this long after its timeout."""


@dataclass
class _Seen:
    """The last reading of one call's stream, and since when its counter has not moved."""

    stream: str
    packets: int
    since: float


class RtpWatch:
    """Ends (through `end`) every call that received no RTP for `timeout_s` while it should."""

    def __init__(
        self,
        engine: Timers,
        calls: Mapping[int, Counted],
        media: Callable[[int], MediaStatus],
        end: Callable[[int, str], None],
    ) -> None:
        self._engine, self._calls, self._media, self._end = engine, calls, media, end
        self._timeout_s = 0.0
        self._seen: dict[int, _Seen] = {}
        self._ticking = False

    @property
    def timeout_s(self) -> float:
        """The timeout in force; 0 when calls are never ended for silence."""
        return self._timeout_s

    def set_timeout(self, seconds: float) -> None:
        """Watch with this timeout from now on (0: stop watching)."""
        if seconds < 0:
            raise SipError(f"the RTP timeout is 0 (never) or a number of seconds, not {seconds}")
        self._timeout_s = float(seconds)
        self._seen.clear()
        if seconds > 0 and not self._ticking:
            self._ticking = True
            self._engine.call_later(WATCH_INTERVAL_S, self._tick)

    def _tick(self) -> None:
        """Runs on the main thread from the engine's timers."""
        if self._timeout_s <= 0 or not self._engine.running:
            self._ticking = False
            return
        self.check(time.monotonic())
        self._engine.call_later(WATCH_INTERVAL_S, self._tick)

    def check(self, now: float) -> None:
        """Read every live call's counter once; end those silent for the timeout."""
        for call_id in [c for c in self._seen if c not in self._calls]:
            del self._seen[call_id]
        for call_id, call in list(self._calls.items()):
            reading = call.rx_packets() if self._media(call_id).receiving else None
            if reading is None:
                self._seen.pop(call_id, None)  # not expected to send now: no countdown
                continue
            stream, packets = reading
            seen = self._seen.get(call_id)
            if seen is None or seen.stream != stream or seen.packets != packets:
                self._seen[call_id] = _Seen(stream, packets, now)
            elif now - seen.since >= self._timeout_s:
                del self._seen[call_id]
                self._end(call_id, f"no RTP for {self._timeout_s:g} s")
