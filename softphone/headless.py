"""Scripted calls without a window: place or take one call, hold and hang up on a timetable."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from softphone.calls.events import (
    CallState,
    CallStateChanged,
    DtmfMethod,
    DtmfReceived,
    Event,
    HoldRefused,
    IncomingCall,
    MediaChanged,
)
from softphone.media.frames import FrameSink, FrameSource
from softphone.sip.engine import EngineConfig, SipEngine, SipError
from softphone.sip.phone import AccountSpec, Phone

log = logging.getLogger("softphone.calls")


class CallFailedError(RuntimeError):
    """The call could not be set up or failed; the message names the SIP status and cause."""


@dataclass(frozen=True)
class Timetable:
    """What to do during the call; every time counts in seconds from answer."""

    holds: tuple[tuple[float, float], ...] = ()
    hangup_after: float | None = None
    dtmf: tuple[tuple[float, str, DtmfMethod], ...] = ()
    ring_timeout: float = 30.0
    answer_after: float = 0.0


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
    refused_reinvites: list[dict[str, Any]] = field(default_factory=list)
    dtmf_received: list[dict[str, Any]] = field(default_factory=list)
    recording: str | None = None
    metadata: str | None = None
    disclosure: dict[str, Any] | None = None
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

    def __init__(self, engine: SipEngine, phone: Phone, audio: Audio, plan: Timetable) -> None:
        self.engine = engine
        self.phone = phone
        self.plan = plan
        self.report = CallReport(direction="outbound")
        self._call: int | None = None
        self._incoming_at: float | None = None
        self._answer_mono: float | None = None
        self._done: set[str] = set()
        self._state = CallState.CALLING
        self._remote_hold_since: float | None = None
        self._mic = phone.create_port("mic", source=audio.mic)
        self._speaker = phone.create_port("speaker", sink=audio.speaker)
        engine.subscribe(self._on_event)

    # --- the two ways a call starts --------------------------------------------------------

    def place(self, uri: str) -> CallReport:
        """Call `uri` and follow the timetable until the call ends."""
        self._attach(self.phone.make_call(uri))
        self._started = time.monotonic()
        return self._run()

    def take(self, wait_s: float) -> CallReport:
        """Wait up to `wait_s` for an incoming call, answer it and follow the timetable."""
        self.report.direction = "inbound"
        if not self.engine.run_until(lambda: self._call is not None, wait_s):
            raise CallFailedError(f"no call arrived within {wait_s:g} s")
        return self._run()

    def _attach(self, call_id: int) -> None:
        self._call = call_id
        self.phone.send_to_call(call_id, self._mic)
        self.phone.receive_from_call(call_id, self._speaker)

    # --- the loop --------------------------------------------------------------------------

    def _run(self) -> CallReport:
        while self._state is not CallState.DISCONNECTED:
            self.engine.poll(10)
            self._step(time.monotonic())
        self.report.ended_at = self.report.ended_at or time.time()
        if self.report.answered_at is None:
            raise CallFailedError(_failure(self.report))
        return self.report

    def _step(self, now: float) -> None:
        call = self._call
        if call is None:
            return
        if self._answer_mono is None:
            self._step_setup(call, now)
            return
        since = now - self._answer_mono
        for i, (at, duration) in enumerate(self.plan.holds):
            if self._due(f"hold{i}", since >= at):
                self._hold(call)
            if self._due(f"resume{i}", since >= at + duration):
                self._resume(call)
        for i, (at, digits, method) in enumerate(self.plan.dtmf):
            if self._due(f"dtmf{i}", since >= at):
                self.phone.send_dtmf(call, digits, method)
        if self.plan.hangup_after is not None and self._due(
            "hangup", since >= self.plan.hangup_after
        ):
            self.phone.hangup(call)

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
        self.phone.hold(call)
        self.report.holds.append([time.time()])

    def _resume(self, call: int) -> None:
        self.phone.resume(call)
        if self.report.holds and len(self.report.holds[-1]) == 1:
            self.report.holds[-1].append(time.time())

    # --- events ----------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, IncomingCall):
            self._on_incoming(event)
            return
        if getattr(event, "call_id", None) != self._call:
            return
        if isinstance(event, CallStateChanged):
            self._on_state(event)
        elif isinstance(event, MediaChanged):
            self._on_remote_hold(event.media.remote_hold)
        elif isinstance(event, DtmfReceived):
            self.report.dtmf_received.append(
                {"digit": event.digit, "method": event.method.value, "at": time.time()}
            )
        elif isinstance(event, HoldRefused):
            self.report.refused_reinvites.append(
                {"status_code": event.status_code, "reason": event.reason, "at": time.time()}
            )

    def _on_incoming(self, event: IncomingCall) -> None:
        if self.report.direction != "inbound" or self._call is not None:
            self.phone.reject(event.call_id, 486)  # one call at a time in a scripted run
            return
        self._attach(event.call_id)
        self.report.remote_uri = event.remote_uri
        self._incoming_at = time.monotonic()
        self.phone.ringing(event.call_id)

    def _on_state(self, event: CallStateChanged) -> None:
        self._state = event.state
        self.report.remote_uri = event.remote_uri
        self.report.call_id = event.sip_call_id or self.report.call_id
        self.report.status_code = event.status_code
        self.report.reason = event.reason
        if event.state is CallState.CONFIRMED and self._answer_mono is None:
            self._answer_mono = time.monotonic()
            self.report.answered_at = time.time()
        elif event.state is CallState.DISCONNECTED:
            self.report.ended_at = time.time()
            self._on_remote_hold(False)
            if self.report.holds and len(self.report.holds[-1]) == 1:
                self.report.holds[-1].append(self.report.ended_at)

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
        return f"call failed: SIP {report.status_code} {report.reason}".rstrip()
    return "call failed before any answer"


def run_engine(
    listen: str, identity_user: str, *, transport: str = "udp", log_level: int = 1
) -> tuple[SipEngine, Phone]:
    """Start an engine bound to HOST:PORT with one direct-IP account."""
    host, port = parse_hostport(listen)
    engine = SipEngine(
        EngineConfig(bind_host=host, port=port, transport=transport, log_level=log_level)
    )
    engine.start()
    phone = Phone(engine)
    shown = host if host != "0.0.0.0" else "127.0.0.1"
    try:
        phone.add_account(AccountSpec("direct", f"sip:{identity_user}@{shown}:{engine.bound_port}"))
    except SipError:
        engine.stop()
        raise
    return engine, phone


def parse_hostport(text: str) -> tuple[str, int]:
    """Split HOST:PORT, with a clear error for anything else."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SipError(f"expected HOST:PORT such as 127.0.0.1:5062, not {text!r}")
    return host, int(port)


def resolve_path(text: str | None) -> Path | None:
    """An absolute path for a CLI argument, or None."""
    return None if text is None else Path(text).expanduser().resolve()
