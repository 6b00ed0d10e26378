"""The part of the SIP phone the call model drives: a protocol the real phone and a fake share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from softphone.vocabulary.events import TRANSFER_TIMEOUT_S, DtmfMethod, Event
from softphone.vocabulary.frames import FrameSink, FrameSource, TickSink

PortHandle = Any
"""An audio port the phone created; the call model only hands it back to the phone."""


class EventPoster(Protocol):
    """Where the call model posts its own events, to be dispatched on the main thread."""

    def post(self, event: Event) -> None:
        """Queue an event; safe from any thread."""
        ...


class EventLoop(EventPoster, Protocol):
    """The main thread's loop as the call model uses it: its events and its timers."""

    def call_later(self, delay_s: float, action: Callable[[], None]) -> None:
        """Run `action` on the main thread once `delay_s` has passed."""
        ...


class PhoneApi(Protocol):
    """Commands by call id; every method runs on the main thread.

    `softphone.sip.phone.Phone` implements it over pjsua2; the unit tests' fake implements it
    without a network, so that the desk and the sessions can be driven by random sequences.
    """

    def check_uri(self, uri: str) -> None:
        """Raise SipError unless `uri` is a SIP URI a call could be placed to; sends nothing."""
        ...

    def make_call(self, uri: str, account: str | None = None) -> int:
        """Place a call; its id."""
        ...

    def ringing(self, call_id: int) -> None:
        """Answer an incoming call with 180 Ringing."""
        ...

    def answer(self, call_id: int) -> None:
        """Answer an incoming call with 200 OK."""
        ...

    def reject(self, call_id: int, code: int = 486) -> None:
        """Refuse an incoming call with a final status."""
        ...

    def hangup(self, call_id: int) -> None:
        """End a call in any state."""
        ...

    def hold(self, call_id: int) -> None:
        """Put a call on hold (the re-INVITE follows the gate)."""
        ...

    def resume(self, call_id: int) -> None:
        """Take a call off hold, with fresh media."""
        ...

    def set_mute(self, call_id: int, muted: bool) -> None:
        """Mute or unmute the agent's microphone towards the customer."""
        ...

    def cut_mic(self, call_id: int, reason: str, cut: bool) -> None:
        """Cut the microphone for a reason (unanswered, disclosure) or lift that reason."""
        ...

    def set_listening(self, call_id: int, listening: bool) -> None:
        """Let the agent hear the customer, or not."""
        ...

    def set_feeding(self, call_id: int, feeding: bool) -> None:
        """Let the ports sent to the call play, or pause them."""
        ...

    def renew_media_on_offer(self, call_id: int, renew: bool) -> None:
        """Answer the peer's next offer with fresh media."""
        ...

    def send_dtmf(self, call_id: int, digits: str, method: DtmfMethod) -> None:
        """Send DTMF digits."""
        ...

    def transfer(self, call_id: int, uri: str, *, timeout_s: float = TRANSFER_TIMEOUT_S) -> None:
        """Blind transfer: REFER the customer's side to `uri`; `TransferProgress` follows.

        Raises `TransferError` when the REFER cannot go; a final `TransferProgress` (408) is
        posted when no outcome came within `timeout_s`.
        """
        ...

    def transfer_replaces(
        self, call_id: int, consult_call_id: int, *, timeout_s: float = TRANSFER_TIMEOUT_S
    ) -> None:
        """Attended transfer: REFER with Replaces, so the consulted party takes the customer."""
        ...

    def local_uri(self, call_id: int) -> str:
        """The call's local party."""
        ...

    def create_port(
        self,
        name: str,
        *,
        source: FrameSource | None = None,
        sink: FrameSink | TickSink | None = None,
    ) -> PortHandle:
        """A port on the conference bridge, fed by `source` or feeding `sink`."""
        ...

    def send_to_call(self, call_id: int, port: PortHandle, *, mic: bool = True) -> None:
        """Play a port to the call's customer."""
        ...

    def receive_from_call(self, call_id: int, port: PortHandle) -> None:
        """Play the call's customer to a port."""
        ...

    def stop_sending(self, call_id: int, port: PortHandle) -> None:
        """Stop playing a port to the customer."""
        ...

    def tap_call(self, call_id: int, port: PortHandle) -> bool:
        """Connect the customer's audio to a tap; False when the call has no audio."""
        ...

    def untap_call(self, call_id: int, port: PortHandle) -> None:
        """Disconnect the customer's audio from a tap."""
        ...

    def connect_ports(self, source: PortHandle, sink: PortHandle) -> None:
        """Connect two ports on the bridge."""
        ...

    def disconnect_ports(self, source: PortHandle, sink: PortHandle) -> None:
        """Disconnect two ports on the bridge."""
        ...

    def slot(self, port: PortHandle) -> int:
        """A port's slot on the bridge (the order it is served in)."""
        ...

    def release_port(self, port: PortHandle) -> None:
        """Take a port off the bridge for good."""
        ...

    def rtp_sent(self, call_id: int) -> int:
        """RTP packets the call sent so far, over every stream."""
        ...
