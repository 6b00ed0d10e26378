"""One command-line style: the same option names for the same thing, `--json` wherever useful."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from softphone.cli.callcommand import UsageError, transfer_spec
from softphone.cli.main import build_parser


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _commands(child, (*path, name))


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings}


COMMANDS = {path: _options(p) for path, p in _commands(build_parser())}


def test_the_recordings_folder_is_named_the_same_everywhere() -> None:
    for path, options in COMMANDS.items():
        assert "--dir" not in options, path
    for path in [("call",), ("answer",), ("recordings", "list"), ("recordings", "verify")]:
        assert "--recordings" in COMMANDS[path], path


def test_every_command_that_reports_has_json() -> None:
    reporting = [
        ("call",),
        ("answer",),
        ("register",),
        ("selftest",),
        ("config", "check"),
        ("config", "show"),
        ("recordings", "list"),
        ("recordings", "verify"),
    ]
    for path in reporting:
        assert "--json" in COMMANDS[path], path


def test_a_policy_file_is_always_given_the_same_way() -> None:
    for path, options in COMMANDS.items():
        assert not options & {"--policy-file", "--config"}, path
    for path in [("call",), ("answer",), ("register",), ("selftest",), ("config", "show")]:
        assert "--policy" in COMMANDS[path], path


def test_scripted_calls_take_a_blind_transfer_checked_before_dialling() -> None:
    for path in [("call",), ("answer",)]:
        assert {"--transfer", "--transfer-timeout"} <= COMMANDS[path], path
    assert transfer_spec(None) is None
    assert transfer_spec("2.5:sip:desk2@127.0.0.1:5070") == (2.5, "sip:desk2@127.0.0.1:5070")
    assert transfer_spec("0:sips:desk2@pbx.example.com") == (0.0, "sips:desk2@pbx.example.com")
    for bad in ("sip:desk2@pbx", "2", "2:", "2:desk2@pbx", "-1:sip:desk2@pbx", "x:sip:a@b",
                "nan:sip:a@b", "2:sip:a b@pbx"):  # fmt: skip
        with pytest.raises(UsageError, match=r"--transfer: expected AT:URI"):
            transfer_spec(bad)
