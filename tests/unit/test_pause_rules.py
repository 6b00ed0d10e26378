"""The privacy pause's rules: which commands a call refuses, why, and in what words."""

from __future__ import annotations

import pytest

from softphone.calls.pause import (
    MAX_REASON_CHARS,
    PauseError,
    PauseRefusal,
    pause_refusal,
    reason_refusal,
    resume_refusal,
)

LIVE = {"answered": True, "ended": False}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"answered": False, "ended": False, "paused": False}, PauseRefusal.NOT_ANSWERED),
        ({"answered": True, "ended": True, "paused": False}, PauseRefusal.ENDED),
        ({"answered": False, "ended": True, "paused": False}, PauseRefusal.ENDED),
        ({**LIVE, "paused": True}, PauseRefusal.ALREADY_PAUSED),
        ({**LIVE, "paused": False}, None),
    ],
)
def test_a_pause_needs_a_call_that_is_answered_not_ended_and_not_paused(
    state: dict[str, bool], expected: PauseRefusal | None
) -> None:
    assert pause_refusal(**state, reason="", required=False, by="agent7") is expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"answered": False, "ended": False, "paused": False}, PauseRefusal.NOT_ANSWERED),
        ({"answered": True, "ended": True, "paused": True}, PauseRefusal.ENDED),
        ({**LIVE, "paused": False}, PauseRefusal.NOT_PAUSED),
        ({**LIVE, "paused": True}, None),
    ],
)
def test_a_resume_needs_a_paused_call_that_is_still_on(
    state: dict[str, bool], expected: PauseRefusal | None
) -> None:
    assert resume_refusal(**state, by="agent7") is expected


def test_a_command_must_say_who_gave_it() -> None:
    assert pause_refusal(**LIVE, paused=False, reason="x", required=False, by="") is (
        PauseRefusal.NO_ONE
    )
    assert resume_refusal(**LIVE, paused=True, by="") is PauseRefusal.NO_ONE


@pytest.mark.parametrize(
    ("reason", "required", "expected"),
    [
        ("", False, None),
        ("", True, PauseRefusal.REASON_REQUIRED),
        ("card number", True, None),
        ("données de santé", True, None),
        ("card\nnumber", False, PauseRefusal.BAD_REASON),
        ("card\u202enumber", False, PauseRefusal.BAD_REASON),  # a bidi override hides text
        ("x" * MAX_REASON_CHARS, False, None),
        ("x" * (MAX_REASON_CHARS + 1), False, PauseRefusal.REASON_TOO_LONG),
        ("card ending 4242", True, None),
        ("card 4111 1111 1111 1111", True, PauseRefusal.REASON_HAS_NUMBER),
        ("date of birth 01-02-1980", False, PauseRefusal.REASON_HAS_NUMBER),
        ("NHS number ٤٤٤٤٤", False, PauseRefusal.REASON_HAS_NUMBER),  # digits of any script
    ],
)
def test_a_reason_is_one_short_line_and_required_only_when_the_policy_says(
    reason: str, required: bool, expected: PauseRefusal | None
) -> None:
    assert reason_refusal(reason, required=required) is expected


def test_the_error_names_the_call_the_command_and_the_cause() -> None:
    error = PauseError(7, "resume", PauseRefusal.NOT_PAUSED)
    assert str(error) == "cannot resume the recording of call 7: the recording is not paused"
    assert (error.call_id, error.action, error.cause) == (7, "resume", PauseRefusal.NOT_PAUSED)
    assert isinstance(error, ValueError)  # the command line's bad input: exit code 2
