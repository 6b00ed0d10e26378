"""Command-line entry points: scripted calls, the window and its demo, the self-test, config."""

from __future__ import annotations

import argparse
import getpass
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from softphone import __version__
from softphone.app.hardening import forbid_core_dumps
from softphone.app.registercheck import (
    RegistrationReport,
    check_registration,
    explicit_registrar_problem,
    register_policy_account,
)
from softphone.app.reporttext import registration_text
from softphone.calls.pause import reason_refusal
from softphone.cli import (
    archivecommand,
    auditcommand,
    callcommand,
    qacommand,
    recordingscommand,
    windowcommand,
)
from softphone.cli.cliout import configure_logging, guarded, print_json, resolve_path, say
from softphone.config import commands as config_commands
from softphone.config.credentials import CredentialError, KeyringUnavailableError
from softphone.config.policy import load_effective_policy
from softphone.config.preferences import load_preferences
from softphone.config.problems import PolicyError
from softphone.config.resolve import Settings, resolve
from softphone.media.errors import AudioFileError
from softphone.vocabulary import exitcodes
from softphone.vocabulary.events import TRANSFER_TIMEOUT_S, DtmfMethod, SipError

log = logging.getLogger("softphone")

UsageError = callcommand.UsageError


def _hold_spec(text: str) -> tuple[float, float]:
    at, sep, duration = text.partition(":")
    try:
        values = float(at), float(duration)
    except ValueError:
        values = (-1.0, -1.0)
    if not sep or values[0] < 0 or values[1] <= 0:
        raise argparse.ArgumentTypeError(
            f"expected AT:DURATION in seconds, such as 5:3, not {text!r}"
        )
    return values


def _pause_spec(text: str) -> tuple[float, float, str]:
    parts = text.split(":", 2)
    reason = parts[2].strip() if len(parts) == 3 else ""
    try:
        at, duration = float(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        at = duration = -1.0
    finite = math.isfinite(at) and math.isfinite(duration)
    if not finite or at < 0 or duration <= 0 or (len(parts) == 3 and not reason):
        raise argparse.ArgumentTypeError(
            "expected AT:DURATION[:REASON] in seconds, such as 5:3 or 5:3:card number, "
            f"not {text!r}"
        )
    refusal = reason_refusal(reason, required=False)
    if refusal is not None:
        raise argparse.ArgumentTypeError(f"{refusal.value}, not {reason!r}")
    return at, duration, reason


def _dtmf_spec(text: str) -> tuple[float, str, DtmfMethod]:
    parts = text.split(":")
    try:
        at = float(parts[0])
        method = DtmfMethod(parts[2]) if len(parts) > 2 else DtmfMethod.RFC4733
    except (ValueError, IndexError):
        at, method = -1.0, DtmfMethod.RFC4733
    if len(parts) not in (2, 3) or at < 0 or not parts[1]:
        raise argparse.ArgumentTypeError(
            f"expected AT:DIGITS[:rfc4733|sip-info], such as 2:123#, not {text!r}"
        )
    return at, parts[1], method


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, not {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {text!r}")
    return value


def _add_call_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hold",
        type=_hold_spec,
        action="append",
        default=[],
        metavar="AT:DURATION",
        help="hold AT seconds after answer for DURATION seconds (repeatable)",
    )
    p.add_argument(
        "--pause",
        type=_pause_spec,
        action="append",
        default=[],
        metavar="AT:DURATION[:REASON]",
        help="pause the recording AT seconds after answer for DURATION seconds, for REASON "
        "(a card number, say); the call is not held: both sides still hear each other "
        "(repeatable)",
    )
    p.add_argument(
        "--hangup-after",
        type=_seconds,
        metavar="SECONDS",
        help="hang up this many seconds after answer",
    )
    p.add_argument(
        "--dtmf",
        type=_dtmf_spec,
        action="append",
        default=[],
        metavar="AT:DIGITS[:METHOD]",
        help="send DTMF digits (rfc4733 or sip-info)",
    )
    p.add_argument(
        "--transfer",
        metavar="AT:URI",
        help="blind transfer: hand the call to URI AT seconds after answer",
    )
    p.add_argument(
        "--transfer-timeout",
        type=_seconds,
        default=TRANSFER_TIMEOUT_S,
        metavar="SECONDS",
        help=f"a transfer not confirmed within this time failed (default {TRANSFER_TIMEOUT_S:g})",
    )
    p.add_argument(
        "--mic",
        default="device",
        metavar="SOURCE",
        help="what the agent sends: device, silence, tone:HZ or a WAV file",
    )
    p.add_argument(
        "--speaker",
        default="device",
        metavar="SINK",
        help="where the customer's audio goes: device, null or a WAV file",
    )
    p.add_argument("--recordings", metavar="DIR", help="directory for recordings")
    p.add_argument("--policy", metavar="FILE", help="admin policy file (TOML)")
    _add_account_options(p)
    p.add_argument("--json", action="store_true", help="print the call report as JSON last")
    p.add_argument(
        "--sip-log-level",
        type=int,
        default=1,
        choices=range(7),
        metavar="0-6",
        help="pjsip log verbosity in the app's log (default 1: errors)",
    )


def _add_account_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--account",
        metavar="NAME",
        help="the policy account to use (default: calls.default_account, else the policy's "
        "first account; direct IP calls when the policy has none)",
    )
    p.add_argument(
        "--tls-cert",
        metavar="FILE",
        help="this computer's TLS certificate (PEM): needed to take calls over TLS directly",
    )
    p.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")


def build_parser() -> argparse.ArgumentParser:
    """The `softphone` command line."""
    parser = argparse.ArgumentParser(
        prog="softphone", description="Hold-aware contact-centre softphone."
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("--version", action="version", version=f"softphone {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    call = sub.add_parser("call", help="place one scripted call")
    call.add_argument("uri", help="SIP URI to call, such as sip:customer@127.0.0.1:5070")
    call.add_argument(
        "--bind",
        default="0.0.0.0:0",
        metavar="HOST:PORT",
        help="local SIP address (default: any interface, a free port)",
    )
    call.add_argument(
        "--ring-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="give up when not answered within this time",
    )
    _add_call_options(call)

    answer = sub.add_parser("answer", help="wait for one call, answer it and follow the script")
    answer.add_argument(
        "--listen", required=True, metavar="HOST:PORT", help="local SIP address to take the call on"
    )
    answer.add_argument(
        "--wait",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="how long to wait for a call",
    )
    answer.add_argument(
        "--calls",
        type=_count,
        default=1,
        metavar="N",
        help="take N calls in turn, then exit; 0: until stopped by Ctrl-C or SIGTERM",
    )
    answer.add_argument(
        "--answer-after",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="ring this long before answering",
    )
    _add_call_options(answer)

    register = sub.add_parser(
        "register",
        help="register once with a registrar, then unregister",
        description="Give a registrar and --user, or --account NAME to use a policy account "
        "(its transport, TLS settings and the password in the OS keyring).",
    )
    register.add_argument("registrar", nargs="?", help="registrar URI, such as sip:pbx.example.com")
    register.add_argument("--account", metavar="NAME", help="register this policy account")
    register.add_argument("--policy", metavar="FILE", help="admin policy file (TOML)")
    register.add_argument("--user", help="the user part of the address of record")
    register.add_argument("--auth-user", help="digest user name, if not the same as --user")
    register.add_argument("--domain", help="domain of the address of record (default: registrar's)")
    register.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    register.add_argument("--bind", default="0.0.0.0:0", metavar="HOST:PORT")
    register.add_argument("--timeout", type=_seconds, default=10.0, metavar="SECONDS")
    register.add_argument("--json", action="store_true", help="print the result as JSON last")
    register.add_argument("--sip-log-level", type=int, default=1, choices=range(7), metavar="0-6")

    selftest = sub.add_parser("selftest", help="prove on this machine that calls work")
    selftest.add_argument("--json", action="store_true", help="print the result as JSON last")
    selftest.add_argument("--policy", metavar="FILE", help="admin policy file (TOML)")
    _add_account_options(windowcommand.add_parsers(sub))
    config_commands.add_parsers(sub)
    recordingscommand.add_parser(sub)
    auditcommand.add_parser(sub)
    archivecommand.add_parser(sub)
    qacommand.add_parser(sub)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    """The policy and preferences in force; a policy that cannot be used refuses all calls."""
    try:
        policy = load_effective_policy(resolve_path(args.policy))
    except PolicyError as exc:
        raise UsageError(exc.refusal()) from None
    settings = resolve(policy, load_preferences())
    for warning in (*policy.warnings, *settings.warnings):
        log.warning("%s", warning)
    return settings


def _register(args: argparse.Namespace) -> int:
    if args.account:
        if args.registrar or args.user or args.auth_user or args.domain or args.password_stdin:
            raise UsageError(
                "--account takes the registrar, user and password from the policy and the OS "
                "keyring: give either --account NAME or a registrar and --user, not both"
            )
        settings = _settings(args)
        report = register_policy_account(
            settings,
            args.account,
            bind=args.bind,
            timeout=args.timeout,
            log_level=args.sip_log_level,
        )
    else:
        report = _register_explicit(args)
    if not report.registered:
        say(report.failure)
    if args.json:
        print_json(report.as_json())
    else:
        print("\n".join(registration_text(report.as_json())), flush=True)
    return exitcodes.OK if report.registered else exitcodes.FAILED


def _register_explicit(args: argparse.Namespace) -> RegistrationReport:
    if not args.registrar or not args.user:
        raise UsageError("give a registrar URI and --user, or --account NAME")
    if (problem := explicit_registrar_problem(args.registrar)) is not None:
        raise UsageError(problem)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"SIP password for {args.auth_user or args.user}: ")
    else:
        raise UsageError("no password: give --password-stdin and pipe it in, or run in a terminal")
    domain = args.domain or args.registrar.split(":", 1)[-1].split(";", 1)[0]
    report = check_registration(
        args.registrar,
        f"sip:{args.user}@{domain}",
        args.auth_user or args.user,
        password,
        bind=args.bind,
        timeout=args.timeout,
    )
    del password
    return report


def _recordings(args: argparse.Namespace) -> int:
    if args.recordings:
        directory = Path(args.recordings).expanduser().absolute()
    else:
        directory = _settings(args).recording.directory
    if args.command == auditcommand.COMMAND:
        return auditcommand.run(args, directory, lambda: _settings(args).policy.archive)
    if args.command == archivecommand.COMMAND:
        return archivecommand.run(args, directory, lambda: _settings(args).policy.archive)
    return recordingscommand.run(
        args,
        directory,
        lambda: _settings(args).policy.recording.retention_days,
        lambda: _settings(args).policy.archive,
    )


def _dispatch(args: argparse.Namespace) -> int:
    try:
        if args.command in ("call", "answer"):
            return callcommand.run(args, _settings(args))
        if args.command in windowcommand.COMMANDS:
            return windowcommand.run(args, _settings)
        if args.command == archivecommand.COMMAND and args.archive_action == "set-secret":
            return archivecommand.run(args, Path(), lambda: _settings(args).policy.archive)
        if args.command in (
            recordingscommand.COMMAND,
            auditcommand.COMMAND,
            archivecommand.COMMAND,
        ):
            return _recordings(args)
        if args.command == qacommand.COMMAND and args.qa_action is None:
            return windowcommand.run_qa(args, _settings)
        if args.command == qacommand.COMMAND:
            return qacommand.run(args)
        if args.command in config_commands.COMMANDS:
            return config_commands.run(args)
        if args.command == "register":
            return _register(args)
        if args.command == "selftest":
            from softphone.app.selftest import run_selftest  # noqa: PLC0415 - heavy, on demand

            return run_selftest(_settings(args).disclosure_in_force(), as_json=args.json)
    except BrokenPipeError:
        raise  # the reader of our output went away: `guarded` ends quietly
    except (SipError, AudioFileError, ValueError, OSError) as exc:
        say(str(exc))
        return exitcodes.BAD_INPUT
    except KeyringUnavailableError as exc:
        say(str(exc))
        return exitcodes.KEYRING
    except CredentialError as exc:
        say(str(exc))
        return exitcodes.BAD_INPUT
    return exitcodes.BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code is one of `softphone.vocabulary.exitcodes` (docs/admin.md)."""

    forbid_core_dumps()  # before any password or key is read

    def command() -> int:
        args = build_parser().parse_args(argv)
        configure_logging(args.verbose)
        return _dispatch(args)

    return guarded(command)
