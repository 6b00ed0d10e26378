"""The window's actions: one per thing the agent can do, each with its words and its key."""

from __future__ import annotations

from PySide6.QtCore import QT_TR_NOOP, QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence


class CallActions(QObject):
    """Created once per window; the window adds them to itself so their keys work everywhere."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._all: list[QAction] = []
        self._words: dict[QAction, tuple[str, str]] = {}  # the English text and tip
        self.dial = self._make(
            "dial", QT_TR_NOOP("Call"), "Ctrl+Return", QT_TR_NOOP("Call the number typed")
        )
        self.answer = self._make(
            "answer", QT_TR_NOOP("Answer"), "F2", QT_TR_NOOP("Answer the ringing call")
        )
        self.reject = self._make(
            "reject", QT_TR_NOOP("Reject"), "F3", QT_TR_NOOP("Reject the ringing call")
        )
        self.hold = self._make(
            "hold", QT_TR_NOOP("Hold"), "F4", QT_TR_NOOP("Hold or resume the call")
        )
        self.switch = self._make(
            "switch",
            QT_TR_NOOP("Switch call"),
            "F5",
            QT_TR_NOOP("Take back the other call (this one is held)"),
        )
        self.pause = self._make(
            "pause",
            QT_TR_NOOP("Pause recording"),
            "F6",
            QT_TR_NOOP("Pause or resume the recording for privacy"),
        )
        self.pause_with_reason = self._make(
            "pauseWithReason",
            QT_TR_NOOP("Pause with reason…"),
            "Shift+F6",
            QT_TR_NOOP("Pause the recording and say why"),
        )
        self.mute = self._make(
            "mute", QT_TR_NOOP("Mute"), "F7", QT_TR_NOOP("Mute or unmute your microphone")
        )
        self.mute.setCheckable(True)
        self.hang_up = self._make("hangUp", QT_TR_NOOP("Hang up"), "F8", QT_TR_NOOP("End the call"))
        self.transfer = self._make(
            "transfer",
            QT_TR_NOOP("Transfer…"),
            "F9",
            QT_TR_NOOP("Hand the call on (blind transfer)"),
        )
        self.consult = self._make(
            "consult",
            QT_TR_NOOP("Consult…"),
            "Shift+F9",
            QT_TR_NOOP("Hold the call and call a colleague"),
        )
        self.complete = self._make(
            "complete",
            QT_TR_NOOP("Complete transfer"),
            "Ctrl+F9",
            QT_TR_NOOP("Join the customer with the colleague consulted"),
        )
        self.focus_dial = self._make(
            "focusDial", QT_TR_NOOP("Dial field"), "Ctrl+L", QT_TR_NOOP("Go to the dial field")
        )
        self.focus_calls = self._make(
            "focusCalls", QT_TR_NOOP("Calls"), "Ctrl+J", QT_TR_NOOP("Go to the list of calls")
        )
        self.focus_recent = self._make(
            "focusRecent", QT_TR_NOOP("Recent"), "Ctrl+E", QT_TR_NOOP("Go to the recent numbers")
        )
        self.focus_history = self._make(
            "focusHistory", QT_TR_NOOP("History"), "Ctrl+Y", QT_TR_NOOP("Go to the call history")
        )
        self.help = self._make(
            "help", QT_TR_NOOP("Help"), "F1", QT_TR_NOOP("Show or hide these shortcuts")
        )
        self.settings = self._make(
            "settings", QT_TR_NOOP("Settings…"), "Ctrl+,", QT_TR_NOOP("Devices and preferences")
        )
        self.retranslate()

    def all(self) -> list[QAction]:
        """Every action, in the order the help lists them."""
        return list(self._all)

    def retranslate(self) -> None:
        """Give every action its words in the language now installed."""
        for action, (text, tip) in self._words.items():
            action.setText(self.tr(text))
            action.setToolTip(self.tr(tip))
            action.setStatusTip(self.tr(tip))

    def event(self, event: QEvent) -> bool:
        """A new language (the window hands the event on to its children, this one too)."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        return super().event(event)

    def _make(self, name: str, text: object, keys: str, tip: object) -> QAction:
        """An action with the English `text` and `tip` (QT_TR_NOOP's), shown translated."""
        action = QAction(self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        self._words[action] = (str(text), str(tip))
        self._all.append(action)
        return action
