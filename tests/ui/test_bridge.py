"""The bridge: every desk event arrives as its own Qt signal, the loop turns without waiting."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from softphone.calls.snapshot import (
    CallChanged,
    CallEnded,
    CallRefused,
    DeskEvent,
    DeviceChanged,
    DigitReceived,
    ProblemRaised,
    RegistrationChanged,
    ReinviteRefused,
    TransferFinished,
)
from softphone.media.deviceevents import DeviceLost, Role
from softphone.vocabulary import events as ev
from softphone.vocabulary.events import DtmfMethod, DtmfReceived
from tests.ui.rig import Rig
from ui.bridge import DeskBridge


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path, max_calls=1)
    yield rig
    rig.close()


def _record(bridge: DeskBridge) -> list[DeskEvent]:
    seen: list[DeskEvent] = []
    for signal in (
        bridge.call_changed,
        bridge.call_ended,
        bridge.call_refused,
        bridge.registration_changed,
        bridge.problem_raised,
        bridge.device_changed,
        bridge.transfer_finished,
        bridge.digit_received,
        bridge.reinvite_refused,
    ):
        signal.connect(seen.append)
    return seen


def test_every_kind_of_desk_event_has_its_signal(rig: Rig, qtbot: QtBot) -> None:
    bridge = DeskBridge(rig.desk, rig.turn)
    seen = _record(bridge)
    call_id = rig.recording()
    rig.phone.incoming()  # beyond max_calls=1: refused
    rig.engine.post(DtmfReceived(call_id, "7", DtmfMethod.RFC4733))
    rig.engine.post(ev.RegistrationChanged("office", True, 200, "OK"))
    rig.desk.hold(call_id)
    rig.phone.peer_answers_reinvite(call_id, accept=False)
    rig.phone.deliver(rig.desk.handle)
    rig.desk.device_changed(DeviceLost(Role.MICROPHONE, "USB headset", "unplugged"))
    rig.desk.resume(call_id)
    rig.desk.transfer(call_id, "sip:desk2@pbx")
    rig.phone.peer_notifies(call_id, 200, "OK")
    rig.phone.deliver(rig.desk.handle)
    kinds = {type(e) for e in seen}
    assert kinds == {
        CallChanged,
        CallEnded,
        CallRefused,
        RegistrationChanged,
        ProblemRaised,
        DeviceChanged,
        TransferFinished,
        DigitReceived,
        ReinviteRefused,
    }
    assert set(DeskEvent.__subclasses__()) == kinds  # a new kind of event needs a signal


def test_the_timer_turns_the_loop_without_waiting(rig: Rig, qtbot: QtBot) -> None:
    bridge = DeskBridge(rig.desk, rig.turn, interval_ms=5)
    assert not bridge.running
    bridge.start()
    call_id = rig.phone.incoming()  # nobody delivers it but the bridge's timer
    with qtbot.wait_signal(bridge.call_changed, timeout=2000) as blocker:
        pass
    assert blocker.args is not None and blocker.args[0].call.call_id == call_id
    bridge.stop()
    assert not bridge.running and rig.turns > 0  # Rig.turn asserts a 0 ms wait each time


def test_a_failing_turn_is_said_once_and_the_loop_goes_on(rig: Rig, qtbot: QtBot) -> None:
    failures = iter([True, True, False])

    def turn(wait_ms: int) -> None:
        if next(failures, False):
            raise OSError("socket gone")
        rig.turn(wait_ms)

    bridge = DeskBridge(rig.desk, turn)
    problems: list[ProblemRaised] = []
    bridge.problem_raised.connect(problems.append)
    with qtbot.captureExceptions() as raised:
        for _ in range(3):
            bridge.turn_once()
    assert raised == []
    assert [(p.call_id, p.text) for p in problems] == [
        (None, "The phone hit an error: socket gone")
    ]
    assert rig.turns == 1  # the third turn went through


def test_the_loop_turns_seldom_while_idle_and_often_during_a_call(rig: Rig, qtbot: QtBot) -> None:
    bridge = DeskBridge(rig.desk, rig.turn, interval_ms=10, idle_interval_ms=250)
    bridge.start()
    assert bridge.interval_ms == 250  # no call: only the engine's timers need looking at
    call_id = rig.phone.incoming()
    bridge.turn_once()
    assert bridge.interval_ms == 10  # a live call: media, timers and progress
    rig.phone.peer_hangs_up(call_id)
    with qtbot.wait_signal(bridge.call_ended, timeout=2000):
        pass
    assert bridge.interval_ms == 250
    rig.desk.dial("sip:customer@example.org")  # a command, not a turn, made the call
    assert bridge.interval_ms == 10
    bridge.stop()


def test_a_request_on_a_wake_socket_turns_the_idle_loop_at_once(rig: Rig, qtbot: QtBot) -> None:
    ours, peer = socket.socketpair()
    with ours, peer:
        bridge = DeskBridge(rig.desk, rig.turn, idle_interval_ms=60_000, wake=[ours.fileno()])
        bridge.start()
        call_id = rig.phone.incoming()  # the fake phone queues it; no timer turn comes
        peer.send(b"INVITE")  # what the SIP socket would see
        with qtbot.wait_signal(bridge.call_changed, timeout=2000) as blocker:
            pass
        assert blocker.args is not None and blocker.args[0].call.call_id == call_id
        bridge.stop()  # before the socket closes: a stopped bridge watches nothing
        ours.recv(16)
