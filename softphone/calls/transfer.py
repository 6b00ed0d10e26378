"""Transfers of the agent's calls, from the intent to the outcome, on the main thread.

A transfer means the agent is leaving the call: each leg's gate closes (`transferring`) before
the REFER is sent. On the transferee's final 2xx the legs are hung up and their recordings say
to whom they were transferred. On anything else (a REFER refused, a NOTIFY telling a failure, no
outcome within the phone's bound) the legs are given back: the gate returns to its other facts
and the metadata keeps the failed attempt and why. Blind: one leg, REFER to an address.
Attended: the consult call is an ordinary call of its own (disclosure, recording); the customer's
call is held while consulting, then REFER with Replaces makes the consulted party take it over.

The peer's own requests are decided in the SIP layer by the policy; an accepted one closes the
asked call's gate the same way, and its outcome is the new call's: answered, or not.

The tracker is fed the engine's events by its owner (the desk), after the calls' own sessions
took them, so that a session exists before the tracker looks for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from softphone.calls.gate import GateReason
from softphone.calls.phoneapi import EventLoop, PhoneApi
from softphone.calls.session import CallSession
from softphone.calls.transferattempt import (
    DECLINED,
    FAILED,
    TRANSFERRED,
    UNKNOWN,
    TransferAttempt,
)
from softphone.vocabulary.events import (
    TRANSFER_TIMEOUT_S,
    CallDirection,
    CallState,
    CallStateChanged,
    Event,
    SipError,
    TransferEnded,
    TransferError,
    TransferKind,
    TransferProgress,
    TransferredCallStarted,
    TransferRequested,
)

log = logging.getLogger("softphone.calls")

Lookup = Callable[[int], CallSession | None]
"""Finds the session of a call id (the desk's, or a scripted call's)."""

NOT_ALLOWED = "transfers requested by the other side are not allowed by the policy"
ANOTHER = "another transfer of the call was under way"
REPLACED = "the call was replaced before the outcome was told"
FOLLOW_BOUND_S = 1.0
"""pjsua places the call for an accepted request at once; none by then means it could not."""


@dataclass
class _Legs:
    """The legs one transfer hands on, each with its own attempt (whose `to` differs)."""

    legs: list[tuple[CallSession, TransferAttempt]]
    hang_up: bool = True  # the agent ends the legs on success (pjsua ends a replaced call)


class EventSource(EventLoop, Protocol):
    """An event loop that hands every event it dispatches to its subscribers (the engine)."""

    def subscribe(self, handler: Callable[[Event], None]) -> object:
        """Deliver every event to `handler` from now on, on the main thread."""
        ...


class TransferTracker:
    """Starts the agent's transfers, follows the peer's, and records every outcome."""

    def __init__(self, engine: EventLoop, phone: PhoneApi, sessions: Lookup) -> None:
        self.engine, self.phone, self._sessions = engine, phone, sessions
        self._pending: dict[int, _Legs] = {}  # the call whose REFER is out -> its legs
        self._asked: dict[int, _Legs] = {}  # a call the peer asked to move -> its leg
        self._followed: dict[int, int] = {}  # a call made for the peer's request -> the asked
        self._unwanted: list[int] = []  # asked calls whose next call made for a REFER goes

    # --- the agent's transfers -------------------------------------------------------------

    def blind(
        self, session: CallSession, uri: str, timeout_s: float = TRANSFER_TIMEOUT_S
    ) -> TransferAttempt:
        """Hand the call to `uri`; raises `TransferError` (recorded as failed) if it cannot go."""
        attempt = TransferAttempt(TransferKind.BLIND, uri)
        legs = _Legs([(session, attempt)])
        self._start(legs, lambda: self.phone.transfer(session.call_id, uri, timeout_s=timeout_s))
        return attempt

    def attended(
        self, session: CallSession, consult: CallSession, timeout_s: float = TRANSFER_TIMEOUT_S
    ) -> TransferAttempt:
        """Hand the customer of `session` to the party of `consult` (REFER with Replaces)."""
        attempt = TransferAttempt(
            TransferKind.ATTENDED, consult.remote_uri, consult_call_id=consult.sip_call_id
        )
        other_side = TransferAttempt(
            TransferKind.ATTENDED, session.remote_uri, consult_call_id=session.sip_call_id
        )
        legs = _Legs([(session, attempt), (consult, other_side)])
        self._start(
            legs,
            lambda: self.phone.transfer_replaces(
                session.call_id, consult.call_id, timeout_s=timeout_s
            ),
        )
        return attempt

    def in_flight(self, call_id: int) -> bool:
        """Whether a transfer of `call_id` (either leg) awaits its outcome."""
        return any(
            session.call_id == call_id
            for legs in (*self._pending.values(), *self._asked.values())
            for session, _ in legs.legs
        )

    def _start(self, legs: _Legs, send: Callable[[], None]) -> None:
        key = legs.legs[0][0].call_id
        if self.in_flight(key) or any(self.in_flight(s.call_id) for s, _ in legs.legs):
            raise TransferError(key, "a transfer of it is already under way")
        for session, attempt in legs.legs:
            session.begin_transfer(attempt)  # the gate closes before the REFER goes
        try:
            send()
        except SipError as exc:
            cause = exc.cause if isinstance(exc, TransferError) else str(exc)
            self._finish(legs, FAILED, 0, cause)
            raise
        self._pending[key] = legs

    # --- events ----------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Take an engine event, once the sessions of its call have taken it."""
        if isinstance(event, TransferProgress):
            self._on_progress(event)
        elif isinstance(event, TransferRequested):
            self._on_requested(event)
        elif isinstance(event, TransferredCallStarted):
            asked = event.from_call_id
            if event.direction is CallDirection.OUTBOUND and asked in self._unwanted:
                self._unwanted.remove(asked)
                self.phone.hangup(event.call_id)  # made for a request that is not followed
            elif asked in self._asked:
                self._followed[event.call_id] = asked
        elif isinstance(event, CallStateChanged):
            self._on_state(event)

    def _on_progress(self, event: TransferProgress) -> None:
        legs = self._pending.get(event.call_id)
        if legs is None:
            return
        if not event.final:
            for _, attempt in legs.legs:
                attempt.progress(event.status_code, event.reason)
            return
        del self._pending[event.call_id]
        if event.succeeded:
            self._finish(legs, TRANSFERRED, event.status_code, event.reason)
            for session, _ in legs.legs:
                self.phone.hangup(session.call_id)  # the agent's part is over (if not yet)
        else:
            self._finish(legs, FAILED, event.status_code, event.reason or "no reason given")

    def _on_requested(self, event: TransferRequested) -> None:
        session = self._sessions(event.call_id)
        if session is None:
            return
        kind = TransferKind.ATTENDED if _replaces(event) else TransferKind.BLIND
        attempt = TransferAttempt(kind, _addr_spec(event.target), requested_by="peer")
        if not event.accepted:
            attempt.finish(DECLINED, event.status_code, NOT_ALLOWED)
            session.outcome.transfers.append(attempt)
            session.end_transfer(attempt)  # nothing changed but the evidence
            self._announce(session.call_id, attempt)
            log.warning(
                "declined a transfer request of call %d to %s: %s",
                event.call_id,
                event.target,
                NOT_ALLOWED,
            )
            return
        if self.in_flight(event.call_id) and not event.replaces:
            self._not_following(session, attempt, event)
            return
        log.info("call %d: following the peer's transfer to %s", event.call_id, event.target)
        overtaken = self._asked.get(event.call_id)
        self._asked[event.call_id] = _Legs([(session, attempt)], hang_up=not event.replaces)
        session.begin_transfer(attempt, GateReason.TRANSFER_ACCEPTED)
        if overtaken is not None:  # a Replaces: pjsua ends the call, whatever else was going on
            for new, asked in list(self._followed.items()):
                if asked == event.call_id:
                    del self._followed[new]
                    self.phone.hangup(new)
            self._finish(overtaken, UNKNOWN, 0, REPLACED)
        self.engine.call_later(FOLLOW_BOUND_S, lambda: self._not_followed(event.call_id, attempt))

    def _not_following(
        self, session: CallSession, attempt: TransferAttempt, event: TransferRequested
    ) -> None:
        """A REFER while a transfer of the call is under way: one at a time, the first goes on.

        pjsua answered it and calls its target all the same; that call is hung up.
        """
        call_id = event.call_id
        self._unwanted.append(call_id)
        self.engine.call_later(FOLLOW_BOUND_S, lambda: self._forget_unwanted(call_id))
        session.begin_transfer(attempt, GateReason.TRANSFER_ACCEPTED)  # already closed
        self._finish(_Legs([(session, attempt)]), FAILED, event.status_code, ANOTHER)
        log.warning("call %d: not following the transfer to %s: %s", call_id, event.target, ANOTHER)

    def _forget_unwanted(self, call_id: int) -> None:
        """No call was made for the request not followed by now: none will be."""
        if call_id in self._unwanted:
            self._unwanted.remove(call_id)

    def _not_followed(self, call_id: int, attempt: TransferAttempt) -> None:
        """No call was made for an accepted request (an address pjsua cannot call, say)."""
        legs = self._asked.get(call_id)
        if legs is None or legs.legs[0][1] is not attempt or call_id in self._followed.values():
            return
        del self._asked[call_id]
        self._finish(legs, FAILED, 0, f"the softphone could not call {attempt.to}")

    def _on_state(self, event: CallStateChanged) -> None:
        asked = self._followed.get(event.call_id)
        if asked is not None and asked in self._asked:
            if event.state in (CallState.CONNECTING, CallState.CONFIRMED):
                legs = self._asked.pop(asked)
                self._finish(legs, TRANSFERRED, event.status_code, event.reason)
                if legs.hang_up:
                    self.phone.hangup(asked)  # the agent is on the new call now
            elif event.state is CallState.DISCONNECTED:
                legs = self._asked.pop(asked)
                self._finish(legs, FAILED, event.status_code, event.reason or "not answered")
        if event.state is not CallState.DISCONNECTED:
            return
        self._followed.pop(event.call_id, None)
        for table in (self._pending, self._asked):
            if event.call_id in table:  # the transferring call ended first: the others come back
                legs = table.pop(event.call_id)
                self._finish(legs, UNKNOWN, 0, "the call ended before the outcome was told")
        # A consult call that ended while its REFER is out: the REFER goes on without it.

    def _finish(self, legs: _Legs, result: str, status: int, reason: str) -> None:
        for session, attempt in legs.legs:
            attempt.finish(result, status, reason)
            session.end_transfer(attempt)
            log.info("call %d: transfer to %s: %s", session.call_id, attempt.to, result)
            self._announce(session.call_id, attempt)

    def _announce(self, call_id: int, attempt: TransferAttempt) -> None:
        """Tell every client the attempt's outcome (the desk publishes it as TransferFinished)."""
        self.engine.post(
            TransferEnded(
                call_id,
                attempt.kind,
                attempt.to,
                attempt.result,
                attempt.status,
                attempt.reason,
                attempt.requested_by,
            )
        )


def _replaces(event: TransferRequested) -> bool:
    return event.replaces or "replaces=" in event.target.lower()


def _addr_spec(target: str) -> str:
    """The URI of a name-addr ('"Desk" <sip:desk@pbx>' -> 'sip:desk@pbx'), else as it is."""
    if "<" in target and target.rstrip().endswith(">"):
        return target[target.index("<") + 1 : target.rindex(">")]
    return target
