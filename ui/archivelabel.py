"""A quiet label for the agent's window: "archive unreachable, N waiting", or nothing at all."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from softphone.app.archiving import ArchiveState

POLL_MS = 5000  # reads two small local files: the spool's state, never the network


class ArchiveLabel(QLabel):
    """Shows the archive's state from `state()` every POLL_MS; hidden while all is well."""

    def __init__(self, state: Callable[[], ArchiveState], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("archiveState")
        self._state = state
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Read the state now and show it (hidden when the archive took everything)."""
        state = self._state()
        if state.reachable:
            self.setText("")
            self.setToolTip("")
            self.hide()
            return
        self.setText(self.tr("archive unreachable, %n waiting", "", state.waiting))
        self.setToolTip(state.problem or "")
        self.show()
