"""A level meter for the microphone: a bar that a QTimer fills from an injected level source."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QProgressBar, QWidget

FLOOR_DB = -60
"""The bar's empty end: quieter than this is silence to an agent's ear."""
INTERVAL_MS = 50

LevelSource = Callable[[], float]
"""The current level in dBFS (`softphone.media.levels.LevelMeter.read().rms_db`, say)."""


class LevelBar(QProgressBar):
    """Shows `level()` from FLOOR_DB to 0 dBFS, read every INTERVAL_MS while it is shown."""

    def __init__(self, level: LevelSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("levelBar")
        self.setRange(FLOOR_DB, 0)
        self.setTextVisible(False)
        self.setAccessibleName(self.tr("Microphone level"))
        self._level = level
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.sample)
        self.setValue(FLOOR_DB)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Read the level while the bar is seen, and only then (an idle window costs nothing)."""
        super().showEvent(event)
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        """Stop reading the level."""
        super().hideEvent(event)
        self._timer.stop()

    @property
    def reading(self) -> bool:
        """Whether the level is being read."""
        return self._timer.isActive()

    def sample(self) -> None:
        """Read the level once and show it."""
        db = round(self._level())
        self.setValue(min(0, max(FLOOR_DB, db)))
