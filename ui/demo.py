"""`softphone demo`: the window and a demo customer in its own process, no PBX needed.

The customer (`softphone.sip.testpeer`) answers on 127.0.0.1 and talks, and keeps talking while
it is held, so the recording visibly lacks that part. Shown on a display, the agent dials it
(the dial field holds its address) and does what they like; a customer whose call ended is
started again on the same address. Played by itself (`auto`, always without a display) the
demo call runs through the window's buttons (`ui/tour.py`), then its report is printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import QObject, QTimer

from softphone.app.peerproc import CustomerPeer
from softphone.app.root import Softphone
from softphone.recordings.metadata import MetadataError, RecordingMetadata, read_metadata
from softphone.vocabulary import exitcodes
from ui.app import WindowPhone, run_window
from ui.mainwindow import MainWindow
from ui.tour import DemoTour, Progress, Timing, TourReport

PEER_LIMIT_S = 3600  # the customer process gives up after this long without its call ending


@dataclass(frozen=True)
class DemoPlan:
    """The demo's phone, how the customer sounds, where its files go, and who plays the call."""

    phone: WindowPhone
    customer: Sequence[str]  # the peer's sound options: --play ... --hold-tone ...
    folder: Path  # the customer's log and the screenshots (the recordings are in `phone`)
    auto: bool  # the call plays by itself, with screenshots and a report
    timing: Timing = field(default_factory=Timing)


class DemoCustomer(QObject):
    """The demo customer's process; started again on the same port when its call has ended."""

    def __init__(self, sounds: Sequence[str], folder: Path) -> None:
        super().__init__()
        self._sounds, self._folder = list(sounds), folder
        self.peer = self._start("127.0.0.1:0")
        self._watch = QTimer(self)
        self._watch.setInterval(500)
        self._watch.timeout.connect(self.replace_if_ended)

    def _start(self, listen: str) -> CustomerPeer:
        args = ["--listen", listen, "--max-seconds", str(PEER_LIMIT_S), *self._sounds]
        return CustomerPeer(args, self._folder)

    def keep_answering(self) -> None:
        """From now on, a customer whose call ended is replaced by a fresh one."""
        self._watch.start()

    def replace_if_ended(self) -> None:
        """Start a fresh customer on the same address if this one's process has exited."""
        if self.peer.proc.poll() is not None:
            self.peer.stop()
            self.peer = self._start(f"127.0.0.1:{self.peer.port}")

    def stop(self) -> None:
        """Stop the customer's process."""
        self._watch.stop()
        self.peer.stop()


def run_demo(plan: DemoPlan, out: TextIO = sys.stdout) -> int:
    """Run the demo until the window closes; with `auto`, 0 when the call went as expected."""
    tours: list[DemoTour] = []
    customer = DemoCustomer(plan.customer, plan.folder)
    try:
        uri = customer.peer.uri_for("customer")
        print(f"the demo customer answers at {uri}", file=out, flush=True)

        def ready(window: MainWindow, _softphone: Softphone) -> None:
            if plan.auto:
                shots = plan.folder / "screenshots"
                tour = DemoTour(window, uri, shots, plan.timing, _stopwatch(sys.stderr))
                tours.append(tour)
                tour.start()
                return

            def offer_call(_event: object = None) -> None:
                if not window.dial.line.text():  # dialling cleared it: offer the customer again
                    window.dial.set_text(uri)

            offer_call()
            window.bridge.call_ended.connect(offer_call)
            window.dial.line.setFocus()
            window.status.say(window.tr("Press Enter to call the demo customer."))
            customer.keep_answering()

        code = run_window(plan.phone, ready)
    finally:
        customer.stop()
    if not tours:
        print(f"recordings: {plan.phone.recordings}", file=out, flush=True)
        return code
    lines, passed = report_lines(tours[0].report)
    print("\n".join(lines), file=out, flush=True)
    return exitcodes.OK if passed else exitcodes.FAILED


def report_lines(report: TourReport) -> tuple[list[str], bool]:
    """The demo call's report, and whether it went as expected."""
    lines: list[str] = []
    problems = [report.failure] if report.failure else []
    if not report.finished and not report.failure:
        problems.append("the demo was stopped before its call was over")
    meta: RecordingMetadata | None = None
    metadata = report.ended.metadata if report.ended else None
    if metadata is None:
        problems.append("the call left no recording")
    else:
        try:
            meta = read_metadata(Path(metadata))
        except MetadataError as exc:
            problems.append(str(exc))
    if meta is not None:
        lines += _call_lines(meta, Path(metadata or ""))
        problems += _call_problems(meta, Path(metadata or ""))
    lines.append("screenshots:")
    lines += [f"  {name}: {path}" for name, path in report.screenshots.items()]
    lines += [f"problem: {p}" for p in problems]
    lines.append(f"result: {'FAIL' if problems else 'PASS'}")
    return lines, not problems


def _call_lines(meta: RecordingMetadata, metadata: Path) -> list[str]:
    answered = meta.call.answered_at or 0.0
    call_s = (meta.call.ended_at or answered) - answered
    d = meta.disclosure
    lines = [
        f"demo call to {meta.call.remote_uri}: {call_s:.1f} s; the customer heard the disclosure "
        f"'{d.id}' ({d.duration_s:.1f} s, {'complete' if d.completed else 'NOT complete'}) first",
        f"  recording: {metadata.with_name(meta.audio.file)} ({meta.audio.duration_s:.1f} s "
        f"recorded, {meta.status})",
        f"  metadata:  {metadata}",
    ]
    for hold in meta.holds:
        end = hold.end if hold.end is not None else hold.start
        lines.append(
            f"  on hold {end - hold.start:.1f} s, from {hold.start - answered:.1f} s to "
            f"{end - answered:.1f} s after the answer: not recorded, a gap at "
            f"{hold.media_time:.1f} s of the recording"
        )
    return lines


def _call_problems(meta: RecordingMetadata, metadata: Path) -> list[str]:
    problems = []
    if not meta.disclosure.completed:
        problems.append("the disclosure was not played completely")
    if meta.status != "complete":
        problems.append(f"the recording is {meta.status}, not complete")
    if not metadata.with_name(meta.audio.file).is_file():
        problems.append("the recording's audio file is missing")
    if len(meta.holds) != 1 or meta.holds[0].end is None:
        problems.append(f"expected one finished hold in the metadata, found {len(meta.holds)}")
    return problems


def _stopwatch(stream: TextIO) -> Progress:
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"  [{time.monotonic() - started:4.1f} s] {text}", file=stream, flush=True)

    return say
