"""A real desk over the fake phone, for the window's tests: the test plays the customer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from softphone.calls.desk import Desk
from softphone.calls.session import SessionSetup
from softphone.media.disclosure import Disclosure
from softphone.recordings.store import RecordingStore
from softphone.vocabulary.events import RecorderFailed
from softphone.vocabulary.frames import FRAME_BYTES
from tests.unit.fakephone import FakeEngine, FakePhone

DISCLOSURE_FRAMES = 4
NO_DISCLOSURE = "nothing will be recorded: no recording disclosure is configured"


@dataclass(frozen=True)
class _Spec:
    id: str = "test"
    language: str = "en"
    purpose: str = "quality"
    audio: Path = Path("/nonexistent.wav")


class Rig:
    """The desk, its fake phone and engine; `turn` is what the window's bridge drives."""

    def __init__(
        self,
        folder: Path,
        *,
        disclosure: bool = True,
        pause_requires_reason: bool = False,
        max_calls: int = 2,
    ) -> None:
        self.engine = FakeEngine()
        self.phone = FakePhone(self.engine)
        pcm = bytes(FRAME_BYTES * DISCLOSURE_FRAMES)
        setup = SessionSetup(
            agent="agent",
            disclosure=Disclosure(_Spec(), pcm, "0" * 64) if disclosure else None,
            store=RecordingStore(folder, agent="agent"),
            problems=() if disclosure else (NO_DISCLOSURE,),
            pause_requires_reason=pause_requires_reason,
        )
        audio = (self.phone.create_port("mic"), self.phone.create_port("speaker"))
        self.desk = Desk(self.engine, self.phone, setup, audio, max_calls=max_calls)
        self.turns = 0

    def turn(self, wait_ms: int) -> None:
        """One loop turn, as `Softphone.turn`: engine events to the desk, then its timers."""
        assert wait_ms == 0, "the window must never wait in the loop"
        self.turns += 1
        self.phone.deliver(self.desk.handle)
        self.desk.tick()

    # --- shortcuts for the customer's side ---------------------------------------------------

    def ring(self) -> int:
        """A customer calls; the desk hears of it at once."""
        call_id = self.phone.incoming()
        self.phone.deliver(self.desk.handle)
        return call_id

    def answered(self) -> int:
        """A customer's call, answered by the agent; its disclosure has not played yet."""
        call_id = self.ring()
        self.desk.answer(call_id)
        self.phone.deliver(self.desk.handle)
        return call_id

    def play(self, frames: int) -> None:
        """Let the bridge play `frames` frames of every fed disclosure."""
        self.phone.bridge_ticks(frames)
        self.phone.deliver(self.desk.handle)
        self.desk.tick()

    def recording(self) -> int:
        """An answered call whose disclosure played to its end: it is recorded."""
        call_id = self.answered()
        self.play(DISCLOSURE_FRAMES + 1)
        assert self.desk.call(call_id).recording_open
        return call_id

    def disk_fails(self, call_id: int) -> None:
        """The recording writer stops, as on a full disk."""
        self.engine.post(RecorderFailed(call_id, "No space left on device"))
        self.phone.deliver(self.desk.handle)

    def close(self) -> None:
        """Hang up what is left so every recording is finished."""
        self.desk.end_all()
        self.phone.deliver(self.desk.handle)
