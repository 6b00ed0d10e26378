"""The window around the calls: names and keys for every control, help, closing, geometry."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from softphone.vocabulary import events as ev
from softphone.vocabulary.events import CallDirection
from tests.ui.conftest import Agent, close_quietly, make_agent, to_uri
from tests.ui.rig import Rig
from ui.bridge import DeskBridge
from ui.history import PastCall
from ui.mainwindow import MainWindow

F = Qt.Key


def test_every_control_has_an_accessible_name_and_a_key(agent: Agent) -> None:
    agent.rig.recording()
    agent.turn()
    buttons = [
        b
        for b in agent.window.findChildren(QToolButton)
        if b.defaultAction() is not None and not isinstance(b.parent(), QLineEdit)  # its clear
    ]
    assert len(buttons) == 12 + 13  # the keypad, and every action that has a button
    for button in buttons:
        assert button.accessibleName(), button.objectName()
        assert not button.defaultAction().shortcut().isEmpty(), button.accessibleName()
    prompt = agent.window.panel.prompt  # its OK and Cancel are Enter and Escape
    assert prompt.ok.accessibleName() and prompt.cancel.accessibleName()
    for widget in (agent.window.dial.line, agent.window.recent, agent.window.history):
        assert widget.accessibleName()
    names = {a.objectName(): a.shortcut().toString() for a in agent.window.commands.all()}
    assert names["hold"] == "F4" and names["pause"] == "F6" and names["help"] == "F1"
    assert names["settings"] == "Ctrl+,"
    assert len(set(names.values())) == len(names)  # no key does two things


def test_the_help_overlay_lists_every_shortcut(agent: Agent) -> None:
    overlay = agent.window.help_overlay
    agent.key(F.Key_F1)
    assert overlay.isVisible()
    text = overlay.table.text()
    assert agent.window.commands.review not in agent.window.shown_actions()  # not a reviewer
    for action in agent.window.shown_actions():
        assert action.shortcut().toString() in text and action.toolTip() in text
    assert "Ctrl+0" in text and "Keypad" in text
    agent.key(F.Key_Escape)
    assert not overlay.isVisible()
    agent.key(F.Key_F1)
    agent.key(F.Key_F1)
    assert not overlay.isVisible()


def test_the_registration_state_is_in_the_header(agent: Agent) -> None:
    account = agent.window.account
    assert account.text() == "Agent agent7 · no registration reported"
    agent.rig.engine.post(ev.RegistrationChanged("office", False, 403, "Forbidden"))
    agent.turn()
    assert account.property("registered") == "no"
    assert account.text() == (
        "Agent agent7 · not registered (office, 403 Forbidden): calls may not reach you"
    )
    agent.rig.engine.post(ev.RegistrationChanged("office", True, 200, "OK"))
    agent.turn()
    assert (
        account.property("registered") == "yes" and "registered (office, 200 OK)" in account.text()
    )


def test_closing_during_a_call_asks_and_no_keeps_the_window(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = agent.rig.recording()
    asked: list[str] = []

    def answer(parent: QWidget, title: str, text: str, *args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", answer)
    assert not agent.window.close()
    assert agent.window.isVisible() and agent.rig.desk.call(call_id).live
    assert asked == ["1 call(s) in progress. Hang up and close the softphone?"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    assert agent.window.close()
    assert ("BYE", call_id) in agent.rig.phone.sent
    assert not agent.window.bridge.running


def test_closing_without_calls_does_not_ask_and_the_geometry_comes_back(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, rig: Rig, tmp_path: Path
) -> None:
    def refuse(*args: object) -> QMessageBox.StandardButton:
        raise AssertionError("asked with no call in progress")

    monkeypatch.setattr(QMessageBox, "question", refuse)
    state = tmp_path / "state" / "window.ini"
    first = make_agent(qtbot, monkeypatch, rig, state)
    first.window.resize(first.window.width(), 640)  # the default height is 680
    assert first.window.close()
    assert state.is_file()
    second = MainWindow(DeskBridge(rig.desk, rig.turn), to_uri=to_uri, state_path=state, agent="a")
    try:
        assert second.height() == 640
    finally:
        second.bridge.stop()
        second.deleteLater()
        close_quietly(first)


def test_the_history_comes_from_the_source_the_app_gives(
    qtbot: QtBot, rig: Rig, tmp_path: Path
) -> None:
    past = [
        PastCall(1_700_000_000.0, CallDirection.INBOUND, "sip:anna@peer", 75.0, "/r/a.wav"),
        PastCall(1_700_000_600.0, CallDirection.OUTBOUND, "sip:bob@peer", 0.0, None),
    ]
    window = MainWindow(
        DeskBridge(rig.desk, rig.turn),
        to_uri=to_uri,
        state_path=tmp_path / "w.ini",
        agent="a",
        history=lambda: past,
    )
    try:
        rows = [window.history.item(i).text() for i in range(window.history.count())]
        assert "bob" in rows[0] and "not answered · not recorded" in rows[0]
        assert "anna" in rows[1] and "1:15 · recorded" in rows[1]
    finally:
        window.bridge.stop()
        window.deleteLater()


def test_a_reviewer_has_a_way_to_the_qa_view_and_others_do_not(
    agent: Agent, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, rig: Rig, tmp_path: Path
) -> None:
    assert agent.window.findChild(QToolButton, "reviewButton") is None
    agent.key(F.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    opened: list[str] = []
    reviewer = make_agent(
        qtbot, monkeypatch, rig, tmp_path / "r" / "window.ini", review=lambda: opened.append("qa")
    )
    try:
        reviewer.click("reviewButton")
        reviewer.key(
            F.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
        assert opened == ["qa", "qa"]
        assert reviewer.window.commands.review in reviewer.window.shown_actions()
    finally:
        close_quietly(reviewer)
