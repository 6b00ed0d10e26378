"""Every call on the desk, one row each with its own recording state; a row is the focus."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from softphone.calls.snapshot import CallSnapshot
from ui.callwords import state_words
from ui.party import party
from ui.recordingstate import recording_view
from ui.retranslate import retranslated
from ui.stateicons import state_icon


class CallList(QListWidget):
    """Rows in the desk's order (oldest first); selecting one focuses that call."""

    focus_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callList")
        retranslated(self, lambda: self.setAccessibleName(self.tr("Calls")))
        self.setUniformItemSizes(True)
        self.currentItemChanged.connect(self._chosen)
        self._updating = False

    def show_calls(self, calls: Sequence[CallSnapshot], focus: int | None) -> None:
        """Show `calls`, with `focus` selected."""
        self._updating = True
        try:
            self.clear()
            for call in calls:
                view = recording_view(call)
                who = party(call.remote_uri).label
                text = f"{who} · {state_words(call)} · {view.words}"
                item = QListWidgetItem(state_icon(view.icon, view.colour), text, self)
                item.setData(Qt.ItemDataRole.UserRole, call.call_id)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, view.detail)
                item.setForeground(QBrush(QColor(view.colour)))
                if call.call_id == focus:
                    self.setCurrentItem(item)
        finally:
            self._updating = False
        self.setVisible(len(calls) > 1)  # one call needs no list: the panel shows it

    def _chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None and not self._updating:
            self.focus_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))
