"""Recent numbers of this session, dialled and received, newest first; one chosen fills the dial."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ui.retranslate import retranslated

KEEP = 10


class RecentNumbers(QListWidget):
    """A short list; each address appears once, at its latest use."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recentNumbers")
        self.itemActivated.connect(self._activated)
        self._entries: list[tuple[str, bool]] = []  # (address, dialled), newest first
        retranslated(self, self._retranslate)

    @property
    def addresses(self) -> list[str]:
        """The addresses shown, newest first."""
        return [address for address, _ in self._entries]

    def add(self, address: str, *, dialled: bool) -> None:
        """Note a number the agent dialled (or one that called in)."""
        self._entries = [(address, dialled)] + [e for e in self._entries if e[0] != address]
        del self._entries[KEEP:]
        self._show()

    def _retranslate(self) -> None:
        self.setAccessibleName(self.tr("Recent numbers"))
        self._show()

    def _show(self) -> None:
        self.clear()
        for entry, out in self._entries:
            way = self.tr("dialled") if out else self.tr("received")
            item = QListWidgetItem(f"{'↗' if out else '↙'}  {entry}", self)
            item.setData(Qt.ItemDataRole.UserRole, entry)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{entry}, {way}")

    def _activated(self, item: QListWidgetItem) -> None:
        self.chosen.emit(str(item.data(Qt.ItemDataRole.UserRole)))
