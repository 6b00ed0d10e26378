"""The incoming call: who calls, with Answer and Reject, impossible to overlook."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from softphone.calls.snapshot import CallSnapshot
from ui.announce import announce
from ui.buttons import action_button
from ui.party import party


class RingBanner(QFrame):
    """Shown while a call rings; its buttons are the window's Answer and Reject actions."""

    def __init__(self, answer: QAction, reject: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ringBanner")
        self.caller = QLabel(self)
        self.caller.setObjectName("ringCaller")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addWidget(self.caller, 1)
        layout.addWidget(action_button(answer, self, "answerButton"))
        layout.addWidget(action_button(reject, self, "rejectButton"))
        self.call_id: int | None = None
        self.hide()

    def show_ringing(self, call: CallSnapshot | None) -> None:
        """Show the ringing `call`, or hide when none rings; a new one is announced."""
        if call is None:
            self.call_id = None
            self.hide()
            return
        text = self.tr("Incoming call from %1").replace("%1", party(call.remote_uri).label)
        self.caller.setText(text)
        self.setAccessibleName(text)
        if call.call_id != self.call_id:
            announce(self, text, urgent=True)
        self.call_id = call.call_id
        self.show()
