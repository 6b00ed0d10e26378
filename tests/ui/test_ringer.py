"""The ringer rings while a call waits for the agent, and stops however the ringing ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.conftest import Agent, close_quietly, make_agent
from tests.ui.rig import Rig


class FakeRinger:
    """Counts what the window asks of it; ringing is True between a start and a stop."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @property
    def ringing(self) -> bool:
        return bool(self.asked) and self.asked[-1] == "start"

    def start(self) -> bool:
        self.asked.append("start")
        return True

    def stop(self) -> None:
        self.asked.append("stop")


@pytest.fixture
def ringer() -> FakeRinger:
    return FakeRinger()


@pytest.fixture
def ringing_agent(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, rig: Rig, tmp_path: Path, ringer: FakeRinger
) -> Iterator[Agent]:
    agent = make_agent(qtbot, monkeypatch, rig, tmp_path / "window.ini", ringer=ringer)
    yield agent
    close_quietly(agent)


def test_an_incoming_call_rings_until_it_is_answered(
    ringing_agent: Agent, ringer: FakeRinger
) -> None:
    agent = ringing_agent
    assert ringer.asked == []
    agent.rig.phone.incoming()
    agent.turn()
    assert ringer.ringing and ringer.asked == ["start"]
    agent.turn()  # nothing new: it keeps ringing, not restarted
    assert ringer.asked == ["start"]
    agent.click("answerButton")
    agent.turn()
    assert ringer.asked == ["start", "stop"]


def test_a_rejected_call_stops_ringing(ringing_agent: Agent, ringer: FakeRinger) -> None:
    ringing_agent.rig.phone.incoming()
    ringing_agent.turn()
    ringing_agent.click("rejectButton")
    ringing_agent.turn()
    assert ringer.asked == ["start", "stop"]


def test_a_caller_who_hangs_up_stops_the_ringing(ringing_agent: Agent, ringer: FakeRinger) -> None:
    call_id = ringing_agent.rig.phone.incoming()
    ringing_agent.turn()
    ringing_agent.rig.phone.peer_hangs_up(call_id)
    ringing_agent.turn()
    assert ringer.asked == ["start", "stop"]


def test_a_call_that_rings_during_another_rings_and_stops_on_answer(
    ringing_agent: Agent, ringer: FakeRinger
) -> None:
    agent = ringing_agent
    agent.rig.recording()
    agent.turn()
    assert not ringer.ringing
    second = agent.rig.phone.incoming()
    agent.turn()
    assert ringer.ringing
    agent.click("answerButton")
    agent.turn()
    assert ("200", second) in agent.rig.phone.sent and not ringer.ringing


def test_closing_the_window_stops_the_ringing(ringing_agent: Agent, ringer: FakeRinger) -> None:
    ringing_agent.rig.phone.incoming()
    ringing_agent.turn()
    close_quietly(ringing_agent)
    assert not ringer.ringing
