"""A level meter for the microphone: a bar that a QTimer fills from an injected level source."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressBar, QWidget

FLOOR_DB = -60
"""The bar's empty end: quieter than this is silence to an agent's ear."""
INTERVAL_MS = 50

LevelSource = Callable[[], float]
"""The current level in dBFS (`softphone.media.levels.LevelMeter.read().rms_db`, say)."""


class LevelBar(QProgressBar):
    """Shows `level()` from FLOOR_DB to 0 dBFS, read every INTERVAL_MS while it is visible."""

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
        self._timer.start()

    def sample(self) -> None:
        """Read the level once and show it."""
        db = round(self._level())
        self.setValue(min(0, max(FLOOR_DB, db)))
