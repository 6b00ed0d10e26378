"""The tray icon: the focused call's recording state at a glance, Hold/Resume, show and quit.

Its Hold entry is the window's own Hold action, so it goes through the window's one command
path (a refusal is said on the status line) and its words follow the call (Hold or Resume).
Where there is no system tray (offscreen, some desktops) the window works without one.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QSystemTrayIcon

from softphone.calls.snapshot import CallSnapshot
from ui.party import party
from ui.recordingstate import recording_view
from ui.retranslate import retranslated
from ui.stateicons import state_icon

IDLE_ICON = ("media-playback-stop", "#546e7a")
NOTIFY_MS = 10_000


class CallTray(QObject):
    """A tray icon for `window`; `hold` is the window's Hold action."""

    def __init__(self, window: QMainWindow, hold: QAction) -> None:
        super().__init__(window)
        self._window = window
        self.icon = QSystemTrayIcon(window)
        self.menu = QMenu(window)
        self.show_hide = QAction(self.menu)
        self.show_hide.triggered.connect(self._toggle_window)
        self.quit = QAction(self.menu)
        self.quit.triggered.connect(window.close)  # closing asks while calls are live
        self.menu.addAction(self.show_hide)
        self.menu.addAction(hold)
        self.menu.addSeparator()
        self.menu.addAction(self.quit)
        self.menu.aboutToShow.connect(self._follow_window)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        retranslated(self, self._retranslate)
        self.show_call(None)

    def _retranslate(self) -> None:
        self.quit.setText(self.tr("Quit"))
        self._follow_window()

    def show_call(self, call: CallSnapshot | None) -> None:
        """Show the focused call's recording state (or that there is no call) in icon and words."""
        if call is None:
            name, colour = IDLE_ICON
            tip = self.tr("Softphone · no call")
        else:
            view = recording_view(call)
            name, colour = view.icon, view.colour
            tip = self.tr("Softphone · %1: %2").replace("%1", party(call.remote_uri).label)
            tip = tip.replace("%2", view.words)
        self.icon.setIcon(state_icon(name, colour))
        self.icon.setToolTip(tip)

    def ringing(self, call: CallSnapshot) -> None:
        """A call rings: say so in a notification, unless the agent is looking at the window."""
        if self._window.isActiveWindow():
            return
        self.icon.showMessage(
            self.tr("Incoming call"),
            self.tr("%1 is calling.").replace("%1", party(call.remote_uri).label),
            QSystemTrayIcon.MessageIcon.Information,
            NOTIFY_MS,
        )

    def _follow_window(self) -> None:
        visible = self._window.isVisible()
        self.show_hide.setText(self.tr("Hide window") if visible else self.tr("Show window"))

    def _toggle_window(self) -> None:
        if self._window.isVisible():
            self._window.hide()
        else:
            self._bring_back()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._bring_back()

    def _bring_back(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()
