"""What the desk tells its clients: immutable call snapshots and the desk's typed events."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from softphone.media.deviceevents import DeviceEvent
from softphone.vocabulary import events
from softphone.vocabulary.events import CallDirection, CallState


class DisclosureState(enum.Enum):
    """Where the call's disclosure is."""

    PENDING = "pending"  # the call is not answered yet
    PLAYING = "playing"  # the customer is hearing it (paused while the call is held)
    COMPLETED = "completed"
    FAILED = "failed"  # it could not be played: nothing is recorded


@dataclass(frozen=True)
class CallSnapshot:
    """One call as it stands, for a window, a report or a test; never changes once made."""

    call_id: int
    sip_call_id: str  # the SIP Call-ID, once known ("" before)
    direction: CallDirection
    state: CallState
    remote_uri: str
    local_uri: str
    local_hold: bool  # the agent holds the call (hold, another call, a consult)
    remote_hold: bool  # the customer's side holds it
    transferring: bool  # a transfer of the call awaits its outcome (the agent is leaving it)
    muted: bool
    privacy_paused: bool  # the agent paused the recording for privacy (the call goes on)
    recording_open: bool  # the gate is open: both parties are being recorded now
    recording_blockers: tuple[str, ...]  # why the gate is closed, in words; () when open
    disclosure: DisclosureState
    disclosure_frames: tuple[int, int]  # (played, total); (0, 0) without a disclosure
    recording: str | None  # the recording's audio file, once recording started
    created_at: float
    answered_at: float | None
    ended_at: float | None
    problems: tuple[str, ...]

    @property
    def answered(self) -> bool:
        """The call was answered (it may have ended since)."""
        return self.answered_at is not None

    @property
    def live(self) -> bool:
        """The call has not ended."""
        return self.state is not CallState.DISCONNECTED

    @property
    def talking(self) -> bool:
        """The agent is in conversation on this call: answered, live, not held by the agent."""
        return self.answered and self.live and not self.local_hold

    def duration_s(self, now: float) -> float:
        """Seconds since the answer (0 before it), up to the end."""
        if self.answered_at is None:
            return 0.0
        return max(0.0, (self.ended_at or now) - self.answered_at)


@dataclass(frozen=True)
class DeskEvent:
    """Base of what the desk publishes; always delivered on the main thread."""


@dataclass(frozen=True)
class CallChanged(DeskEvent):
    """A call appeared or changed."""

    call: CallSnapshot


@dataclass(frozen=True)
class CallEnded(DeskEvent):
    """A call ended and left the desk; its recording (if any) is finished."""

    call: CallSnapshot
    status_code: int
    reason: str
    metadata: str | None  # the recording's metadata file, when one was written
    disclosure: dict[str, object] | None  # the disclosure's evidence, as the metadata has it
    pauses: tuple[dict[str, object], ...]  # the privacy pauses: from, until, reason, by
    transfers: tuple[dict[str, object], ...]  # every transfer attempt of the call and its outcome
    end_reason: str | None = None  # why it ended, in words ("no RTP for 30 s", "the agent hung up")


@dataclass(frozen=True)
class CallRefused(DeskEvent):
    """An incoming call was refused before it rang (busy, not for this phone)."""

    remote_uri: str
    local_uri: str
    status_code: int
    reason: str
    source: str = ""  # where the INVITE came from ("host:port")


@dataclass(frozen=True)
class DigitReceived(DeskEvent):
    """The customer's side sent a DTMF digit."""

    call_id: int
    digit: str
    method: events.DtmfMethod


@dataclass(frozen=True)
class ReinviteRefused(DeskEvent):
    """The customer's side refused a hold or resume (its SIP answer says how)."""

    call_id: int
    request: events.ReinviteKind
    status_code: int
    reason: str


@dataclass(frozen=True)
class TransferFinished(DeskEvent):
    """A transfer of a call has its outcome: "transferred", "failed" or "unknown".

    Published for the agent's transfers and for the peer's requests the policy let through; a
    call whose transfer ended "unknown" ended first, so its `CallEnded` came before this.
    """

    call_id: int
    kind: events.TransferKind
    to: str  # to whom the call's other party was to be handed
    result: str
    status_code: int  # the last SIP status the transferee (or the new call) told
    reason: str
    requested_by: str  # "agent" (our REFER) or "peer" (theirs)


@dataclass(frozen=True)
class RegistrationChanged(DeskEvent):
    """An account's registration changed (the engine's event, passed on)."""

    registration: events.RegistrationChanged


@dataclass(frozen=True)
class ProblemRaised(DeskEvent):
    """Something the agent must see; `call_id` is None when it concerns no single call.

    `recording` is False for news of the call itself (it was ended as dead, say), True for a
    reason the call is not, or not wholly, recorded.
    """

    call_id: int | None
    text: str
    recording: bool = True


@dataclass(frozen=True)
class DeviceChanged(DeskEvent):
    """An audio device was lost, switched, restored, unavailable, plugged in or out."""

    device: DeviceEvent

    @property
    def message(self) -> str:
        """The words for the agent."""
        return self.device.message


class DeskError(ValueError):
    """A desk command that cannot be carried out; nothing was changed.

    A transfer whose REFER could not be sent is the one trace left: the call's evidence keeps
    the failed attempt, as it keeps every attempt.
    """

    def __init__(self, call_id: int | None, cause: str) -> None:
        self.call_id = call_id
        self.cause = cause
        where = "desk" if call_id is None else f"call {call_id}"
        super().__init__(f"{where}: {cause}")


class UnknownCallError(DeskError):
    """The call id names no call on the desk (never existed, or ended)."""
