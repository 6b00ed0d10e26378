"""Command-line entry points: scripted calls, the self-test and the customer peer."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from softphone.accountsession import (
    RegistrationFailedError,
    call_failure,
    choose_account,
    phone_session,
)
from softphone.calls.events import DtmfMethod
from softphone.calls.setup import prepare_setup
from softphone.config import commands as config_commands
from softphone.config.credentials import CredentialError, KeyringUnavailableError
from softphone.config.locations import default_recordings_dir
from softphone.config.policy import load_effective_policy
from softphone.config.preferences import load_preferences
from softphone.config.problems import PolicyError
from softphone.config.resolve import LOCKED, Settings, resolve
from softphone.headless import (
    Audio,
    CallFailedError,
    ScriptedCall,
    Timetable,
    resolve_path,
)
from softphone.media.errors import AudioFileError
from softphone.media.frames import FrameSink, FrameSource
from softphone.media.sinks import NullSink, WavFileSink
from softphone.media.sources import open_source, parse_source_spec
from softphone.recordings import commands as recordings_commands
from softphone.registercheck import (
    RegistrationReport,
    check_registration,
    explicit_registrar_problem,
    register_policy_account,
)
from softphone.sip.engine import SipError

log = logging.getLogger("softphone")

EXIT_OK = 0
EXIT_CALL_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_KEYRING = 3


class UsageError(ValueError):
    """Bad input from the command line; the message says what to give instead."""


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
    config_commands.add_parsers(sub)
    recordings_commands.add_parser(sub)
    return parser


def _open_audio(args: argparse.Namespace, settings: Settings) -> Audio:
    spec = parse_source_spec(args.mic)
    mic_dev: FrameSource | None = None
    speaker_dev: FrameSink | None = None
    if spec.kind == "device" or args.speaker == "device":
        from softphone.media.device import open_device_audio  # noqa: PLC0415 - needs PortAudio

        mic_dev, speaker_dev = open_device_audio(
            spec.kind == "device",
            args.speaker == "device",
            input_name=settings.audio.input_device or None,
            output_name=settings.audio.output_device or None,
        )
    mic = mic_dev or open_source(spec)
    if speaker_dev is not None:
        speaker = speaker_dev
    elif args.speaker in ("null", "none"):
        speaker = NullSink()
    else:
        speaker = WavFileSink(args.speaker)
    return Audio(mic=mic, speaker=speaker)


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


def _recordings_dir(option: str | None, settings: Settings) -> Path:
    """Where this run records: the policy's directory, or --recordings where not locked."""
    if option is not None:
        if settings.sources.get("recording.directory") == LOCKED:
            raise UsageError(
                "recording.directory is locked by your administrator "
                f"({settings.policy.describe()}); --recordings cannot change it"
            )
        return Path(option).expanduser().absolute()
    directory = settings.recording.directory
    if directory == default_recordings_dir():
        directory.mkdir(parents=True, exist_ok=True)  # the per-user default is ours to create
    return directory


def _scripted(args: argparse.Namespace) -> int:
    settings = _settings(args)
    account = choose_account(settings, args.account)
    recordings = _recordings_dir(args.recordings, settings)
    # Before anything that can fail (devices, network): every start recovers what an
    # interrupted run left behind.
    setup = prepare_setup(
        spec=settings.disclosure_in_force(),
        recordings=recordings,
        agent=getpass.getuser(),
        retention_days=settings.policy.recording.retention_days,
    )
    audio = _open_audio(args, settings)
    plan = Timetable(
        holds=tuple(args.hold),
        hangup_after=args.hangup_after,
        dtmf=tuple(args.dtmf),
        ring_timeout=getattr(args, "ring_timeout", 30.0),
        answer_after=getattr(args, "answer_after", 0.0),
    )
    listen = args.listen if args.command == "answer" else args.bind
    status, failure = EXIT_OK, None
    session = phone_session(
        account,
        settings.policy.security,
        listen,
        log_level=args.sip_log_level,
        cert=resolve_path(args.tls_cert),
        key=resolve_path(args.tls_key),
        answering=args.command == "answer",
    )
    try:
        with session as (engine, phone, account_plan):
            runner = ScriptedCall(engine, phone, audio, plan, setup)
            try:
                if args.command == "call":
                    runner.place(phone.dial_uri(args.uri))
                else:
                    print(
                        f"listening on {listen.rsplit(':', 1)[0]}:{engine.bound_port}", flush=True
                    )
                    runner.take(args.wait, user=account.user if account else "agent")
            except (CallFailedError, SipError) as exc:
                status = EXIT_CALL_FAILED if isinstance(exc, CallFailedError) else EXIT_BAD_INPUT
                failure = str(exc)
                report = runner.report
                if account_plan is not None and report.error is None and report.status_code:
                    failure = call_failure(engine, account_plan, report.status_code, report.reason)
    except RegistrationFailedError as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        if args.json:
            _print_report({"direction": args.command, "error": str(exc)}, True)
        return EXIT_CALL_FAILED
    finally:
        audio.speaker.close()
        close_mic = getattr(audio.mic, "close", None)  # a headset microphone has a stream
        if callable(close_mic):
            close_mic()
    report = runner.report
    if failure is not None:
        report.error = failure
        print(f"softphone: {failure}", file=sys.stderr)
    if args.json or failure is None:
        _print_report(report.as_json(), args.json)
    return status


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
        print(f"softphone: {report.failure}", file=sys.stderr)
    _print_report(report.as_json(), args.json)
    return EXIT_OK if report.registered else EXIT_CALL_FAILED


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


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, sort_keys=True), flush=True)
        return
    for key in sorted(report):
        print(f"{key}: {report[key]}")


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="softphone: %(name)s: %(message)s", stream=sys.stderr)
    # pjsip's own lines repeat what the app already says in plain words; show them on -v.
    logging.getLogger("softphone.sip.pjsip").setLevel(level if verbose else logging.CRITICAL)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit 0 on success, 1 when a call failed, 2 on bad input."""
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        if args.command in ("call", "answer"):
            return _scripted(args)
        if args.command == recordings_commands.COMMAND:
            settings = _settings(args) if not args.dir else None
            directory = settings.recording.directory if settings else Path(args.dir)
            return recordings_commands.run(args, directory)
        if args.command in config_commands.COMMANDS:
            return config_commands.run(args)
        if args.command == "register":
            return _register(args)
        if args.command == "selftest":
            from softphone.selftest import run_selftest  # noqa: PLC0415 - heavy, on demand

            return run_selftest(_settings(args).disclosure_in_force(), as_json=args.json)
    except (SipError, AudioFileError, UsageError, ValueError, OSError) as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyringUnavailableError as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        return EXIT_KEYRING
    except CredentialError as exc:
        print(f"softphone: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("softphone: interrupted", file=sys.stderr)
        return EXIT_CALL_FAILED
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
