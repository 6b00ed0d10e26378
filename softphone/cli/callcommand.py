"""`softphone call` and `softphone answer`: one scripted call as the policy allows, and its exit.

Every reason the call is not recorded is said on standard error, as it becomes known, and the
exit code tells a script: 0 the call went through and was recorded, 1 it failed or was refused
(or its --transfer did not happen), 2 bad input, 4 it went through but was not recorded (or only
in part), 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import itertools
import signal
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from softphone.app.accountsession import RegistrationFailedError, call_failure, choose_account
from softphone.app.archiving import flush_before_exit
from softphone.app.headless import CallFailedError, CallReport, ScriptedCall, Timetable, calls_for
from softphone.app.registrationnews import RegistrationNews
from softphone.app.reporttext import call_text
from softphone.app.root import PhoneConfig, open_audio, open_softphone, recording_setup
from softphone.calls.pause import PauseRefusal, reason_refusal
from softphone.calls.session import SessionSetup
from softphone.calls.transferattempt import TRANSFERRED
from softphone.cli.cliout import print_json, say
from softphone.cli.cliout import resolve_path as absolute
from softphone.config.checks import SIP_URI, InvalidValueError
from softphone.config.filechecks import writable_directory_problem
from softphone.config.locations import default_recordings_dir
from softphone.config.resolve import LOCKED, Settings
from softphone.recordings.access import make_folders
from softphone.recordings.metadata import MetadataError, read_metadata
from softphone.vocabulary import exitcodes
from softphone.vocabulary.events import SipError


class UsageError(ValueError):
    """Bad input for the call; the message says what to give instead."""


def transfer_spec(text: str | None) -> tuple[float, str] | None:
    """--transfer AT:URI as (seconds after answer, SIP URI); `UsageError` says what to give."""
    if text is None:
        return None
    at, sep, uri = text.partition(":")
    try:
        when = float(at)
        SIP_URI.check(uri)
    except (ValueError, InvalidValueError):
        when = -1.0
    if not sep or not when >= 0:
        raise UsageError(
            f"--transfer: expected AT:URI, AT seconds after answer and a SIP URI to hand the "
            f"call to, such as 5:sip:desk2@pbx.example.com, not {text!r}"
        )
    return when, uri


def recordings_dir(option: str | None, settings: Settings) -> Path:
    """Where this run records: the policy's directory, or --recordings where not locked."""
    if option is not None:
        if settings.sources.get("recording.directory") == LOCKED:
            raise UsageError(
                "recording.directory is locked by your administrator "
                f"({settings.policy.describe()}); --recordings cannot change it"
            )
        path = Path(option).expanduser().absolute()
        problem = writable_directory_problem(path, may_create=False, checking=False)
        if problem is not None:
            raise UsageError(f"--recordings: {problem}; give a folder this account can write to")
        return path
    directory = settings.recording.directory
    if directory == default_recordings_dir():
        make_folders(directory)  # the per-user default is ours to create, private
    return directory


Pause = tuple[float, float, str]


def checked_pauses(pauses: Sequence[Pause], settings: Settings) -> tuple[Pause, ...]:
    """The --pause windows in time order; UsageError for a reason the policy wants, or overlaps."""
    ordered = sorted(pauses)
    required = settings.policy.recording.pause_requires_reason
    for at, duration, reason in ordered:
        if reason_refusal(reason, required=required) is PauseRefusal.REASON_REQUIRED:
            spec = f"{at:g}:{duration:g}"
            raise UsageError(
                f"--pause {spec} gives no reason, but {settings.policy.describe()} requires one "
                f"for every pause (recording.pause_requires_reason); give --pause {spec}:REASON"
            )
    for (first, length, _), (second, _, _) in itertools.pairwise(ordered):
        if second < first + length:
            raise UsageError(
                f"--pause at {second:g} s starts before the pause at {first:g} s ends "
                f"({first + length:g} s); give pauses that do not overlap"
            )
    return tuple(ordered)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Place (`call`) or take (`answer`) calls and follow the timetable; the exit code."""
    pauses = checked_pauses(args.pause, settings)  # before anything is changed or dialled
    transfer = transfer_spec(args.transfer)  # bad input is refused before anything starts
    account = choose_account(settings, args.account)
    recordings = recordings_dir(args.recordings, settings)
    agent = getpass.getuser()
    # Before anything that can fail (devices, network): every start recovers what an
    # interrupted run left behind. Problems found here are said now, as log warnings.
    setup = recording_setup(settings, recordings, agent)
    audio = open_audio(args.mic, args.speaker, settings)
    plan = Timetable(
        holds=tuple(args.hold),
        pauses=pauses,
        hangup_after=args.hangup_after,
        dtmf=tuple(args.dtmf),
        ring_timeout=getattr(args, "ring_timeout", 30.0),
        answer_after=getattr(args, "answer_after", 0.0),
        transfer=transfer,
        transfer_timeout=args.transfer_timeout,
    )
    answering = args.command == "answer"
    listen = args.listen if answering else args.bind
    config = PhoneConfig(
        listen=listen,
        account=account,
        security=settings.policy.security,
        log_level=args.sip_log_level,
        cert=absolute(args.tls_cert),
        key=absolute(args.tls_key),
        answering=answering,
        allow_incoming_transfers=settings.policy.calls.allow_incoming_transfer,
        rtp_timeout_s=settings.policy.media.rtp_timeout_s,
    )
    screen = calls_for(account.user if account else None)
    codes: list[int] = []
    try:
        # One call at a time: any other call is refused busy while one is in progress.
        with open_softphone(config, setup, audio, max_calls=1, screen=screen) as softphone:
            runner = ScriptedCall(
                softphone, plan, agent=agent, tell=lambda text: say(f"not recorded: {text}")
            )
            account_plan = softphone.stack.plan
            if account is not None and account.registrar is not None:
                news = RegistrationNews(account.name, account.registrar, account.register_retry_s)
                softphone.subscribe(lambda event: _say_news(news.line(event)))

            def attempt(action: Callable[[], object]) -> tuple[int, str | None]:
                """Run one call; its status and, if it failed, the one line that says why."""
                try:
                    action()
                except KeyboardInterrupt:
                    return exitcodes.INTERRUPTED, runner.report.error or "interrupted"
                except (CallFailedError, SipError) as exc:
                    report = runner.report
                    failure = str(exc)
                    if account_plan is not None and report.error is None and report.status_code:
                        failure = call_failure(
                            softphone.engine, account_plan, report.status_code, report.reason
                        )
                    failed = isinstance(exc, CallFailedError)
                    return (exitcodes.FAILED if failed else exitcodes.BAD_INPUT), failure
                return exitcodes.OK, None

            if not answering:
                status, failure = attempt(lambda: runner.place(softphone.dial_uri(args.uri)))
                codes.append(_conclude(runner, status, failure, args, setup))
            else:
                print(f"listening on {listen.rsplit(':', 1)[0]}:{softphone.bound_port}", flush=True)
                codes = _take_calls(runner, attempt, args, setup)
    except RegistrationFailedError as exc:
        say(str(exc))
        if args.json:
            print_json({"direction": args.command, "error": str(exc)})
        return exitcodes.FAILED
    flush_before_exit(recordings, settings.policy.archive)  # bounded: EXIT_FLUSH_S
    return _worst(codes)


def _say_news(line: str | None) -> None:
    if line is not None:
        say(line)


def _take_calls(
    runner: ScriptedCall,
    attempt: Callable[[Callable[[], object]], tuple[int, str | None]],
    args: argparse.Namespace,
    setup: SessionSetup,
) -> list[int]:
    """`answer`: take `--calls` calls in turn (0: until SIGINT or SIGTERM); each one's code.

    Each call is reported as it ends. With `--calls 0` a stop signal is the normal way out: it
    ends the wait (exit 0) or hangs up the call in progress, whose recording is finished.
    """
    wanted: int = args.calls
    codes: list[int] = []
    wait: float | None = None if wanted == 0 else args.wait
    with _sigterm_interrupts():
        while wanted == 0 or len(codes) < wanted:
            status, failure = attempt(lambda: runner.take(wait))
            interrupted = status == exitcodes.INTERRUPTED
            if interrupted and wanted == 0:
                if runner.report.answered_at is None:
                    break  # stopped while waiting: nothing to report
                status, failure = exitcodes.OK, None  # the signal that stops it is no failure
            codes.append(_conclude(runner, status, failure, args, setup))
            if interrupted or runner.report.answered_at is None:
                break  # stopped, or no call came (or it could not be taken)
            runner.next_call()
    return codes


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops a long-running answerer as Ctrl-C does: the call is hung up first."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_SEVERITY = [
    exitcodes.OK,
    exitcodes.NOT_RECORDED,
    exitcodes.FAILED,
    exitcodes.BAD_INPUT,
    exitcodes.INTERRUPTED,
]


def _worst(codes: list[int]) -> int:
    """The exit code of several calls: the most severe of theirs (0 for none)."""
    return max(codes, key=_SEVERITY.index, default=exitcodes.OK)


def _conclude(
    runner: ScriptedCall,
    status: int,
    failure: str | None,
    args: argparse.Namespace,
    setup: SessionSetup,
) -> int:
    """Say how one call went (stderr lines not said yet, then its report); its exit code."""
    report = runner.report
    if failure is None and _transfer_failed(report):
        status = exitcodes.FAILED
        say(_transfer_failure(report))  # one line; the call went through: its report follows
    if failure is not None:
        report.error = failure
        say(failure)
    unrecorded = _unrecorded(report, (*setup.problems, *runner.told))
    for reason in unrecorded:
        say(f"not recorded: {reason}")
    if args.json:
        print_json(report.as_json())
    elif failure is None:
        print("\n".join(call_text(report.as_json())), flush=True)
    partial = bool(report.recording_problems) or not _recorded(report)
    if status == exitcodes.OK and report.answered_at is not None and partial:
        return exitcodes.NOT_RECORDED  # not recorded, or only in part: stderr said why
    return status


def _transfer_failed(report: CallReport) -> bool:
    return report.transfer is not None and report.transfer["result"] != TRANSFERRED


def _transfer_failure(report: CallReport) -> str:
    transfer = report.transfer or {}
    status = f" (SIP {transfer['status']})" if transfer.get("status") else ""
    return (
        f"call {report.call_id or '?'}: the transfer to {transfer.get('to')} "
        f"{transfer.get('result')}: {transfer.get('reason')}{status}; the call stayed with you"
    )


def _unrecorded(report: CallReport, said: tuple[str, ...]) -> list[str]:
    """The reasons the call was not (fully) recorded that were not said when they arose."""
    if report.answered_at is None:
        return []
    reasons = [p for p in report.recording_problems if p not in said]
    if not reasons and not _recorded(report) and not said:
        reasons.append("no recording was made")
    return reasons


def _recorded(report: CallReport) -> bool:
    """Whether the call left a complete recording (a recording that failed mid-call did not)."""
    if report.recording is None or report.metadata is None:
        return False
    try:
        return read_metadata(Path(report.metadata)).status != "failed"
    except MetadataError:
        return False
