"""The tray icon: the focused call's recording state, Hold/Resume through the window, notices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.conftest import Agent, close_quietly, make_agent
from tests.ui.rig import Rig
from ui.tray import CallTray


@pytest.fixture
def tray_agent(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, rig: Rig, tmp_path: Path
) -> Iterator[Agent]:
    agent = make_agent(qtbot, monkeypatch, rig, tmp_path / "window.ini", tray=True)
    yield agent
    close_quietly(agent)


def _tray(agent: Agent) -> CallTray:
    tray = agent.window.tray
    assert tray is not None
    return tray


def test_without_a_system_tray_the_window_has_none(agent: Agent) -> None:
    assert agent.window.tray is None  # offscreen has no system tray
    agent.rig.recording()
    agent.turn()
    assert agent.window.panel.badge.words.text() == "Recording"


def test_the_tray_says_the_recording_state_of_the_focused_call(tray_agent: Agent) -> None:
    tray = _tray(tray_agent)
    assert tray.icon.toolTip() == "Softphone · no call"
    tray_agent.rig.recording()
    tray_agent.turn()
    assert tray.icon.toolTip() == "Softphone · customer (customer@peer): Recording"
    assert not tray.icon.icon().isNull()


def test_the_trays_hold_holds_the_focused_call_and_resumes_it(tray_agent: Agent) -> None:
    rig, tray = tray_agent.rig, _tray(tray_agent)
    call_id = rig.recording()
    tray_agent.turn()
    hold = next(a for a in tray.menu.actions() if a.objectName() == "hold")
    assert hold.isEnabled() and hold.text() == "Hold"
    hold.trigger()
    assert rig.phone.sent[-1] == ("re-INVITE hold", call_id)
    assert rig.desk.call(call_id).local_hold
    assert hold.text() == "Resume"
    assert tray.icon.toolTip().endswith("Paused: on hold")
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    tray_agent.turn()
    hold.trigger()
    assert rig.phone.sent[-1] == ("re-INVITE resume", call_id)
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    tray_agent.turn()
    assert tray.icon.toolTip().endswith("Recording")


def test_the_trays_hold_refused_is_said_on_the_status_line(tray_agent: Agent) -> None:
    rig, tray = tray_agent.rig, _tray(tray_agent)
    call_id = rig.recording()
    tray_agent.turn()
    rig.phone.peer_hangs_up(call_id)  # the BYE is in, not yet delivered
    hold = next(a for a in tray.menu.actions() if a.objectName() == "hold")
    hold.trigger()
    tone, text = tray_agent.status
    assert tone == "problem" and text.startswith("Cannot hold")


def test_an_incoming_call_is_a_tray_notice_when_the_window_is_not_active(
    tray_agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray, shown = _tray(tray_agent), []
    monkeypatch.setattr(tray.icon, "showMessage", lambda title, text, *a: shown.append(text))
    tray_agent.rig.phone.incoming()
    tray_agent.turn()
    assert shown == []  # the agent looks at the window: the banner is enough
    monkeypatch.setattr(tray_agent.window, "isActiveWindow", lambda: False)
    tray_agent.rig.phone.incoming()
    tray_agent.turn()
    assert shown == ["customer (customer@peer) is calling."]


def test_the_trays_show_hide_follows_the_window(tray_agent: Agent) -> None:
    tray, window = _tray(tray_agent), tray_agent.window
    tray.menu.aboutToShow.emit()
    assert tray.show_hide.text() == "Hide window"
    tray.show_hide.trigger()
    assert not window.isVisible()
    tray.menu.aboutToShow.emit()
    assert tray.show_hide.text() == "Show window"
    tray.show_hide.trigger()
    assert window.isVisible()
