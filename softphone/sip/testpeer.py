"""The customer peer: a separate pjsua2 process that answers or places one call for tests and demos.

It deliberately uses pjsua2's own media objects (tone generator, WAV player and recorder) rather
than the app's phone, so that what it hears is independent evidence of what the app sent. It
reports what happens as one JSON object per line on stdout.

    python -m softphone.sip.testpeer --listen 127.0.0.1:0 --play tone:440 --record in.wav
    python -m softphone.sip.testpeer --call sip:agent@127.0.0.1:5062 --hold 2:1.5
    python -m softphone.sip.testpeer --transport tls --cert peer.pem --key peer.key --srtp mandatory
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pjsua2 as pj

from softphone.sip.call import DTMF_IS_END, offer_holds
from softphone.sip.engine import EngineConfig, SipEngine
from softphone.sip.guard import callback
from softphone.sip.security import SRTP_MODES, SrtpMode, TlsSettings
from softphone.sip.tlsconfig import apply_srtp
from softphone.vocabulary.events import SipError


def emit(event: str, **fields: Any) -> None:
    """Write one JSON event line to stdout at once."""
    print(json.dumps({"event": event, "t": time.time(), **fields}), flush=True)


@dataclass
class PeerPlan:
    """What the peer does on its one call; times count from answer."""

    play: str = "silence"
    record: Path | None = None
    answer_after: float = 0.0
    reject: int | None = None
    holds: list[tuple[float, float]] = field(default_factory=list)
    hangup_after: float | None = None
    dtmf: list[tuple[float, str, str]] = field(default_factory=list)
    on_hold: str = "accept"
    hold_tone: str | None = None
    srtp: SrtpMode = "off"


class PeerCall(pj.Call):  # type: ignore[misc]
    """The peer's call; re-attaches its player and recorder on every media change."""

    def __init__(self, peer: Peer, account: pj.Account, call_id: int = pj.PJSUA_INVALID_ID):
        super().__init__(account, call_id)
        self.peer = peer
        self.state = pj.PJSIP_INV_STATE_NULL
        self.audio: pj.AudioMedia | None = None
        self.answered_with_keys = False  # our SDP answer carried SRTP keys (a=crypto)

    @callback
    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        """Report the state; runs on the peer's main thread."""
        ci = self.getInfo()
        self.state = ci.state
        emit(
            "state",
            state=str(ci.stateText).lower(),
            code=int(ci.lastStatusCode),
            reason=str(ci.lastReason),
        )
        if ci.state == pj.PJSIP_INV_STATE_CONFIRMED and self.peer.answered_at is None:
            self.peer.answered_at = time.monotonic()
        if ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.peer.ended = True

    @callback
    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        """Connect the tone/WAV to the call and the call to the recorder, for the new stream."""
        ci = self.getInfo()
        media = ci.media
        for i in range(len(media)):
            mi = media[i]
            if mi.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            if mi.status in (pj.PJSUA_CALL_MEDIA_NONE, pj.PJSUA_CALL_MEDIA_ERROR):
                emit("media", status=int(mi.status), dir=int(mi.dir))
                continue
            # RTP/SAVP, or (optional SRTP) RTP/AVP whose answer carried keys: SRTP is in use.
            proto = int(self.getStreamInfo(mi.index).proto)
            srtp = bool(proto & pj.PJMEDIA_TP_PROFILE_SRTP) or self.answered_with_keys
            emit("media", status=int(mi.status), dir=int(mi.dir), srtp=srtp)
            self.audio = self.getAudioMedia(mi.index)
            self.peer.play_into(self.audio)
            if self.peer.recorder is not None:
                self.audio.startTransmit(self.peer.recorder)

    @callback
    def onCallSdpCreated(self, prm: pj.OnCallSdpCreatedParam) -> None:
        """Note whether the SDP answer this peer sends carries SRTP keys."""
        if str(prm.remSdp.wholeSdp):
            self.answered_with_keys = "a=crypto:" in str(prm.sdp.wholeSdp)

    @callback
    def onCallRxReinvite(self, prm: pj.OnCallRxReinviteParam) -> None:
        """A re-INVITE from the agent: switch to the hold tone on hold, refuse it if told to."""
        holding = offer_holds(str(prm.offer.wholeSdp))
        if holding is None:
            return
        emit("reinvite", holding=holding)
        self.peer.set_held(holding, self.audio)
        if holding and self.peer.plan.on_hold == "refuse":
            prm.statusCode = 488

    @callback
    def onDtmfEvent(self, prm: pj.OnDtmfEventParam) -> None:
        """Report a received digit once, at its end (RFC 4733) or on arrival (SIP INFO)."""
        if prm.flags & DTMF_IS_END:
            info = prm.method == pj.PJSUA_DTMF_METHOD_SIP_INFO
            emit("dtmf", digit=str(prm.digit), method="sip-info" if info else "rfc4733")


class PeerAccount(pj.Account):  # type: ignore[misc]
    """Keeps the incoming call referenced; the answer is sent later from the main loop."""

    def __init__(self, peer: Peer) -> None:
        super().__init__()
        self.peer = peer

    @callback
    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        """Never answer from here: a final response inside this callback can abort."""
        call = PeerCall(self.peer, self, prm.callId)
        ci = call.getInfo()
        emit("incoming", remote=str(ci.remoteUri))
        if self.peer.call is None:
            self.peer.call = call
            self.peer.incoming_at = time.monotonic()
        else:
            self.peer.extra.append(call)


class Peer:
    """Runs one call to completion according to a `PeerPlan`."""

    def __init__(self, engine: SipEngine, plan: PeerPlan) -> None:
        self.engine = engine
        self.plan = plan
        self.call: PeerCall | None = None
        self.extra: list[PeerCall] = []
        self.incoming_at: float | None = None
        self.answered_at: float | None = None
        self.answer_sent = False
        self.ended = False
        self.player: pj.AudioMedia | None = None
        self.hold_player: pj.AudioMedia | None = None
        self.held = False
        self.recorder: pj.AudioMediaRecorder | None = None
        self.account: PeerAccount | None = None
        self._done_actions: set[str] = set()

    def setup(self, identity: str) -> None:
        """Create the account and the media objects before any call."""
        acfg = self.engine.account_config(identity, self.engine.config.transport)
        acfg.regConfig.registerOnAdd = False
        apply_srtp(acfg, self.plan.srtp)
        self.account = PeerAccount(self)
        self.account.create(acfg, True)
        self.player = _make_player(self.plan.play)
        if self.plan.hold_tone is not None:
            self.hold_player = _make_player(self.plan.hold_tone)
        if self.plan.record is not None:
            self.recorder = pj.AudioMediaRecorder()
            self.recorder.createRecorder(str(self.plan.record))

    def play_into(self, audio: pj.AudioMedia) -> None:
        """Connect the sound for the current state (normal, or held by the agent) to the call."""
        playing, silent = self.player, self.hold_player
        if self.held and self.hold_player is not None:
            playing, silent = silent, playing
        if silent is not None:
            silent.stopTransmit(audio)
        if playing is not None:
            playing.startTransmit(audio)

    def set_held(self, held: bool, audio: pj.AudioMedia | None) -> None:
        """The agent's side asked for hold (or resume): change what the peer sends."""
        self.held = held
        if audio is not None:
            self.play_into(audio)

    def place(self, uri: str) -> None:
        """Call `uri` now."""
        assert self.account is not None
        self.call = PeerCall(self, self.account)
        self.call.makeCall(uri, pj.CallOpParam(True))

    def step(self) -> None:
        """Do whatever the plan says is due now; runs on the main thread between polls."""
        call = self.call
        now = time.monotonic()
        for extra in self.extra:
            if extra.isActive() and extra.state != pj.PJSIP_INV_STATE_DISCONNECTED:
                prm = pj.CallOpParam(True)
                prm.statusCode = 486
                extra.answer(prm)
        if call is None or self.ended:
            return
        if self.incoming_at is not None and not self.answer_sent:
            if now - self.incoming_at >= self.plan.answer_after or self.plan.reject:
                prm = pj.CallOpParam(True)
                prm.statusCode = self.plan.reject or 200
                call.answer(prm)
                self.answer_sent = True
            elif "ring" not in self._done_actions:
                self._done_actions.add("ring")
                prm = pj.CallOpParam(True)
                prm.statusCode = 180
                call.answer(prm)
        if self.answered_at is None:
            return
        since = now - self.answered_at
        for i, (at, duration) in enumerate(self.plan.holds):
            self._once(f"hold{i}", since >= at, lambda: self._hold(call, True))
            self._once(f"resume{i}", since >= at + duration, lambda: self._hold(call, False))
        for i, (at, digits, method) in enumerate(self.plan.dtmf):
            self._once(f"dtmf{i}", since >= at, lambda d=digits, m=method: _dtmf(call, d, m))
        if self.plan.hangup_after is not None and since >= self.plan.hangup_after:
            self._once("hangup", True, lambda: call.hangup(pj.CallOpParam(True)))

    def _hold(self, call: PeerCall, held: bool) -> None:
        """The peer holds (or resumes) the call itself, switching to its hold tone meanwhile."""
        self.set_held(held, call.audio)
        if held:
            call.setHold(pj.CallOpParam(True))
        else:
            _unhold(call)

    def _once(self, key: str, due: bool, action: Any) -> None:
        if due and key not in self._done_actions:
            self._done_actions.add(key)
            emit("action", name=key.rstrip("0123456789"))
            action()

    def close(self) -> None:
        """Release every pjsua2 object before the library goes (recorder last: it writes)."""
        if self.call is not None and self.call.isActive():
            self.call.hangup(pj.CallOpParam(True))
            self.engine.run_until(lambda: self.ended, 2.0)
        self.call = None
        self.extra.clear()
        self.player = None
        self.hold_player = None
        self.recorder = None  # destroying the recorder writes the WAV header
        if self.account is not None:
            self.account.shutdown()
        self.account = None


def _unhold(call: pj.Call) -> None:
    prm = pj.CallOpParam(True)
    prm.opt.flag = pj.PJSUA_CALL_UNHOLD
    call.reinvite(prm)


def _dtmf(call: pj.Call, digits: str, method: str) -> None:
    prm = pj.CallSendDtmfParam()
    prm.digits = digits
    prm.method = (
        pj.PJSUA_DTMF_METHOD_SIP_INFO if method == "sip-info" else pj.PJSUA_DTMF_METHOD_RFC2833
    )
    call.sendDtmf(prm)


def _make_player(spec: str) -> pj.AudioMedia | None:
    if spec == "silence":
        return None
    if spec.startswith("tone:"):
        desc = pj.ToneDesc()
        desc.freq1 = int(float(spec[5:]))
        desc.freq2 = 0
        desc.on_msec = 10000
        desc.off_msec = 0
        tones = pj.ToneDescVector()
        tones.append(desc)
        generator = pj.ToneGenerator()
        generator.createToneGenerator(16000, 1)
        generator.play(tones, True)
        return generator
    player = pj.AudioMediaPlayer()
    player.createPlayer(spec, 0)
    return player


def _pair(text: str, sep: str = ":") -> tuple[float, float]:
    a, b = text.split(sep, 1)
    return float(a), float(b)


def _dtmf_spec(text: str) -> tuple[float, str, str]:
    at, digits, *method = text.split(":")
    return float(at), digits, (method[0] if method else "rfc4733")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the peer's command line."""
    p = argparse.ArgumentParser(prog="python -m softphone.sip.testpeer", description=__doc__)
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to bind (0: any free)")
    p.add_argument("--call", metavar="URI", help="place a call instead of waiting for one")
    p.add_argument("--play", default="silence", help="silence, tone:HZ or a WAV file")
    p.add_argument("--record", type=Path, help="record what the peer receives to this WAV")
    p.add_argument("--answer-after", type=float, default=0.0, help="ring this long first")
    p.add_argument("--reject", type=int, help="answer with this final error status instead")
    p.add_argument("--hold", type=_pair, action="append", default=[], metavar="AT:DURATION")
    p.add_argument("--dtmf", type=_dtmf_spec, action="append", default=[], metavar="AT:DIGITS[:M]")
    p.add_argument("--hangup-after", type=float, help="hang up this long after answer")
    p.add_argument(
        "--on-hold",
        choices=("accept", "refuse"),
        default="accept",
        help="answer the agent's hold re-INVITE normally, or refuse it with 488",
    )
    p.add_argument(
        "--hold-tone",
        metavar="SOUND",
        help="send this while the call is held, by either side (tone:HZ or a WAV)",
    )
    p.add_argument("--transport", choices=("udp", "tcp", "tls"), default="udp")
    p.add_argument("--cert", type=Path, help="TLS: this peer's certificate (PEM), to listen")
    p.add_argument("--key", type=Path, help="TLS: the certificate's private key (PEM)")
    p.add_argument(
        "--ca", type=Path, help="TLS: verify the other side's certificate against this CA file"
    )
    p.add_argument(
        "--srtp",
        choices=SRTP_MODES,
        default="off",
        help="SRTP (SDES) for the call's audio; mandatory needs --transport tls",
    )
    p.add_argument("--max-seconds", type=float, default=60.0, help="give up after this long")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the peer until its call ends; exit 0 when a call was answered and ended."""
    args = parse_args(argv)
    host, port = args.listen.rsplit(":", 1)
    tls = TlsSettings(
        ca_file=args.ca,
        verify_server=args.ca is not None,
        cert_file=args.cert,
        key_file=args.key,
    )
    engine = SipEngine(
        EngineConfig(bind_host=host, port=int(port), log_level=2, transport=args.transport, tls=tls)
    )
    plan = PeerPlan(
        args.play,
        args.record,
        args.answer_after,
        args.reject,
        args.hold,
        args.hangup_after,
        args.dtmf,
        args.on_hold,
        args.hold_tone,
        cast(SrtpMode, args.srtp),
    )
    try:
        engine.start()
    except SipError as exc:
        print(f"testpeer: {exc}", file=sys.stderr)
        return 2
    peer = Peer(engine, plan)
    engine.add_finalizer(peer.close)
    try:
        peer.setup(f"sip:customer@{host}:{engine.bound_port}")
        emit("ready", port=engine.bound_port)
        if args.call:
            peer.place(args.call)
        deadline = time.monotonic() + args.max_seconds
        while not peer.ended and time.monotonic() < deadline:
            engine.poll(10)
            peer.step()
        answered = peer.answered_at is not None
        emit("exit", answered=answered, timed_out=not peer.ended)
        return 0 if peer.ended else 1
    except (pj.Error, SipError, OSError) as exc:
        reason = exc.info() if isinstance(exc, pj.Error) else str(exc)
        print(f"testpeer: {reason}", file=sys.stderr)
        return 2
    finally:
        engine.stop()


if __name__ == "__main__":
    sys.exit(main())
