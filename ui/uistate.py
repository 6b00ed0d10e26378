"""The window's persisted state (geometry), in a file of its own, apart from the settings."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QWidget

APP = "softphone"
_GEOMETRY = "window/geometry"


def default_state_path() -> Path:
    """Where the window's state lives: the platform's per-user state directory."""
    return platformdirs.user_state_path(APP, appauthor=False) / "window.ini"


class WindowState:
    """Saves and restores a window's geometry in an INI file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def restore(self, window: QWidget) -> bool:
        """Put the window back where it was; whether there was anything to restore."""
        value = self._settings().value(_GEOMETRY)
        return isinstance(value, QByteArray) and window.restoreGeometry(value)

    def save(self, window: QWidget) -> None:
        """Remember where the window is."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        settings = self._settings()
        settings.setValue(_GEOMETRY, window.saveGeometry())
        settings.sync()

    def _settings(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)
