"""Texts that follow the language: a widget's words are given again on every LanguageChange."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject


class _Retranslator(QObject):
    """Watches its parent for LanguageChange (sent to every widget when a translator changes)."""

    def __init__(self, watched: QObject, redo: Callable[[], None]) -> None:
        super().__init__(watched)
        self._redo = redo
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Redo the texts on a new language; the event goes on as usual."""
        if event.type() == QEvent.Type.LanguageChange:
            self._redo()
        return False


def retranslated(owner: QObject, redo: Callable[[], None]) -> None:
    """Call `redo` (which sets `owner`'s texts with tr()) now and whenever the language changes."""
    _Retranslator(owner, redo)
    redo()
