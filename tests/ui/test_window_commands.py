"""Dialling, the privacy pause and transfers from the window: inline questions, calm refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.conftest import Agent, close_quietly, make_agent
from tests.ui.rig import Rig

F = Qt.Key
SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier


def _invites(agent: Agent) -> list[int]:
    return [call_id for what, call_id in agent.rig.phone.sent if what == "INVITE"]


def test_a_typed_number_is_checked_as_typed_and_dialled_with_enter(agent: Agent) -> None:
    agent.key(F.Key_L, CTRL)
    assert agent.window.focusWidget() is agent.window.dial.line
    agent.type("020-123 45")
    assert agent.window.dial.hint.text() == "Enter calls 02012345"
    assert agent.window.commands.dial.isEnabled()
    agent.key(F.Key_Return)
    assert len(_invites(agent)) == 1
    assert agent.window.recent.addresses == ["02012345"]
    assert agent.window.dial.line.text() == ""
    assert agent.window.panel.status.text() == "Calling"


def test_garbage_in_the_dial_field_is_refused_inline_and_never_dialled(agent: Agent) -> None:
    agent.key(F.Key_L, CTRL)
    agent.type("0800-FLOWERS")
    hint = agent.window.dial.hint
    assert hint.property("entry") == "bad" and "“F” cannot be dialled" in hint.text()
    assert not agent.window.commands.dial.isEnabled()
    agent.key(F.Key_Return)
    assert _invites(agent) == []
    tone, text = agent.status
    assert tone == "problem" and text.startswith("Not dialled: “F” cannot be dialled")


def test_a_pasted_address_is_dialled_by_the_call_button(agent: Agent) -> None:
    agent.window.dial.set_text('"Alice" <sip:alice@example.com>')
    agent.click("dialButton")
    assert len(_invites(agent)) == 1
    assert agent.window.recent.addresses == ["sip:alice@example.com"]


def test_a_recent_number_goes_back_into_the_dial_field(agent: Agent) -> None:
    agent.window.recent.add("0201234", dialled=True)
    agent.key(F.Key_E, CTRL)
    assert agent.window.focusWidget() is agent.window.recent
    agent.window.recent.setCurrentRow(0)
    agent.key(F.Key_Return)
    assert agent.window.dial.line.text() == "0201234"


def test_a_pause_without_a_required_reason_is_one_key(agent: Agent) -> None:
    call_id = agent.rig.recording()
    agent.turn()
    agent.key(F.Key_F6)
    assert agent.rig.desk.call(call_id).privacy_paused
    assert agent.window.commands.pause.text() == "Resume recording"
    assert not agent.window.panel.prompt.isVisible()
    agent.click("pauseButton")
    assert agent.rig.desk.call(call_id).recording_open


def test_a_pause_with_an_optional_reason_asks_inline(agent: Agent) -> None:
    call_id = agent.rig.recording()
    agent.turn()
    agent.key(F.Key_F6, SHIFT)
    prompt = agent.window.panel.prompt
    assert prompt.isVisible() and "optional" in prompt.question.text()
    agent.key(F.Key_Escape)
    assert not prompt.isVisible() and not agent.rig.desk.call(call_id).privacy_paused
    agent.key(F.Key_F6, SHIFT)
    agent.type("health detail")
    agent.key(F.Key_Return)
    assert agent.rig.desk.call(call_id).privacy_paused and not prompt.isVisible()


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path, pause_requires_reason=True)
    yield rig
    rig.close()


def test_a_policy_that_requires_a_reason_gets_one_inline_and_refuses_a_number(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, strict: Rig, tmp_path: Path
) -> None:
    agent = make_agent(qtbot, monkeypatch, strict, tmp_path / "window.ini")
    try:
        call_id = strict.recording()
        agent.turn()
        agent.key(F.Key_F6)
        prompt = agent.window.panel.prompt
        assert prompt.isVisible() and "policy asks why" in prompt.question.text()
        assert agent.status[0] == "none"  # asking is not a problem
        assert agent.window.focusWidget() is prompt.field
        agent.type("card 4111 1111")
        agent.key(F.Key_Return)
        tone, text = agent.status
        assert tone == "problem" and "never the number itself" in text
        assert prompt.isVisible() and not strict.desk.call(call_id).privacy_paused
        prompt.field.clear()
        agent.type("card number")
        agent.key(F.Key_Return)
        assert strict.desk.call(call_id).privacy_paused and not prompt.isVisible()
    finally:
        close_quietly(agent)


def test_a_blind_transfer_asks_where_refuses_garbage_and_hands_the_call_on(agent: Agent) -> None:
    rig = agent.rig
    call_id = rig.recording()
    agent.turn()
    agent.click("transferButton")
    agent.type("desk two")
    agent.key(F.Key_Return)
    assert agent.status[0] == "problem" and agent.window.panel.prompt.isVisible()
    agent.window.panel.prompt.field.clear()
    agent.type("sip:desk2@pbx")
    agent.key(F.Key_Return)
    assert rig.phone.sent[-1] == ("REFER", call_id)
    assert not agent.window.commands.transfer.isEnabled()  # one transfer at a time
    rig.phone.peer_notifies(call_id, 200, "OK")
    agent.turn()
    assert agent.window.panel.name.text() == "No call"
    assert "The call with customer (customer@peer) ended." in agent.status[1]


def test_a_failed_transfer_is_said_and_the_call_stays(agent: Agent) -> None:
    rig = agent.rig
    call_id = rig.recording()
    agent.turn()
    agent.key(F.Key_F9)
    agent.type("2001")
    agent.key(F.Key_Return)
    rig.phone.peer_notifies(call_id, 486, "Busy Here")
    agent.turn()
    tone, text = agent.status
    assert tone == "problem" and text == (
        "The transfer to 2001 (2001@pbx.example.com) did not work (486 Busy Here); "
        "the call is yours again."
    )
    assert agent.window.panel.badge.words.text() == "Recording"


def test_consult_then_complete_the_transfer_by_keys(agent: Agent) -> None:
    rig = agent.rig
    customer = rig.recording()
    agent.turn()
    assert not agent.window.commands.complete.isEnabled()
    agent.key(F.Key_F9, SHIFT)
    agent.type("2002")
    agent.key(F.Key_Return)
    consult = max(rig.phone.calls)
    assert rig.desk.call(customer).local_hold
    assert agent.window.panel.call is not None and agent.window.panel.call.call_id == consult
    rig.phone.peer_answers_reinvite(customer, accept=True)
    rig.phone.peer_answers(consult)
    agent.turn()
    assert agent.window.commands.complete.isEnabled()
    agent.key(F.Key_F9, CTRL)
    assert rig.phone.sent[-1] == ("REFER with Replaces", customer)
