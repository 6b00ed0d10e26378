"""The window's actions: one per thing the agent can do, each with its words and its key."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction, QKeySequence


def _tr(text: str) -> str:
    return QCoreApplication.translate("CallActions", text)


class CallActions(QObject):
    """Created once per window; the window adds them to itself so their keys work everywhere."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._all: list[QAction] = []
        self.dial = self._make("dial", _tr("Call"), "Ctrl+Return", _tr("Call the number typed"))
        self.answer = self._make("answer", _tr("Answer"), "F2", _tr("Answer the ringing call"))
        self.reject = self._make("reject", _tr("Reject"), "F3", _tr("Reject the ringing call"))
        self.hold = self._make("hold", _tr("Hold"), "F4", _tr("Hold or resume the call"))
        self.switch = self._make(
            "switch", _tr("Switch call"), "F5", _tr("Take back the other call (this one is held)")
        )
        self.pause = self._make(
            "pause", _tr("Pause recording"), "F6", _tr("Pause or resume the recording for privacy")
        )
        self.pause_with_reason = self._make(
            "pauseWithReason",
            _tr("Pause with reason…"),
            "Shift+F6",
            _tr("Pause the recording and say why"),
        )
        self.mute = self._make("mute", _tr("Mute"), "F7", _tr("Mute or unmute your microphone"))
        self.mute.setCheckable(True)
        self.hang_up = self._make("hangUp", _tr("Hang up"), "F8", _tr("End the call"))
        self.transfer = self._make(
            "transfer", _tr("Transfer…"), "F9", _tr("Hand the call on (blind transfer)")
        )
        self.consult = self._make(
            "consult", _tr("Consult…"), "Shift+F9", _tr("Hold the call and call a colleague")
        )
        self.complete = self._make(
            "complete",
            _tr("Complete transfer"),
            "Ctrl+F9",
            _tr("Join the customer with the colleague consulted"),
        )
        self.focus_dial = self._make(
            "focusDial", _tr("Dial field"), "Ctrl+L", _tr("Go to the dial field")
        )
        self.focus_calls = self._make(
            "focusCalls", _tr("Calls"), "Ctrl+J", _tr("Go to the list of calls")
        )
        self.focus_recent = self._make(
            "focusRecent", _tr("Recent"), "Ctrl+E", _tr("Go to the recent numbers")
        )
        self.focus_history = self._make(
            "focusHistory", _tr("History"), "Ctrl+Y", _tr("Go to the call history")
        )
        self.help = self._make("help", _tr("Help"), "F1", _tr("Show or hide these shortcuts"))

    def all(self) -> list[QAction]:
        """Every action, in the order the help lists them."""
        return list(self._all)

    def _make(self, name: str, text: str, keys: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self._all.append(action)
        return action
