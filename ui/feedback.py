"""The status line: calm, inline feedback that clears itself, never a dialog."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from ui.announce import announce
from ui.retranslate import retranslated

SHOW_MS = 8000
"""How long a message stays: long enough to read twice, short enough not to go stale."""


class StatusLine(QLabel):
    """One line under the header; a new message replaces the last one."""

    def __init__(self, parent: QWidget | None = None, *, show_ms: int = SHOW_MS) -> None:
        super().__init__(parent)
        self.setObjectName("statusLine")
        self.setWordWrap(True)
        retranslated(self, lambda: self.setAccessibleName(self.tr("Status")))
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.setInterval(show_ms)
        self._clear.timeout.connect(self.clear_message)
        self._tone("none")

    @property
    def tone(self) -> str:
        """`problem`, `info` or `none` (nothing shown)."""
        return str(self.property("tone"))

    def say(self, text: str, *, problem: bool = False) -> None:
        """Show `text` for a while; a problem is marked as one and read out at once."""
        self.setText(text)
        self.setAccessibleDescription(text)
        self._tone("problem" if problem else "info")
        self._clear.start()
        announce(self, text, urgent=problem)

    def clear_message(self) -> None:
        """Take the message away."""
        self.clear()
        self.setAccessibleDescription("")
        self._tone("none")

    def _tone(self, tone: str) -> None:
        self.setProperty("tone", tone)
        self.style().unpolish(self)  # the style sheet styles by the property
        self.style().polish(self)
