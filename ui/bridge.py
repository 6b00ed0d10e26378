"""The window's one link to the desk: desk events as Qt signals, the loop turned by a QTimer.

The desk publishes on the thread that turns the loop; here that is the GUI thread, by a timer
that calls the injected `turn` with a wait of 0 ms, so the GUI never blocks in pjsua2 (network
events are picked up on the next tick: every `interval_ms` while a call is live, every
`idle_interval_ms` without one, so an idle window hardly wakes; a SIP request arriving on one of
the `wake` sockets turns it at once). A turn that raises does not stop the window: it is logged
and said to the agent once as a problem, until a turn succeeds again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QSocketNotifier,
    QTimer,
    Signal,
    SignalInstance,
)

from softphone.calls.desk import Desk
from softphone.calls.snapshot import (
    CallChanged,
    CallEnded,
    CallRefused,
    DeskEvent,
    DeviceChanged,
    DigitReceived,
    ProblemRaised,
    RegistrationChanged,
    ReinviteRefused,
    TransferFinished,
)

log = logging.getLogger("softphone.ui")

TURN_INTERVAL_MS = 10
"""How often the loop is turned during a call: the delay before a network event is handled."""

IDLE_TURN_INTERVAL_MS = 250
"""How often it is turned with no call, for the engine's timers (a request on a `wake` socket
turns it at once; one on a socket not watched, a TCP connection's, at most this much later)."""


class DeskBridge(QObject):
    """Re-emits each desk event as the Qt signal of its type; turns the loop on a timer."""

    call_changed = Signal(CallChanged)
    call_ended = Signal(CallEnded)
    call_refused = Signal(CallRefused)
    registration_changed = Signal(RegistrationChanged)
    problem_raised = Signal(ProblemRaised)
    device_changed = Signal(DeviceChanged)
    transfer_finished = Signal(TransferFinished)
    digit_received = Signal(DigitReceived)
    reinvite_refused = Signal(ReinviteRefused)

    def __init__(
        self,
        desk: Desk,
        turn: Callable[[int], None],
        *,
        interval_ms: int = TURN_INTERVAL_MS,
        idle_interval_ms: int = IDLE_TURN_INTERVAL_MS,
        wake: Sequence[int] = (),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self._turn = turn
        self._failing = False  # the last turn raised; said once until one succeeds
        self._intervals = (idle_interval_ms, interval_ms)  # by whether a call is live
        self._signals: dict[type[DeskEvent], SignalInstance] = {
            CallChanged: self.call_changed,
            CallEnded: self.call_ended,
            CallRefused: self.call_refused,
            RegistrationChanged: self.registration_changed,
            ProblemRaised: self.problem_raised,
            DeviceChanged: self.device_changed,
            TransferFinished: self.transfer_finished,
            DigitReceived: self.digit_received,
            ReinviteRefused: self.reinvite_refused,
        }
        self._timer = QTimer(self)
        self._timer.setInterval(self._intervals[desk.busy])
        self._timer.timeout.connect(self.turn_once)
        self._notifiers = [QSocketNotifier(fd, QSocketNotifier.Type.Read, self) for fd in wake]
        for notifier in self._notifiers:
            notifier.setEnabled(False)
            notifier.activated.connect(self.turn_once)
        desk.subscribe(self._publish)

    @property
    def running(self) -> bool:
        """Whether the timer turns the loop."""
        return self._timer.isActive()

    @property
    def interval_ms(self) -> int:
        """How long the timer waits between turns now."""
        return int(self._timer.interval())

    def start(self) -> None:
        """Turn the loop on the timer, and whenever a `wake` socket is readable, from now on."""
        self._timer.start()
        for notifier in self._notifiers:
            notifier.setEnabled(True)

    def stop(self) -> None:
        """Stop turning the loop (the app's shutdown turns it itself from then on)."""
        self._timer.stop()
        for notifier in self._notifiers:  # a readable socket nobody reads would wake it forever
            notifier.setEnabled(False)

    def turn_once(self) -> None:
        """One loop turn without waiting; a failure is said, never raised into Qt."""
        try:
            self._turn(0)
        except Exception as exc:
            log.exception("a loop turn failed")
            if not self._failing:
                self._failing = True
                text = QCoreApplication.translate("DeskBridge", "The phone hit an error: %1")
                self.problem_raised.emit(ProblemRaised(None, text.replace("%1", str(exc))))
        else:
            self._failing = False
        self._pace()

    def _pace(self) -> None:
        """Turn often while a call is live, seldom when none is (restarts the timer on change)."""
        interval = self._intervals[self.desk.busy]
        if interval != self._timer.interval():
            self._timer.setInterval(interval)

    def _publish(self, event: DeskEvent) -> None:
        signal = self._signals.get(type(event))
        if signal is None:
            log.warning("the window does not know the desk's %s", type(event).__name__)
            return
        signal.emit(event)
        self._pace()  # a command (a dial, say) may have made the first call
