"""The window's fixtures: a real desk over the fake phone, and the window on it, offscreen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from tests.ui.rig import Rig
from ui.bridge import DeskBridge
from ui.mainwindow import MainWindow
from ui.ringing import RingerControl
from ui.settingsdialog import SettingsAccess

UI = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform says it cannot raise a window or pass size hints; that is not ours.
    for item in items:
        if item.path.is_relative_to(UI):
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support"))


def to_uri(typed: str) -> str:
    """The account's dialling rule, as the app would inject it: addresses as they are."""
    return typed if typed.startswith(("sip:", "sips:")) else f"sip:{typed}@pbx.example.com"


class Agent:
    """The window on a rig, and the agent's hands: keys, clicks, what the screen reader heard."""

    def __init__(self, rig: Rig, window: MainWindow, qtbot: QtBot, heard: list[str]) -> None:
        self.rig, self.window, self.qtbot, self.heard = rig, window, qtbot, heard

    def turn(self) -> None:
        """Let the bridge hand the desk what the fake phone queued."""
        self.window.bridge.turn_once()

    def key(
        self, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
    ) -> None:
        """Press a key on whatever has the keyboard in the window."""
        target = self.window.focusWidget() or self.window
        QTest.keyClick(target, key, modifier)

    def type(self, text: str) -> None:
        """Type into the widget that has the keyboard."""
        target = self.window.focusWidget()
        assert target is not None
        QTest.keyClicks(target, text)

    def click(self, name: str) -> None:
        """Click the button with this object name."""
        button = self.window.findChild(QAbstractButton, name)
        assert button is not None, name
        assert button.isEnabled(), f"{name} is disabled"
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    @property
    def status(self) -> tuple[str, str]:
        """The status line: (tone, text)."""
        line = self.window.status
        return line.tone, line.text()


def make_agent(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    rig: Rig,
    state: Path,
    *,
    ringer: RingerControl | None = None,
    settings: SettingsAccess | None = None,
    tray: bool | None = None,
    review: Callable[[], None] | None = None,
) -> Agent:
    heard: list[str] = []
    real = QAccessible.updateAccessibility

    def update(event: QAccessibleEvent) -> None:
        if isinstance(event, QAccessibleAnnouncementEvent):
            heard.append(event.message())
        real(event)

    monkeypatch.setattr(QAccessible, "updateAccessibility", update)
    bridge = DeskBridge(rig.desk, rig.turn)
    window = MainWindow(
        bridge,
        to_uri=to_uri,
        state_path=state,
        agent="agent7",
        ringer=ringer,
        settings=settings,
        tray=tray,
        review=review,
    )
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    bridge.stop()  # the tests turn the loop themselves, step by step
    return Agent(rig, window, qtbot, heard)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    (tmp_path / "recordings").mkdir()
    rig = Rig(tmp_path / "recordings")
    yield rig
    rig.close()


@pytest.fixture
def agent(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, rig: Rig, tmp_path: Path
) -> Iterator[Agent]:
    agent = make_agent(qtbot, monkeypatch, rig, tmp_path / "state" / "window.ini")
    yield agent
    close_quietly(agent)


def close_quietly(agent: Agent) -> None:
    """Hang up what is left (so closing does not ask), then close the window."""
    agent.rig.close()
    agent.turn()
    agent.window.close()
    agent.window.deleteLater()
