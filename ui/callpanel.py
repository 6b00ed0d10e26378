"""The focused call: who, how long, its recording state and the buttons for it."""

from __future__ import annotations

import time

from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.calls.snapshot import CallSnapshot
from ui.buttons import action_button
from ui.callactions import CallActions
from ui.callwords import duration, state_words
from ui.party import party
from ui.prompt import InlinePrompt
from ui.recordingbadge import RecordingBadge
from ui.recordingstate import recording_view
from ui.retranslate import retranslated


class CallPanel(QFrame):
    """Shows one call (or none); its buttons are the window's actions."""

    def __init__(self, actions: CallActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callPanel")
        self.name = QLabel(self)
        self.name.setObjectName("partyName")
        self.address = QLabel(self)
        self.address.setObjectName("partyAddress")
        self.status = QLabel(self)
        self.status.setObjectName("callStatus")
        retranslated(self, lambda: self.status.setAccessibleName(self.tr("Call status")))
        self.badge = RecordingBadge(self)
        self.prompt = InlinePrompt(self)
        self.hold = action_button(actions.hold, self, "holdButton")
        self.pause = action_button(actions.pause, self, "pauseButton")
        for prominent in (self.hold, self.pause):
            prominent.setMinimumHeight(56)
            prominent.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        big = QHBoxLayout()
        big.setSpacing(10)
        big.addWidget(self.hold, 1)
        big.addWidget(self.pause, 1)
        small = QGridLayout()
        small.setSpacing(8)
        buttons = [
            (actions.mute, "muteButton"),
            (actions.transfer, "transferButton"),
            (actions.consult, "consultButton"),
            (actions.complete, "completeButton"),
            (actions.switch, "switchButton"),
            (actions.hang_up, "hangUpButton"),
        ]
        for index, (action, name) in enumerate(buttons):
            button = action_button(action, self, name)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            small.addWidget(button, index // 3, index % 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        layout.addWidget(self.name)
        layout.addWidget(self.address)
        layout.addWidget(self.status)
        layout.addWidget(self.badge)
        layout.addLayout(big)
        layout.addLayout(small)
        layout.addWidget(self.prompt)
        layout.addStretch(1)
        self.call: CallSnapshot | None = None
        self.show_call(None)

    def show_call(self, call: CallSnapshot | None) -> None:
        """Show `call`, or that there is none."""
        self.call = call
        if call is None:
            self.name.setText(self.tr("No call"))
            self.address.setText(self.tr("Type a number to call, or wait for a call."))
            self.status.setText("")
            self.badge.show_view(None)
            self.prompt.dismiss()
            return
        who = party(call.remote_uri)
        self.name.setText(who.name)
        self.address.setText(who.address)
        self.badge.show_view(recording_view(call))
        self.tick(time.time())

    def tick(self, now: float) -> None:
        """Bring the call's timer up to `now`."""
        call = self.call
        if call is None:
            return
        words = state_words(call)
        if call.muted:
            words = self.tr("%1, muted").replace("%1", words)
        text = f"{words} · {duration(call.duration_s(now))}" if call.answered else words
        self.status.setText(text)
        self.status.setAccessibleDescription(text)
