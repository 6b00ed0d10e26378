"""Transfers of a scripted call: the agent's blind transfer, and calls made for the peer's.

The agent's transfer (`--transfer AT:URI`) goes through the call model like any: the gate closes
first, the outcome lands in the metadata and the report. A transfer the peer asks for and the
policy allows makes the phone call the target (or take the replacing call): that call is a call
like any other, with its own session (disclosure first, recording by policy), followed until it
ends and reported beside the scripted one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from softphone.calls.session import CallSession, SessionSetup, start_session
from softphone.calls.transfer import Transfers
from softphone.sip.engine import SipEngine
from softphone.sip.phone import AudioPort, Phone
from softphone.vocabulary.events import (
    CallState,
    CallStateChanged,
    Event,
    SipError,
    TransferredCallStarted,
)

log = logging.getLogger("softphone.calls")


class ScriptedTransfers:
    """The transfers of one scripted call and the calls they bring; main thread only."""

    def __init__(
        self,
        engine: SipEngine,
        phone: Phone,
        setup: SessionSetup,
        audio: tuple[AudioPort, AudioPort],
        scripted: Callable[[], CallSession | None],
    ) -> None:
        self.engine, self.phone, self.setup, self.audio = engine, phone, setup, audio
        self._scripted = scripted
        self.followed: dict[int, CallSession] = {}  # calls made for the peer's requests, live
        self.ended: list[CallSession] = []
        engine.subscribe(self._on_event)  # before the transfers: sessions exist when they look
        self.transfers = Transfers(engine, phone, self._session)

    def blind(self, session: CallSession, uri: str, timeout_s: float) -> None:
        """The agent's transfer of the scripted call; a REFER that cannot go is recorded."""
        try:
            self.transfers.blind(session, uri, timeout_s)
        except SipError as exc:
            log.info("%s", exc)  # the attempt says why (and the report); the call stays up

    @property
    def following(self) -> bool:
        """A call made for the peer's transfer request is still going on."""
        return bool(self.followed)

    def tick(self) -> None:
        """Every loop turn: let each followed session notice a disclosure that cannot start."""
        for session in self.followed.values():
            session.tick()

    def hang_up(self) -> None:
        """End every followed call (the script's hang-up time has come)."""
        for call_id in list(self.followed):
            self.phone.hangup(call_id)

    def _session(self, call_id: int) -> CallSession | None:
        scripted = self._scripted()
        if scripted is not None and scripted.call_id == call_id:
            return scripted
        return self.followed.get(call_id)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, TransferredCallStarted):
            log.info(
                "call %d: a call for the peer's transfer to %s", event.call_id, event.remote_uri
            )
            self.followed[event.call_id] = start_session(
                self.engine,
                self.phone,
                event.call_id,
                event.direction,
                setup=self.setup,
                audio=self.audio,
            )
            return
        session = self.followed.get(getattr(event, "call_id", -1))
        if session is None:
            return
        session.handle(event)
        if isinstance(event, CallStateChanged) and event.state is CallState.DISCONNECTED:
            self.ended.append(self.followed.pop(session.call_id))

    def report(self, scripted: CallSession | None) -> dict[str, Any]:
        """The report's transfer fields: the agent's last attempt, the peer's, their calls."""
        attempts = scripted.outcome.transfers if scripted is not None else []
        mine = [a.as_json() for a in attempts if a.requested_by == "agent"]
        calls = [*self.ended, *self.followed.values()]
        return {
            "transfer": mine[-1] if mine else None,
            "transfer_requests": [a.as_json() for a in attempts if a.requested_by == "peer"],
            "transferred_calls": [
                {
                    "call_id": s.sip_call_id,
                    "direction": s.direction.value,
                    "remote_uri": s.remote_uri,
                    "answered_at": s.answered_at,
                    "recording": s.outcome.recording,
                    "metadata": s.outcome.metadata,
                    "disclosure": s.outcome.disclosure,
                    "recording_problems": list(s.outcome.problems),
                }
                for s in calls
            ],
        }
