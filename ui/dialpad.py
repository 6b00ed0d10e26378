"""The dial field (cleaned and checked as you type, Enter dials) and the keypad."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from ui.dialtext import DialKind, DialText, read_dial_text
from ui.retranslate import retranslated

KEYS = "123456789*0#"


class DialField(QWidget):
    """A line for a number or SIP address and, under it, whether and how it will be dialled."""

    dial_requested = Signal(DialText)
    refused = Signal(DialText)  # Enter on something that cannot be dialled

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QLineEdit(self)
        self.line.setObjectName("dialLine")
        self.line.setClearButtonEnabled(True)
        self.hint = QLabel(self)
        self.hint.setObjectName("dialHint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.line)
        layout.addWidget(self.hint)
        self.entry = read_dial_text("")
        self.line.textChanged.connect(self._check)
        self.line.returnPressed.connect(self.request)
        retranslated(self, self._retranslate)

    def _retranslate(self) -> None:
        self.line.setPlaceholderText(self.tr("Number or SIP address"))
        self.line.setAccessibleName(self.tr("Number or SIP address to call"))
        self._check(self.line.text())

    def request(self) -> None:
        """Ask for a call to what is typed, if it can be dialled."""
        signal = self.dial_requested if self.entry.dialable else self.refused
        signal.emit(self.entry)

    def type_key(self, key: str) -> None:
        """Add a keypad key at the cursor."""
        self.line.insert(key)
        self.line.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_text(self, text: str) -> None:
        """Put `text` in the field (a recent number) and give it the keyboard."""
        self.line.setText(text)
        self.line.setFocus(Qt.FocusReason.OtherFocusReason)

    def _check(self, text: str) -> None:
        self.entry = entry = read_dial_text(text)
        if entry.kind is DialKind.EMPTY:
            hint, state = self.tr("Type a number or a SIP address, then press Enter."), "empty"
        elif entry.dialable:
            hint, state = self.tr("Enter calls %1").replace("%1", entry.target), "ok"
        else:
            hint, state = entry.problem, "bad"
        self.hint.setText(hint)
        self.line.setAccessibleDescription(hint)
        for widget in (self.line, self.hint):
            widget.setProperty("entry", state)
            widget.style().unpolish(widget)
            widget.style().polish(widget)


class Keypad(QWidget):
    """Twelve keys, each an action with Ctrl+its key; what a key does is the window's choice."""

    key_pressed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.buttons: dict[str, QToolButton] = {}
        for index, key in enumerate(KEYS):
            action = QAction(key, self)
            action.setShortcut(QKeySequence(f"Ctrl+{key}"))
            action.triggered.connect(lambda _=False, k=key: self.key_pressed.emit(k))
            self.addAction(action)  # its key works anywhere in the window
            button = QToolButton(self)
            button.setObjectName("keypadKey")
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            layout.addWidget(button, index // 3, index % 3)
            self.buttons[key] = button
        retranslated(self, self._retranslate)

    def _retranslate(self) -> None:
        self.setAccessibleName(self.tr("Keypad"))
        spoken = {"*": self.tr("star"), "#": self.tr("hash")}
        for key, button in self.buttons.items():
            name = self.tr("Key %1").replace("%1", spoken.get(key, key))
            button.defaultAction().setToolTip(name)
            button.setAccessibleName(name)
