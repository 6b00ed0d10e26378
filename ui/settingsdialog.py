"""The settings: audio devices (following hot-plug, with a microphone meter) and preferences.

Values come from the config layer's `resolve` and go back through `set_preference`, which
refuses what the admin locked; a locked value is shown locked, with the policy that locks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from softphone.config.preferences import (
    Preferences,
    load_preferences,
    reset_preference,
    set_preference,
)
from softphone.config.problems import PreferenceError
from softphone.config.resolve import LOCKED, Settings, resolve
from softphone.config.schema import THEMES, Policy, PreferenceValue
from softphone.media.deviceevents import DeviceEvents
from ui.devicechoice import DeviceChoice, DeviceList, DeviceRelay
from ui.levelmeter import LevelBar, LevelSource
from ui.preferencefields import Field, choice_field, flag_field, lock, path_field
from ui.translations import LANGUAGE_NAMES, LANGUAGES


@dataclass(frozen=True)
class SettingsAccess:
    """What the app gives the settings: the policy and preferences file, devices, a level, and
    what to do with a new language (switch the window's translators)."""

    policy: Policy
    preferences_path: Path
    devices: DeviceList
    device_events: DeviceEvents | None = None
    input_level: LevelSource | None = None
    use_language: Callable[[str], object] | None = None

    def settings(self) -> Settings:
        """The settings in force now, resolved by the config layer."""
        return resolve(self.policy, load_preferences(self.preferences_path))


class SettingsDialog(QDialog):
    """Shows the settings in force; Save writes what changed and says what was refused."""

    saved = Signal(Settings)

    def __init__(self, access: SettingsAccess, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self.access = access
        self.settings = access.settings()
        self.devices: dict[str, DeviceChoice] = {
            "audio.input_device": DeviceChoice(False, self),
            "audio.output_device": DeviceChoice(True, self),
            "audio.ringer_device": DeviceChoice(True, self),
        }
        self.meter = LevelBar(access.input_level, self) if access.input_level else None
        self.fields: dict[str, Field] = {}
        self.problem = QLabel(self)
        self.problem.setObjectName("settingsProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._save_and_close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._audio_group())
        layout.addWidget(self._preferences_group())
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.relay = DeviceRelay(self)
        self.relay.changed.connect(self.show_devices)
        if access.device_events is not None:
            self.relay.listen(access.device_events)
        self.show_devices()

    def _audio_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Audio devices"), self)
        form = QFormLayout(group)
        labels = {
            "audio.input_device": self.tr("Microphone"),
            "audio.output_device": self.tr("Headset or speaker"),
            "audio.ringer_device": self.tr("Ringer"),
        }
        for key, choice in self.devices.items():
            choice.setObjectName(key)
            choice.setAccessibleName(labels[key])
            form.addRow(labels[key], choice)
            if key == "audio.input_device" and self.meter is not None:
                form.addRow(self.tr("Level"), self.meter)
        return group

    def _preferences_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Preferences"), self)
        form = QFormLayout(group)
        s = self.settings
        themes = {
            "system": self.tr("As the system"),
            "light": self.tr("Light"),
            "dark": self.tr("Dark"),
        }
        languages = [("", self.tr("As the system"))]
        languages += [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
        first = self.tr("The policy's first account") if s.policy.accounts else ""
        accounts = [("", first or self.tr("Direct IP calls (the policy has no account)"))]
        accounts += [(a.name, a.name) for a in s.policy.accounts]
        disclosures = [
            (code, f"{LANGUAGE_NAMES.get(code, code)} ({code})")
            for code in s.policy.disclosure.languages
        ]
        rows = [
            (
                self.tr("Window language"),
                choice_field("ui.language", languages, s.ui.language, group),
            ),
            (
                self.tr("Theme"),
                choice_field("ui.theme", [(t, themes[t]) for t in THEMES], s.ui.theme, group),
            ),
            (
                self.tr("Account for calls"),
                choice_field("calls.default_account", accounts, s.calls.default_account, group),
            ),
            (
                self.tr("Disclosure language"),
                choice_field("disclosure.language", disclosures, s.disclosure.language, group),
            ),
            (
                self.tr("Answering"),
                flag_field(
                    "calls.auto_answer",
                    self.tr("Answer incoming calls at once (the disclosure still plays first)"),
                    s.calls.auto_answer,
                    group,
                ),
            ),
            (
                self.tr("Recordings folder"),
                path_field("recording.directory", s.recording.directory, group),
            ),
        ]
        for label, field in rows:
            field.editor.setAccessibleName(label)
            if s.sources.get(field.key) == LOCKED:
                lock(field, s)
            form.addRow(label, field.row)
            self.fields[field.key] = field
        if any(f.locked for f in self.fields.values()):
            note = QLabel(self.tr("A value with a padlock is set by your administrator."), group)
            note.setObjectName("lockNote")
            note.setWordWrap(True)
            form.addRow(note)
        return group

    def show_devices(self) -> None:
        """List the devices there are now, keeping what the agent picked."""
        devices = self.access.devices()
        for key, choice in self.devices.items():
            picked = choice.chosen() if choice.count() else str(self.settings.value(key))
            choice.show_devices(devices, picked)

    def save(self) -> bool:
        """Write every changed preference; False, with the reason shown, if one was refused.

        A value chosen that is what applies without the agent's own (the admin's or the
        default) removes the agent's, so a later change of the policy's default reaches them.
        """
        shown: dict[str, PreferenceValue] = {k: c.chosen() for k, c in self.devices.items()}
        shown |= {k: f.read() for k, f in self.fields.items() if not f.locked}
        changed = {k: v for k, v in shown.items() if v != self.settings.value(k)}
        policy, path = self.settings.policy, self.access.preferences_path
        without = resolve(policy, Preferences(MappingProxyType({})))
        for key, value in changed.items():
            try:
                if value == without.value(key):
                    reset_preference(key, path=path)
                else:
                    set_preference(key, value, policy=policy, path=path)
            except PreferenceError as exc:
                self.problem.setText(self.tr("Not saved: %1").replace("%1", str(exc)))
                self.problem.show()
                return False
        self.problem.hide()
        self.settings = self.access.settings()
        if "ui.language" in changed and self.access.use_language is not None:
            self.access.use_language(self.settings.ui.language)
        self.saved.emit(self.settings)
        return True

    def _save_and_close(self) -> None:
        if self.save():
            self.accept()
