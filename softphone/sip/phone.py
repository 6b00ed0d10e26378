"""The SIP phone: accounts, calls and audio routes, as operations the rest of the app calls."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field, replace

import pjsua2 as pj

from softphone.sip.call import SipAccount, SipCall, audio_index
from softphone.sip.engine import SipEngine
from softphone.sip.liveness import RtpWatch
from softphone.sip.ports import FramePort
from softphone.sip.security import SrtpMode, transport_uri
from softphone.sip.tlsconfig import apply_srtp
from softphone.sip.transfer import CallTransfers
from softphone.vocabulary.events import (
    TRANSFER_TIMEOUT_S,
    CallDirection,
    CallState,
    CallStateChanged,
    DtmfMethod,
    Event,
    MediaChanged,
    MediaStatus,
    PeerLost,
    ReinviteAnswered,
    ReinviteKind,
    SipError,
)
from softphone.vocabulary.frames import FrameSink, FrameSource, TickSink

log = logging.getLogger("softphone.sip")

_DTMF_DIGITS = set("0123456789*#ABCDabcd")


@dataclass(frozen=True)
class AccountSpec:
    """A SIP identity: direct IP calls when `registrar` is None, else registered with digest.

    `transport` None uses whatever transport a URI asks for (the engine's own by default);
    "udp", "tcp" or "tls" binds the account to that transport, and SIP URIs without a
    `;transport=` parameter (registrar, proxy, destinations through `dial_uri`) get it added.
    """

    name: str
    uri: str
    registrar: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    realm: str = "*"
    register_expires: int = 300
    transport: str | None = None
    srtp: SrtpMode = "off"
    outbound_proxy: str | None = None


class AudioPort:
    """An opaque handle to a Python media port on the conference bridge."""

    def __init__(self, port: FramePort) -> None:
        self._port: FramePort | None = port
        self.name = port.name

    @property
    def port(self) -> FramePort:
        """The live port; released when the phone shuts down."""
        if self._port is None:
            raise SipError(f"audio port {self.name!r} was released at shutdown")
        return self._port

    def release(self) -> None:
        """Drop the pjsua2 object so nothing outlives the library."""
        self._port = None


@dataclass
class _HoldSignalling:
    """Hold and resume re-INVITEs of one call: at most one at a time, the latest wish wins.

    `wanted` is what the agent asked for; `signalled` what the last re-INVITE sent asked for;
    `renew` that a resume with fresh media is still owed (every resume renews the media, even
    of a call whose hold the peer refused: its stream carried audio while the agent held it).
    """

    wanted: bool = False
    signalled: bool = False
    renew: bool = False
    in_flight: ReinviteKind | None = None
    waiting: bool = False  # a retry timer is pending (491, or a request that could not go)
    failures: int = 0


@dataclass
class _Routes:
    """What should be connected to one call; re-applied whenever its media port is recreated."""

    mics: list[FramePort] = field(default_factory=list)
    feeds: list[FramePort] = field(default_factory=list)
    sinks: list[FramePort] = field(default_factory=list)
    mic_cut_by: set[str] = field(default_factory=set)  # "mute", "disclosure", ...
    listening: bool = True  # the agent hears the customer (else the sinks drop what comes)
    feeding: bool = True  # feeds (the disclosure) may play to the customer
    hold: _HoldSignalling = field(default_factory=_HoldSignalling)


# RFC 3261 14.1: after a 491 the owner of the Call-ID retries after 2.1-4 s, the other side
# after 0-2 s, so that two sides that collided do not collide again.
_GLARE_WAIT_S = {CallDirection.OUTBOUND: (2.1, 4.0), CallDirection.INBOUND: (0.0, 2.0)}
_SEND_RETRY_S = 0.25  # a re-INVITE that could not be sent (a transaction of the peer's open)
_SEND_ATTEMPTS = 20
REFUSAL_HOLD_S = 0.3
"""How long a refused incoming call keeps its pjsua call slot before its final response.

pjsua gives every INVITE it takes in an RTP and an RTCP socket before the app hears of it, and a
closed socket keeps its slot in the 64-slot ioqueue for 0.5 s; when every call slot is taken,
pjsua answers further INVITEs 486 statelessly, with no socket. Refusing at once let a flood of
INVITEs (70/s) fill the ioqueue, and the library's assertion aborted the process. Held this long,
the `EngineConfig.max_calls` slots can open at most max_calls / 0.3 s calls a second: with 4 slots,
8 sockets live and about 14 closing, far below 64, whatever the rate of the flood.
"""
# RFC 4028 session timers, used when the peer supports them (pjsua's defaults, made explicit):
# a peer that stops refreshing the session is hung up with 408 "No session refresh received."
_SESSION_EXPIRES_S = 1800
_MIN_SE_S = 90  # the RFC's (and pjsip's) floor


class Phone:
    """Places, answers and controls calls; every method runs on the engine's main thread."""

    def __init__(self, engine: SipEngine) -> None:
        self._engine = engine
        self._accounts: dict[str, SipAccount] = {}
        self._specs: dict[str, AccountSpec] = {}  # without passwords
        self._calls: dict[int, SipCall] = {}
        self._routes: dict[int, _Routes] = {}
        self._media: dict[int, MediaStatus] = {}
        self._ports: list[AudioPort] = []
        self._pool: list[FramePort] = []  # released ports, kept alive for reuse
        self._accept_transfers = False
        engine.subscribe(self._on_event)  # first subscriber: routes are fixed before others run
        self._transfers = CallTransfers(engine, self._calls)
        self._rtp_watch = RtpWatch(engine, self._calls, self.media, self._end_dead)
        engine.add_finalizer(self._shutdown)

    # --- accounts --------------------------------------------------------------------------

    def add_account(self, spec: AccountSpec) -> None:
        """Create an account; with a registrar it starts registering at once."""
        self._engine.check_thread()
        self._verify_uri(spec.uri, "account URI")
        cfg = self._engine.account_config(spec.uri, spec.transport)
        apply_srtp(cfg, spec.srtp)
        cfg.callConfig.timerUse = pj.PJSUA_SIP_TIMER_OPTIONAL
        cfg.callConfig.timerSessExpiresSec = _SESSION_EXPIRES_S
        cfg.callConfig.timerMinSESec = _MIN_SE_S
        if spec.outbound_proxy:
            proxy = self._on_transport(spec.outbound_proxy, spec)
            self._verify_uri(proxy, "outbound proxy URI")
            # Loose routing: the request keeps its own Request-URI and goes via the proxy.
            cfg.sipConfig.proxies.append(proxy if ";lr" in proxy.lower() else f"{proxy};lr")
        if spec.registrar:
            registrar = self._on_transport(spec.registrar, spec)
            self._verify_uri(registrar, "registrar URI")
            cfg.regConfig.registrarUri = registrar
            cfg.regConfig.timeoutSec = spec.register_expires
            cfg.regConfig.retryIntervalSec = 0
            user = spec.username or _user_part(spec.uri)
            cfg.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", spec.realm, user, 0, spec.password or "")
            )
        else:
            cfg.regConfig.registerOnAdd = False
        account = SipAccount(self._engine, spec.name, self._calls)
        account.accept_transfers = self._accept_transfers
        try:
            account.create(cfg, not self._accounts)
        except pj.Error as exc:
            raise SipError(f"cannot create account {spec.name!r}: {exc.reason}") from exc
        self._accounts[spec.name] = account
        self._specs[spec.name] = replace(spec, password=None)

    def dial_uri(self, uri: str, account: str | None = None) -> str:
        """`uri` as the account must dial it: over its transport unless the URI says otherwise."""
        self._account(account)
        spec = self._specs[account] if account is not None else next(iter(self._specs.values()))
        return self._on_transport(uri, spec)

    @staticmethod
    def _on_transport(uri: str, spec: AccountSpec) -> str:
        return uri if spec.transport is None else transport_uri(uri, spec.transport)

    def account_uri(self, name: str | None = None) -> str:
        """The SIP address of an account (the first one by default)."""
        return str(self._account(name).getInfo().uri)

    def unregister(self, name: str) -> None:
        """Remove the account's registration (REGISTER with Expires: 0)."""
        self._engine.check_thread()
        self._account(name).setRegistration(False)

    def _account(self, name: str | None) -> SipAccount:
        if name is None:
            if not self._accounts:
                raise SipError("no SIP account is configured")
            return next(iter(self._accounts.values()))
        try:
            return self._accounts[name]
        except KeyError:
            raise SipError(f"no SIP account named {name!r}") from None

    # --- calls -----------------------------------------------------------------------------

    def check_uri(self, uri: str) -> None:
        """Raise SipError unless `uri` is a SIP URI a call could be placed to; sends nothing."""
        self._verify_uri(uri, "destination")

    def make_call(self, uri: str, account: str | None = None) -> int:
        """Send an INVITE to `uri`; returns the call id. Events follow through the engine."""
        self._engine.check_thread()
        self._verify_uri(uri, "destination")
        acc = self._account(account)
        call = SipCall(self._engine, acc, CallDirection.OUTBOUND)
        prm = pj.CallOpParam(True)
        try:
            call.makeCall(uri, prm)
        except pj.Error as exc:
            reason = str(exc.reason)
            del call  # the traceback must not keep a pjsua2 object alive past libDestroy
            raise SipError(f"cannot call {uri}: {_plain(reason)}") from None
        call_id = int(call.getId())
        self._calls[call_id] = call
        self._routes.setdefault(call_id, _Routes())
        return call_id

    def watch_rtp(self, timeout_s: float) -> None:
        """End calls that receive no RTP for `timeout_s` while their media says they should.

        0 stops watching. A call ended so is preceded by a `PeerLost` event with the reason (as
        is one whose request the transport could not deliver); the phone hangs up on it.
        """
        self._engine.check_thread()
        self._rtp_watch.set_timeout(timeout_s)

    def _end_dead(self, call_id: int, reason: str) -> None:
        self._engine.post(PeerLost(call_id, reason))  # hung up as it is delivered

    def ringing(self, call_id: int) -> None:
        """Tell the caller the phone is ringing (180)."""
        self._answer_with(call_id, 180)

    def answer(self, call_id: int) -> None:
        """Accept an incoming call (200 OK)."""
        self._answer_with(call_id, 200)

    def reject(self, call_id: int, code: int = 486) -> None:
        """Decline an incoming call with a final error response (486 Busy Here by default).

        The response goes out REFUSAL_HOLD_S later (see there); a caller that cancels first
        ends the call itself.
        """
        if not 400 <= code < 700:
            raise SipError(f"a reject needs a 4xx-6xx status code, not {code}")
        self._call(call_id)
        self._engine.call_later(REFUSAL_HOLD_S, lambda: self._refuse_now(call_id, code))

    def _refuse_now(self, call_id: int, code: int) -> None:
        call = self._calls.get(call_id)
        if call is None or not call.isActive():
            return  # cancelled or gone meanwhile: nothing to refuse
        try:
            self._answer_with(call_id, code)
        except SipError as exc:
            log.info("call %d ended before its refusal went out: %s", call_id, exc)

    def _answer_with(self, call_id: int, code: int) -> None:
        call = self._call(call_id)
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        try:
            call.answer(prm)
        except pj.Error as exc:
            raise SipError(f"cannot answer call {call_id} with {code}: {exc.reason}") from exc

    def hangup(self, call_id: int) -> None:
        """End the call (BYE, CANCEL or a 603 as its state requires). Idempotent."""
        self._engine.check_thread()
        call = self._calls.get(call_id)
        if call is None or not call.isActive():
            return
        try:
            call.hangup(pj.CallOpParam(True))
        except pj.Error as exc:
            log.warning("hang-up of call %d failed: %s", call_id, exc.reason)

    def hold(self, call_id: int) -> None:
        """Put the call on hold (re-INVITE a=sendonly); cuts the microphone first. Idempotent.

        The customer is neither heard nor sent the agent's microphone from this moment on; the
        re-INVITE goes now, or as soon as the one in progress has its answer.
        """
        self._call(call_id)
        routes = self._routes.setdefault(call_id, _Routes())
        if routes.hold.wanted:
            return
        routes.hold.wanted = True
        routes.listening = False
        self._apply_routes(call_id)  # the customer must not hear the agent while held
        self._drive_hold(call_id)

    def resume(self, call_id: int) -> None:
        """Take the call off hold with fresh media (re-INVITE a=sendrecv). Idempotent.

        The resume renegotiates the media from a new transport (PJSUA_CALL_REINIT_MEDIA): audio
        the peer sent before it knew of the resume went to the old address and cannot reach
        the resumed stream. Listening starts again only when the caller says so.
        """
        self._call(call_id)
        routes = self._routes.setdefault(call_id, _Routes())
        if not routes.hold.wanted:
            return
        routes.hold.wanted = False
        routes.hold.renew = True
        self._drive_hold(call_id)

    def _drive_hold(self, call_id: int) -> None:
        """Send the re-INVITE the agent's latest wish needs, unless one is already under way."""
        call = self._calls.get(call_id)
        routes = self._routes.get(call_id)
        if call is None or routes is None or not call.isActive():
            return
        hold = routes.hold
        if hold.in_flight is not None or hold.waiting:
            return
        prm = pj.CallOpParam(True)
        if hold.wanted and not hold.signalled:
            kind = ReinviteKind.HOLD
        elif not hold.wanted and (hold.signalled or hold.renew):
            kind = ReinviteKind.RESUME
            prm.opt.flag = pj.PJSUA_CALL_UNHOLD | pj.PJSUA_CALL_REINIT_MEDIA
        else:
            return
        # Marked before sending: a local failure can answer the request inside the call.
        hold.in_flight = call.reinvite_kind = kind
        try:
            if kind is ReinviteKind.HOLD:
                call.setHold(prm)
            else:
                call.reinvite(prm)
        except pj.Error as exc:
            hold.in_flight, call.reinvite_kind = None, ReinviteKind.OTHER
            hold.failures += 1
            reason = _plain(str(exc.reason))
            if hold.failures >= _SEND_ATTEMPTS:
                hold.failures = 0
                log.error("cannot %s call %d: %s", kind.value, call_id, reason)
                self._engine.post(ReinviteAnswered(call_id, kind, 0, f"not sent: {reason}"))
                return
            log.info("%s of call %d must wait: %s", kind.value, call_id, reason)
            self._retry_hold(call_id, _SEND_RETRY_S)
            return
        hold.failures = 0
        hold.signalled = kind is ReinviteKind.HOLD
        if kind is ReinviteKind.RESUME:
            hold.renew = False

    def _retry_hold(self, call_id: int, delay_s: float) -> None:
        routes = self._routes.get(call_id)
        if routes is None:
            return
        routes.hold.waiting = True

        def retry() -> None:
            if call_id in self._routes:
                self._routes[call_id].hold.waiting = False
                self._drive_hold(call_id)

        self._engine.call_later(delay_s, retry)

    def _on_reinvite_answered(self, event: ReinviteAnswered) -> None:
        routes = self._routes.get(event.call_id)
        call = self._calls.get(event.call_id)
        if routes is None or call is None or routes.hold.in_flight is None:
            return
        hold = routes.hold
        sent, hold.in_flight = hold.in_flight, None
        if event.status_code == 491:
            # Request Pending: the peer's own offer crossed ours; nothing changed. Ask again.
            hold.signalled = sent is not ReinviteKind.HOLD
            hold.renew = hold.renew or sent is ReinviteKind.RESUME
            low, high = _GLARE_WAIT_S[call.direction]
            self._retry_hold(event.call_id, random.uniform(low, high))
            return
        self._drive_hold(event.call_id)

    # --- transfers (softphone/sip/transfer.py) ---------------------------------------------

    def transfer(self, call_id: int, uri: str, *, timeout_s: float = TRANSFER_TIMEOUT_S) -> None:
        """Blind transfer: REFER the customer's side to `uri`; `TransferProgress` follows.

        Raises `TransferError` (naming the call and the cause) when the REFER cannot go.
        """
        self._transfers.blind(call_id, uri, timeout_s)

    def transfer_replaces(
        self, call_id: int, consult_call_id: int, *, timeout_s: float = TRANSFER_TIMEOUT_S
    ) -> None:
        """Attended transfer: REFER with Replaces, so the consulted party takes the customer."""
        self._transfers.attended(call_id, consult_call_id, timeout_s)

    def allow_incoming_transfers(self, allowed: bool) -> None:
        """Follow the peer's REFER or Replaces (policy), or decline them with 603 (default)."""
        self._accept_transfers = allowed
        self._transfers.allow_incoming(self._accounts.values(), allowed)

    def set_mute(self, call_id: int, muted: bool) -> None:
        """Stop or restart sending the agent's microphone to the customer."""
        self.cut_mic(call_id, "mute", muted)

    def cut_mic(self, call_id: int, reason: str, cut: bool) -> None:
        """Cut (or restore) the microphone to the customer for `reason`; any reason cuts it."""
        self._engine.check_thread()
        if call_id not in self._calls:
            return  # the call is gone: nothing is sent any more
        reasons = self._routes.setdefault(call_id, _Routes()).mic_cut_by
        if cut:
            reasons.add(reason)
        else:
            reasons.discard(reason)
        self._apply_routes(call_id)

    def set_listening(self, call_id: int, listening: bool) -> None:
        """Let the agent hear the customer (True) or drop what the customer sends (False)."""
        self._engine.check_thread()
        routes = self._routes.setdefault(call_id, _Routes())
        if routes.listening != listening:
            routes.listening = listening
            self._apply_routes(call_id)

    def set_feeding(self, call_id: int, feeding: bool) -> None:
        """Let feeds (the disclosure) play to the customer, or pause them where they are."""
        self._engine.check_thread()
        routes = self._routes.setdefault(call_id, _Routes())
        if routes.feeding != feeding:
            routes.feeding = feeding
            self._apply_routes(call_id)

    def renew_media_on_offer(self, call_id: int, renew: bool) -> None:
        """Answer the peer's next offer (its resume, say) from a fresh media transport."""
        self._engine.check_thread()
        call = self._calls.get(call_id)
        if call is not None:
            call.renew_media_on_offer = renew

    def send_dtmf(self, call_id: int, digits: str, method: DtmfMethod) -> None:
        """Send DTMF digits in-band as RFC 4733 events or out-of-band as SIP INFO."""
        call = self._call(call_id)
        if not digits or not set(digits) <= _DTMF_DIGITS:
            raise SipError(f"DTMF digits must be 0-9, *, # or A-D, not {digits!r}")
        prm = pj.CallSendDtmfParam()
        prm.digits = digits
        prm.method = (
            pj.PJSUA_DTMF_METHOD_SIP_INFO
            if method is DtmfMethod.SIP_INFO
            else pj.PJSUA_DTMF_METHOD_RFC2833
        )
        try:
            call.sendDtmf(prm)
        except pj.Error as exc:
            raise SipError(f"cannot send DTMF on call {call_id}: {exc.reason}") from exc

    def media(self, call_id: int) -> MediaStatus:
        """The call's last confirmed media facts."""
        return self._media.get(call_id, MediaStatus.none())

    def local_uri(self, call_id: int) -> str:
        """The agent's own address on this call, as the call's dialog has it."""
        return str(self._call(call_id).getInfo().localUri)

    def call_ids(self) -> list[int]:
        """Calls not yet disconnected."""
        return list(self._calls)

    def _call(self, call_id: int) -> SipCall:
        self._engine.check_thread()
        call = self._calls.get(call_id)
        if call is None:
            raise SipError(f"there is no call {call_id}")
        return call

    # --- audio routes ----------------------------------------------------------------------

    def create_port(
        self,
        name: str,
        source: FrameSource | None = None,
        sink: FrameSink | TickSink | None = None,
    ) -> AudioPort:
        """Put a Python port on the bridge; released ports are reused, never destroyed mid-run.

        Destroying a Python port while the bridge clock runs races its callbacks (a callback
        can reach a half-freed object); the pool destroys them only at shutdown, clock stopped.
        """
        self._engine.check_thread()
        if self._pool:
            port = self._pool.pop()
            port.rebind(name, source, sink)
        else:
            port = FramePort(name, source, sink)
        handle = AudioPort(port)
        self._ports.append(handle)
        return handle

    def send_to_call(self, call_id: int, port: AudioPort, *, mic: bool = True) -> None:
        """Route `port` to the customer; a mic route is cut while muted or on hold."""
        routes = self._routes.setdefault(call_id, _Routes())
        target = routes.mics if mic else routes.feeds
        if port.port not in target:
            target.append(port.port)
        self._apply_routes(call_id)

    def receive_from_call(self, call_id: int, port: AudioPort) -> None:
        """Route what the customer sends into `port`."""
        routes = self._routes.setdefault(call_id, _Routes())
        if port.port not in routes.sinks:
            routes.sinks.append(port.port)
        self._apply_routes(call_id)

    def stop_sending(self, call_id: int, port: AudioPort) -> None:
        """Take `port` off the call's routes (mic or feed) and disconnect it at once."""
        routes = self._routes.get(call_id)
        if routes is None:
            return
        for target in (routes.mics, routes.feeds):
            if port.port in target:
                target.remove(port.port)
        audio = self._audio(call_id)
        if audio is not None:
            port.port.stopTransmit(audio)

    def tap_call(self, call_id: int, port: AudioPort) -> bool:
        """Connect the customer's audio to `port` now (not a route: never re-applied by itself).

        Returns False when the call has no audio stream to tap.
        """
        audio = self._audio(call_id)
        if audio is None:
            return False
        audio.startTransmit(port.port)
        return True

    def untap_call(self, call_id: int, port: AudioPort) -> None:
        """Disconnect `port` from the customer's audio at once, if connected."""
        audio = self._audio(call_id)
        if audio is not None:
            audio.stopTransmit(port.port)

    def connect_ports(self, source: AudioPort, sink: AudioPort) -> None:
        """Transmit from one Python port to another on the bridge."""
        self._engine.check_thread()
        source.port.startTransmit(sink.port)

    def disconnect_ports(self, source: AudioPort, sink: AudioPort) -> None:
        """Stop a transmission between two Python ports; idempotent."""
        self._engine.check_thread()
        source.port.stopTransmit(sink.port)

    def slot(self, port: AudioPort) -> int:
        """The port's slot on the conference bridge (the bridge serves slots in this order)."""
        return int(port.port.getPortId())

    def release_port(self, port: AudioPort) -> None:
        """Remove a port from the bridge and forget it."""
        self._engine.check_thread()
        for routes in self._routes.values():
            for target in (routes.mics, routes.feeds, routes.sinks):
                if port._port is not None and port._port in target:
                    target.remove(port._port)
        if port in self._ports:
            self._ports.remove(port)
        if port._port is not None:
            port._port.rebind(port.name, None, None)  # quiet from the next tick on
            self._pool.append(port._port)
        port.release()

    def rtp_sent(self, call_id: int) -> int:
        """RTP packets sent so far by every stream the call has had (0 once it is gone)."""
        call = self._calls.get(call_id)
        if call is None:
            return 0
        index = audio_index(call.getInfo()) if call.isActive() else None
        if index is None:
            return call.tx_packets_retired
        try:
            current = int(call.getStreamStat(index).rtcp.txStat.pkt)
        except pj.Error:
            current = 0  # between streams: the last one's count is already retired
        return call.tx_packets_retired + current

    def _audio(self, call_id: int) -> pj.AudioMedia | None:
        call = self._calls.get(call_id)
        if call is None or not call.isActive():
            return None
        ci = call.getInfo()
        index = audio_index(ci)
        return None if index is None else call.getAudioMedia(index)

    def _apply_routes(self, call_id: int) -> None:
        """Connect what should be connected to the call's current stream port, cut the rest."""
        self._engine.check_thread()
        routes = self._routes.get(call_id)
        audio = self._audio(call_id)
        if routes is None or audio is None:
            return
        cut_mic = bool(routes.mic_cut_by) or routes.hold.wanted
        for port in routes.mics:
            if cut_mic:
                port.stopTransmit(audio)
            else:
                port.startTransmit(audio)
        # A feed (the disclosure) only plays while the stream really sends and the caller lets
        # it: otherwise the bridge would consume it into a stream that transmits nothing, or to
        # a customer on hold, and the customer would miss part of it.
        feeding = routes.feeding and self.media(call_id).sending
        for port in routes.feeds:
            if feeding:
                port.startTransmit(audio)
            else:
                port.stopTransmit(audio)
        for port in routes.sinks:
            # The agent does not listen in on a customer who has been put on hold, even when
            # the customer's side refused the hold and keeps sending. The port stays connected
            # and throws the frames away: pulled as they arrive, held audio cannot pile up in
            # the stream's jitter buffer and hold up the conversation after the resume.
            audio.startTransmit(port)
            port.discard_frames(not routes.listening)

    # --- events and shutdown ---------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, MediaChanged):
            self._media[event.call_id] = event.media
            self._apply_routes(event.call_id)  # a re-INVITE recreates the stream port
        elif isinstance(event, ReinviteAnswered):
            self._on_reinvite_answered(event)
        elif isinstance(event, PeerLost):
            log.warning(
                "call %d: ending it, the other side is gone: %s", event.call_id, event.reason
            )
            self.hangup(event.call_id)
        elif isinstance(event, CallStateChanged) and event.state is CallState.DISCONNECTED:
            self._media.pop(event.call_id, None)
            self._routes.pop(event.call_id, None)
            self._calls.pop(event.call_id, None)

    def _verify_uri(self, uri: str, what: str) -> None:
        if not uri.startswith(("sip:", "sips:")) or self._engine.endpoint.utilVerifySipUri(uri):
            raise SipError(
                f"invalid {what} {uri!r}: give a SIP URI such as sip:user@host or sip:host:port"
            )

    def _shutdown(self) -> None:
        for call_id in list(self._calls):
            self.hangup(call_id)
        self._engine.run_until(lambda: not self._calls, timeout_s=3.0)
        self._routes.clear()
        self._calls.clear()
        # Stop the bridge clock first: no port callback may run while ports are destroyed.
        self._engine.endpoint.audDevManager().setNoDev()
        for handle in self._ports:
            handle.release()
        self._ports.clear()
        self._pool.clear()
        for account in self._accounts.values():
            account.shutdown()
        self._accounts.clear()
        self._specs.clear()


def _plain(reason: str) -> str:
    """pjsip's reason text with its internal error code name dropped."""
    if "(PJ" in reason and reason.endswith(")"):
        reason = reason[: reason.rfind("(PJ")].rstrip()
    if "gethostbyname" in reason:
        return "the host name cannot be resolved; check the address or DNS"
    return reason


def _user_part(uri: str) -> str:
    rest = uri.split(":", 1)[1]
    return rest.split("@", 1)[0] if "@" in rest else ""
