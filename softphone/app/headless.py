"""Scripted calls without a window: place or take calls through the desk, on a timetable.

A scripted call is a desk client like the window: it sends the desk commands by call id (dial,
answer, hold, resume, pause, DTMF, transfer, hang up) and builds its report from the desk's
events: the call's snapshots while it lasts, and the evidence its end carries. Calls the phone
makes or takes for the peer's accepted transfer request are followed until they end too, and
reported beside the scripted one.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from softphone.app.reporttext import final_status, nothing_answered
from softphone.app.root import Softphone
from softphone.calls.snapshot import (
    CallChanged,
    CallEnded,
    CallRefused,
    CallSnapshot,
    DeskError,
    DeskEvent,
    DigitReceived,
    DisclosureState,
    ProblemRaised,
    ReinviteRefused,
)
from softphone.vocabulary.events import (
    TRANSFER_TIMEOUT_S,
    CallDirection,
    CallState,
    DtmfMethod,
    IncomingCall,
    SipError,
)

log = logging.getLogger("softphone.calls")

_RINGING = (CallState.INCOMING, CallState.EARLY)
REFUSALS_KEPT = 50
"""How many refused calls a report lists: a scanner ringing all day must not grow it without end
(`refused_total` counts them all)."""


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
    end_reason: str | None = None  # why the call ended, in words
    holds: list[list[float]] = field(default_factory=list)
    remote_holds: list[list[float]] = field(default_factory=list)
    pauses: list[dict[str, Any]] = field(default_factory=list)
    refused_reinvites: list[dict[str, Any]] = field(default_factory=list)
    dtmf_received: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # the last REFUSALS_KEPT
    refused_total: int = 0  # every call refused while this one was awaited, kept or not
    strangers_refused: int = 0  # calls refused 403: not from the registrar, proxy or trusted hosts
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

    def note_refused(self, entry: dict[str, Any]) -> None:
        """Count a refused call and list it, keeping only the last REFUSALS_KEPT."""
        self.refused_total += 1
        del self.refused[: max(0, len(self.refused) - REFUSALS_KEPT + 1)]
        self.refused.append(entry)


def calls_for(user: str | None) -> Callable[[IncomingCall], tuple[int, str] | None]:
    """A desk screen taking calls for `user` only (404 for others, an extension scan say)."""
    wanted = user.lower() if user else None

    def screen(event: IncomingCall) -> tuple[int, str] | None:
        if wanted is not None and _user_of(event.local_uri) != wanted:
            return 404, f"this phone takes calls for {wanted} only"
        return None

    return screen


class ScriptedCall:
    """Drives one call at a time through the desk and the timetable, on the calling thread."""

    def __init__(
        self,
        softphone: Softphone,
        plan: Timetable,
        *,
        agent: str,
        progress: Callable[[str], None] | None = None,
        tell: Callable[[str], None] | None = None,
    ) -> None:
        self.softphone = softphone
        self.desk = softphone.desk
        self.plan = plan
        self._agent = agent  # who presses the privacy pauses
        self._progress = progress or (lambda _text: None)
        self._tell = tell or (lambda _text: None)  # a problem of the call, as it arises
        self.report = CallReport(direction="outbound")
        self._reset()
        softphone.subscribe(self._on_event)

    def _reset(self) -> None:
        self.told: list[str] = []  # the call's problems told as they arose
        self._call: int | None = None
        self._ended = False
        self._started = time.monotonic()
        self._ringing_since: float | None = None
        self._answer_mono: float | None = None
        self._disclosed = False
        self._remote_hold_since: float | None = None
        self._done: set[str] = set()
        self._pauses_made = 0
        self._followers: set[int] = set()  # calls made or taken for the peer's transfers

    # --- the two ways a call starts --------------------------------------------------------

    def place(self, uri: str) -> CallReport:
        """Call `uri` and follow the timetable until the call ends."""
        self.report.direction = "outbound"
        self._started = time.monotonic()
        try:
            self._call = self.desk.dial(uri)
        except DeskError as exc:
            raise SipError(exc.cause) from exc
        return self._run()

    def next_call(self) -> None:
        """Forget the call that ended, to take the next one (its report is the caller's now)."""
        if self._call is not None and not self._ended:
            raise RuntimeError("the current call has not ended")
        self.report = CallReport(direction=self.report.direction)
        self._reset()

    def take(self, wait_s: float | None) -> CallReport:
        """Wait up to `wait_s` (None: for ever) for a call, answer it and follow the timetable.

        Calls the desk refuses (its screen, its limit) are kept in the report; a call the
        caller abandons before it is answered is noted as missed. Either way the wait goes on.
        """
        self.report.direction = "inbound"
        for snapshot in self.desk.calls():  # one that began to ring before this wait
            self._adopt(snapshot)
        deadline = None if wait_s is None else time.monotonic() + wait_s
        while self.report.answered_at is None:
            if self._call is None and deadline is not None and time.monotonic() >= deadline:
                assert wait_s is not None
                raise CallFailedError(
                    nothing_answered(self.report.refused, self.report.missed, wait_s)
                )
            self.softphone.turn()
            self._step(time.monotonic())
        return self._run()

    # --- the loop --------------------------------------------------------------------------

    def _run(self) -> CallReport:
        try:
            while not self._ended or self._following():
                self.softphone.turn()
                self._step(time.monotonic())
        except KeyboardInterrupt:
            self._hang_up_interrupted()
            raise
        self.report.ended_at = self.report.ended_at or time.time()
        if self.report.answered_at is None:
            raise CallFailedError(_failure(self.report))
        return self.report

    def _following(self) -> bool:
        live = {c.call_id for c in self.desk.calls()}
        return bool(self._followers & live)

    def _step(self, now: float) -> None:
        call = self._call
        if call is None or self._ended:
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
        for i, (at, duration, reason) in enumerate(self.plan.pauses):
            if self._due(f"pause{i}", since >= at):
                self._pause_recording(call, reason)
            if self._due(f"unpause{i}", since >= at + duration):
                self._resume_recording(call)
        for i, (at, digits, method) in enumerate(self.plan.dtmf):
            if self._due(f"dtmf{i}", since >= at):
                self._command(functools.partial(self.desk.send_dtmf, call, digits, method))
        transfer = self.plan.transfer
        if transfer is not None and self._due("transfer", since >= transfer[0]):
            self._progress(f"transferring the call to {transfer[1]}")
            timeout = self.plan.transfer_timeout
            # A transfer that cannot go is in the call's evidence (and the report): the call stays.
            self._command(lambda: self.desk.transfer(call, transfer[1], timeout_s=timeout))
        if self.plan.hangup_after is not None and self._due(
            "hangup", since >= self.plan.hangup_after
        ):
            for other in (call, *sorted(self._followers)):
                self._command(functools.partial(self.desk.hang_up, other))

    def _step_setup(self, call: int, now: float) -> None:
        if self.report.direction == "inbound":
            ringing = self._ringing_since
            if ringing is not None and self._due("answer", now - ringing >= self.plan.answer_after):
                self._command(lambda: self.desk.answer(call))
            return
        if self._due("ring-timeout", now - self._started >= self.plan.ring_timeout):
            self.report.error = f"no answer within {self.plan.ring_timeout:g} s"
            self._command(lambda: self.desk.hang_up(call))

    def _due(self, key: str, condition: bool) -> bool:
        if condition and key not in self._done:
            self._done.add(key)
            return True
        return False

    def _command(self, action: Callable[[], None]) -> bool:
        """Run a desk command; one it refuses is said as a warning (the call has moved on)."""
        try:
            action()
        except DeskError as exc:
            log.warning("%s", exc)
            return False
        return True

    def _hold(self, call: int) -> None:
        self.report.holds.append([time.time()])
        self._command(lambda: self.desk.hold(call))
        self._progress(f"hold {len(self.report.holds)} of {len(self.plan.holds)}")

    def _resume(self, call: int) -> None:
        try:
            self.desk.resume(call)
        except DeskError as exc:
            self.report.refused_reinvites.append({"reason": exc.cause, "at": time.time()})
            return
        if self.report.holds and len(self.report.holds[-1]) == 1:
            self.report.holds[-1].append(time.time())
        self._progress(f"resume {len(self.report.holds)} of {len(self.plan.holds)}")

    def _pause_recording(self, call: int, reason: str) -> None:
        """A privacy pause, pressed by the agent this run belongs to."""
        if self._command(lambda: self.desk.pause_recording(call, reason, by=self._agent)):
            self._pauses_made += 1
            self._progress(f"recording paused ({self._pauses_made} of {len(self.plan.pauses)})")

    def _resume_recording(self, call: int) -> None:
        if self._command(lambda: self.desk.resume_recording(call, by=self._agent)):
            self._progress("recording resumed")

    def _hang_up_interrupted(self) -> None:
        """Ctrl-C: hang up and let the calls end properly, so their recordings are finished."""
        self.report.error = "interrupted: the call was hung up"
        if self._call is None:
            return
        self.softphone.end_calls()
        self.report.ended_at = self.report.ended_at or time.time()

    # --- the desk's events -----------------------------------------------------------------

    def _on_event(self, event: DeskEvent) -> None:
        if isinstance(event, CallChanged):
            self._on_change(event.call)
        elif isinstance(event, CallEnded):
            self._on_ended(event)
        elif isinstance(event, CallRefused):
            self.report.note_refused(
                {
                    "remote_uri": event.remote_uri,
                    "local_uri": event.local_uri,
                    "status_code": event.status_code,
                    "reason": event.reason,
                    "source": event.source,
                    "at": time.time(),
                }
            )
            if event.status_code == 403:
                self.report.strangers_refused += 1
        elif isinstance(event, ProblemRaised) and event.call_id == self._call and event.recording:
            if event.text not in self.told:
                self.told.append(event.text)
                self._tell(event.text)
        elif isinstance(event, DigitReceived) and event.call_id == self._call:
            self.report.dtmf_received.append(
                {"digit": event.digit, "method": event.method.value, "at": time.time()}
            )
        elif isinstance(event, ReinviteRefused) and event.call_id == self._call:
            self.report.refused_reinvites.append(
                {
                    "request": event.request.value,
                    "status_code": event.status_code,
                    "reason": event.reason,
                    "at": time.time(),
                }
            )

    def _adopt(self, call: CallSnapshot) -> bool:
        """Take a ringing call as the scripted one, when the script waits for one."""
        waiting = self.report.direction == "inbound" and self._call is None
        if not waiting or call.direction is not CallDirection.INBOUND or call.state not in _RINGING:
            return False
        self._call = call.call_id
        self._ended = False
        self._ringing_since = time.monotonic()
        self.report.remote_uri = call.remote_uri
        return True

    def _on_change(self, call: CallSnapshot) -> None:
        if call.call_id != self._call:
            if not self._adopt(call) and self._call is not None and not self._ended:
                self._followers.add(call.call_id)  # the phone's call for a transfer request
            return
        self.report.remote_uri = call.remote_uri or self.report.remote_uri
        self.report.call_id = call.sip_call_id or self.report.call_id
        if call.answered_at is not None and self._answer_mono is None:
            self._answer_mono = time.monotonic()
            self.report.answered_at = call.answered_at
            self._progress("answered; the customer hears the disclosure")
        if call.disclosure is DisclosureState.COMPLETED and not self._disclosed:
            self._disclosed = True
            self._progress("the disclosure was played to its end")
        self._on_remote_hold(call.remote_hold)

    def _on_ended(self, event: CallEnded) -> None:
        call = event.call
        if call.call_id in self._followers:
            self.report.transferred_calls.append(_transferred(event))
            return
        if call.call_id != self._call:
            return
        self.report.status_code, self.report.reason = event.status_code, event.reason
        self.report.end_reason = event.end_reason
        self.report.call_id = call.sip_call_id or self.report.call_id
        if self.report.direction == "inbound" and call.answered_at is None:
            self.report.missed.append(
                {"remote_uri": call.remote_uri, "status_code": event.status_code, "at": time.time()}
            )
            self._call, self._ringing_since = None, None
            self._done.discard("answer")
            return
        self._ended = True
        self._progress("the call ended")
        self.report.ended_at = time.time()
        self.report.recording = call.recording
        self.report.metadata = event.metadata
        self.report.disclosure = event.disclosure
        self.report.recording_problems = list(call.problems)
        self.report.pauses = [dict(span) for span in event.pauses]
        mine = [dict(t) for t in event.transfers if t["requested_by"] == "agent"]
        self.report.transfer = mine[-1] if mine else None
        self.report.transfer_requests = [
            dict(t) for t in event.transfers if t["requested_by"] != "agent"
        ]
        self._on_remote_hold(False)
        if self.report.holds and len(self.report.holds[-1]) == 1:
            self.report.holds[-1].append(self.report.ended_at)

    def _on_remote_hold(self, held: bool) -> None:
        if held and self._remote_hold_since is None:
            self._remote_hold_since = time.time()
        elif not held and self._remote_hold_since is not None:
            self.report.remote_holds.append([self._remote_hold_since, time.time()])
            self._remote_hold_since = None


def _transferred(event: CallEnded) -> dict[str, Any]:
    """A call made or taken for the peer's transfer request, as the report lists it."""
    call = event.call
    return {
        "call_id": call.sip_call_id,
        "direction": call.direction.value,
        "remote_uri": call.remote_uri,
        "answered_at": call.answered_at,
        "recording": call.recording,
        "metadata": event.metadata,
        "disclosure": event.disclosure,
        "recording_problems": list(call.problems),
    }


def _failure(report: CallReport) -> str:
    if report.error:
        return report.error
    if report.status_code:
        return final_status(report.status_code, report.reason)
    return "call failed before any answer"


def _user_of(uri: str) -> str:
    """The user part of a SIP URI or name-addr, lower-cased; '' when it has none."""
    inner = uri[uri.find("<") + 1 : uri.rfind(">")] if "<" in uri else uri
    rest = inner.split(":", 1)[-1]
    return rest.split("@", 1)[0].lower() if "@" in rest else ""
