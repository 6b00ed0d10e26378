"""The window's actions: one per thing the agent can do, each with its words and its key."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject
from PySide6.QtGui import QAction, QKeySequence

from ui.retranslate import retranslated


class CallActions(QObject):
    """Created once per window; the window adds them to itself so their keys work everywhere."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._all: list[QAction] = []
        self._words: dict[QAction, tuple[str, str]] = {}  # the English text and tip
        self.dial = self._make(
            "dial",
            QT_TRANSLATE_NOOP("CallActions", "Call"),
            "Ctrl+Return",
            QT_TRANSLATE_NOOP("CallActions", "Call the number typed"),
        )
        self.answer = self._make(
            "answer",
            QT_TRANSLATE_NOOP("CallActions", "Answer"),
            "F2",
            QT_TRANSLATE_NOOP("CallActions", "Answer the ringing call"),
        )
        self.reject = self._make(
            "reject",
            QT_TRANSLATE_NOOP("CallActions", "Reject"),
            "F3",
            QT_TRANSLATE_NOOP("CallActions", "Reject the ringing call"),
        )
        self.hold = self._make(
            "hold",
            QT_TRANSLATE_NOOP("CallActions", "Hold"),
            "F4",
            QT_TRANSLATE_NOOP("CallActions", "Hold or resume the call"),
        )
        self.switch = self._make(
            "switch",
            QT_TRANSLATE_NOOP("CallActions", "Switch call"),
            "F5",
            QT_TRANSLATE_NOOP("CallActions", "Take back the other call (this one is held)"),
        )
        self.pause = self._make(
            "pause",
            QT_TRANSLATE_NOOP("CallActions", "Pause recording"),
            "F6",
            QT_TRANSLATE_NOOP("CallActions", "Pause or resume the recording for privacy"),
        )
        self.pause_with_reason = self._make(
            "pauseWithReason",
            QT_TRANSLATE_NOOP("CallActions", "Pause with reason…"),
            "Shift+F6",
            QT_TRANSLATE_NOOP("CallActions", "Pause the recording and say why"),
        )
        self.mute = self._make(
            "mute",
            QT_TRANSLATE_NOOP("CallActions", "Mute"),
            "F7",
            QT_TRANSLATE_NOOP("CallActions", "Mute or unmute your microphone"),
        )
        self.mute.setCheckable(True)
        self.hang_up = self._make(
            "hangUp",
            QT_TRANSLATE_NOOP("CallActions", "Hang up"),
            "F8",
            QT_TRANSLATE_NOOP("CallActions", "End the call"),
        )
        self.transfer = self._make(
            "transfer",
            QT_TRANSLATE_NOOP("CallActions", "Transfer…"),
            "F9",
            QT_TRANSLATE_NOOP("CallActions", "Hand the call on (blind transfer)"),
        )
        self.consult = self._make(
            "consult",
            QT_TRANSLATE_NOOP("CallActions", "Consult…"),
            "Shift+F9",
            QT_TRANSLATE_NOOP("CallActions", "Hold the call and call a colleague"),
        )
        self.complete = self._make(
            "complete",
            QT_TRANSLATE_NOOP("CallActions", "Complete transfer"),
            "Ctrl+F9",
            QT_TRANSLATE_NOOP("CallActions", "Join the customer with the colleague consulted"),
        )
        self.focus_dial = self._make(
            "focusDial",
            QT_TRANSLATE_NOOP("CallActions", "Dial field"),
            "Ctrl+L",
            QT_TRANSLATE_NOOP("CallActions", "Go to the dial field"),
        )
        self.focus_calls = self._make(
            "focusCalls",
            QT_TRANSLATE_NOOP("CallActions", "Calls"),
            "Ctrl+J",
            QT_TRANSLATE_NOOP("CallActions", "Go to the list of calls"),
        )
        self.focus_recent = self._make(
            "focusRecent",
            QT_TRANSLATE_NOOP("CallActions", "Recent"),
            "Ctrl+E",
            QT_TRANSLATE_NOOP("CallActions", "Go to the recent numbers"),
        )
        self.focus_history = self._make(
            "focusHistory",
            QT_TRANSLATE_NOOP("CallActions", "History"),
            "Ctrl+Y",
            QT_TRANSLATE_NOOP("CallActions", "Go to the call history"),
        )
        self.help = self._make(
            "help",
            QT_TRANSLATE_NOOP("CallActions", "Help"),
            "F1",
            QT_TRANSLATE_NOOP("CallActions", "Show or hide these shortcuts"),
        )
        self.settings = self._make(
            "settings",
            QT_TRANSLATE_NOOP("CallActions", "Settings…"),
            "Ctrl+,",
            QT_TRANSLATE_NOOP("CallActions", "Devices and preferences"),
        )
        self.review = self._make(
            "review",
            QT_TRANSLATE_NOOP("CallActions", "QA…"),
            "Ctrl+Shift+R",
            QT_TRANSLATE_NOOP("CallActions", "Find and replay recordings (the QA view)"),
        )
        retranslated(self, self.retranslate)

    def all(self) -> list[QAction]:
        """Every action, in the order the help lists them."""
        return list(self._all)

    def retranslate(self) -> None:
        """Give every action its words in the language now installed."""
        for action, (text, tip) in self._words.items():
            action.setText(self.tr(text))
            action.setToolTip(self.tr(tip))
            action.setStatusTip(self.tr(tip))

    def _make(self, name: str, text: object, keys: str, tip: object) -> QAction:
        """An action with the English `text` and `tip` (QT_TRANSLATE_NOOP's), shown translated."""
        action = QAction(self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        self._words[action] = (str(text), str(tip))
        self._all.append(action)
        return action
