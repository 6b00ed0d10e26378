"""pjsua2 `Call` and `Account` subclasses whose callbacks only snapshot facts and post events."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import pjsua2 as pj

from softphone.sip.guard import callback
from softphone.sip.wellformed import malformation
from softphone.vocabulary.events import (
    CallDirection,
    CallState,
    CallStateChanged,
    DtmfMethod,
    DtmfReceived,
    IncomingCall,
    MediaChanged,
    MediaStatus,
    PeerLost,
    RegistrationChanged,
    ReinviteAnswered,
    ReinviteKind,
    RemoteHoldOffered,
    TransferProgress,
    TransferredCallStarted,
    TransferRequested,
)

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
    """One call; kept referenced by the phone until it is disconnected.

    A call pjsua makes for an accepted transfer request (`adopted_from` is the call that was
    asked) has no id until its first callback: it then registers itself and announces itself.
    """

    def __init__(
        self,
        engine: SipEngine,
        account: SipAccount,
        direction: CallDirection,
        call_id: int = pj.PJSUA_INVALID_ID,
        *,
        adopted_from: int | None = None,
    ) -> None:
        super().__init__(account, call_id)
        self._engine = engine
        self._account = weakref.ref(account)  # the account keeps its calls: no cycle
        self.direction = direction
        self.remote_uri = ""
        self.adopted_from = adopted_from
        # pjsua2 holds only a pointer to a call it makes for a transfer request: keep it here.
        self.children: list[SipCall] = []
        # Set by the phone on the main thread, read by the callbacks on the same thread.
        self.renew_media_on_offer = False  # answer the next offer from a fresh media transport
        self.reinvite_kind = ReinviteKind.OTHER  # what our re-INVITE in progress asks for
        self.tx_packets_retired = 0  # RTP packets sent by this call's streams that are gone
        self.transfer_in_flight = False  # our REFER awaits its outcome (later reports are late)

    def rx_packets(self) -> tuple[str, int] | None:
        """The audio stream's local address and the RTP packets it received; None: no stream."""
        if not self.isActive():
            return None
        ci = self.getInfo()
        index = audio_index(ci)
        if index is None or ci.state != pj.PJSIP_INV_STATE_CONFIRMED:
            return None
        try:
            return self.stream_key(ci), int(self.getStreamStat(index).rtcp.rxStat.pkt)
        except pj.Error:
            return None  # between two streams of a re-INVITE

    def _adopt(self) -> None:
        """At the first callback of a call made for a transfer request: register, announce."""
        if self.adopted_from is None:
            return
        parent, self.adopted_from = self.adopted_from, None
        call_id = int(self.getId())
        account = self._account()
        if account is not None:
            account.keep(call_id, self)
        self.remote_uri = str(self.getInfo().remoteUri)
        self._engine.post_from_callback(
            TransferredCallStarted(call_id, parent, self.direction, self.remote_uri)
        )

    def _child(self, direction: CallDirection) -> SipCall | None:
        """A new call object for pjsua to use for an accepted transfer request of this call."""
        account = self._account()
        if account is None or not account.accept_transfers:
            return None
        child = SipCall(self._engine, account, direction, adopted_from=int(self.getId()))
        self.children.append(child)
        return child

    def _confirmed(self) -> bool:
        return bool(self.isActive()) and self.getInfo().state == pj.PJSIP_INV_STATE_CONFIRMED

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
        self._adopt()
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
        self._adopt()
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
        self._adopt()
        holding = offer_holds(str(prm.offer.wholeSdp))
        if self.renew_media_on_offer:
            prm.opt.flag |= pj.PJSUA_CALL_REINIT_MEDIA
        if holding is not None:
            self._engine.post_from_callback(RemoteHoldOffered(int(self.getId()), holding))

    @callback
    def onCallTsxState(self, prm: pj.OnCallTsxStateParam) -> None:
        """Runs on the main thread: report the final answer to our re-INVITE, whatever it was.

        A final error completes the client transaction; a 2xx, a timeout or a transport error
        terminates it without passing through COMPLETED. Any request of ours the transport could
        not deliver says the peer is gone (`PeerLost`).
        """
        self._adopt()
        event = prm.e
        if event.type != pj.PJSIP_EVENT_TSX_STATE:
            return
        state_event = event.body.tsxState
        tsx = state_event.tsx
        if tsx.role != pj.PJSIP_ROLE_UAC:
            return
        if state_event.type == pj.PJSIP_EVENT_TRANSPORT_ERROR and self._confirmed():
            # The peer's port or connection is gone (a TCP/TLS reset, a refused connect): it
            # will not answer. pjsip keeps such a call; the phone ends it.
            self._engine.post_from_callback(
                PeerLost(
                    int(self.getId()),
                    f"the customer's side cannot be reached: our {tsx.method} was not delivered "
                    f"({tsx.statusText})",
                )
            )
        if tsx.method != "INVITE":
            return
        final = tsx.state == pj.PJSIP_TSX_STATE_COMPLETED or (
            tsx.state == pj.PJSIP_TSX_STATE_TERMINATED
            and state_event.prevState != pj.PJSIP_TSX_STATE_COMPLETED
        )
        if final and self._confirmed():
            kind, self.reinvite_kind = self.reinvite_kind, ReinviteKind.OTHER
            self._engine.post_from_callback(
                ReinviteAnswered(int(self.getId()), kind, int(tsx.statusCode), str(tsx.statusText))
            )

    @callback
    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        """Runs on the main thread: the answer to our REFER, then each NOTIFY's status line.

        pjsua reports the REFER's 2xx as 100 "Accepted"; a status of 200 or more is the outcome
        even while the subscription stays active. Reports after the phone gave up are dropped.
        """
        code, final = int(prm.statusCode), bool(prm.finalNotify) or int(prm.statusCode) >= 200
        if not self.transfer_in_flight:
            prm.cont = False
            return
        if final:
            self.transfer_in_flight = False
            prm.cont = False
        self._engine.post_from_callback(
            TransferProgress(int(self.getId()), code, str(prm.reason), final)
        )

    @callback
    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:
        """Runs on the main thread: the peer's REFER, answered when this returns (202 or 603).

        The one decision taken in a callback, because the answer cannot wait: it follows the
        account's `accept_transfers`, which the phone set from the policy beforehand.
        """
        child = self._child(CallDirection.OUTBOUND)
        if child is None:
            prm.statusCode = pj.PJSIP_SC_DECLINE
        else:
            prm.newCall = child  # pjsua calls the Refer-To target with it
        self._engine.post_from_callback(
            TransferRequested(
                int(self.getId()), str(prm.dstUri), child is not None, int(prm.statusCode)
            )
        )

    @callback
    def onCallReplaceRequest(self, prm: pj.OnCallReplaceRequestParam) -> None:
        """Runs on the main thread: an INVITE that replaces this call, decided like a REFER.

        Accepted, pjsua answers the new call itself and ends this one; the new call is announced
        before its first state, so its session (disclosure first) exists before it has audio.
        """
        child = self._child(CallDirection.INBOUND)
        if child is None:
            prm.statusCode = pj.PJSIP_SC_DECLINE
            prm.reason = "Decline"
        else:
            prm.newCall = child
        self._engine.post_from_callback(
            TransferRequested(
                int(self.getId()),
                _from_header(str(prm.rdata.wholeMsg)) or str(prm.rdata.srcAddress),
                child is not None,
                int(prm.statusCode),
                replaces=True,
            )
        )


def _from_header(message: str) -> str:
    """The URI in the From header of a SIP message, without name or tag ('' when it has none)."""
    for line in message.splitlines()[1:]:
        if not line.strip():
            break
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in ("from", "f"):
            value = value.strip()
            if "<" in value and ">" in value:
                return value[value.index("<") + 1 : value.index(">")]
            return value.split(";", 1)[0]
    return ""


class SipAccount(pj.Account):  # type: ignore[misc]
    """A SIP identity; incoming calls are kept referenced and announced, never answered here.

    `accept_transfers` (set by the phone from the policy) decides the peer's transfer requests.
    """

    def __init__(self, engine: SipEngine, name: str, keep: dict[int, SipCall]) -> None:
        super().__init__()
        self._engine = engine
        self.name = name
        self._keep = keep
        self.accept_transfers = False

    def keep(self, call_id: int, call: SipCall) -> None:
        """Keep `call` referenced until it is disconnected (a dropped Call is hung up at once)."""
        self._keep[call_id] = call

    @callback
    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        """Runs on the main thread. Never send a final response from here: it can abort."""
        call = SipCall(self._engine, self, CallDirection.INBOUND, prm.callId)
        self._keep[int(prm.callId)] = call  # a dropped incoming Call is hung up at once
        ci = call.getInfo()
        call.remote_uri = str(ci.remoteUri)
        try:
            malformed = malformation(str(prm.rdata.wholeMsg))
        except UnicodeError:  # bytes the wheel cannot hand over as text: the stack parsed them
            malformed = ""
        self._engine.post_from_callback(
            IncomingCall(
                int(prm.callId),
                str(ci.remoteUri),
                str(ci.localUri),
                str(prm.rdata.srcAddress),
                malformed=malformed,
            )
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
