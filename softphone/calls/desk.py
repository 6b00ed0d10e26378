"""The call desk: the one facade every client uses, commands by call id and typed events out.

The desk owns a `CallSession` per live call and the rules between calls: at most one call is in
conversation; answering, placing or resuming a call first holds the one the agent is in, its
gate closed before any SIP is sent (call waiting); beyond `max_calls` live calls an incoming
call is refused with 486 Busy Here. Commands check their call's state before they change
anything and raise a `DeskError` naming the call and the cause. Every change is published as an
immutable `CallSnapshot`; an ended call leaves the desk (history is the store's job). Everything
runs on the main thread: the engine dispatches its events there, and `tick` is called there.

Transfers go through the desk's `TransferTracker` (calls/transfer.py), which `handle` feeds each
event after the call's session took it: blind (`transfer`), or attended (`consult`, then
`complete_transfer`). A call the phone places or takes for the peer's accepted transfer request
is a desk call like any other, opened before any other event of it arrives.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from softphone.calls.pause import PauseError
from softphone.calls.phoneapi import EventLoop, PhoneApi, PortHandle
from softphone.calls.session import (
    SESSION_TIMER_EXPIRED,
    CallSession,
    SessionSetup,
    start_session,
)
from softphone.calls.snapshot import (
    CallChanged,
    CallEnded,
    CallRefused,
    CallSnapshot,
    DeskError,
    DeskEvent,
    DeviceChanged,
    DigitReceived,
    DisclosureState,
    ProblemRaised,
    RegistrationChanged,
    ReinviteRefused,
    TransferFinished,
    UnknownCallError,
)
from softphone.calls.transfer import TransferTracker
from softphone.calls.transferattempt import TRANSFERRED
from softphone.media.deviceevents import DeviceEvent, needs_attention
from softphone.vocabulary import events as ev
from softphone.vocabulary.events import (
    TRANSFER_TIMEOUT_S,
    CallDirection,
    CallState,
    DtmfMethod,
    SipError,
    TransferError,
)

log = logging.getLogger("softphone.calls")

Listener = Callable[[DeskEvent], None]
Screen = Callable[[ev.IncomingCall], tuple[int, str] | None]
"""Looks at an incoming call before it rings: None to take it, or (SIP status, why) to refuse."""

_DTMF = re.compile(r"^[0-9*#A-Da-d]+$")
_RINGING = (CallState.INCOMING, CallState.EARLY)


@dataclass
class _Call:
    """The desk's own record of a live call."""

    session: CallSession
    created_at: float
    state: CallState
    status_code: int = 0
    reason: str = ""
    published: CallSnapshot | None = None
    said: int = 0  # problems already published
    ended_at: float | None = None


class Desk:
    """Commands by call id, one stream of typed events; every method runs on the main thread."""

    def __init__(
        self,
        engine: EventLoop,
        phone: PhoneApi,
        setup: SessionSetup,
        audio: tuple[PortHandle, PortHandle],
        *,
        max_calls: int = 2,
        screen: Screen | None = None,
    ) -> None:
        if max_calls < 1:
            raise ValueError(f"max_calls must be at least 1, not {max_calls}")
        self._engine, self._phone, self._setup, self._audio = engine, phone, setup, audio
        self.max_calls = max_calls
        self._screen = screen
        self.refusals: Counter[int] = Counter()  # calls refused before they rang, by SIP status
        self._calls: dict[int, _Call] = {}
        self._listeners: list[Listener] = []
        self._focus: int | None = None  # the call the agent last dialled, answered or resumed
        self._transfers = TransferTracker(engine, phone, self._session_of)

    # --- what clients see ------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Receive every desk event from now on, on the main thread."""
        self._listeners.append(listener)

    @property
    def busy(self) -> bool:
        """Whether any call is live: then the loop must turn often (media, timers, progress)."""
        return bool(self._calls)

    def calls(self) -> tuple[CallSnapshot, ...]:
        """Every live call, oldest first."""
        return tuple(self._snapshot(c) for c in self._calls.values())

    def call(self, call_id: int) -> CallSnapshot:
        """One live call; UnknownCallError if there is none by that id."""
        return self._snapshot(self._get(call_id))

    # --- commands --------------------------------------------------------------------------

    def dial(self, uri: str, account: str | None = None) -> int:
        """Call `uri`; the call the agent is in is held first. The new call's id."""
        self._below_limit(None)
        self._check_uri(None, uri)
        left = self._leave_others(keep=None)
        try:
            call_id = self._phone.make_call(uri, account)
        except SipError as exc:
            self._take_back(left)
            raise DeskError(None, str(exc)) from exc  # the phone's words name the call already
        self._publish(self._open(call_id, CallDirection.OUTBOUND, CallState.CALLING))
        self._focus = call_id
        return call_id

    def answer(self, call_id: int) -> None:
        """Answer a ringing call; the call the agent was in is held first, its gate closed."""
        call = self._ringing(call_id, "answer")
        left = self._leave_others(keep=call_id)
        try:
            self._phone.answer(call_id)
        except SipError as exc:
            self._take_back(left)
            raise DeskError(call_id, f"cannot answer: {exc}") from exc
        self._focus = call_id
        self._publish(call)

    def reject(self, call_id: int, code: int = 486) -> None:
        """Refuse a ringing call with a 4xx-6xx status (486 Busy Here by default)."""
        if not 400 <= code < 700:
            raise DeskError(call_id, f"a call is refused with a 4xx-6xx status, not {code}")
        self._ringing(call_id, "reject")
        self._sip(call_id, "reject", lambda: self._phone.reject(call_id, code))

    def hang_up(self, call_id: int) -> None:
        """End a call in any state; it leaves the desk when its end is confirmed."""
        call = self._get(call_id)
        call.session.note_end("the agent hung up")
        self._sip(call_id, "hang up", lambda: self._phone.hangup(call_id))

    def hold(self, call_id: int) -> None:
        """Hold an answered call: its gate closes before the re-INVITE is sent."""
        call = self._answered(call_id, "hold")
        if call.session.gate.facts.hold_requested:
            raise DeskError(call_id, "the call is already on hold")
        self._sip(call_id, "hold", call.session.hold)  # the gate is closed even if SIP fails
        self._publish(call)

    def resume(self, call_id: int) -> None:
        """Take a held call back; the call the agent is in is held first (switching calls).

        A call held for a consult is taken back the same way: the consult call is then held.
        """
        call = self._answered(call_id, "resume")
        facts = call.session.gate.facts
        if not facts.hold_requested:
            raise DeskError(call_id, "the call is not on hold")
        self._leave_others(keep=call_id)
        if facts.other_call_active:
            call.session.set_other_call(False)
        if facts.consulting:  # the agent is back with the customer; the consult call waits
            call.session.set_consulting(False)
        self._sip(call_id, "resume", call.session.resume)
        self._focus = call_id
        self._publish(call)

    def pause_recording(self, call_id: int, reason: str, by: str) -> None:
        """Pause the call's recording for privacy without holding it (no SIP is sent)."""
        call = self._get(call_id)
        try:
            call.session.pause_recording(reason, by)
        except PauseError as exc:
            raise DeskError(call_id, f"cannot pause the recording: {exc.cause.value}") from exc
        self._publish(call)

    def resume_recording(self, call_id: int, by: str) -> None:
        """Lift the call's privacy pause; recording goes on if nothing else keeps it closed."""
        call = self._get(call_id)
        try:
            call.session.resume_recording(by)
        except PauseError as exc:
            raise DeskError(call_id, f"cannot resume the recording: {exc.cause.value}") from exc
        self._publish(call)

    def mute(self, call_id: int, muted: bool) -> None:
        """Mute or unmute the agent on an answered call."""
        call = self._answered(call_id, "mute")
        call.session.set_mute(muted)
        self._publish(call)

    def send_dtmf(self, call_id: int, digits: str, method: DtmfMethod = DtmfMethod.RFC4733) -> None:
        """Send DTMF digits (0-9, *, #, A-D) on an answered call."""
        if not _DTMF.match(digits):
            raise DeskError(call_id, f"DTMF digits are 0-9, *, # and A-D, not {digits!r}")
        self._answered(call_id, "send DTMF on")
        self._sip(call_id, "send DTMF", lambda: self._phone.send_dtmf(call_id, digits, method))

    def transfer(self, call_id: int, uri: str, timeout_s: float = TRANSFER_TIMEOUT_S) -> None:
        """Blind transfer: the call's gate closes, then a REFER asks its other side to call `uri`.

        `TransferFinished` tells the outcome; a transferred call is hung up and leaves the desk,
        one that failed (refused, a failure told, none within `timeout_s`) is the agent's again.
        """
        call = self._transferable(call_id)
        self._check_uri(call_id, uri)
        self._transfer(call_id, lambda: self._transfers.blind(call.session, uri, timeout_s))
        self._publish(call)

    def consult(self, call_id: int, uri: str) -> int:
        """Hold an answered call for a consult (its gate closed first), then call `uri`.

        Returns the consult call's id: a desk call like any other (disclosure, recording).
        """
        call = self._answered(call_id, "consult on")
        session = call.session
        if session.gate.facts.consulting:
            raise DeskError(call_id, "the agent is already consulting on it")
        if self._transfers.in_flight(call_id):
            raise DeskError(call_id, "cannot consult on it: a transfer of it is under way")
        self._below_limit(call_id)
        self._check_uri(call_id, uri)
        left = self._leave_others(keep=call_id)
        hold = not session.gate.facts.hold_requested
        session.set_consulting(True)  # the gate closes before the hold is sent
        try:
            if hold:
                session.hold()
            consult_id = self._phone.make_call(uri)
        except SipError as exc:
            session.set_consulting(False)
            if hold and session.gate.facts.hold_requested:
                with contextlib.suppress(SipError):  # it ended meanwhile
                    session.resume()
            self._take_back(left)
            self._publish(call)
            raise DeskError(call_id, f"cannot consult {uri}: {exc}") from exc
        self._publish(call)
        consult = self._open(consult_id, CallDirection.OUTBOUND, CallState.CALLING)
        self._publish(consult)
        self._focus = consult_id
        return consult_id

    def complete_transfer(
        self, call_id: int, consult_id: int, timeout_s: float = TRANSFER_TIMEOUT_S
    ) -> None:
        """Attended transfer: the other side of `call_id` takes over the call `consult_id`.

        Both calls' gates close, then a REFER with Replaces goes on `call_id`; when it succeeded
        both calls are hung up, else both are the agent's again (`call_id` still held).
        """
        call = self._transferable(call_id)
        if consult_id == call_id:
            raise DeskError(call_id, "cannot transfer a call to itself")
        consult = self._transferable(consult_id)
        self._transfer(
            call_id,
            lambda: self._transfers.attended(call.session, consult.session, timeout_s),
        )
        self._publish(call)
        self._publish(consult)

    # --- the engine's events and the loop ---------------------------------------------------

    def handle(self, event: ev.Event) -> None:
        """Take an engine event: route it to its call, publish what changed."""
        if isinstance(event, ev.IncomingCall):
            self._incoming(event)
            return
        if isinstance(event, ev.RegistrationChanged):
            self._emit(RegistrationChanged(event))
            return
        if isinstance(event, ev.TransferredCallStarted):
            self._adopt(event)
            return
        if isinstance(event, ev.TransferEnded):
            self._transfer_ended(event)
            return
        call = self._calls.get(getattr(event, "call_id", -1))
        if call is None:
            return
        answered = call.session.answered_at is not None
        call.session.handle(event)
        self._transfers.handle(event)  # after the session: it finds the call's facts updated
        if isinstance(event, ev.DtmfReceived):
            self._emit(DigitReceived(event.call_id, event.digit, event.method))
        elif isinstance(event, ev.PeerLost):
            text = f"the call was ended: {event.reason}"
            self._emit(ProblemRaised(event.call_id, text, recording=False))
        elif isinstance(event, ev.ReinviteAnswered) and event.refused:
            self._emit(ReinviteRefused(event.call_id, event.kind, event.status_code, event.reason))
        if isinstance(event, ev.CallStateChanged):
            call.state = event.state
            call.status_code, call.reason = event.status_code, event.reason
            if event.state is CallState.DISCONNECTED:
                self._close(call)
                return
            if not answered and call.session.answered_at is not None:
                self._on_answered(call)
        self._publish(call)

    def tick(self) -> None:
        """Called on every loop turn: sessions notice timeouts; disclosure progress is shown."""
        for call in list(self._calls.values()):
            call.session.tick()
            self._publish(call, progress_only=True)

    def end_all(self) -> None:
        """Hang up every live call (shutdown); each leaves the desk as its end is confirmed."""
        for call_id, call in list(self._calls.items()):
            call.session.note_end("the softphone was shut down")
            try:
                self._phone.hangup(call_id)
            except SipError as exc:
                log.warning("call %d: cannot hang up at shutdown: %s", call_id, exc)

    def device_changed(self, event: DeviceEvent) -> None:
        """Pass on what an audio device did; one the agent must act on is a problem too."""
        self._emit(DeviceChanged(event))
        if needs_attention(event):
            self._emit(ProblemRaised(None, event.message))

    # --- inside -----------------------------------------------------------------------------

    def _incoming(self, event: ev.IncomingCall) -> None:
        refusal = (400, event.malformed) if event.malformed else None
        if refusal is None and self._screen is not None:
            refusal = self._screen(event)
        if refusal is None and len(self._calls) >= self.max_calls:
            refusal = (486, f"the agent has {len(self._calls)} calls, the limit")
        if refusal is not None:
            code, why = refusal
            try:
                self._phone.reject(event.call_id, code)
            except SipError as exc:
                log.warning("cannot refuse call %d: %s", event.call_id, exc)
            log.warning(
                "refused a call from %s (%s) to %s with SIP %d: %s",
                event.remote_uri,
                event.source or "?",
                event.local_uri,
                code,
                why,
            )
            self.refusals[code] += 1
            self._emit(CallRefused(event.remote_uri, event.local_uri, code, why, event.source))
            return
        try:
            self._phone.ringing(event.call_id)
        except SipError as exc:
            log.warning("refused an incoming call that cannot be set up: %s", exc)
            with contextlib.suppress(SipError):
                self._phone.hangup(event.call_id)
            return
        call = self._open(event.call_id, CallDirection.INBOUND, CallState.INCOMING)
        call.session.remote_uri = event.remote_uri
        call.session.local_uri = event.local_uri
        self._publish(call)

    def _adopt(self, event: ev.TransferredCallStarted) -> None:
        """The phone placed or took a call for the peer's accepted transfer request: open it.

        The agent follows the request: if they were on the asked call, the new one has the focus.
        """
        inbound = event.direction is CallDirection.INBOUND
        state = CallState.CONNECTING if inbound else CallState.CALLING  # pjsua answers Replaces
        call = self._open(event.call_id, event.direction, state)
        call.session.remote_uri = event.remote_uri
        if self._focus == event.from_call_id or self._focus not in self._calls:
            self._focus = event.call_id
        self._transfers.handle(event)
        self._publish(call)

    def _transfer_ended(self, event: ev.TransferEnded) -> None:
        self._emit(
            TransferFinished(
                event.call_id,
                event.kind,
                event.to,
                event.result,
                event.status_code,
                event.reason,
                event.requested_by,
            )
        )
        call = self._calls.get(event.call_id)
        if call is not None:
            self._publish(call)  # its gate may be back, its microphone too

    def _open(self, call_id: int, direction: CallDirection, state: CallState) -> _Call:
        session = start_session(
            self._engine, self._phone, call_id, direction, setup=self._setup, audio=self._audio
        )
        call = _Call(session, time.time(), state)
        self._calls[call_id] = call
        return call

    def _close(self, call: _Call) -> None:
        """The call ended: finish its session, take it off the desk, free the others."""
        session = call.session
        outcome = session.end()
        call.ended_at = time.time()
        self._calls.pop(session.call_id, None)
        snapshot = self._snapshot(call)
        self._say_problems(call, snapshot)
        if outcome.end_reason == SESSION_TIMER_EXPIRED:
            text = f"the call was ended: {outcome.end_reason}"
            self._emit(ProblemRaised(session.call_id, text, recording=False))
        self._emit(
            CallEnded(
                snapshot,
                call.status_code,
                call.reason,
                outcome.metadata,
                outcome.disclosure,
                tuple(dict(vars(span)) for span in outcome.pauses),
                tuple(attempt.as_json() for attempt in outcome.transfers),
                outcome.end_reason,
            )
        )
        for other in list(self._calls.values()):
            facts = other.session.gate.facts
            if facts.consulting:
                other.session.set_consulting(False)
            if facts.other_call_active and not self._anyone_talking(but=other):
                other.session.set_other_call(False)  # still held: the agent resumes it
            self._publish(other)

    def _on_answered(self, call: _Call) -> None:
        """A call was answered while the agent is on another one (dialled later): hold it."""
        focus = self._focus
        if focus is None or focus == call.session.call_id or focus not in self._calls:
            self._focus = call.session.call_id
            self._leave_others(keep=call.session.call_id)
            return
        call.session.set_other_call(True)
        try:
            call.session.hold()
        except SipError as exc:
            log.info("call %d: not held, it is ending: %s", call.session.call_id, exc)

    def _leave_others(self, keep: int | None) -> list[_Call]:
        """Hold every call the agent talks on, other than `keep`: gate first, then SIP.

        Returns the calls it held, for `_take_back` if the command then fails.
        """
        left: list[_Call] = []
        for call_id, call in self._calls.items():
            session = call.session
            if call_id == keep or session.answered_at is None or _agent_holds(session):
                continue
            if _handed_on(session):  # transferred: the agent is hanging it up
                continue
            session.set_other_call(True)  # closes this call's gate before its hold is sent
            try:
                session.hold()
            except SipError as exc:  # it ended meanwhile; its end is on its way
                log.info("call %d: not held, it is ending: %s", call_id, exc)
            left.append(call)
            self._publish(call)
        return left

    def _take_back(self, left: list[_Call]) -> None:
        """Undo `_leave_others` for a command that failed: the agent is back where they were."""
        for call in left:
            if call.session.call_id in self._calls:
                call.session.set_other_call(False)
                try:
                    call.session.resume()
                except SipError as exc:
                    log.info("call %d: not resumed, it is ending: %s", call.session.call_id, exc)
                self._publish(call)

    def _anyone_talking(self, but: _Call) -> bool:
        return any(
            c is not but and c.session.answered_at is not None and not _agent_holds(c.session)
            for c in self._calls.values()
        )

    def _session_of(self, call_id: int) -> CallSession | None:
        call = self._calls.get(call_id)
        return None if call is None else call.session

    def _below_limit(self, call_id: int | None) -> None:
        if len(self._calls) >= self.max_calls:
            raise DeskError(call_id, f"the agent has {len(self._calls)} calls, the limit")

    def _check_uri(self, call_id: int | None, uri: str) -> None:
        try:
            self._phone.check_uri(uri)
        except SipError as exc:
            raise DeskError(call_id, str(exc)) from exc

    def _transferable(self, call_id: int) -> _Call:
        call = self._answered(call_id, "transfer")
        if self._transfers.in_flight(call_id):
            raise DeskError(call_id, "cannot transfer it: a transfer of it is already under way")
        return call

    def _transfer(self, call_id: int, start: Callable[[], object]) -> None:
        """Start a transfer; one whose REFER cannot go was given back (and kept as failed)."""
        try:
            start()
        except SipError as exc:
            cause = exc.cause if isinstance(exc, TransferError) else str(exc)
            raise DeskError(call_id, f"cannot transfer it: {cause}") from exc

    def _get(self, call_id: int) -> _Call:
        call = self._calls.get(call_id)
        if call is None:
            raise UnknownCallError(call_id, "no such call on the desk (it never was, or ended)")
        return call

    def _ringing(self, call_id: int, what: str) -> _Call:
        call = self._get(call_id)
        if call.session.direction is not CallDirection.INBOUND or call.state not in _RINGING:
            raise DeskError(call_id, f"cannot {what} it: it is not ringing ({call.state.value})")
        return call

    def _answered(self, call_id: int, what: str) -> _Call:
        call = self._get(call_id)
        if call.session.answered_at is None:
            raise DeskError(call_id, f"cannot {what} it: it is not answered ({call.state.value})")
        return call

    def _sip(self, call_id: int, what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except SipError as exc:
            raise DeskError(call_id, f"cannot {what}: {exc}") from exc

    def _publish(self, call: _Call, *, progress_only: bool = False) -> None:
        snapshot = self._snapshot(call)
        last = call.published
        if last == snapshot:
            return
        if progress_only and last is not None and _same_but_progress(last, snapshot):
            return
        call.published = snapshot
        self._say_problems(call, snapshot)
        self._emit(CallChanged(snapshot))

    def _say_problems(self, call: _Call, snapshot: CallSnapshot) -> None:
        for text in snapshot.problems[call.said :]:
            self._emit(ProblemRaised(snapshot.call_id, text))
        call.said = len(snapshot.problems)

    def _emit(self, event: DeskEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _snapshot(self, call: _Call) -> CallSnapshot:
        s = call.session
        gate = s.gate
        playback = s.playback
        frames = (playback.frames_played, playback.total_frames) if playback else (0, 0)
        return CallSnapshot(
            call_id=s.call_id,
            sip_call_id=s.sip_call_id,
            direction=s.direction,
            state=call.state,
            remote_uri=s.remote_uri,
            local_uri=s.local_uri,
            local_hold=_agent_holds(s),
            remote_hold=gate.facts.remote_hold,
            transferring=gate.facts.transferring,
            muted=s.muted,
            privacy_paused=gate.facts.privacy_paused,
            recording_open=gate.is_open,
            recording_blockers=() if gate.is_open else tuple(gate.facts.blockers()),
            disclosure=_disclosure_state(s),
            disclosure_frames=frames,
            recording=s.outcome.recording,
            created_at=call.created_at,
            answered_at=s.answered_at,
            ended_at=call.ended_at,
            problems=tuple(s.outcome.problems),
        )


def _agent_holds(session: CallSession) -> bool:
    facts = session.gate.facts
    return facts.hold_requested or facts.other_call_active or facts.consulting


def _handed_on(session: CallSession) -> bool:
    return any(attempt.result == TRANSFERRED for attempt in session.outcome.transfers)


def _disclosure_state(session: CallSession) -> DisclosureState:
    if session.answered_at is None:
        return DisclosureState.PENDING
    if session.gate.facts.disclosure_done:
        return DisclosureState.COMPLETED
    if session.playback is None:
        return DisclosureState.FAILED
    return DisclosureState.PLAYING


def _same_but_progress(a: CallSnapshot, b: CallSnapshot) -> bool:
    """b differs from a in the disclosure's progress only, by less than a whole percent."""
    (pa, total), (pb, _) = a.disclosure_frames, b.disclosure_frames
    if total == 0 or a.disclosure_frames == b.disclosure_frames:
        return a == b
    same_rest = replace(a, disclosure_frames=(0, 0)) == replace(b, disclosure_frames=(0, 0))
    return same_rest and pa * 100 // total == pb * 100 // total
