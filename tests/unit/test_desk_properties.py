"""The desk under random commands and SIP events: its promises hold after every step."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from softphone.calls.desk import Desk, Screen
from softphone.calls.session import SessionSetup
from softphone.calls.snapshot import (
    CallEnded,
    CallSnapshot,
    DeskError,
    DeskEvent,
    DisclosureState,
    TransferFinished,
)
from softphone.media.disclosure import Disclosure
from softphone.recordings.store import RecordingStore
from softphone.vocabulary.events import CallState
from softphone.vocabulary.frames import FRAME_BYTES
from tests.unit.fakephone import FakeCall, FakeEngine, FakePhone

DISCLOSURE_FRAMES = 2
UNKNOWN_CALL = 999
TRANSFER_TIMEOUT_S = 5.0  # the bound the harness gives its transfers (time passes in steps)


@dataclass(frozen=True)
class _Spec:
    id: str = "test"
    language: str = "en"
    purpose: str = "quality"
    audio: Path = Path("/nonexistent.wav")


class Harness:
    """A desk on a fake phone; each step is a command of the agent or something a peer does."""

    def __init__(self, screen: Screen | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="desk-")
        store = RecordingStore(Path(self._tmp.name), agent="agent")
        disclosure = Disclosure(_Spec(), bytes(FRAME_BYTES * DISCLOSURE_FRAMES), "0" * 64)
        self.engine = FakeEngine()
        self.phone = FakePhone(self.engine)
        mic = self.phone.create_port("mic")
        speaker = self.phone.create_port("speaker")
        setup = SessionSetup(
            agent="agent", disclosure=disclosure, store=store, pause_requires_reason=True
        )
        self.desk = Desk(self.engine, self.phone, setup, (mic, speaker), max_calls=2, screen=screen)
        self.events: list[DeskEvent] = []
        self.desk.subscribe(self.events.append)

    def close(self) -> None:
        """Hang up what is left; every call leaves the desk and the folder goes."""
        try:
            self.desk.end_all()
            self._settle()
            assert self.desk.calls() == ()
            self.check()
        finally:
            self._tmp.cleanup()

    def check(self) -> None:
        """Every promise, after every step."""
        self.no_gate_open_while_a_closing_condition_holds()
        self.at_most_one_call_in_conversation()
        self.sip_follows_what_the_desk_says()
        self.every_ended_call_has_a_finished_recording_or_a_reason()
        self.ended_calls_leave_the_desk()
        self.transferred_calls_leave_the_desk()

    # --- helpers ----------------------------------------------------------------------------

    def _settle(self) -> None:
        """Dispatch what the step caused, then let the bridge clock run one frame."""
        self.phone.deliver(self.desk.handle)
        self.phone.bridge_ticks(1)
        self.desk.tick()
        self.phone.deliver(self.desk.handle)

    def _pick(self, index: int) -> int:
        """A live call (index 0-2, oldest first, wrapping), or one the desk never had (3)."""
        ids = [c.call_id for c in self.desk.calls()]
        return ids[index % len(ids)] if ids and index < 3 else UNKNOWN_CALL

    def _truth(self, which: Callable[[FakeCall], bool]) -> list[int]:
        """The live calls the desk has, oldest first, that are `which` in truth."""
        return [c.call_id for c in self.desk.calls() if which(self.phone.calls[c.call_id])]

    def _command(self, action: str, index: int, *args: object) -> None:
        """Run a desk command; one it refuses must leave everything as it was."""
        call_id = self._pick(index)
        before = (self.desk.calls(), list(self.phone.sent))
        try:
            getattr(self.desk, action)(call_id, *args)
        except DeskError as exc:
            assert exc.call_id == call_id
            assert (self.desk.calls(), self.phone.sent) == before, f"{action} half-changed"
        self._settle()

    # --- the agent --------------------------------------------------------------------------

    def dial(self) -> None:
        full = len(self.desk.calls()) >= self.desk.max_calls
        try:
            self.desk.dial("sip:customer@peer")
        except DeskError as exc:
            assert full and exc.call_id is None, exc
        else:
            assert not full, "dialled beyond the limit"
        self._settle()

    def dial_nonsense(self) -> None:
        before = (self.desk.calls(), list(self.phone.sent))
        try:
            self.desk.dial("customer at peer")
        except DeskError:
            pass
        else:
            raise AssertionError("a bad URI was dialled")
        assert (self.desk.calls(), self.phone.sent) == before
        self._settle()

    def answer(self, index: int) -> None:
        self._command("answer", index)

    def reject(self, index: int, code: int) -> None:
        self._command("reject", index, code)

    def hang_up(self, index: int) -> None:
        self._command("hang_up", index)

    def hold(self, index: int) -> None:
        self._command("hold", index)

    def resume(self, index: int) -> None:
        self._command("resume", index)

    def pause(self, index: int, with_reason: bool) -> None:
        self._command("pause_recording", index, "card number" if with_reason else "", "agent")

    def resume_recording(self, index: int) -> None:
        self._command("resume_recording", index, "agent")

    def mute(self, index: int, muted: bool) -> None:
        self._command("mute", index, muted)

    def dtmf(self, index: int, digits: str) -> None:
        self._command("send_dtmf", index, digits)

    def transfer(self, index: int, valid: bool) -> None:
        target = "sip:desk2@pbx" if valid else "desk2 at pbx"
        self._command("transfer", index, target, TRANSFER_TIMEOUT_S)

    def transfer_unsendable(self, index: int) -> None:
        self.phone.refer_error = "Transport error"
        self._command("transfer", index, "sip:desk2@pbx", TRANSFER_TIMEOUT_S)
        self.phone.refer_error = None

    def consult(self, index: int, valid: bool) -> None:
        self._command("consult", index, "sip:colleague@pbx" if valid else "colleague at pbx")

    def complete_transfer(self, index: int, known: bool) -> None:
        call_id = self._pick(index)
        consult_id = self._pick(index + 1) if known else UNKNOWN_CALL
        before = (self.desk.calls(), list(self.phone.sent))
        try:
            self.desk.complete_transfer(call_id, consult_id, TRANSFER_TIMEOUT_S)
        except DeskError as exc:
            assert exc.call_id in (call_id, consult_id)
            assert (self.desk.calls(), self.phone.sent) == before, "complete_transfer half-changed"
        self._settle()

    # --- the peers and the network ----------------------------------------------------------

    def call_arrives(self) -> None:
        self.phone.incoming()
        self._settle()

    def peer_answers(self, index: int) -> None:
        """The callee of one of the outbound calls that ring answers (a consult's, say)."""
        if calling := self._truth(lambda c: not c.inbound and c.state is CallState.CALLING):
            self.phone.peer_answers(calling[index % len(calling)])
        self._settle()

    def peer_answers_reinvite(self, index: int, accept: bool) -> None:
        if (call_id := self._pick(index)) in self.phone.calls:
            self.phone.peer_answers_reinvite(call_id, accept)
        self._settle()

    def peer_holds(self, index: int, holding: bool) -> None:
        if (call_id := self._pick(index)) in self.phone.calls:
            self.phone.peer_holds(call_id, holding)
        self._settle()

    def peer_hangs_up(self, index: int) -> None:
        if (call_id := self._pick(index)) in self.phone.calls:
            self.phone.peer_hangs_up(call_id)
        self._settle()

    def bridge_ticks(self, ticks: int) -> None:
        self.phone.bridge_ticks(ticks)
        self._settle()

    def peer_notifies(self, index: int, success: bool) -> None:
        """The transferee of one of our REFERs tells: 180 (index 3), else 200 or 486."""
        if referred := self._truth(lambda c: c.refer is not None):
            status = 180 if index == 3 else 200 if success else 486
            self.phone.peer_notifies(referred[index % len(referred)], status)
        self._settle()

    def time_passes(self, seconds: float) -> None:
        """Timers fire: the phone's bound on a REFER, the bound on following the peer's."""
        self.engine.advance(seconds)
        self._settle()

    def peer_refers(self, index: int, allowed: bool, *, reachable: bool = True) -> None:
        self.phone.allow_incoming_transfers(allowed)
        if (call_id := self._pick(index)) in self.phone.calls:
            self.phone.peer_refers(call_id, "sip:desk2@peer", reachable=reachable)
        self._settle()

    def peer_replaces(self, index: int, allowed: bool) -> None:
        self.phone.allow_incoming_transfers(allowed)
        if (call_id := self._pick(index)) in self.phone.calls:
            self.phone.peer_replaces(call_id)
        self._settle()

    # --- the promises -----------------------------------------------------------------------

    def no_gate_open_while_a_closing_condition_holds(self) -> None:
        for snap in self.desk.calls():
            if not snap.recording_open:
                continue
            truth = self.phone.calls[snap.call_id]
            assert truth.state is CallState.CONFIRMED, snap
            assert not truth.held, f"recording while held: {snap} {truth}"
            assert truth.stream not in truth.tainted, f"recording a stream once held: {truth}"
            assert snap.disclosure is DisclosureState.COMPLETED, snap
            assert not snap.local_hold and not snap.remote_hold, snap
            assert not snap.privacy_paused, f"recording while paused for privacy: {snap}"
            assert not snap.transferring, f"recording while being transferred: {snap}"
            assert truth.refer is None, f"recording while our REFER awaits its outcome: {truth}"
            assert truth.following is None, f"recording while the peer's transfer goes: {truth}"

    def at_most_one_call_in_conversation(self) -> None:
        talking = [s.call_id for s in self.desk.calls() if s.talking]
        assert len(talking) <= 1, f"talking on {talking}"
        assert sum(s.recording_open for s in self.desk.calls()) <= 1

    def sip_follows_what_the_desk_says(self) -> None:
        for snap in self.desk.calls():
            truth = self.phone.calls[snap.call_id]
            if snap.answered and truth.state is CallState.CONFIRMED:
                assert truth.agent_wants_hold == snap.local_hold, (snap, truth)

    def every_ended_call_has_a_finished_recording_or_a_reason(self) -> None:
        for event in self.events:
            if isinstance(event, CallEnded):
                _assert_accounted(event)
        self.events = [e for e in self.events if not isinstance(e, CallEnded)]

    def ended_calls_leave_the_desk(self) -> None:
        for snap in self.desk.calls():
            assert self.phone.calls[snap.call_id].state is not CallState.DISCONNECTED, snap
        # A call the peer's transfer brings may stand beside the one it replaces, until it goes.
        staying = [s for s in self.desk.calls() if not s.transferring]
        assert len(staying) <= self.desk.max_calls

    def transferred_calls_leave_the_desk(self) -> None:
        live = {s.call_id for s in self.desk.calls()}
        for event in self.events:
            if isinstance(event, TransferFinished) and event.result == "transferred":
                assert event.call_id not in live, f"a transferred call stayed: {event}"
        self.events = [e for e in self.events if not isinstance(e, TransferFinished)]


def _assert_accounted(event: CallEnded) -> None:
    call: CallSnapshot = event.call
    assert call.state is CallState.DISCONNECTED and call.ended_at is not None
    if not call.answered:
        assert event.status_code > 0 and event.reason, event  # why it never was a call
        assert call.recording is None
        return
    if call.recording is not None:
        assert Path(call.recording).is_file(), f"recording not finished: {call.recording}"
        assert event.metadata is not None and Path(event.metadata).is_file()
    else:
        assert call.problems, f"an answered call left no recording and no reason: {call}"


STEPS = {
    "dial": lambda h, i, flag: h.dial(),
    "dial_nonsense": lambda h, i, flag: h.dial_nonsense(),
    "answer": lambda h, i, flag: h.answer(i),
    "reject": lambda h, i, flag: h.reject(i, 486 if flag else 200),
    "hang_up": lambda h, i, flag: h.hang_up(i),
    "hold": lambda h, i, flag: h.hold(i),
    "resume": lambda h, i, flag: h.resume(i),
    "mute": lambda h, i, flag: h.mute(i, flag),
    "pause": lambda h, i, flag: h.pause(i, flag),
    "resume_recording": lambda h, i, flag: h.resume_recording(i),
    "dtmf": lambda h, i, flag: h.dtmf(i, "12#" if flag else "x"),
    "call_arrives": lambda h, i, flag: h.call_arrives(),
    "peer_answers": lambda h, i, flag: h.peer_answers(i),
    "peer_answers_reinvite": lambda h, i, flag: h.peer_answers_reinvite(i, flag),
    "peer_holds": lambda h, i, flag: h.peer_holds(i, flag),
    "peer_hangs_up": lambda h, i, flag: h.peer_hangs_up(i),
    "bridge_ticks": lambda h, i, flag: h.bridge_ticks(i + 1),
    "transfer": lambda h, i, flag: h.transfer(i, flag),
    "transfer_unsendable": lambda h, i, flag: h.transfer_unsendable(i),
    "consult": lambda h, i, flag: h.consult(i, flag),
    "complete_transfer": lambda h, i, flag: h.complete_transfer(i, flag),
    "peer_notifies": lambda h, i, flag: h.peer_notifies(i, flag),
    "time_passes": lambda h, i, flag: h.time_passes(i + 1.0),
    "peer_refers": lambda h, i, flag: h.peer_refers(i, flag),
    "peer_refers_nowhere": lambda h, i, flag: h.peer_refers(i, True, reachable=False),
    "peer_replaces": lambda h, i, flag: h.peer_replaces(i, flag),
}
Step = tuple[str, int, bool]
# A transfer needs an answered call and then its outcome: those steps come more often.
WEIGHTS = {"answer": 3, "peer_answers": 3, "call_arrives": 2, "dial": 2, "transfer": 3,
           "consult": 2, "complete_transfer": 3, "peer_notifies": 3}  # fmt: skip
NAMES = [name for name in sorted(STEPS) for _ in range(WEIGHTS.get(name, 1))]
steps = st.tuples(st.sampled_from(NAMES), st.integers(0, 3), st.booleans())


@settings(
    max_examples=150,  # about 25 s: closing each recording waits for its writer's last batch
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(steps, min_size=40, max_size=80))
def test_the_desk_keeps_its_promises_after_every_step(script: list[Step]) -> None:
    harness = Harness()
    try:
        for name, index, flag in script:
            STEPS[name](harness, index, flag)
            harness.check()
    finally:
        harness.close()
