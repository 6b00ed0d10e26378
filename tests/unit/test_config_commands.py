"""`softphone config check|show|set` and the input checks of `softphone account set-password`."""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.core import load_keyring

from softphone.config import commands
from softphone.config.commands import EXIT_INVALID, EXIT_KEYRING, EXIT_OK, main
from softphone.config.schema import SETTINGS
from tests.unit.test_config_support import (
    HEAD,
    MINIMAL,
    Files,
    example_policy,
    make_files,
    write_policy,
)


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return make_files(tmp_path)


FAIL = "keyring.backends.fail.Keyring"


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(load_keyring(FAIL))
    yield
    keyring.set_keyring(before)


def run(files: Files, *argv: str, stdin: str = "", **context: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = files.context(stdin=io.StringIO(stdin), stdout=out, stderr=err, **context)
    code = main(list(argv), ctx)
    return code, out.getvalue(), err.getvalue()


# --- config check ----------------------------------------------------------------------------


def test_check_a_valid_file(files: Files) -> None:
    path = example_policy(files)
    code, out, err = run(files, "config", "check", str(path))
    assert (code, err) == (EXIT_OK, "")
    assert out == (
        f"{path}: valid; accounts: office, lab; disclosure in nl (default), en; "
        f"recordings in {files.recordings}, kept 90 days\n"
    )


def test_check_lists_every_problem_and_fails(files: Files) -> None:
    path = write_policy(files, HEAD + 'transport = "sctp"\ncolour = 1\n' + MINIMAL)
    code, out, _ = run(files, "config", "check", str(path))
    assert code == EXIT_INVALID
    assert out.splitlines() == [
        f'{path}:5: accounts[0].transport: expected one of udp, tcp, tls, got "sctp"',
        f"{path}:6: accounts[0].colour: unknown key (expected one of: auth_user, domain, name, "
        "outbound_proxy, register_retry_s, registrar, srtp, transport, user)",
        "2 errors, 0 warnings: the policy is invalid, and the softphone refuses to place or take "
        "calls until the errors are fixed",
    ]


def test_check_without_a_file_checks_the_policy_in_force(files: Files) -> None:
    code, out, _ = run(files, "config", "check")
    assert code == EXIT_OK
    assert out.startswith(f"built-in policy (there is no {files.machine}): valid; accounts: none")
    files.machine.parent.mkdir()
    files.machine.write_text("[[accounts]]\n")
    code, out, _ = run(files, "config", "check")
    assert code == EXIT_INVALID
    assert f"{files.machine}:1: accounts[0].name: missing" in out


def test_warnings_pass_unless_strict(files: Files) -> None:
    path = write_policy(files, HEAD + 'transport = "tcp"\nsrtp = "optional"\n' + MINIMAL)
    code, out, _ = run(files, "config", "check", str(path))
    assert code == EXIT_OK
    assert f'{path}:6: accounts[0].srtp: warning: "optional" over transport = "tcp"' in out
    assert run(files, "config", "check", "--strict", str(path))[0] == EXIT_INVALID


def test_check_reports_preference_problems_as_warnings(files: Files) -> None:
    files.preferences.parent.mkdir()
    files.preferences.write_text('[ui]\ntheme = "blue"\n')
    code, out, _ = run(files, "config", "check")
    assert code == EXIT_OK
    assert f"{files.preferences}:2: ui.theme: warning: expected one of system, light, dark" in out


# --- config show ------------------------------------------------------------------------------


def test_show_lists_every_key_with_value_and_source(files: Files) -> None:
    path = example_policy(files)
    code, out, _ = run(files, "config", "show", "--policy", str(path))
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == f"policy: {path} (named by --policy)"
    assert lines[1] == f"preferences: {files.preferences} (not created yet)"
    assert 'accounts[0].transport = "tls"  [admin]' in lines
    assert 'accounts[1].domain = "lab-pbx.example.com"  [default]' in lines
    assert "accounts[1].outbound_proxy = (not set)  [default]" in lines
    assert 'security.tls_min_version = "1.2"  [fixed]' in lines
    assert f'recording.directory = "{files.recordings}"  [admin (locked)]' in lines
    assert 'audio.input_device = ""  [default]' in lines
    assert 'ui.theme = "system"  [admin]' in lines
    shown = {line.split(" = ", 1)[0] for line in lines[3:]}
    assert set(SETTINGS) <= shown
    assert {"recording.retention_days", "disclosure.default_language", "locked"} <= shown
    entry = re.compile(r"^[\w.\[\]-]+ = .+  \[(default|admin|user|admin \(locked\)|fixed)\]$")
    assert all(entry.match(line) for line in lines[3:]), lines


def test_show_json_and_user_values(files: Files) -> None:
    path = example_policy(files)
    assert run(files, "config", "set", "ui.theme", "dark", "--policy", str(path))[0] == EXIT_OK
    code, out, _ = run(files, "config", "show", "--policy", str(path), "--json")
    assert code == EXIT_OK
    doc = json.loads(out)
    assert doc["policy"] == {"file": str(path), "origin": "--policy"}
    assert doc["preferences"] == {"file": str(files.preferences), "exists": True}
    assert doc["keys"]["ui.theme"] == {"value": "dark", "source": "user"}
    assert doc["keys"]["calls.auto_answer"] == {"value": False, "source": "admin (locked)"}
    assert doc["keys"]["accounts[0].srtp"] == {"value": "mandatory", "source": "admin"}
    assert doc["warnings"] == []


def test_show_says_when_the_builtin_policy_applies(files: Files) -> None:
    code, out, _ = run(files, "config", "show")
    assert code == EXIT_OK
    assert out.splitlines()[:2] == [
        f"policy: built-in policy (there is no {files.machine})",
        "  (no admin policy: the built-in one applies; nothing is locked)",
    ]
    assert 'disclosure.languages.nl.id = "builtin-nl"  [default]' in out.splitlines()


def test_show_has_no_secret_keys_by_construction(files: Files) -> None:
    code, out, _ = run(files, "config", "show", "--policy", str(example_policy(files)), "--json")
    assert code == EXIT_OK
    keys = json.loads(out)["keys"]
    assert not [k for k in keys if re.search("pass|secret|token|credential", k, re.I)]


def test_show_refuses_an_invalid_policy(files: Files) -> None:
    path = write_policy(files, HEAD)
    code, out, err = run(files, "config", "show", "--policy", str(path))
    assert (code, out) == (EXIT_INVALID, "")
    assert f"{path}: disclosure: missing" in err


# --- config set / unset --------------------------------------------------------------------------


def test_set_a_locked_preference_says_so(files: Files) -> None:
    path = example_policy(files)
    code, _, err = run(files, "config", "set", "recording.directory", "/tmp", "--policy", str(path))
    assert code == EXIT_INVALID
    assert err == (
        f"softphone: recording.directory is locked by your administrator (policy {path})\n"
    )


def test_set_and_unset(files: Files) -> None:
    path = str(example_policy(files))
    assert run(files, "config", "set", "ui.theme", "dark", "--policy", path)[:2] == (
        EXIT_OK,
        "ui.theme set; `softphone config show` lists what is in force\n",
    )
    assert run(files, "config", "unset", "ui.theme")[0] == EXIT_OK
    assert "theme" not in files.preferences.read_text()


# --- account set-password: everything before the keyring ---------------------------------------


def test_set_password_needs_an_account_of_the_policy(files: Files) -> None:
    path = str(example_policy(files))
    code, _, err = run(files, "account", "set-password", "home", "--stdin", "--policy", path)
    assert code == EXIT_INVALID
    assert err == (
        f"softphone: account home is not in policy {path}; its accounts are: office, lab\n"
    )
    code, _, err = run(files, "account", "set-password", "office", "--stdin")
    assert "is not in the built-in policy; it has no [[accounts]]" in err


def test_set_password_refuses_an_invalid_policy_with_the_refusal(files: Files) -> None:
    path = str(write_policy(files, HEAD))
    code, _, err = run(files, "account", "set-password", "office", "--stdin", "--policy", path)
    assert code == EXIT_INVALID
    assert err.startswith("softphone: calls are refused: the admin policy cannot be used")


def test_set_password_refuses_a_missing_keyring_before_asking(
    files: Files, no_keyring: None
) -> None:
    path = str(example_policy(files))
    code, _, err = run(
        files, "account", "set-password", "office", "--stdin", "--policy", path, stdin="Sekr3t-1\n"
    )
    assert code == EXIT_KEYRING
    assert "keyring.backends.fail.Keyring (keyring found no usable OS keyring)" in err
    assert "Sekr3t-1" not in err


@pytest.mark.parametrize(
    ("stdin", "flag", "message"),
    [
        ("", "--stdin", "the password is empty; nothing was stored"),
        ("\n", "--stdin", "the password is empty; nothing was stored"),
        ("one\ntwo\n", "--stdin", "standard input holds more than one line"),
        ("pw\n", None, "no terminal to read the password from: pipe it in and give --stdin"),
    ],
)
def test_set_password_input_errors(
    files: Files, monkeypatch: pytest.MonkeyPatch, stdin: str, flag: str | None, message: str
) -> None:
    monkeypatch.setattr(commands, "secure_backend", lambda: load_keyring(FAIL))
    path = str(example_policy(files))
    argv = ["account", "set-password", "office", "--policy", path]
    code, _, err = run(files, *argv, *([flag] if flag else []), stdin=stdin)
    assert code == EXIT_INVALID
    assert err.startswith(f"softphone: {message}")


def test_the_parsers_join_a_parent_command_line() -> None:
    parser = argparse.ArgumentParser(prog="softphone")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("selftest")
    commands.add_parsers(sub)
    args = parser.parse_args(["config", "check", "/etc/softphone/policy.toml"])
    assert (args.command, args.config_command, args.file) == (
        "config",
        "check",
        Path("/etc/softphone/policy.toml"),
    )
    assert {"config", "account"} == commands.COMMANDS
    args = parser.parse_args(["account", "set-password", "office", "--stdin"])
    assert (args.account_command, args.account, args.stdin, args.policy) == (
        "set-password",
        "office",
        True,
        None,
    )


def test_check_json_for_scripts(files: Files) -> None:
    path = write_policy(files, HEAD + 'transport = "sctp"\n' + MINIMAL)
    code, out, _ = run(files, "config", "check", "--json", str(path))
    assert code == EXIT_INVALID
    doc = json.loads(out)
    assert doc["valid"] is False
    assert doc["summary"].startswith("1 error, 0 warnings: the policy is invalid")
    [problem] = doc["problems"]
    assert problem == {
        "file": str(path),
        "line": 5,
        "key": "accounts[0].transport",
        "severity": "error",
        "message": 'expected one of udp, tcp, tls, got "sctp"',
        "text": f'{path}:5: accounts[0].transport: expected one of udp, tcp, tls, got "sctp"',
    }
    code, out, _ = run(files, "config", "check", "--json", str(example_policy(files)))
    assert code == EXIT_OK
    assert json.loads(out)["valid"] is True
