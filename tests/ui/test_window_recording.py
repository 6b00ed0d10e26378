"""The focused call's recording state in the window: colour, icon, words, read out on change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.conftest import Agent, close_quietly, make_agent
from tests.ui.rig import Rig

F = Qt.Key


def _badge(agent: Agent) -> tuple[str, str, str]:
    badge = agent.window.panel.badge
    return str(badge.property("recordingState")), badge.words.text(), badge.accessibleName()


def test_each_state_of_a_call_is_shown_and_read_out(agent: Agent) -> None:
    rig = agent.rig
    call_id = rig.ring()
    agent.turn()
    assert _badge(agent) == ("waiting", "Not recording yet", "Recording state: Not recording yet")
    agent.key(F.Key_F2)
    agent.turn()  # the answer's media is confirmed: the disclosure can play
    rig.play(1)
    badge = agent.window.panel.badge
    assert _badge(agent)[:2] == ("disclosure", "Disclosure playing · 25%")
    assert badge.progress.isVisible() and badge.progress.value() == 25
    rig.play(4)
    agent.turn()
    assert _badge(agent) == ("recording", "Recording", "Recording state: Recording")
    assert not badge.progress.isVisible()
    assert "#c62828" in badge.styleSheet() and badge.icon.pixmap() is not None
    agent.key(F.Key_F4)
    assert _badge(agent)[:2] == ("on-hold", "Paused: on hold")
    assert "#a04900" in badge.styleSheet()
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    agent.key(F.Key_F4)
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    agent.turn()
    agent.key(F.Key_F6)
    assert _badge(agent)[:2] == ("privacy", "Paused for privacy")
    agent.key(F.Key_F6)
    agent.key(F.Key_F9)
    agent.type("sip:desk2@pbx")
    agent.key(F.Key_Return)
    assert _badge(agent)[:2] == ("transferring", "Not recording: transferring")
    heard = [h for h in agent.heard if not h.startswith("Incoming")]
    assert [h.split(".")[0] for h in heard] == [
        "Not recording yet",
        "Disclosure playing",
        "Recording",
        "Paused: on hold",
        "Not recording yet",  # resumed: waiting for the fresh media
        "Recording",
        "Paused for privacy",
        "Recording",
        "Not recording: transferring",
    ]


def test_a_full_disk_says_not_recorded_with_the_reason(agent: Agent) -> None:
    call_id = agent.rig.recording()
    agent.turn()
    agent.rig.disk_fails(call_id)
    agent.turn()
    assert _badge(agent)[:2] == ("not-recorded", "Not recorded")
    assert agent.window.panel.badge.detail.text() == "No space left on device."
    assert agent.status == ("problem", "Recording stopped: No space left on device.")


def test_the_customers_hold_is_shown_on_the_row_and_the_panel(agent: Agent) -> None:
    rig = agent.rig
    call_id = rig.recording()
    rig.phone.peer_holds(call_id, True)
    agent.turn()
    assert _badge(agent)[:2] == ("on-hold", "Paused: on hold")
    assert agent.window.panel.badge.detail.text().startswith("The customer's side holds")
    assert agent.window.panel.status.text().startswith("Held by the other side")


def test_every_call_row_shows_its_own_recording_state(agent: Agent) -> None:
    rig = agent.rig
    rig.recording()
    rig.ring()
    agent.turn()
    calls = agent.window.call_list
    rows = [calls.item(i) for i in range(calls.count())]
    assert [r.text().rsplit(" · ", 1)[1] for r in rows] == ["Recording", "Not recording yet"]
    assert [r.foreground().color().name() for r in rows] == ["#c62828", "#546e7a"]
    assert all(not r.icon().isNull() for r in rows)


@pytest.fixture
def no_disclosure(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path, disclosure=False)
    yield rig
    rig.close()


def test_without_a_disclosure_the_call_says_not_recorded_and_why(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, no_disclosure: Rig, tmp_path: Path
) -> None:
    agent = make_agent(qtbot, monkeypatch, no_disclosure, tmp_path / "window.ini")
    try:
        no_disclosure.ring()
        agent.turn()
        assert _badge(agent)[:2] == ("not-recorded", "Not recorded")
        assert agent.window.panel.badge.detail.text() == "No recording disclosure is configured."
        assert any(h.startswith("Not recorded. No recording disclosure") for h in agent.heard)
    finally:
        close_quietly(agent)
