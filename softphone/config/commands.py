"""The `config` and `account` commands: check and show configuration, set SIP passwords.

Exit codes: 0 done; 2 invalid input, an invalid policy or preference, or an unknown account;
3 no secure OS keyring (or the keyring failed).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from softphone.config.credentials import (
    CredentialError,
    KeyringUnavailableError,
    backend_name,
    delete_password,
    secure_backend,
    store_password,
)
from softphone.config.locations import (
    BUILT_IN,
    ENV_VAR,
    FROM_FILE,
    ORIGINS,
    machine_policy_path,
)
from softphone.config.policy import load_effective_policy, load_policy
from softphone.config.preferences import (
    load_preferences,
    reset_preference,
    set_preference,
)
from softphone.config.problems import ConfigError, PolicyError, Problem
from softphone.config.resolve import resolve
from softphone.config.schema import Policy
from softphone.config.show import as_json, policy_entries, preference_entries
from softphone.vocabulary import exitcodes

EXIT_OK = exitcodes.OK
EXIT_INVALID = exitcodes.BAD_INPUT
EXIT_KEYRING = exitcodes.KEYRING
COMMANDS = frozenset({"config", "account"})


class UsageError(ValueError):
    """The command was given something it cannot use; the message says what to give."""


@dataclass(frozen=True)
class Context:
    """What the commands read from their surroundings; tests replace parts of it."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    machine_policy: Path | None = None
    preferences: Path | None = None
    resources: Path | None = None
    default_recordings: Path | None = None
    stdin: TextIO | None = None
    stdout: TextIO | None = None
    stderr: TextIO | None = None

    def out(self, text: str = "") -> None:
        """Print to standard output."""
        print(text, file=self.stdout or sys.stdout, flush=True)

    def err(self, text: str) -> None:
        """Print an error to standard error."""
        print(f"softphone: {text}", file=self.stderr or sys.stderr, flush=True)

    def policy(self, cli_path: Path | None) -> Policy:
        """The policy in force (`PolicyError` when it cannot be used)."""
        return load_effective_policy(
            cli_path,
            environ=self.environ,
            machine_path=self.machine_policy,
            resources=self.resources,
            default_recordings=self.default_recordings,
        )


def add_parsers(subparsers: Any) -> None:
    """Add `config` and `account` to the `softphone` command's subparsers."""
    config = subparsers.add_parser(
        "config", help="check and show the admin policy and the preferences"
    )
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    check = config_sub.add_parser(
        "check", help="validate a policy file (default: the one in force) and list every problem"
    )
    check.add_argument("file", nargs="?", type=Path, help="policy file to check")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--json", action="store_true", help="print one JSON document")
    show = config_sub.add_parser("show", help="every key's value in force and where it came from")
    _policy_option(show)
    show.add_argument("--json", action="store_true", help="print one JSON document")
    set_ = config_sub.add_parser("set", help="set one of your preferences")
    set_.add_argument("key", help="preference, such as ui.theme")
    set_.add_argument("value", help="its new value")
    _policy_option(set_)
    unset = config_sub.add_parser("unset", help="remove your value of a preference")
    unset.add_argument("key", help="preference, such as ui.theme")

    account = subparsers.add_parser("account", help="SIP account passwords in the OS keyring")
    account_sub = account.add_subparsers(dest="account_command", required=True, metavar="COMMAND")
    setpw = account_sub.add_parser(
        "set-password", help="store an account's SIP password in the OS keyring"
    )
    setpw.add_argument("account", help="account name, as in the policy's [[accounts]]")
    setpw.add_argument(
        "--stdin", action="store_true", help="read the password from standard input (one line)"
    )
    _policy_option(setpw)
    delpw = account_sub.add_parser(
        "delete-password", help="remove an account's SIP password from the OS keyring"
    )
    delpw.add_argument("account", help="account name")


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help=f"admin policy file (else {ENV_VAR}, else the machine-wide one)",
    )


def run(args: argparse.Namespace, context: Context | None = None) -> int:
    """Run a `config` or `account` command; returns the exit code."""
    ctx = context or Context()
    try:
        if args.command == "config":
            return _config(args, ctx)
        if args.command == "account":
            return _account(args, ctx)
        raise UsageError(f"not a config or account command: {args.command}")
    except PolicyError as exc:
        ctx.err(exc.refusal() if args.command != "config" else str(exc))
        return EXIT_INVALID
    except (ConfigError, UsageError) as exc:
        ctx.err(str(exc))
        return EXIT_INVALID
    except KeyringUnavailableError as exc:
        ctx.err(str(exc))
        return EXIT_KEYRING
    except CredentialError as exc:
        ctx.err(str(exc))
        return EXIT_INVALID


def main(argv: Sequence[str] | None = None, context: Context | None = None) -> int:
    """Parse and run only these commands (for tests and until the main CLI includes them)."""
    parser = argparse.ArgumentParser(prog="softphone")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv), context)


# --- config -----------------------------------------------------------------------------------


def _config(args: argparse.Namespace, ctx: Context) -> int:
    if args.config_command == "check":
        return _check(args.file, args.strict, ctx, as_json_output=args.json)
    if args.config_command == "show":
        return _show(args.policy, args.json, ctx)
    if args.config_command == "unset":
        reset_preference(args.key, path=ctx.preferences)
        ctx.out(f"{args.key}: your value is removed")
        return EXIT_OK
    policy = ctx.policy(args.policy)
    set_preference(args.key, args.value, policy=policy, path=ctx.preferences)
    ctx.out(f"{args.key} set; `softphone config show` lists what is in force")
    return EXIT_OK


def _check(file: Path | None, strict: bool, ctx: Context, *, as_json_output: bool = False) -> int:
    problems: list[Problem]
    try:
        if file is not None:
            policy = load_policy(file, origin=FROM_FILE, default_recordings=ctx.default_recordings)
        else:
            policy = ctx.policy(None)
    except PolicyError as exc:
        problems = list(exc.problems)
        errors = sum(p.severity == "error" for p in problems)
        verdict = (
            f"{errors} error{'s' * (errors != 1)}, {len(problems) - errors} "
            f"warning{'s' * (len(problems) - errors != 1)}: the policy is invalid, and the "
            "softphone refuses to place or take calls until the errors are fixed"
        )
        _report_check(ctx, as_json_output, problems, verdict, valid=False)
        return EXIT_INVALID
    problems = list(policy.warnings)
    if file is None:
        problems += load_preferences(ctx.preferences).warnings
    _report_check(ctx, as_json_output, problems, _summary(policy, ctx), valid=True)
    return EXIT_INVALID if strict and problems else EXIT_OK


def _report_check(
    ctx: Context, as_json_output: bool, problems: list[Problem], verdict: str, *, valid: bool
) -> None:
    if not as_json_output:
        for problem in problems:
            ctx.out(str(problem))
        ctx.out(verdict)
        return
    document = {
        "valid": valid,
        "summary": verdict,
        "problems": [
            {
                "file": None if p.file is None else str(p.file),
                "line": p.line,
                "key": p.key,
                "severity": p.severity,
                "message": p.message,
                "text": str(p),
            }
            for p in problems
        ],
    }
    ctx.out(json.dumps(document, ensure_ascii=False, indent=2))


def _summary(policy: Policy, ctx: Context) -> str:
    accounts = ", ".join(a.name for a in policy.accounts) or "none: direct IP calls only"
    languages = ", ".join(
        f"{lang} (default)" if lang == policy.disclosure.default_language else lang
        for lang in policy.disclosure.languages
    )
    where = _where(policy, ctx)
    return (
        f"{where}: valid; accounts: {accounts}; disclosure in {languages}; recordings in "
        f"{policy.recording.directory}, kept {policy.recording.retention_days} days"
    )


def _where(policy: Policy, ctx: Context) -> str:
    if policy.source is not None:
        origin = ORIGINS.get(policy.origin, policy.origin)
        return f"{policy.source} ({origin})" if origin else str(policy.source)
    machine = ctx.machine_policy or machine_policy_path()
    return f"built-in policy (there is no {machine})"


def _show(cli_path: Path | None, as_json_output: bool, ctx: Context) -> int:
    policy = ctx.policy(cli_path)
    preferences = load_preferences(ctx.preferences)
    settings = resolve(policy, preferences)
    entries = policy_entries(policy) + preference_entries(settings)
    header: dict[str, Any] = {
        "policy": {
            "file": None if policy.source is None else str(policy.source),
            "origin": policy.origin,
        },
        "preferences": {
            "file": None if preferences.path is None else str(preferences.path),
            "exists": preferences.path is not None and preferences.path.exists(),
        },
    }
    if as_json_output:
        ctx.out(json.dumps(as_json(settings, header, entries), ensure_ascii=False, indent=2))
        return EXIT_OK
    ctx.out(f"policy: {_where(policy, ctx)}")
    if policy.origin == BUILT_IN:
        ctx.out("  (no admin policy: the built-in one applies; nothing is locked)")
    state = "" if header["preferences"]["exists"] else " (not created yet)"
    ctx.out(f"preferences: {preferences.path}{state}")
    for warning in (*policy.warnings, *settings.warnings):
        ctx.out(str(warning))
    ctx.out()
    for entry in entries:
        ctx.out(entry.as_text())
    return EXIT_OK


# --- account ----------------------------------------------------------------------------------


def _account(args: argparse.Namespace, ctx: Context) -> int:
    if args.account_command == "delete-password":
        backend = secure_backend()
        delete_password(args.account)
        ctx.out(f"removed the SIP password of account {args.account} ({backend_name(backend)})")
        return EXIT_OK
    policy = ctx.policy(args.policy)
    if policy.account(args.account) is None:
        names = ", ".join(a.name for a in policy.accounts)
        have = f"its accounts are: {names}" if names else "it has no [[accounts]]"
        raise UsageError(f"account {args.account} is not in {policy.describe()}; {have}")
    backend = secure_backend()  # refuse before asking for a password that cannot be kept
    password = _read_password(args.account, args.stdin, ctx)
    store_password(args.account, password)
    ctx.out(
        f"stored the SIP password of account {args.account} in the OS keyring "
        f"({backend_name(backend)})"
    )
    return EXIT_OK


def _read_password(account: str, from_stdin: bool, ctx: Context) -> str:
    stdin = ctx.stdin or sys.stdin
    if from_stdin:
        text = stdin.read()
        password = text.removesuffix("\n").removesuffix("\r")
        if "\n" in password or "\r" in password:
            raise UsageError(
                "standard input holds more than one line: give only the password, on one line"
            )
    elif stdin.isatty():
        try:
            password = getpass.getpass(f"SIP password for account {account}: ")
            if password and getpass.getpass("Type it again: ") != password:
                raise UsageError("the two passwords differ; nothing was stored")
        except EOFError:
            raise UsageError("no password was typed; nothing was stored") from None
    else:
        raise UsageError(
            "no terminal to read the password from: pipe it in and give --stdin, "
            "such as: printf '%s' \"$PW\" | softphone account set-password ACCOUNT --stdin"
        )
    if not password:
        raise UsageError("the password is empty; nothing was stored")
    return password
