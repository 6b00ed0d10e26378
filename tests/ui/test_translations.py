"""Dutch and English: the .ts sources are complete and current, and the window switches live."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from tests.ui.conftest import Agent, close_quietly, make_agent
from tests.ui.rig import Rig
from tests.ui.settingsrig import Devices, policy
from ui.settingsdialog import SettingsAccess, SettingsDialog
from ui.translations import FOLDER, Translations, chosen_language

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent
DUTCH = FOLDER / "softphone_nl.ts"


@pytest.fixture
def translations(qapp: QApplication) -> Iterator[Translations]:
    chosen = Translations(qapp)
    yield chosen
    chosen.use("en")  # the other tests read English


def _run(tool: str, *args: str) -> None:
    subprocess.run([str(TOOLS / tool), "-silent", *args], check=True, cwd=ROOT, timeout=120)


def test_the_dutch_source_is_current_with_the_window_and_fully_translated(tmp_path: Path) -> None:
    copy = tmp_path / DUTCH.name
    shutil.copy(DUTCH, copy)
    sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").glob("*.py"))
    _run("pyside6-lupdate", "-no-obsolete", "-locations", "none", *sources, "-ts", str(copy))
    assert copy.read_text(encoding="utf-8") == DUTCH.read_text(encoding="utf-8"), (
        "run scripts/update_translations.sh and translate what is new"
    )
    messages = list(ET.parse(DUTCH).getroot().iter("message"))
    assert len(messages) > 150
    for message in messages:
        translation = message.find("translation")
        assert translation is not None and translation.get("type") is None
        assert (translation.text or "").strip() or len(translation) == 2, message.findtext("source")


def test_the_committed_dutch_qm_is_built_from_the_source(tmp_path: Path) -> None:
    built = tmp_path / "softphone_nl.qm"
    _run("pyside6-lrelease", str(DUTCH), "-qm", str(built))
    assert built.read_bytes() == (FOLDER / "softphone_nl.qm").read_bytes()


def test_the_preference_or_else_the_system_chooses_the_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert chosen_language("nl") == "nl" and chosen_language("nl-BE") == "nl"
    assert chosen_language("fr") == "en"  # not one the window speaks: its source language
    monkeypatch.setattr("ui.translations.system_language", lambda: "nl")
    assert chosen_language("") == "nl"


def _is_dutch(agent: Agent) -> bool:
    return agent.window.commands.hold.text() == "In de wacht"


def test_switching_to_dutch_and_back_retranslates_the_window_during_a_call(
    agent: Agent, translations: Translations, qtbot: QtBot
) -> None:
    window = agent.window
    agent.rig.recording()
    agent.turn()
    assert window.panel.badge.words.text() == "Recording"
    assert translations.use("nl") == "nl"
    qtbot.waitUntil(lambda: _is_dutch(agent))
    assert window.panel.badge.words.text() == "Opname loopt"
    assert window.commands.hang_up.text() == "Ophangen"
    assert window.commands.transfer.text() == "Doorverbinden…"
    assert window.commands.pause.text() == "Opname pauzeren"
    assert window.tabs.tabText(1) == "Geschiedenis"
    assert window.account.text() == "Agent agent7 · nog geen aanmelding gemeld"
    assert window.dial.line.placeholderText() == "Nummer of SIP-adres"
    assert window.panel.prompt.cancel.text() == "Annuleren"
    assert window.keypad.buttons["#"].accessibleName() == "Toets hekje"
    assert window.panel.status.text().startswith("In gesprek")
    translations.use("en")
    qtbot.waitUntil(lambda: window.commands.hold.text() == "Hold")
    assert window.panel.badge.words.text() == "Recording"
    assert window.account.text() == "Agent agent7 · no registration reported"
    assert window.keypad.buttons["#"].accessibleName() == "Key hash"


@pytest.fixture
def settings_agent(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    rig: Rig,
    tmp_path: Path,
    translations: Translations,
) -> Iterator[Agent]:
    (tmp_path / "recordings").mkdir(exist_ok=True)
    devices = Devices()
    access = SettingsAccess(
        policy(tmp_path / "recordings"),
        tmp_path / "preferences.toml",
        devices,
        devices.events,
        use_language=translations.use,
    )
    agent = make_agent(qtbot, monkeypatch, rig, tmp_path / "window.ini", settings=access)
    yield agent
    close_quietly(agent)


def test_choosing_dutch_in_the_settings_switches_the_window_at_once(
    settings_agent: Agent, qtbot: QtBot
) -> None:
    window = settings_agent.window
    window.open_settings()
    dialog = window.settings_dialog
    assert isinstance(dialog, SettingsDialog)
    language = dialog.findChild(QComboBox, "ui.language")
    assert language is not None
    language.setCurrentIndex(language.findData("nl"))
    assert dialog.save()
    qtbot.waitUntil(lambda: _is_dutch(settings_agent))
    assert window.panel.name.text() == "Geen gesprek"
