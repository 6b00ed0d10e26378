"""Scripted calls without a window: place or take one call; hold, pause, hang up on a timetable."""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from softphone.app.reporttext import final_status, nothing_answered
from softphone.app.scriptedtransfer import ScriptedTransfers
from softphone.calls.pause import PauseError
from softphone.calls.session import CallSession, SessionSetup, start_session
from softphone.sip.engine import EngineConfig, SipEngine
from softphone.sip.phone import AccountSpec, Phone
from softphone.vocabulary.events import (
    TRANSFER_TIMEOUT_S,
    CallDirection,
    CallState,
    CallStateChanged,
    DisclosureFinished,
    DtmfMethod,
    DtmfReceived,
    Event,
    IncomingCall,
    MediaChanged,
    ReinviteAnswered,
    SipError,
)
from softphone.vocabulary.frames import FrameSink, FrameSource

log = logging.getLogger("softphone.calls")

# How long one loop turn may wait in pjsua2 for network events; events end the wait at once, so
# this only bounds the timetable's resolution (and each wake-up costs CPU).
POLL_MS = 20


class CallFailedError(RuntimeError):
    """The call could not be set up or failed; the message names the SIP status and cause."""


@dataclass(frozen=True)
class Timetable:
    """What to do during the call; every time counts in seconds from answer."""

    holds: tuple[tuple[float, float], ...] = ()
    pauses: tuple[tuple[float, float, str], ...] = ()  # privacy pauses: at, duration, reason
    hangup_after: float | None = None
    dtmf: tuple[tuple[float, str, DtmfMethod], ...] = ()
    ring_timeout: float = 30.0
    answer_after: float = 0.0
    transfer: tuple[float, str] | None = None  # blind transfer: when, and to whom
    transfer_timeout: float = TRANSFER_TIMEOUT_S


@dataclass
class CallReport:
    """What happened on the call, for people and for `--json`."""

    direction: str
    remote_uri: str = ""
    call_id: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    status_code: int = 0
    reason: str = ""
    holds: list[list[float]] = field(default_factory=list)
    remote_holds: list[list[float]] = field(default_factory=list)
    pauses: list[dict[str, Any]] = field(default_factory=list)
    refused_reinvites: list[dict[str, Any]] = field(default_factory=list)
    dtmf_received: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    recording_problems: list[str] = field(default_factory=list)
    recording: str | None = None
    metadata: str | None = None
    disclosure: dict[str, Any] | None = None
    transfer: dict[str, Any] | None = None
    transfer_requests: list[dict[str, Any]] = field(default_factory=list)
    transferred_calls: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Audio:
    """Where the agent's outgoing audio comes from and where the customer's audio goes."""

    mic: FrameSource
    speaker: FrameSink


class ScriptedCall:
    """Drives one call through the phone and the timetable, on the calling thread."""

    def __init__(
        self,
        engine: SipEngine,
        phone: Phone,
        audio: Audio,
        plan: Timetable,
        setup: SessionSetup,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self._progress = progress or (lambda _text: None)
        self.phone = phone
        self.plan = plan
        self.report = CallReport(direction="outbound")
        self._call: int | None = None
        self._incoming_at: float | None = None
        self._answer_mono: float | None = None
        self._done: set[str] = set()
        self._state = CallState.CALLING
        self._remote_hold_since: float | None = None
        self._setup = setup
        self.session: CallSession | None = None
        self._user: str | None = None
        self._mic = phone.create_port("mic", source=audio.mic)
        self._speaker = phone.create_port("speaker", sink=audio.speaker)
        engine.subscribe(self._on_event)
        self._transfers = ScriptedTransfers(
            engine, phone, setup, (self._mic, self._speaker), lambda: self.session
        )

    # --- the two ways a call starts --------------------------------------------------------

    def place(self, uri: str) -> CallReport:
        """Call `uri` and follow the timetable until the call ends."""
        self._attach(self.phone.make_call(uri))
        self._started = time.monotonic()
        return self._run()

    def next_call(self) -> None:
        """Forget the call that ended, to take the next one (its report is the caller's now)."""
        if self._call is not None and self._state is not CallState.DISCONNECTED:
            raise RuntimeError("the current call has not ended")
        self.report = CallReport(direction=self.report.direction)
        self._call = None
        self.session = None
        self._incoming_at = None
        self._answer_mono = None
        self._done.clear()
        self._state = CallState.CALLING
        self._remote_hold_since = None
        self._transfers.ended.clear()

    def take(self, wait_s: float | None, user: str | None) -> CallReport:
        """Wait up to `wait_s` (None: for ever) for a call, answer it and follow the timetable.

        With `user` (a policy account's user), calls for other users (an extension scan, say)
        are refused with 404; without, any call to this address is taken. A refused call is
        said on standard error and kept in the report; a call the caller abandons before it
        is answered is noted as missed. Either way the wait goes on.
        """
        self.report.direction = "inbound"
        self._user = user.lower() if user else None
        deadline = None if wait_s is None else time.monotonic() + wait_s
        while self.report.answered_at is None:
            if self._call is None and deadline is not None and time.monotonic() >= deadline:
                assert wait_s is not None
                raise CallFailedError(
                    nothing_answered(self.report.refused, self.report.missed, wait_s)
                )
            self.engine.poll(POLL_MS)
            self._step(time.monotonic())
        return self._run()

    def _attach(self, call_id: int) -> None:
        self._call = call_id
        inbound = self.report.direction == "inbound"
        direction = CallDirection.INBOUND if inbound else CallDirection.OUTBOUND
        self.session = start_session(
            self.engine,
            self.phone,
            call_id,
            direction,
            setup=self._setup,
            audio=(self._mic, self._speaker),
        )

    # --- the loop --------------------------------------------------------------------------

    def _run(self) -> CallReport:
        try:
            while self._state is not CallState.DISCONNECTED or self._transfers.following:
                self.engine.poll(POLL_MS)
                self._step(time.monotonic())
        except KeyboardInterrupt:
            self._hang_up_interrupted()
            raise
        self.report.ended_at = self.report.ended_at or time.time()
        self._collect_outcome()  # the calls followed after the scripted one have ended too
        if self.report.answered_at is None:
            raise CallFailedError(_failure(self.report))
        return self.report

    def _step(self, now: float) -> None:
        call = self._call
        if call is None:
            return
        if self.session is not None:
            self.session.tick()
        self._transfers.tick()
        if self._answer_mono is None:
            self._step_setup(call, now)
            return
        since = now - self._answer_mono
        for i, (at, duration) in enumerate(self.plan.holds):
            if self._due(f"hold{i}", since >= at):
                self._hold(call)
            if self._due(f"resume{i}", since >= at + duration):
                self._resume(call)
        for i, (at, duration, reason) in enumerate(self.plan.pauses):
            if self._due(f"pause{i}", since >= at):
                self._pause_recording(reason)
            if self._due(f"unpause{i}", since >= at + duration):
                self._resume_recording()
        for i, (at, digits, method) in enumerate(self.plan.dtmf):
            if self._due(f"dtmf{i}", since >= at):
                self.phone.send_dtmf(call, digits, method)
        transfer = self.plan.transfer
        if transfer is not None and self._due("transfer", since >= transfer[0]):
            assert self.session is not None and self.session.call_id == call
            self._progress(f"transferring the call to {transfer[1]}")
            self._transfers.blind(self.session, transfer[1], self.plan.transfer_timeout)
        if self.plan.hangup_after is not None and self._due(
            "hangup", since >= self.plan.hangup_after
        ):
            self.phone.hangup(call)
            self._transfers.hang_up()

    def _step_setup(self, call: int, now: float) -> None:
        if self.report.direction == "inbound" and self._incoming_at is not None:
            if self._due("answer", now - self._incoming_at >= self.plan.answer_after):
                self.phone.answer(call)
            return
        if self._due("ring-timeout", now - self._started >= self.plan.ring_timeout):
            self.report.error = f"no answer within {self.plan.ring_timeout:g} s"
            self.phone.hangup(call)

    def _due(self, key: str, condition: bool) -> bool:
        if condition and key not in self._done:
            self._done.add(key)
            return True
        return False

    def _hold(self, call: int) -> None:
        assert self.session is not None and self.session.call_id == call
        self.report.holds.append([time.time()])
        self.session.hold()
        self._progress(f"hold {len(self.report.holds)} of {len(self.plan.holds)}")

    def _resume(self, call: int) -> None:
        assert self.session is not None and self.session.call_id == call
        try:
            self.session.resume()
        except SipError as exc:
            self.report.refused_reinvites.append({"reason": str(exc), "at": time.time()})
            return
        if self.report.holds and len(self.report.holds[-1]) == 1:
            self.report.holds[-1].append(time.time())
        self._progress(f"resume {len(self.report.holds)} of {len(self.plan.holds)}")

    def _pause_recording(self, reason: str) -> None:
        """A privacy pause, pressed by the agent this run belongs to."""
        assert self.session is not None
        try:
            self.session.pause_recording(reason, by=self._setup.agent)
        except PauseError as exc:
            log.warning("%s", exc)
            return
        self._progress(
            f"recording paused ({len(self.session.outcome.pauses)} of {len(self.plan.pauses)})"
        )

    def _resume_recording(self) -> None:
        assert self.session is not None
        try:
            self.session.resume_recording(by=self._setup.agent)
        except PauseError as exc:
            log.warning("%s", exc)
            return
        self._progress("recording resumed")

    # --- events ----------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, IncomingCall):
            self._on_incoming(event)
            return
        if getattr(event, "call_id", None) != self._call:
            return
        if self.session is not None:
            self.session.handle(event)
        if isinstance(event, DisclosureFinished):
            self._progress("the disclosure was played to its end")
        if isinstance(event, CallStateChanged):
            self._on_state(event)
        elif isinstance(event, MediaChanged):
            self._on_remote_hold(event.media.remote_hold)
        elif isinstance(event, DtmfReceived):
            self.report.dtmf_received.append(
                {"digit": event.digit, "method": event.method.value, "at": time.time()}
            )
        elif isinstance(event, ReinviteAnswered) and event.refused:
            self.report.refused_reinvites.append(
                {
                    "request": event.kind.value,
                    "status_code": event.status_code,
                    "reason": event.reason,
                    "at": time.time(),
                }
            )

    def _on_incoming(self, event: IncomingCall) -> None:
        if self._user is not None and _user_of(event.local_uri) != self._user:
            why = f"this phone takes calls for {self._user} only"
            self._refuse(event, 404, why)
            return
        if self.report.direction != "inbound" or self._call is not None:
            self._refuse(event, 486, "a call is in progress (one call at a time)")
            return
        try:
            self.phone.ringing(event.call_id)
        except SipError as exc:
            log.warning("refused an incoming call that cannot be set up: %s", exc)
            self.phone.hangup(event.call_id)
            return
        self._attach(event.call_id)
        self.report.remote_uri = event.remote_uri
        self._incoming_at = time.monotonic()

    def _refuse(self, event: IncomingCall, status: int, why: str) -> None:
        self.phone.reject(event.call_id, status)
        self.report.refused.append(
            {
                "remote_uri": event.remote_uri,
                "local_uri": event.local_uri,
                "status_code": status,
                "reason": why,
                "at": time.time(),
            }
        )
        log.warning(
            "refused a call from %s to %s with SIP %d: %s",
            event.remote_uri,
            event.local_uri,
            status,
            why,
        )

    def _hang_up_interrupted(self, grace_s: float = 5.0) -> None:
        """Ctrl-C: hang up and let the call end properly, so its recording is finished."""
        self.report.error = "interrupted: the call was hung up"
        if self._call is None:
            return
        self.phone.hangup(self._call)
        self._transfers.hang_up()
        deadline = time.monotonic() + grace_s
        while (
            self._state is not CallState.DISCONNECTED or self._transfers.following
        ) and time.monotonic() < deadline:
            self.engine.poll(POLL_MS)
        self._collect_outcome()
        self.report.ended_at = self.report.ended_at or time.time()

    def _on_state(self, event: CallStateChanged) -> None:
        self._state = event.state
        self.report.remote_uri = event.remote_uri
        self.report.call_id = event.sip_call_id or self.report.call_id
        self.report.status_code = event.status_code
        self.report.reason = event.reason
        if event.state is CallState.CONFIRMED and self._answer_mono is None:
            self._answer_mono = time.monotonic()
            self.report.answered_at = time.time()
            self._progress("answered; the customer hears the disclosure")
        elif event.state is CallState.DISCONNECTED and self._waiting_for_another(event):
            return
        elif event.state is CallState.DISCONNECTED:
            self._progress("the call ended")
            self.report.ended_at = time.time()
            self._collect_outcome()
            self._on_remote_hold(False)
            if self.report.holds and len(self.report.holds[-1]) == 1:
                self.report.holds[-1].append(self.report.ended_at)

    def _collect_outcome(self) -> None:
        """The report's recording and transfer fields; again as followed calls end."""
        for key, value in self._transfers.report(self.session).items():
            setattr(self.report, key, value)
        if self.session is None:
            return
        outcome = self.session.end()
        self.report.recording = outcome.recording
        self.report.metadata = outcome.metadata
        self.report.disclosure = outcome.disclosure
        self.report.recording_problems = list(outcome.problems)
        self.report.pauses = [dict(vars(span)) for span in outcome.pauses]

    def _waiting_for_another(self, event: CallStateChanged) -> bool:
        """An inbound call abandoned before answer is missed; the phone waits for the next."""
        if self.report.direction != "inbound" or self._answer_mono is not None:
            return False
        self.report.missed.append(
            {"remote_uri": event.remote_uri, "status_code": event.status_code, "at": time.time()}
        )
        self._call = None
        self.session = None
        self._incoming_at = None
        self._done.discard("answer")
        self._state = CallState.CALLING
        return True

    def _on_remote_hold(self, held: bool) -> None:
        if held and self._remote_hold_since is None:
            self._remote_hold_since = time.time()
        elif not held and self._remote_hold_since is not None:
            self.report.remote_holds.append([self._remote_hold_since, time.time()])
            self._remote_hold_since = None


def _failure(report: CallReport) -> str:
    if report.error:
        return report.error
    if report.status_code:
        return final_status(report.status_code, report.reason)
    return "call failed before any answer"


@contextlib.contextmanager
def engine_session(
    listen: str, identity_user: str, *, log_level: int = 1
) -> Iterator[tuple[SipEngine, Phone]]:
    """A started engine bound to HOST:PORT with one direct-IP account, stopped on exit."""
    host, port = parse_hostport(listen)
    engine = SipEngine(EngineConfig(bind_host=host, port=port, log_level=log_level))
    engine.start()
    try:
        phone = Phone(engine)
        shown = host if host != "0.0.0.0" else "127.0.0.1"
        phone.add_account(AccountSpec("direct", f"sip:{identity_user}@{shown}:{engine.bound_port}"))
        yield engine, phone
    except BaseException as exc:
        # Frames of a failed operation hold pjsua2 objects; none may outlive libDestroy.
        traceback.clear_frames(exc.__traceback__)
        raise
    finally:
        engine.stop()


def _user_of(uri: str) -> str:
    """The user part of a SIP URI or name-addr, lower-cased; '' when it has none."""
    inner = uri[uri.find("<") + 1 : uri.rfind(">")] if "<" in uri else uri
    rest = inner.split(":", 1)[-1]
    return rest.split("@", 1)[0].lower() if "@" in rest else ""


def parse_hostport(text: str) -> tuple[str, int]:
    """Split HOST:PORT, with a clear error for anything else."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SipError(f"expected HOST:PORT such as 127.0.0.1:5062, not {text!r}")
    return host, int(port)


def resolve_path(text: str | None) -> Path | None:
    """An absolute path for a CLI argument, or None."""
    return None if text is None else Path(text).expanduser().resolve()
