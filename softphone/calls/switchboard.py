"""The agent's calls: at most one in conversation; taking another closes the first one's gate.

Answering a second call, or starting a consult before a transfer, is a hold intent for the call
the agent leaves: its recording gate closes, synchronously, before the SIP that holds it is sent.
Transfers (softphone/calls/transfer.py) close the gate of every leg they hand on the same way; a
call the phone makes or takes for the peer's accepted transfer request gets a session like any.
"""

from __future__ import annotations

import logging

from softphone.calls.session import CallSession, SessionSetup, start_session
from softphone.calls.transfer import Transfers
from softphone.calls.transferattempt import TransferAttempt
from softphone.sip.engine import SipEngine
from softphone.sip.phone import AudioPort, Phone
from softphone.vocabulary.events import (
    CallDirection,
    CallState,
    CallStateChanged,
    Event,
    IncomingCall,
    TransferError,
    TransferredCallStarted,
)

log = logging.getLogger("softphone.calls")


class Switchboard:
    """Owns a `CallSession` per call and the rules between calls; runs on the main thread."""

    def __init__(
        self,
        engine: SipEngine,
        phone: Phone,
        setup: SessionSetup,
        audio: tuple[AudioPort, AudioPort],
    ) -> None:
        self.engine, self.phone, self.setup, self.audio = engine, phone, setup, audio
        self.sessions: dict[int, CallSession] = {}
        self.ended: list[CallSession] = []
        engine.subscribe(self.handle)
        self.transfers = Transfers(engine, phone, self.sessions.get)  # sees events after us

    def handle(self, event: Event) -> None:
        """Route an engine event to its call's session; a new incoming call starts ringing."""
        if isinstance(event, IncomingCall):
            self._open(event.call_id, CallDirection.INBOUND)
            self.phone.ringing(event.call_id)
            return
        if isinstance(event, TransferredCallStarted):
            self._open(event.call_id, event.direction)  # before any event of the new call
            return
        session = self.sessions.get(getattr(event, "call_id", -1))
        if session is None:
            return
        session.handle(event)
        if isinstance(event, CallStateChanged) and event.state is CallState.DISCONNECTED:
            self._closed(session)

    def place(self, uri: str) -> CallSession:
        """Call `uri`; a call in conversation is left for it first."""
        self._leave_others(keep=None)
        call_id = self.phone.make_call(uri)
        return self._open(call_id, CallDirection.OUTBOUND)

    def answer(self, call_id: int) -> None:
        """Answer a ringing call; the call the agent was in is held, its gate closed first."""
        self._leave_others(keep=call_id)
        self.phone.answer(call_id)

    def consult(self, call_id: int, uri: str) -> CallSession:
        """Hold `call_id` for a consult before a transfer, and call the consulted party."""
        session = self.sessions[call_id]
        session.set_consulting(True)
        session.hold()
        consulted = self._open(self.phone.make_call(uri), CallDirection.OUTBOUND)
        return consulted

    def transfer(self, call_id: int, uri: str) -> TransferAttempt:
        """Blind transfer: the call's gate closes, then the REFER to `uri` goes."""
        return self.transfers.blind(self._session(call_id), uri)

    def complete_consult(self, call_id: int, consult_id: int) -> TransferAttempt:
        """Attended transfer: the customer of `call_id` is handed to the consulted party."""
        return self.transfers.attended(self._session(call_id), self._session(consult_id))

    def _session(self, call_id: int) -> CallSession:
        session = self.sessions.get(call_id)
        if session is None:
            raise TransferError(call_id, "there is no such call")
        return session

    def _open(self, call_id: int, direction: CallDirection) -> CallSession:
        session = start_session(
            self.engine, self.phone, call_id, direction, setup=self.setup, audio=self.audio
        )
        self.sessions[call_id] = session
        return session

    def _leave_others(self, keep: int | None) -> None:
        for call_id, session in self.sessions.items():
            if call_id == keep or session.answered_at is None:
                continue
            session.set_other_call(True)  # closes this call's gate before its hold is sent
            if not session.gate.facts.hold_requested:
                session.hold()

    def _closed(self, session: CallSession) -> None:
        self.sessions.pop(session.call_id, None)
        self.ended.append(session)
        for other in self.sessions.values():
            if other.gate.facts.consulting:
                other.set_consulting(False)
            if other.gate.facts.other_call_active and not self._others_talking(other):
                other.set_other_call(False)  # still held: the agent resumes it explicitly

    def _others_talking(self, session: CallSession) -> bool:
        return any(
            s is not session and s.answered_at is not None and not s.gate.facts.hold_requested
            for s in self.sessions.values()
        )
