"""The demo call played by itself through the window's own buttons, with screenshots on the way.

Dial the customer, let the disclosure play, talk, hold, resume, hang up: each step clicks the
button an agent would click and then waits, on the GUI thread's event loop and never blocking
it, for the desk to report the result. A screenshot of the window is saved during the
disclosure, on hold and after the call. Any step that does not come within its bound ends the
tour as failed (the call is hung up); either way the window is closed at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication

from softphone.calls.snapshot import CallChanged, CallEnded, CallSnapshot, DisclosureState
from ui.mainwindow import MainWindow

Progress = Callable[[str], None]
Step = tuple[str, Callable[[], bool]]  # what is awaited, and whether it came
POLL_MS = 50
SHOT_SIZE = (980, 680)  # the window's default size: screenshots alike from run to run


@dataclass(frozen=True)
class Timing:
    """How long the tour talks and holds, and how long any one step may take to come."""

    talk_s: float = 3.0
    hold_s: float = 4.0
    shot_at: float = 0.4  # the disclosure screenshot, at this part of the disclosure
    step_timeout_s: float = 40.0


@dataclass
class TourReport:
    """What the tour saw: its screenshots, the call's end, and why it failed if it did."""

    screenshots: dict[str, Path] = field(default_factory=dict)
    ended: CallEnded | None = None
    failure: str | None = None
    held_at: float | None = None  # Unix times of the clicks on Hold and Resume
    resumed_at: float | None = None
    finished: bool = False  # the tour came to its end (not stopped from outside)


class DemoTour(QObject):
    """Runs the demo call on `window` once it is started; `report` says how it went."""

    def __init__(
        self,
        window: MainWindow,
        uri: str,
        shots: Path,
        timing: Timing | None = None,
        progress: Progress | None = None,
    ) -> None:
        super().__init__(window)
        self.window, self.uri, self.shots = window, uri, shots
        self.timing = timing or Timing()
        self.report = TourReport()
        self._say = progress or (lambda _text: None)
        self._call: CallSnapshot | None = None
        self._steps = self._script()
        self._step: Step | None = None
        self._deadline = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        window.bridge.call_changed.connect(self._changed)
        window.bridge.call_ended.connect(self._ended)

    def start(self) -> None:
        """Begin with the first step on the next turn of the event loop."""
        self.window.resize(*SHOT_SIZE)
        self._timer.start()

    # --- the script ---------------------------------------------------------------------------

    def _script(self) -> Iterator[Step]:
        t = self.timing
        self.window.dial.set_text(self.uri)
        self._click("dialButton")
        self._say(f"dialled {self.uri}")
        yield "the customer to answer", lambda: self._now(lambda c: c.answered)
        self._say("the customer answered; the disclosure plays to them (and to the agent)")
        yield "the disclosure to play", lambda: self._disclosure_at(t.shot_at)
        self._shot("disclosure")
        yield "the recording to start", lambda: self._now(lambda c: c.recording_open)
        self._say("the disclosure was played completely: the call is recorded")
        yield from self._pause(t.talk_s)
        self._click("holdButton")
        self.report.held_at = time.time()
        yield "the hold", lambda: self._now(lambda c: c.local_hold and not c.recording_open)
        self._say("on hold: the customer keeps talking, and none of it is recorded")
        yield from self._pause(t.hold_s)
        self._shot("on-hold")
        self._click("holdButton")
        self.report.resumed_at = time.time()
        yield "the resume", lambda: self._now(lambda c: c.recording_open)
        self._say("resumed: recorded again")
        yield from self._pause(t.talk_s)
        self._click("hangUpButton")
        yield "the call's end", lambda: self.report.ended is not None
        self._say("hung up; the recording is finished")
        self.window.commands.focus_history.trigger()  # the call, recorded, is in the history
        self._shot("after-call")

    def _pause(self, seconds: float) -> Iterator[Step]:
        until = time.monotonic() + seconds
        yield f"{seconds:g} s to pass", lambda: time.monotonic() >= until

    # --- the machinery -------------------------------------------------------------------------

    def _poll(self) -> None:
        if self._step is not None:
            what, came = self._step
            if not came():
                if time.monotonic() > self._deadline:
                    self._fail(f"gave up waiting for {what} ({self.timing.step_timeout_s:g} s)")
                return
        try:
            self._step = next(self._steps)
        except StopIteration:
            self._finish()
            return
        except RuntimeError as exc:  # a button that could not be clicked
            self._fail(str(exc))
            return
        self._deadline = time.monotonic() + self.timing.step_timeout_s

    def _fail(self, why: str) -> None:
        if self.report.failure is not None:  # the calls did not even end: close regardless
            self._finish()
            return
        self.report.failure = why
        self._say(f"failed: {why}")
        self.window.desk.end_all()
        self._steps = iter([("the calls to end", lambda: not self.window.desk.calls())])
        self._step = None

    def _finish(self) -> None:
        self._timer.stop()
        if any(c.live for c in self.window.desk.calls()):
            QApplication.quit()  # closing the window would ask; the phone's end hangs them up
            return
        self.report.finished = True
        self.window.close()

    def _changed(self, event: CallChanged) -> None:
        self._call = event.call

    def _ended(self, event: CallEnded) -> None:
        if self._call is not None and event.call.call_id == self._call.call_id:
            self.report.ended = event

    def _now(self, test: Callable[[CallSnapshot], bool]) -> bool:
        return self._call is not None and test(self._call)

    def _disclosure_at(self, part: float) -> bool:
        call = self._call
        if call is None or call.disclosure is not DisclosureState.PLAYING:
            return call is not None and call.disclosure is DisclosureState.COMPLETED
        played, total = call.disclosure_frames
        return total > 0 and played >= part * total

    def _click(self, name: str) -> None:
        button = self.window.findChild(QAbstractButton, name)
        if button is None or not button.isEnabled():
            raise RuntimeError(f"the window's {name} is missing or disabled")
        button.click()

    def _shot(self, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"window-{name}.png"
        if not self.window.grab().save(str(path)):
            raise RuntimeError(f"cannot save the screenshot {path}")
        self.report.screenshots[name] = path
        self._say(f"screenshot: {path}")
