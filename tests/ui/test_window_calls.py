"""The window's call controls, by click and by key, on the real desk over the fake phone."""

from __future__ import annotations

from PySide6.QtCore import Qt

from softphone.vocabulary.events import CallState
from tests.ui.conftest import Agent

F = Qt.Key
SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier


def test_an_incoming_call_rings_in_a_banner_and_is_answered_by_click(agent: Agent) -> None:
    call_id = agent.rig.phone.incoming()
    agent.turn()
    banner = agent.window.banner
    assert banner.isVisible() and banner.call_id == call_id
    assert banner.caller.text() == "Incoming call from customer (customer@peer)"
    assert "Incoming call from customer (customer@peer)" in agent.heard
    agent.click("answerButton")
    assert ("200", call_id) in agent.rig.phone.sent
    agent.turn()
    assert not banner.isVisible()
    assert agent.window.panel.name.text() == "customer"
    assert agent.window.recent.addresses == ["customer@peer"]


def test_answer_and_reject_have_their_keys(agent: Agent) -> None:
    first = agent.rig.phone.incoming()
    agent.turn()
    agent.key(F.Key_F3)
    assert ("486", first) in agent.rig.phone.sent
    agent.turn()
    second = agent.rig.phone.incoming()
    agent.turn()
    agent.key(F.Key_F2)
    assert ("200", second) in agent.rig.phone.sent


def test_answer_on_a_call_that_just_ended_is_a_calm_line(agent: Agent) -> None:
    call_id = agent.rig.phone.incoming()
    agent.turn()
    agent.rig.phone.peer_hangs_up(call_id)  # the CANCEL is in, not yet delivered
    agent.key(F.Key_F2)
    tone, text = agent.status
    assert tone == "problem" and text.startswith("Cannot answer: call")
    agent.turn()
    assert not agent.window.banner.isVisible()
    assert agent.window.panel.name.text() == "No call"


def test_hold_key_holds_and_resumes_and_the_recording_follows(agent: Agent) -> None:
    rig = agent.rig
    call_id = rig.recording()
    agent.turn()
    agent.key(F.Key_F4)
    assert rig.phone.sent[-1] == ("re-INVITE hold", call_id)
    assert agent.window.commands.hold.text() == "Resume"
    assert agent.window.panel.badge.words.text() == "Paused: on hold"
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    agent.turn()
    agent.click("holdButton")  # pressed again: the call comes back
    assert rig.phone.sent[-1] == ("re-INVITE resume", call_id)
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    agent.turn()
    assert agent.window.panel.badge.words.text() == "Recording"
    assert agent.window.commands.hold.text() == "Hold"


def test_hold_during_set_up_is_not_offered_and_a_stale_hold_is_calm(agent: Agent) -> None:
    rig = agent.rig
    agent.window.dial.set_text("020 123")
    agent.key(F.Key_Return)
    [(_, call_id)] = [s for s in rig.phone.sent if s[0] == "INVITE"]
    agent.turn()
    assert agent.window.commands.hold.isEnabled() is False
    sent = list(rig.phone.sent)
    agent.key(F.Key_F4)
    assert rig.phone.sent == sent  # nothing went out for a call still being set up
    rig.phone.peer_answers(call_id)
    agent.turn()
    assert agent.window.commands.hold.isEnabled()
    rig.phone.peer_hangs_up(call_id)  # the BYE is in, not yet delivered
    agent.key(F.Key_F4)
    tone, text = agent.status
    assert tone == "problem" and "has ended" in text
    agent.turn()
    assert agent.window.commands.hold.isEnabled() is False


def test_mute_by_key_and_click(agent: Agent) -> None:
    call_id = agent.rig.recording()
    agent.turn()
    agent.key(F.Key_F7)
    assert agent.rig.phone.calls[call_id].muted
    assert agent.window.commands.mute.isChecked()
    assert agent.window.commands.mute.text() == "Unmute"
    assert agent.window.panel.status.text().startswith("In conversation, muted")
    agent.click("muteButton")
    assert not agent.rig.phone.calls[call_id].muted


def test_the_keypad_sends_tones_during_a_call_and_types_otherwise(agent: Agent) -> None:
    agent.window.keypad.buttons["5"].click()
    assert agent.window.dial.line.text() == "5"
    agent.window.dial.line.clear()
    call_id = agent.rig.recording()
    agent.turn()
    agent.window.keypad.buttons["#"].click()
    agent.key(F.Key_7, CTRL)
    assert [s for s in agent.rig.phone.sent if s[0].startswith("DTMF")] == [
        ("DTMF #", call_id),
        ("DTMF 7", call_id),
    ]
    assert agent.window.dial.line.text() == ""


def test_hang_up_ends_the_call_and_it_goes_to_the_history(agent: Agent) -> None:
    call_id = agent.rig.recording()
    agent.turn()
    agent.key(F.Key_F8)
    assert ("BYE", call_id) in agent.rig.phone.sent
    agent.turn()
    assert agent.window.panel.name.text() == "No call"
    assert agent.status == ("info", "The call with customer (customer@peer) ended.")
    [row] = [agent.window.history.item(i).text() for i in range(agent.window.history.count())]
    assert "customer (customer@peer)" in row and "· recorded" in row


def test_a_second_call_waits_answering_holds_the_first_and_switch_takes_it_back(
    agent: Agent,
) -> None:
    rig = agent.rig
    first = rig.recording()
    agent.turn()
    second = rig.phone.incoming()
    agent.turn()
    assert agent.window.banner.isVisible()
    assert agent.window.panel.name.text() == "customer"  # still the first call in view
    agent.key(F.Key_F2)
    agent.turn()
    calls = agent.window.call_list
    assert calls.isVisible() and calls.count() == 2
    rows = [calls.item(i).text() for i in range(2)]
    assert rows[0].endswith("On hold · Paused: on hold")
    assert "In conversation" in rows[1]
    rig.phone.peer_answers_reinvite(first, accept=True)
    rig.play(5)
    agent.turn()
    assert rig.desk.call(second).talking
    agent.key(F.Key_F5)
    assert rig.desk.call(first).talking and rig.desk.call(second).local_hold
    assert calls.currentItem().data(Qt.ItemDataRole.UserRole) == first


def test_choosing_a_row_focuses_that_call(agent: Agent) -> None:
    rig = agent.rig
    rig.recording()
    second = rig.ring()
    agent.turn()
    calls = agent.window.call_list
    calls.setCurrentRow(1)
    assert agent.window.panel.call is not None
    assert agent.window.panel.call.call_id == second
    assert agent.window.panel.call.state is CallState.INCOMING
