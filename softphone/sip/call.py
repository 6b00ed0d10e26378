"""pjsua2 `Call` and `Account` subclasses whose callbacks only snapshot facts and post events."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pjsua2 as pj

from softphone.calls.events import (
    CallDirection,
    CallState,
    CallStateChanged,
    DtmfMethod,
    DtmfReceived,
    IncomingCall,
    MediaChanged,
    MediaStatus,
    RegistrationChanged,
    ReinviteAnswered,
    ReinviteKind,
    RemoteHoldOffered,
)
from softphone.sip.guard import callback

if TYPE_CHECKING:
    from softphone.sip.engine import SipEngine

# pjmedia/stream.h PJMEDIA_STREAM_DTMF_IS_END, not exported by the wheel: the digit's last event.
# RFC 4733 digits arrive as a run of updates ending with this flag; SIP INFO digits carry it alone.
DTMF_IS_END = 2

_STATES = {
    pj.PJSIP_INV_STATE_NULL: CallState.CALLING,
    pj.PJSIP_INV_STATE_CALLING: CallState.CALLING,
    pj.PJSIP_INV_STATE_INCOMING: CallState.INCOMING,
    pj.PJSIP_INV_STATE_EARLY: CallState.EARLY,
    pj.PJSIP_INV_STATE_CONNECTING: CallState.CONNECTING,
    pj.PJSIP_INV_STATE_CONFIRMED: CallState.CONFIRMED,
    pj.PJSIP_INV_STATE_DISCONNECTED: CallState.DISCONNECTED,
}


def audio_index(ci: pj.CallInfo) -> int | None:
    """Index of the call's first audio stream that has usable media, if any."""
    media = ci.media  # keep the vector referenced while iterating (see PJSUA2_NOTES.md)
    for i in range(len(media)):
        mi = media[i]
        if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status not in (
            pj.PJSUA_CALL_MEDIA_NONE,
            pj.PJSUA_CALL_MEDIA_ERROR,
        ):
            return int(mi.index)
    return None


def media_status(ci: pj.CallInfo, stream: str = "") -> MediaStatus:
    """Read the confirmed audio facts of a call from its negotiated stream.

    `stream` is the local RTP address of the stream's media transport (see `stream_key`).
    """
    media = ci.media
    for i in range(len(media)):
        mi = media[i]
        if mi.type != pj.PJMEDIA_TYPE_AUDIO:
            continue
        if mi.status in (pj.PJSUA_CALL_MEDIA_NONE, pj.PJSUA_CALL_MEDIA_ERROR):
            return MediaStatus.none()
        sending = bool(mi.dir & pj.PJMEDIA_DIR_ENCODING)
        receiving = bool(mi.dir & pj.PJMEDIA_DIR_DECODING)
        local_hold = mi.status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD
        # pjsua reports only one hold status; with both sides holding the stream is inactive.
        remote_hold = mi.status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD or (local_hold and not sending)
        active = mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE and sending and receiving
        return MediaStatus(active, local_hold, remote_hold, sending, receiving, stream)
    return MediaStatus.none()


def offer_holds(sdp: str) -> bool | None:
    """Whether an SDP offer's first audio stream holds (sendonly/inactive); None: no audio."""
    session_dir, audio_dir, section = "sendrecv", "", "session"
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            if section == "audio":
                break
            enabled = len(line.split()) > 1 and line.split()[1] != "0"
            section = "audio" if line.startswith("m=audio") and enabled else "other"
        elif line in ("a=sendonly", "a=inactive", "a=recvonly", "a=sendrecv"):
            if section == "session":
                session_dir = line[2:]  # applies to every stream that does not override it
            elif section == "audio":
                audio_dir = line[2:]
    if section != "audio":
        return None
    return (audio_dir or session_dir) in ("sendonly", "inactive")


class SipCall(pj.Call):  # type: ignore[misc]
    """One call; kept referenced by the phone until it is disconnected."""

    def __init__(
        self,
        engine: SipEngine,
        account: SipAccount,
        direction: CallDirection,
        call_id: int = pj.PJSUA_INVALID_ID,
    ) -> None:
        super().__init__(account, call_id)
        self._engine = engine
        self.direction = direction
        self.remote_uri = ""
        # Set by the phone on the main thread, read by the callbacks on the same thread.
        self.renew_media_on_offer = False  # answer the next offer from a fresh media transport
        self.reinvite_kind = ReinviteKind.OTHER  # what our re-INVITE in progress asks for
        self.tx_packets_retired = 0  # RTP packets sent by this call's streams that are gone

    def stream_key(self, ci: pj.CallInfo) -> str:
        """The local RTP address of the audio stream's transport; '' when there is none."""
        index = audio_index(ci)
        if index is None:
            return ""
        try:
            return str(self.getMedTransportInfo(index).localRtpName)
        except pj.Error:
            return ""

    @callback
    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        """Runs on the main thread inside `poll()` (or inside makeCall/hangup): snapshot only."""
        ci = self.getInfo()
        self.remote_uri = str(ci.remoteUri)
        state = _STATES.get(ci.state, CallState.CALLING)
        self._engine.post_from_callback(
            CallStateChanged(
                call_id=int(ci.id),
                state=state,
                status_code=int(ci.lastStatusCode),
                reason=str(ci.lastReason),
                remote_uri=self.remote_uri,
                sip_call_id=str(ci.callIdString),
            )
        )

    @callback
    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        """Runs on the main thread: snapshot the negotiated audio direction and hold facts."""
        ci = self.getInfo()
        media = media_status(ci, self.stream_key(ci))
        self._engine.post_from_callback(MediaChanged(call_id=int(ci.id), media=media))

    @callback
    def onStreamDestroyed(self, prm: pj.OnStreamDestroyedParam) -> None:
        """Runs on the main thread before a stream goes: keep the count of RTP it sent."""
        try:
            stat = self.getStreamStat(prm.streamIdx)
        except pj.Error:
            return
        self.tx_packets_retired += int(stat.rtcp.txStat.pkt)

    @callback
    def onDtmfEvent(self, prm: pj.OnDtmfEventParam) -> None:
        """Runs on the main thread: report a completed digit (RFC 4733 end or SIP INFO)."""
        if not prm.flags & DTMF_IS_END:
            return
        method = (
            DtmfMethod.SIP_INFO
            if prm.method == pj.PJSUA_DTMF_METHOD_SIP_INFO
            else DtmfMethod.RFC4733
        )
        self._engine.post_from_callback(
            DtmfReceived(call_id=int(self.getId()), digit=str(prm.digit), method=method)
        )

    @callback
    def onCallRxOffer(self, prm: pj.OnCallRxOfferParam) -> None:
        """Runs on the main thread before the answer goes out: report a hold or resume offer.

        When the phone asked for it (the current stream carried audio while the call was held),
        the answer comes from a new media transport: the peer's audio sent before it knew of
        our answer goes to the old address, which is closed, and never reaches the new stream.
        """
        holding = offer_holds(str(prm.offer.wholeSdp))
        if self.renew_media_on_offer:
            prm.opt.flag |= pj.PJSUA_CALL_REINIT_MEDIA
        if holding is not None:
            self._engine.post_from_callback(RemoteHoldOffered(int(self.getId()), holding))

    @callback
    def onCallTsxState(self, prm: pj.OnCallTsxStateParam) -> None:
        """Runs on the main thread: report the final answer to our re-INVITE, whatever it was.

        A final error completes the client transaction; a 2xx, a timeout or a transport error
        terminates it without passing through COMPLETED.
        """
        event = prm.e
        if event.type != pj.PJSIP_EVENT_TSX_STATE:
            return
        state_event = event.body.tsxState
        tsx = state_event.tsx
        if tsx.role != pj.PJSIP_ROLE_UAC or tsx.method != "INVITE":
            return
        final = tsx.state == pj.PJSIP_TSX_STATE_COMPLETED or (
            tsx.state == pj.PJSIP_TSX_STATE_TERMINATED
            and state_event.prevState != pj.PJSIP_TSX_STATE_COMPLETED
        )
        if final and self.isActive() and self.getInfo().state == pj.PJSIP_INV_STATE_CONFIRMED:
            kind, self.reinvite_kind = self.reinvite_kind, ReinviteKind.OTHER
            self._engine.post_from_callback(
                ReinviteAnswered(int(self.getId()), kind, int(tsx.statusCode), str(tsx.statusText))
            )


class SipAccount(pj.Account):  # type: ignore[misc]
    """A SIP identity; incoming calls are kept referenced and announced, never answered here."""

    def __init__(self, engine: SipEngine, name: str, keep: dict[int, SipCall]) -> None:
        super().__init__()
        self._engine = engine
        self.name = name
        self._keep = keep

    @callback
    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        """Runs on the main thread. Never send a final response from here: it can abort."""
        call = SipCall(self._engine, self, CallDirection.INBOUND, prm.callId)
        self._keep[int(prm.callId)] = call  # a dropped incoming Call is hung up at once
        ci = call.getInfo()
        call.remote_uri = str(ci.remoteUri)
        self._engine.post_from_callback(
            IncomingCall(int(prm.callId), str(ci.remoteUri), str(ci.localUri))
        )

    @callback
    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        """Runs on the main thread: snapshot the registration outcome."""
        info = self.getInfo()
        self._engine.post_from_callback(
            RegistrationChanged(
                account=self.name,
                registered=bool(info.regIsActive) and 200 <= int(prm.code) < 300,
                status_code=int(prm.code),
                reason=str(prm.reason),
            )
        )
