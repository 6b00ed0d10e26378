"""A PhoneApi without a network, for unit tests of the call model: the test plays the peer.

The fake keeps, per call, the truth the real phone would learn from SIP: who holds, which media
stream is current and whether it was created while a hold stood, whether our REFER awaits its
outcome and whether a call is being placed for the peer's transfer request. Commands of the desk
change only what the agent wants; the peer's side (answers, refusals, its own holds, hang-ups,
NOTIFYs, its own REFERs) happens when a test calls the `peer_*` methods. Events are queued like
the engine's and handed to the desk by `deliver`, on the test's thread, as the engine dispatches
them on the main thread; timers run when the test lets the fake clock `advance`.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from softphone.vocabulary.events import (
    TRANSFER_TIMEOUT_S,
    CallDirection,
    CallState,
    CallStateChanged,
    DtmfMethod,
    Event,
    IncomingCall,
    MediaChanged,
    MediaStatus,
    ReinviteAnswered,
    ReinviteKind,
    RemoteHoldOffered,
    SipError,
    TransferError,
    TransferProgress,
    TransferredCallStarted,
    TransferRequested,
)
from softphone.vocabulary.frames import FrameSink, FrameSource, TickSink


@dataclass
class FakePort:
    """A bridge port: a source the fake can pull, or a sink."""

    name: str
    source: FrameSource | None
    sink: FrameSink | TickSink | None
    released: bool = False


@dataclass
class FakeCall:
    """The fake's truth about one call."""

    call_id: int
    inbound: bool
    state: CallState = CallState.CALLING
    agent_wants_hold: bool = False
    agent_hold_in_effect: bool = False  # the peer accepted the agent's hold
    peer_holds: bool = False
    stream: int = 0  # the current stream's number; 0 before any media
    tainted: set[int] = field(default_factory=set)  # streams that existed while held
    reinvite: ReinviteKind | None = None  # our re-INVITE the peer has not answered yet
    renew_on_offer: bool = False
    feeding: bool = False
    listening: bool = False
    muted: bool = False
    mic_cuts: set[str] = field(default_factory=set)
    feeds: list[FakePort] = field(default_factory=list)
    rtp: int = 0
    refer: int | None = None  # the serial of our REFER that awaits its outcome
    following: int | None = None  # the call placed (or taken) for the peer's accepted request
    placed_for: int | None = None  # the call whose peer asked for this one, until it is settled

    @property
    def media(self) -> MediaStatus:
        """What the phone would report of the negotiated stream."""
        if self.state is not CallState.CONFIRMED or self.stream == 0:
            return MediaStatus.none()
        local, remote = self.agent_hold_in_effect, self.peer_holds
        return MediaStatus(
            active=not local and not remote,
            local_hold=local,
            remote_hold=remote,
            sending=not remote,
            receiving=not local,
            stream=f"127.0.0.1:{4000 + 2 * self.stream}",
        )

    @property
    def held(self) -> bool:
        """A hold of either side stands in truth (or is being asked for)."""
        return self.agent_wants_hold or self.agent_hold_in_effect or self.peer_holds


class FakeEngine:
    """An EventLoop that queues events for `FakePhone.deliver`, with timers on a fake clock."""

    def __init__(self) -> None:
        self.queue: deque[Event] = deque()
        self.now = 0.0
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def post(self, event: Event) -> None:
        """Queue an event, as the engine does from any thread."""
        self.queue.append(event)

    def call_later(self, delay_s: float, action: Callable[[], None]) -> None:
        """Run `action` once the fake clock has advanced by `delay_s`."""
        heapq.heappush(self._timers, (self.now + delay_s, next(self._order), action))

    def advance(self, seconds: float) -> None:
        """Let time pass: every timer due by then runs, in the order it is due."""
        self.now += seconds
        while self._timers and self._timers[0][0] <= self.now:
            _, _, action = heapq.heappop(self._timers)
            action()


class FakePhone:
    """Implements softphone.calls.phoneapi.PhoneApi; see the module docstring."""

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.calls: dict[int, FakeCall] = {}
        self.ports: list[FakePort] = []
        self.sent: list[tuple[str, int]] = []  # (SIP action, call id), in order
        self.accept_transfers = False  # the policy for the peer's transfer requests
        self.refer_error: str | None = None  # the next REFER cannot be sent, for this reason
        self._ids = itertools.count(1)
        self._streams = itertools.count(1)
        self._refers = itertools.count(1)

    # --- the test's side: deliver events, play the peer -----------------------------------

    def deliver(self, handle: Callable[[Event], None]) -> None:
        """Hand every queued event to `handle`, including those it queues meanwhile."""
        while self.engine.queue:
            handle(self.engine.queue.popleft())

    def incoming(self, malformed: str = "") -> int:
        """A new call arrives (its INVITE malformed in a way the stack let through, if given)."""
        call = self._new(inbound=True)
        call.state = CallState.INCOMING
        self.engine.post(
            IncomingCall(call.call_id, "sip:customer@peer", "sip:agent@here", malformed=malformed)
        )
        return call.call_id

    def peer_answers(self, call_id: int) -> None:
        """The callee answers an outbound call."""
        call = self.calls[call_id]
        if call.inbound or call.state is not CallState.CALLING:
            return
        self._confirm(call)

    def peer_answers_reinvite(self, call_id: int, accept: bool) -> None:
        """The peer answers our pending hold or resume: 200 OK with SDP, or 488."""
        call = self.calls[call_id]
        kind = call.reinvite
        if kind is None or call.state is not CallState.CONFIRMED:
            return
        call.reinvite = None
        if accept:
            if kind is ReinviteKind.HOLD:
                call.agent_hold_in_effect = True
            else:
                call.agent_hold_in_effect = False
                self._new_stream(call)  # resumes renew the media
            self._media(call)
        self.engine.post(ReinviteAnswered(call_id, kind, 200 if accept else 488, ""))
        if call.agent_wants_hold != call.agent_hold_in_effect:
            self._signal(call)  # the wish changed while this was in flight

    def peer_holds(self, call_id: int, holding: bool) -> None:
        """The customer's side holds (or resumes) by re-INVITE; the answer follows at once."""
        call = self.calls[call_id]
        if call.state is not CallState.CONFIRMED or call.peer_holds == holding:
            return
        self.engine.post(RemoteHoldOffered(call_id, holding))
        call.peer_holds = holding
        if call.renew_on_offer:
            self._new_stream(call)  # the answer to the offer brings fresh media
        elif holding:
            self._taint(call)
        self._media(call)

    def peer_hangs_up(self, call_id: int) -> None:
        """The other side ends the call (BYE, or CANCEL before the answer)."""
        call = self.calls.get(call_id)
        if call is not None and call.state is not CallState.DISCONNECTED:
            self._disconnect(call, 200 if call.state is CallState.CONFIRMED else 487)

    def peer_notifies(self, call_id: int, status: int, reason: str = "") -> None:
        """The transferee tells how our REFER goes: its answer, then NOTIFYs; >= 200 is final."""
        call = self.calls[call_id]
        if call.refer is None:
            return  # nothing is awaited: the report is dropped, as the phone drops it
        final = status >= 200
        if final:
            call.refer = None
        self.engine.post(TransferProgress(call_id, status, reason, final))

    def peer_refers(self, call_id: int, target: str, *, reachable: bool = True) -> int | None:
        """The customer's side sends a REFER; the policy answers 202 or 603 at once.

        Accepted, the phone calls `target` for it (None when it cannot: nothing is placed).
        Returns the new call's id.
        """
        call = self.calls[call_id]
        if call.state is not CallState.CONFIRMED:
            return None
        accepted = self.accept_transfers
        self.engine.post(TransferRequested(call_id, target, accepted, 202 if accepted else 603))
        if not accepted or not reachable:
            return None
        new = self._new(inbound=False)
        self._follow(call, new, target)
        self.sent.append(("INVITE", new.call_id))
        self.engine.post(self._state(new, 0, ""))
        return new.call_id

    def peer_replaces(self, call_id: int) -> int | None:
        """A third party sends an INVITE that replaces the call; accepted, pjsua answers it.

        The new call is answered and the replaced one ends, both by the phone itself; declined,
        it is refused with 603 and nothing else changes. Returns the new call's id.
        """
        call = self.calls[call_id]
        if call.state is not CallState.CONFIRMED:
            return None
        accepted = self.accept_transfers
        source = "sip:colleague@peer"
        status = 200 if accepted else 603
        self.engine.post(TransferRequested(call_id, source, accepted, status, replaces=True))
        if not accepted:
            return None
        new = self._new(inbound=True)
        self._follow(call, new, source)
        self.sent.append(("200", new.call_id))
        self._confirm(new)
        self._disconnect(call, 200)
        return new.call_id

    def bridge_ticks(self, count: int) -> None:
        """The conference bridge's clock: sources sent to a fed call give up frames."""
        for _ in range(count):
            for call in list(self.calls.values()):
                if not call.feeding or call.state is not CallState.CONFIRMED:
                    continue
                for port in call.feeds:
                    if port.source is not None and not port.released:
                        port.source.read_frame()
                        call.rtp += 1

    # --- PhoneApi ---------------------------------------------------------------------------

    def check_uri(self, uri: str) -> None:
        if not uri.startswith("sip:") or " " in uri:
            raise SipError(f"not a SIP URI: {uri!r}")

    def make_call(self, uri: str, account: str | None = None) -> int:
        self.check_uri(uri)
        call = self._new(inbound=False)
        self.sent.append(("INVITE", call.call_id))
        self.engine.post(self._state(call, 0, ""))
        return call.call_id

    def ringing(self, call_id: int) -> None:
        self._live(call_id)
        self.sent.append(("180", call_id))

    def answer(self, call_id: int) -> None:
        call = self._live(call_id)
        if call.state is not CallState.INCOMING:
            raise SipError(f"call {call_id} is not ringing")
        self.sent.append(("200", call_id))
        self._confirm(call)

    def reject(self, call_id: int, code: int = 486) -> None:
        call = self._live(call_id)
        self.sent.append((str(code), call_id))
        self._disconnect(call, code)

    def hangup(self, call_id: int) -> None:
        call = self.calls.get(call_id)
        if call is None or call.state is CallState.DISCONNECTED:
            return
        self.sent.append(("BYE", call_id))
        self._disconnect(call, 200)

    def hold(self, call_id: int) -> None:
        call = self._live(call_id)
        call.agent_wants_hold = True
        self._taint(call)
        if call.reinvite is None:
            self._signal(call)

    def resume(self, call_id: int) -> None:
        call = self._live(call_id)
        call.agent_wants_hold = False
        if call.reinvite is None:
            self._signal(call)

    def set_mute(self, call_id: int, muted: bool) -> None:
        if (call := self._known(call_id)) is not None:
            call.muted = muted

    def cut_mic(self, call_id: int, reason: str, cut: bool) -> None:
        call = self._known(call_id)
        if call is None:
            return
        cuts = call.mic_cuts
        if cut:
            cuts.add(reason)
        else:
            cuts.discard(reason)

    def set_listening(self, call_id: int, listening: bool) -> None:
        if (call := self._known(call_id)) is not None:
            call.listening = listening

    def set_feeding(self, call_id: int, feeding: bool) -> None:
        if (call := self._known(call_id)) is not None:
            call.feeding = feeding

    def renew_media_on_offer(self, call_id: int, renew: bool) -> None:
        if (call := self._known(call_id)) is not None:
            call.renew_on_offer = renew

    def send_dtmf(self, call_id: int, digits: str, method: DtmfMethod) -> None:
        self._live(call_id)
        self.sent.append((f"DTMF {digits}", call_id))

    def transfer(self, call_id: int, uri: str, *, timeout_s: float = TRANSFER_TIMEOUT_S) -> None:
        call = self._transferable(call_id)
        if not uri.startswith("sip:") or " " in uri:
            raise TransferError(call_id, f"{uri!r} is not a SIP URI such as sip:user@host")
        self._refer(call, "REFER", timeout_s)

    def transfer_replaces(
        self, call_id: int, consult_call_id: int, *, timeout_s: float = TRANSFER_TIMEOUT_S
    ) -> None:
        call = self._transferable(call_id)
        if consult_call_id == call_id:
            raise TransferError(call_id, "a call cannot replace itself")
        consult = self.calls.get(consult_call_id)
        if consult is None or consult.state is not CallState.CONFIRMED:
            why = f"the consult call {consult_call_id} is not in conversation"
            raise TransferError(call_id, why)
        self._refer(call, "REFER with Replaces", timeout_s)

    def allow_incoming_transfers(self, allowed: bool) -> None:
        """The policy: follow the peer's REFER or Replaces, or decline them with 603."""
        self.accept_transfers = allowed

    def local_uri(self, call_id: int) -> str:
        return "sip:agent@here"

    def create_port(
        self,
        name: str,
        *,
        source: FrameSource | None = None,
        sink: FrameSink | TickSink | None = None,
    ) -> FakePort:
        port = FakePort(name, source, sink)
        self.ports.append(port)
        return port

    def send_to_call(self, call_id: int, port: FakePort, *, mic: bool = True) -> None:
        feeds = self.calls[call_id].feeds
        if not mic and port not in feeds:
            feeds.append(port)

    def receive_from_call(self, call_id: int, port: FakePort) -> None:
        self.calls[call_id]

    def stop_sending(self, call_id: int, port: FakePort) -> None:
        feeds = self.calls[call_id].feeds
        if port in feeds:
            feeds.remove(port)

    def tap_call(self, call_id: int, port: FakePort) -> bool:
        return self.calls[call_id].media.stream != ""

    def untap_call(self, call_id: int, port: FakePort) -> None:
        self.calls[call_id]

    def connect_ports(self, source: FakePort, sink: FakePort) -> None:
        assert not source.released and not sink.released

    def disconnect_ports(self, source: FakePort, sink: FakePort) -> None:
        """Nothing to undo: the fake does not move the agent's audio."""

    def slot(self, port: FakePort) -> int:
        return self.ports.index(port)

    def release_port(self, port: FakePort) -> None:
        port.released = True

    def rtp_sent(self, call_id: int) -> int:
        return self.calls[call_id].rtp

    # --- inside -----------------------------------------------------------------------------

    def _new(self, *, inbound: bool) -> FakeCall:
        call = FakeCall(next(self._ids), inbound)
        self.calls[call.call_id] = call
        return call

    def _known(self, call_id: int) -> FakeCall | None:
        """The call if it is live; routing a call that ended does nothing, as on the real phone."""
        call = self.calls.get(call_id)
        return None if call is None or call.state is CallState.DISCONNECTED else call

    def _live(self, call_id: int) -> FakeCall:
        call = self.calls.get(call_id)
        if call is None or call.state is CallState.DISCONNECTED:
            raise SipError(f"call {call_id} has ended")
        return call

    def _transferable(self, call_id: int) -> FakeCall:
        call = self.calls.get(call_id)
        if call is None:
            raise TransferError(call_id, "there is no such call")
        if call.state is not CallState.CONFIRMED:
            raise TransferError(call_id, "it is not in conversation (not answered, or ended)")
        if call.refer is not None:
            raise TransferError(call_id, "a transfer of it is already under way")
        return call

    def _refer(self, call: FakeCall, what: str, timeout_s: float) -> None:
        """Send the REFER, with the phone's bound on its outcome."""
        if self.refer_error is not None:
            error, self.refer_error = self.refer_error, None
            raise TransferError(call.call_id, f"the REFER could not be sent: {error}")
        serial = next(self._refers)
        call.refer = serial
        self.sent.append((what, call.call_id))
        self.engine.call_later(timeout_s, lambda: self._expire(call, serial, timeout_s))

    def _expire(self, call: FakeCall, serial: int, timeout_s: float) -> None:
        if call.refer != serial:
            return
        call.refer = None
        reason = f"no outcome from the transferee within {timeout_s:g} s"
        self.engine.post(TransferProgress(call.call_id, 408, reason, final=True))

    def _follow(self, asked: FakeCall, new: FakeCall, remote: str) -> None:
        """The phone made `new` for the peer's request on `asked`; it is announced first."""
        asked.following, new.placed_for = new.call_id, asked.call_id
        direction = CallDirection.INBOUND if new.inbound else CallDirection.OUTBOUND
        self.engine.post(TransferredCallStarted(new.call_id, asked.call_id, direction, remote))

    def _settle_request(self, call: FakeCall) -> None:
        """A call made for the peer's request was answered or ended: the request is settled."""
        if call.placed_for is not None:
            self.calls[call.placed_for].following = None
            call.placed_for = None

    def _state(self, call: FakeCall, code: int, reason: str) -> CallStateChanged:
        sip_call_id = f"fake-{call.call_id}@peer"
        return CallStateChanged(
            call.call_id, call.state, code, reason, "sip:customer@peer", sip_call_id
        )

    def _confirm(self, call: FakeCall) -> None:
        call.state = CallState.CONFIRMED
        self._settle_request(call)
        self._new_stream(call)
        self.engine.post(self._state(call, 200, "OK"))
        self._media(call)

    def _disconnect(self, call: FakeCall, code: int) -> None:
        call.state = CallState.DISCONNECTED
        call.reinvite = None
        call.refer = None  # the phone forgets a REFER of an ended call
        self._settle_request(call)
        self.engine.post(self._state(call, code, "ended"))

    def _signal(self, call: FakeCall) -> None:
        """Send the re-INVITE the agent's latest wish asks for (one at a time)."""
        settled = call.agent_wants_hold == call.agent_hold_in_effect
        if call.state is not CallState.CONFIRMED or settled:
            return
        call.reinvite = ReinviteKind.HOLD if call.agent_wants_hold else ReinviteKind.RESUME
        self.sent.append((f"re-INVITE {call.reinvite.value}", call.call_id))

    def _new_stream(self, call: FakeCall) -> None:
        call.stream = next(self._streams)
        if call.held:
            call.tainted.add(call.stream)

    def _taint(self, call: FakeCall) -> None:
        if call.stream:
            call.tainted.add(call.stream)

    def _media(self, call: FakeCall) -> None:
        self.engine.post(MediaChanged(call.call_id, call.media))
