"""`--pause AT:DURATION[:REASON]` on `softphone call` and `answer`: parsed, ordered, checked."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from softphone.cli.callcommand import UsageError, checked_pauses
from softphone.cli.main import build_parser
from softphone.config.resolve import Settings, resolve
from tests.unit.test_config_resolve import make_policy, user


def _pauses(*specs: str) -> list[tuple[float, float, str]]:
    args = build_parser().parse_args(
        ["call", "sip:c@127.0.0.1", *[f"--pause={spec}" for spec in specs]]
    )
    pauses: list[tuple[float, float, str]] = args.pause
    return pauses


def test_pause_specs_parse_with_and_without_a_reason() -> None:
    assert _pauses("5:3", "12.5:2: card number ", "20:1:a:b") == [
        (5.0, 3.0, ""),
        (12.5, 2.0, "card number"),
        (20.0, 1.0, "a:b"),  # the reason is everything after the second colon
    ]
    answer = build_parser().parse_args(["answer", "--listen", "127.0.0.1:0", "--pause", "1:2"])
    assert answer.pause == [(1.0, 2.0, "")]


@pytest.mark.parametrize(
    "spec",
    ["5", "5:", ":3", "-1:3", "5:0", "5:-2", "x:3", "5:y", "nan:3", "5:inf", "5:3:", "5:3: "],
)
def test_a_bad_pause_spec_is_an_argparse_error(
    spec: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _pauses(spec)
    assert exited.value.code == 2
    assert "argument --pause: expected AT:DURATION[:REASON] in seconds" in capsys.readouterr().err


def test_a_reason_that_is_not_one_line_is_an_argparse_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        _pauses("5:3:card\x1bnumber")
    assert "argument --pause: the reason must be one line of plain text" in capsys.readouterr().err


def _settings(required: bool) -> Settings:
    policy = make_policy()
    recording = dataclasses.replace(policy.recording, pause_requires_reason=required)
    return resolve(dataclasses.replace(policy, recording=recording), user({}))


def test_checked_pauses_come_in_time_order() -> None:
    pauses = [(9.0, 1.0, "b"), (2.0, 3.0, "a"), (5.0, 4.0, "")]
    assert checked_pauses(pauses, _settings(False)) == ((2.0, 3.0, "a"), (5.0, 4.0, ""), pauses[0])


def test_overlapping_pauses_are_refused() -> None:
    with pytest.raises(UsageError) as info:
        checked_pauses([(2.0, 3.0, ""), (4.5, 1.0, "")], _settings(False))
    assert str(info.value) == (
        "--pause at 4.5 s starts before the pause at 2 s ends (5 s); give pauses that do not "
        "overlap"
    )


def test_a_pause_without_a_reason_is_refused_when_the_policy_requires_one() -> None:
    checked_pauses([(2.0, 1.0, "card number")], _settings(True))
    with pytest.raises(UsageError) as info:
        checked_pauses([(2.0, 1.0, "card number"), (5.0, 2.5, "")], _settings(True))
    assert str(info.value) == (
        "--pause 5:2.5 gives no reason, but policy /etc/softphone/policy.toml requires one for "
        "every pause (recording.pause_requires_reason); give --pause 5:2.5:REASON"
    )


def test_the_help_says_a_pause_is_not_a_hold() -> None:
    call = next(
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ).choices["call"]
    text = " ".join(call.format_help().split())
    assert "--pause AT:DURATION[:REASON]" in text and "the call is not held" in text
