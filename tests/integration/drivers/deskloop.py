"""What the drivers share around a desk: the agent's phone, a bounded loop, what it published."""

from __future__ import annotations

import contextlib
import getpass
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from softphone.app.root import Audio, PhoneConfig, open_softphone
from softphone.calls.desk import Desk
from softphone.calls.setup import prepare_setup
from softphone.calls.snapshot import (
    CallChanged,
    CallEnded,
    CallSnapshot,
    DeskEvent,
    DisclosureState,
    TransferFinished,
)
from softphone.config.policy import load_policy
from softphone.media.sinks import NullSink
from softphone.media.sources import ToneSource
from softphone.sip.engine import SipEngine
from softphone.vocabulary.events import CallDirection


@contextlib.contextmanager
def agent_desk(policy_path: str, tone_hz: float = 1000.0) -> Iterator[tuple[SipEngine, Desk]]:
    """The agent's phone from the composition root: its microphone a tone, its speaker nowhere."""
    policy = load_policy(Path(policy_path))
    setup = prepare_setup(
        spec=policy.disclosure.for_language(policy.disclosure.default_language),
        recordings=policy.recording.directory,
        agent=getpass.getuser(),
    )
    audio = Audio(ToneSource(tone_hz), NullSink())
    with open_softphone(PhoneConfig(), setup, audio) as softphone:
        yield softphone.engine, softphone.desk


def run_until(engine: SipEngine, desk: Desk, done: Callable[[], bool], timeout_s: float) -> bool:
    """Poll the engine and tick the desk until `done()` or `timeout_s`; whether it was done."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() >= deadline:
            return False
        engine.poll(20)
        desk.tick()
    return True


@dataclass
class Seen:
    """The desk's events as a driver needs them; subscribe it with `desk.subscribe(seen)`."""

    calls: dict[int, CallSnapshot] = field(default_factory=dict)  # each call's latest snapshot
    ended: dict[int, CallEnded] = field(default_factory=dict)
    transfers: list[TransferFinished] = field(default_factory=list)

    def __call__(self, event: DeskEvent) -> None:
        if isinstance(event, CallChanged):
            self.calls[event.call.call_id] = event.call
        elif isinstance(event, CallEnded):
            self.calls[event.call.call_id] = event.call
            self.ended[event.call.call_id] = event
        elif isinstance(event, TransferFinished):
            self.transfers.append(event)

    def incoming(self) -> list[int]:
        """The incoming calls seen so far, oldest first, ringing or not any more."""
        return [c.call_id for c in self.calls.values() if c.direction is CallDirection.INBOUND]

    def disclosed(self, call_id: int) -> bool:
        """The call's disclosure was played to its end."""
        call = self.calls.get(call_id)
        return call is not None and call.disclosure is DisclosureState.COMPLETED

    def outcome(self, call_id: int) -> dict[str, object]:
        """An ended call's recording, metadata, problems and transfers, for the driver's output."""
        ended = self.ended[call_id]
        return {
            "call_id": ended.call.sip_call_id,
            "status_code": ended.status_code,
            "recording": ended.call.recording,
            "metadata": ended.metadata,
            "problems": list(ended.call.problems),
            "transfers": list(ended.transfers),
        }
