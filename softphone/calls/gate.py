"""The recording gate: the single door between the call's audio taps and the recording writer.

The gate is open only while every fact allows recording: the disclosure has been played, the
agent has not asked for hold, a consult or another call, nor paused the recording for privacy,
the customer is not holding, the call is not being transferred, the call's media is confirmed
active on a *fresh* stream, and the writer is healthy. It closes on intent, synchronously,
before the caller sends any SIP; it reopens only on confirmed facts.

A privacy pause (a card number, a health detail) is not a hold: no SIP is sent, both parties
keep hearing each other and the stream stays what it was, so it neither unconfirms the media nor
taints the stream. Lifting it reopens the gate at once if every other fact allows.

A transfer is not a hold either: the call's media keeps flowing (and is listened to) while the
REFER is out, so its stream stays fresh, and a transfer that fails gives the gate back to its
other facts.

Fresh means: a media stream (named by its local RTP address) that never existed while the call
was held, by either side. Every stream the call has while a hold fact stands is tainted for
good, so audio received while held, wherever it still sits (socket, jitter buffer), can only
come out of a tainted stream. A resume therefore has to bring a new stream (the phone resumes
with fresh media); one that keeps the old stream (a refused resume) keeps the gate closed.

Closing happens in two steps, each a wall of its own: first the flag that the taps read on the
bridge clock thread drops (frames still arriving are refused), then `on_close` disconnects the
taps from the conference bridge. Opening runs in the reverse order.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast


class GateReason(enum.Enum):
    """Why the gate's facts changed; recorded with every transition."""

    CALL_ANSWERED = "call-answered"
    DISCLOSURE_COMPLETED = "disclosure-completed"
    DISCLOSURE_FAILED = "disclosure-failed"
    HOLD_REQUESTED = "hold-requested"
    RESUME_REQUESTED = "resume-requested"
    REMOTE_HOLD = "remote-hold"
    MEDIA_CHANGED = "media-changed"
    OTHER_CALL_ANSWERED = "other-call-answered"
    OTHER_CALL_ENDED = "other-call-ended"
    CONSULT_STARTED = "consult-started"
    CONSULT_ENDED = "consult-ended"
    PRIVACY_PAUSED = "privacy-paused"
    PRIVACY_RESUMED = "privacy-resumed"
    TRANSFER_REQUESTED = "transfer-requested"  # the agent is handing the call on (our REFER)
    TRANSFER_ACCEPTED = "transfer-accepted"  # the peer's transfer request was followed
    TRANSFER_FAILED = "transfer-failed"  # the call came back to the agent
    WRITER_FAILED = "writer-failed"
    CALL_ENDED = "call-ended"


@dataclass(frozen=True)
class GateFacts:
    """Everything the decision depends on; recording is allowed only when all agree."""

    disclosure_done: bool = False
    hold_requested: bool = False
    privacy_paused: bool = False  # the agent paused the recording; the call is not held
    consulting: bool = False
    other_call_active: bool = False
    remote_hold: bool = False
    transferring: bool = False  # a transfer of the call is under way (the agent is leaving)
    media_confirmed: bool = False
    writer_ok: bool = True
    ended: bool = False
    stream: str = ""  # the current media stream, by its local RTP address; "" when none
    stream_fresh: bool = False  # set by the gate: the stream never existed while held

    @property
    def holding(self) -> bool:
        """A hold of any kind stands: the agent's, a consult, another call, the customer's."""
        return self.remote_hold or any(getattr(self, name) for name in _INTENTS)

    def blockers(self) -> list[str]:
        """The conditions that keep the gate closed, in words for logs and metadata."""
        checks = [
            (not self.disclosure_done, "disclosure not completed"),
            (self.hold_requested, "agent put the call on hold"),
            (self.privacy_paused, "agent paused the recording for privacy"),
            (self.consulting, "agent is consulting"),
            (self.other_call_active, "agent is on another call"),
            (self.remote_hold, "customer side is holding"),
            (self.transferring, "call is being transferred"),
            (not self.media_confirmed, "media not confirmed active"),
            (not self.stream_fresh, "no media stream that was never held"),
            (not self.writer_ok, "recording writer failed"),
            (self.ended, "call ended"),
        ]
        return [text for blocked, text in checks if blocked]

    @property
    def may_record(self) -> bool:
        """True only when no closing condition holds."""
        return not self.blockers()


_INTENTS = ("hold_requested", "consulting", "other_call_active")


@dataclass(frozen=True)
class GateTransition:
    """One opening or closing of the gate."""

    wall_time: float
    media_time: float
    opened: bool
    reason: GateReason
    blockers: tuple[str, ...]


class RecordingGate:
    """Decides from facts; opens and closes the two walls through the given callbacks.

    All methods run on the main thread except `admits`, which the taps call on the bridge clock
    thread and which only reads one attribute.
    """

    def __init__(
        self,
        on_open: Callable[[], None],
        on_close: Callable[[], None],
        media_time: Callable[[], float],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._on_open = on_open
        self._on_close = on_close
        self._media_time = media_time
        self._clock = clock
        self.facts = GateFacts()
        self.transitions: list[GateTransition] = []
        self.tainted: set[str] = set()  # streams that existed while the call was held
        self._open = False

    def admits(self) -> bool:
        """Runs on the bridge clock thread: may a frame that arrives now be written?"""
        return self._open

    @property
    def is_open(self) -> bool:
        """Whether the gate is open now."""
        return self._open

    def update(self, reason: GateReason, stream: str | None = None, **changes: bool) -> None:
        """Apply new facts, then close or open the gate as they require.

        While a closing intent (hold, consult, another call) stands, media cannot be confirmed:
        only media confirmed after the agent withdrew it may reopen the gate. While any hold
        stands, the current stream is tainted; only an untainted stream may reopen it.
        `stream` names the current media stream when it is known anew.
        """
        facts = replace(self.facts, **cast(dict[str, Any], changes))  # booleans only
        if stream is not None:
            facts = replace(facts, stream=stream)
        if any(getattr(facts, name) for name in _INTENTS):
            facts = replace(facts, media_confirmed=False)
        if facts.holding and facts.stream:
            self.tainted.add(facts.stream)
        fresh = bool(facts.stream) and facts.stream not in self.tainted
        facts = replace(facts, stream_fresh=fresh)
        self.facts = facts
        if self._open and not facts.may_record:
            self._open = False  # wall 2 first: frames still in flight are refused from now on
            self._on_close()  # wall 1: the taps leave the bridge
            self._record(reason)
        elif not self._open and facts.may_record:
            self._on_open()
            self._open = True
            self._record(reason)

    def _record(self, reason: GateReason) -> None:
        self.transitions.append(
            GateTransition(
                wall_time=self._clock(),
                media_time=self._media_time(),
                opened=self._open,
                reason=reason,
                blockers=tuple(self.facts.blockers()),
            )
        )
