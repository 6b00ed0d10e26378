"""The closed vocabulary of call states and engine events the rest of the code subscribes to."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SipError(RuntimeError):
    """A SIP operation failed; the message says why in words a person can act on."""


class CallState(enum.Enum):
    """Where a call is in its SIP dialog."""

    CALLING = "calling"
    INCOMING = "incoming"
    EARLY = "early"
    CONNECTING = "connecting"
    CONFIRMED = "confirmed"
    DISCONNECTED = "disconnected"


class CallDirection(enum.Enum):
    """Who placed the call."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class DtmfMethod(enum.Enum):
    """How a DTMF digit travels."""

    RFC4733 = "rfc4733"
    SIP_INFO = "sip-info"


@dataclass(frozen=True)
class MediaStatus:
    """Confirmed audio media facts of a call, read from the negotiated stream.

    `local_hold` and `remote_hold` are two independent facts; `active` is true only when audio
    flows both ways (sendrecv, neither side holding). `stream` names the media transport that
    receives the customer's audio (its local RTP address): a resume that renegotiates fresh
    media gets a new one, so audio sent to the old one can never be taken for the new.
    """

    active: bool
    local_hold: bool
    remote_hold: bool
    sending: bool
    receiving: bool
    stream: str = ""

    @classmethod
    def none(cls) -> MediaStatus:
        """No audio media at all (before answer, after hang-up, or on a media error)."""
        return cls(
            active=False, local_hold=False, remote_hold=False, sending=False, receiving=False
        )


@dataclass(frozen=True)
class Event:
    """Base of every event the engine publishes; delivered on the main thread."""


@dataclass(frozen=True)
class IncomingCall(Event):
    """A new inbound call is offered; the engine already answered 100 Trying.

    `source` is the address ("host:port") the INVITE came from, for the desk's screen;
    `malformed` says why the INVITE is malformed though the stack took it ('' when it is not).
    """

    call_id: int
    remote_uri: str
    local_uri: str
    source: str = ""
    malformed: str = ""


@dataclass(frozen=True)
class CallStateChanged(Event):
    """The call's dialog state changed; `status_code`/`reason` carry the last SIP status."""

    call_id: int
    state: CallState
    status_code: int
    reason: str
    remote_uri: str
    sip_call_id: str


@dataclass(frozen=True)
class MediaChanged(Event):
    """The call's confirmed audio media changed (answer, hold, resume, re-INVITE)."""

    call_id: int
    media: MediaStatus


@dataclass(frozen=True)
class PeerLost(Event):
    """The phone is ending a call whose other side is gone; `reason` says how it knows.

    Posted before the hang-up, so the call's end (and its recording) carries the reason.
    """

    call_id: int
    reason: str


@dataclass(frozen=True)
class DtmfReceived(Event):
    """The remote party sent a DTMF digit."""

    call_id: int
    digit: str
    method: DtmfMethod


@dataclass(frozen=True)
class RegistrationChanged(Event):
    """A registration attempt finished (success, failure or un-registration)."""

    account: str
    registered: bool
    status_code: int
    reason: str


class ReinviteKind(enum.Enum):
    """What a re-INVITE of ours asked for."""

    HOLD = "hold"
    RESUME = "resume"
    OTHER = "other"  # one pjsua sent by itself (a session refresh, say)


@dataclass(frozen=True)
class ReinviteAnswered(Event):
    """Our re-INVITE got its final answer (or none: a timeout, a transport error, status 408).

    Posted for success and failure alike: the phone sends at most one re-INVITE at a time and
    sends the next change the agent asked for only after this.
    """

    call_id: int
    kind: ReinviteKind
    status_code: int
    reason: str

    @property
    def refused(self) -> bool:
        """The peer did not accept it (the call's media did not change)."""
        return not 200 <= self.status_code < 300


@dataclass(frozen=True)
class RemoteHoldOffered(Event):
    """The customer's side sent an offer that holds (sendonly/inactive) or resumes the call.

    Posted when the offer arrives, before the answer is sent, so the gate can close first.
    """

    call_id: int
    holding: bool


@dataclass(frozen=True)
class DisclosureFinished(Event):
    """The bridge took the disclosure's last frame for the customer (posted from the clock)."""

    call_id: int


@dataclass(frozen=True)
class RecorderFailed(Event):
    """The recording writer stopped (disk full, file removed); posted from the writer thread."""

    call_id: int
    reason: str


TRANSFER_TIMEOUT_S = 30.0
"""How long a transfer may wait for its outcome: the target has rung for long enough by then."""


class TransferError(SipError):
    """A transfer could not be started; the message names the call and the cause."""

    def __init__(self, call_id: int, cause: str) -> None:
        super().__init__(f"cannot transfer call {call_id}: {cause}")
        self.call_id = call_id
        self.cause = cause


class TransferKind(enum.Enum):
    """How a call is handed on: straight to an address, or to a party consulted first."""

    BLIND = "blind"  # REFER to an address
    ATTENDED = "attended"  # REFER with Replaces: the consulted party takes the customer's call


@dataclass(frozen=True)
class TransferProgress(Event):
    """What the transferee says of a REFER we sent: its answer, then each NOTIFY's status line.

    `final`: nothing more follows, and `status_code` is the outcome (2xx: the target answered;
    anything else: the transfer failed). The phone also posts a final 408 when no outcome came
    within its bound.
    """

    call_id: int
    status_code: int
    reason: str
    final: bool

    @property
    def succeeded(self) -> bool:
        """The transfer happened: the transferee reached the target."""
        return self.final and 200 <= self.status_code < 300


@dataclass(frozen=True)
class TransferRequested(Event):
    """The peer asked to move this call elsewhere (a REFER, or an INVITE with Replaces).

    Already answered when posted (the answer cannot wait): `accepted` says whether the policy let
    it through, `status_code` what was answered (202 or 603 for a REFER).
    """

    call_id: int
    target: str
    accepted: bool
    status_code: int
    replaces: bool = False


@dataclass(frozen=True)
class TransferredCallStarted(Event):
    """The phone placed (a REFER) or took (a Replaces) `call_id` for an accepted transfer request.

    Posted before any other event of the new call, so a session can be opened for it first.
    """

    call_id: int
    from_call_id: int
    direction: CallDirection
    remote_uri: str


@dataclass(frozen=True)
class TransferEnded(Event):
    """A transfer of this call has its outcome: `result` is "transferred", "failed" or "unknown".

    Posted by the call model; `requested_by` is "agent" (our REFER) or "peer" (theirs).
    """

    call_id: int
    kind: TransferKind
    to: str
    result: str
    status_code: int
    reason: str
    requested_by: str = "agent"
