"""Each recording state a call can be in, read from the real desk's snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.rig import Rig
from ui.recordingstate import STATE_STYLE, RecordingKind, RecordingView, recording_view


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    yield rig
    rig.close()


def _view(rig: Rig, call_id: int) -> RecordingView:
    return recording_view(rig.desk.call(call_id))


def test_a_ringing_call_is_not_recorded_yet(rig: Rig) -> None:
    view = _view(rig, rig.ring())
    assert (view.kind, view.words) == (RecordingKind.WAITING, "Not recording yet")
    assert "not answered" in view.detail


def test_the_disclosure_plays_with_its_progress_then_the_call_is_recorded(rig: Rig) -> None:
    call_id = rig.answered()
    assert _view(rig, call_id).progress == 0
    rig.play(1)
    view = _view(rig, call_id)
    assert (view.kind, view.words, view.progress) == (
        RecordingKind.DISCLOSURE,
        "Disclosure playing",
        25,
    )
    rig.play(3)
    view = _view(rig, call_id)
    assert (view.kind, view.words, view.progress) == (RecordingKind.RECORDING, "Recording", None)
    assert view.colour == "#c62828" and view.icon == "media-record"


def test_a_hold_of_either_side_pauses_and_says_whose(rig: Rig) -> None:
    call_id = rig.recording()
    rig.desk.hold(call_id)
    view = _view(rig, call_id)
    assert (view.kind, view.words) == (RecordingKind.ON_HOLD, "Paused: on hold")
    assert view.detail.startswith("You hold the call")
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    rig.desk.resume(call_id)
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    rig.phone.deliver(rig.desk.handle)
    assert _view(rig, call_id).kind is RecordingKind.RECORDING
    rig.phone.peer_holds(call_id, True)
    rig.phone.deliver(rig.desk.handle)
    view = _view(rig, call_id)
    assert view.kind is RecordingKind.ON_HOLD and view.detail.startswith("The customer's side")


def test_a_resume_not_confirmed_yet_waits_for_the_audio(rig: Rig) -> None:
    call_id = rig.recording()
    rig.desk.hold(call_id)
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    rig.phone.deliver(rig.desk.handle)
    rig.desk.resume(call_id)
    view = _view(rig, call_id)
    assert view.kind is RecordingKind.WAITING and "audio" in view.detail


def test_a_privacy_pause_is_its_own_state(rig: Rig) -> None:
    call_id = rig.recording()
    rig.desk.pause_recording(call_id, "", "agent")
    view = _view(rig, call_id)
    assert (view.kind, view.words, view.icon) == (
        RecordingKind.PRIVACY,
        "Paused for privacy",
        "security-high",
    )


def test_a_transfer_under_way_is_not_recorded(rig: Rig) -> None:
    call_id = rig.recording()
    rig.desk.transfer(call_id, "sip:desk2@pbx")
    assert _view(rig, call_id).kind is RecordingKind.TRANSFERRING


def test_a_full_disk_says_the_call_is_not_recorded_and_why(rig: Rig) -> None:
    call_id = rig.recording()
    rig.disk_fails(call_id)
    view = _view(rig, call_id)
    assert (view.kind, view.words) == (RecordingKind.NOT_RECORDED, "Not recorded")
    assert view.detail == "No space left on device."
    rig.desk.hold(call_id)  # a pause that can never end in a recording must not look like one
    assert _view(rig, call_id).kind is RecordingKind.NOT_RECORDED


def test_a_refused_resume_ends_the_recording_and_says_so(rig: Rig) -> None:
    call_id = rig.recording()
    rig.desk.hold(call_id)
    rig.phone.peer_answers_reinvite(call_id, accept=True)
    rig.desk.resume(call_id)
    rig.phone.peer_answers_reinvite(call_id, accept=False)
    rig.phone.deliver(rig.desk.handle)
    view = _view(rig, call_id)
    assert view.kind is RecordingKind.NOT_RECORDED
    assert view.detail.startswith("The customer's side refused the resume")


def test_without_a_disclosure_nothing_is_recorded_from_the_first_ring(tmp_path: Path) -> None:
    rig = Rig(tmp_path, disclosure=False)
    try:
        call_id = rig.ring()
        view = _view(rig, call_id)
        assert view.kind is RecordingKind.NOT_RECORDED
        assert view.detail == "No recording disclosure is configured."
        rig.desk.answer(call_id)
        rig.phone.deliver(rig.desk.handle)
        assert _view(rig, call_id).kind is RecordingKind.NOT_RECORDED
    finally:
        rig.close()


def test_no_two_states_look_alike() -> None:
    assert set(STATE_STYLE) == set(RecordingKind)
    assert len({c for c, _ in STATE_STYLE.values()}) == len(RecordingKind)
    assert len({i for _, i in STATE_STYLE.values()}) == len(RecordingKind)
