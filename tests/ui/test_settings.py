"""The settings dialog: live device lists, the microphone meter, locked values, saving."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from softphone.config.preferences import load_preferences
from tests.ui.conftest import Agent, close_quietly, make_agent
from tests.ui.rig import Rig
from tests.ui.settingsrig import POLICY_FILE, Devices, device, policy
from ui.settingsdialog import SettingsAccess, SettingsDialog


@pytest.fixture
def devices() -> Devices:
    return Devices()


@pytest.fixture
def access(tmp_path: Path, devices: Devices) -> SettingsAccess:
    (tmp_path / "recordings").mkdir(exist_ok=True)
    level = iter([-60.0, -30.0, -12.0])
    return SettingsAccess(
        policy(tmp_path / "recordings"),
        tmp_path / "preferences.toml",
        devices,
        devices.events,
        input_level=lambda: next(level, -12.0),
    )


@pytest.fixture
def dialog(qtbot: QtBot, access: SettingsAccess) -> SettingsDialog:
    dialog = SettingsDialog(access)
    qtbot.addWidget(dialog)
    return dialog


def _items(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_the_device_lists_show_what_can_take_or_play_sound(dialog: SettingsDialog) -> None:
    microphones = dialog.devices["audio.input_device"]
    assert _items(microphones) == ["System default", "Built-in Audio"]
    assert _items(dialog.devices["audio.ringer_device"]) == [
        "System default",
        "Built-in Audio",
        "Desk Speaker",
    ]
    assert microphones.chosen() == "" and microphones.accessibleName() == "Microphone"


def test_a_headset_plugged_in_appears_and_one_unplugged_stays_chosen_but_marked(
    dialog: SettingsDialog, devices: Devices
) -> None:
    devices.plug(device(2, "USB Headset", 1, 2))
    headsets = dialog.devices["audio.output_device"]
    assert "USB Headset" in _items(headsets)
    headsets.setCurrentIndex(headsets.findData("USB Headset"))
    devices.unplug("USB Headset")
    assert headsets.chosen() == "USB Headset"
    assert headsets.currentText() == "USB Headset (not connected)"


def test_the_meter_follows_the_injected_level(qtbot: QtBot, dialog: SettingsDialog) -> None:
    meter = dialog.meter
    assert meter is not None and meter.accessibleName() == "Microphone level"
    assert not meter.reading and meter.value() == -60  # not shown yet: nothing is read
    dialog.show()
    qtbot.waitUntil(lambda: meter.value() == -12)
    assert meter.minimum() == -60 and meter.maximum() == 0
    dialog.hide()
    assert not meter.reading


def test_a_locked_value_is_disabled_with_the_policy_as_its_reason(dialog: SettingsDialog) -> None:
    box = dialog.findChild(QCheckBox, "calls.auto_answer")
    assert box is not None and not box.isEnabled()
    reason = f"Locked by your administrator (policy {POLICY_FILE})."
    assert box.toolTip() == reason and box.accessibleDescription() == reason
    row = box.parentWidget()
    assert row is not None
    padlock = row.findChild(QLabel, "lockIcon")
    assert padlock is not None and padlock.toolTip() == reason
    assert padlock.accessibleName() == "Locked" and not padlock.pixmap().isNull()
    note = dialog.findChild(QLabel, "lockNote")
    assert note is not None and "padlock" in note.text()
    theme = dialog.findChild(QComboBox, "ui.theme")
    assert theme is not None and theme.isEnabled() and theme.toolTip() == ""
    theme_row = theme.parentWidget()
    assert theme_row is not None and theme_row.findChild(QLabel, "lockIcon") is None


def test_saving_writes_what_changed_through_the_config_layer(
    dialog: SettingsDialog, access: SettingsAccess, tmp_path: Path, devices: Devices
) -> None:
    saved: list[str] = []
    dialog.saved.connect(lambda settings: saved.append(settings.ui.theme))
    theme = dialog.findChild(QComboBox, "ui.theme")
    assert theme is not None
    theme.setCurrentIndex(theme.findData("dark"))
    ringer = dialog.devices["audio.ringer_device"]
    ringer.setCurrentIndex(ringer.findData("Desk Speaker"))
    assert dialog.save()
    stored = load_preferences(access.preferences_path).values
    assert dict(stored) == {"ui.theme": "dark", "audio.ringer_device": "Desk Speaker"}
    assert saved == ["dark"] and access.settings().sources["ui.theme"] == "user"
    again = SettingsDialog(access)  # opened again: what was saved is in force
    chosen = again.findChild(QComboBox, "ui.theme")
    assert chosen is not None and chosen.currentData() == "dark"
    assert again.devices["audio.ringer_device"].chosen() == "Desk Speaker"
    back = again.findChild(QComboBox, "ui.theme")
    assert back is not None
    back.setCurrentIndex(back.findData("system"))  # the default again: the agent's value goes
    assert again.save()
    assert dict(load_preferences(access.preferences_path).values) == {
        "audio.ringer_device": "Desk Speaker"
    }
    assert access.settings().sources["ui.theme"] == "default"
    again.deleteLater()


def test_a_refused_value_is_said_in_the_dialog_and_nothing_is_written(
    dialog: SettingsDialog, access: SettingsAccess
) -> None:
    folder = dialog.findChild(QLineEdit, "recording.directory")
    assert folder is not None
    folder.setText("/nonexistent/recordings")
    assert not dialog.save()
    assert dialog.problem.isVisibleTo(dialog) and "Not saved:" in dialog.problem.text()
    assert not access.preferences_path.exists()


@pytest.fixture
def settings_agent(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, rig: Rig, tmp_path: Path, access: SettingsAccess
) -> Iterator[Agent]:
    agent = make_agent(qtbot, monkeypatch, rig, tmp_path / "window.ini", settings=access)
    yield agent
    close_quietly(agent)


def test_the_window_opens_the_settings_with_ctrl_comma(settings_agent: Agent) -> None:
    window = settings_agent.window
    assert window.commands.settings.isEnabled()
    settings_agent.key(Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.reject()
    settings_agent.click("settingsButton")
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    saved: list[str] = []
    window.settings_saved.connect(lambda settings: saved.append(settings.ui.theme))
    theme = dialog.findChild(QComboBox, "ui.theme")
    assert theme is not None
    theme.setCurrentIndex(theme.findData("light"))
    assert dialog.save()
    assert saved == ["light"]  # the app hears of it, to apply what it owns
    dialog.reject()


def test_without_settings_access_the_action_is_off(agent: Agent) -> None:
    assert not agent.window.commands.settings.isEnabled()
