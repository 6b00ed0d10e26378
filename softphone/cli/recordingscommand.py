"""`softphone recordings list|show|export|play|verify|hold|purge`: QA's and the admin's view.

Each takes `--recordings DIR` (default: the policy's recording.directory) and `--json`, and
exits 1 on any problem it reports (2 for bad input). `list` searches the library index; the
others read the files and the audit trail themselves. Each recovers interrupted recordings
first (`app/recovery.py`).
"""

from __future__ import annotations

import argparse
import calendar
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softphone.app.archiving import NO_ARCHIVE
from softphone.app.recovery import recover_for_readers
from softphone.cli import playcommand
from softphone.cli.cliout import print_json, say
from softphone.config.schema import ArchivePolicy
from softphone.media.devices import DeviceError
from softphone.recordings.archiveclient import s3_client
from softphone.recordings.archiveerrors import ArchiveError
from softphone.recordings.archiveindex import ArchiveIndex
from softphone.recordings.audiofile import AudioIntegrityError, SealedAudioError
from softphone.recordings.audit import AuditError, AuditLog
from softphone.recordings.catalog import find_entry, verify_library
from softphone.recordings.index import Filters, LibraryIndex
from softphone.recordings.retention import (
    HoldError,
    RetentionSweeper,
    lift_hold,
    read_hold,
    set_hold,
)
from softphone.recordings.review import ExportError, export_recording
from softphone.recordings.store import recording_id
from softphone.vocabulary import exitcodes

COMMAND = "recordings"
ACTIONS = {
    "list": "search the recordings (the library index), with filters",
    "show": "one recording's metadata, evidence, legal hold and audit entries",
    "export": "write a recording's audio, or a part of it, to a WAV file (audited)",
    "play": "play a recording (a part, one party, 0.5x to 2x with the pitch kept; audited)",
    "verify": "check every recording against its SHA-256s, the audit trail and its evidence",
    "hold": "put a recording on legal hold (exempt from retention) or lift the hold",
    "purge": "delete what is past the policy's retention now (--dry-run: only list it)",
}


def _when(text: str) -> float:
    for pattern in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"):
        try:
            return float(calendar.timegm(time.strptime(text, pattern)))
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"expected a UTC date such as 2026-11-24, not {text!r}")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {text!r}")
    return value


def common(parser: argparse.ArgumentParser) -> None:
    """The options every recordings and audit command takes."""
    parser.add_argument(
        "--recordings",
        metavar="DIR",
        help="the recordings directory (default: the policy's recording.directory)",
    )
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.add_argument("--policy", metavar="FILE", help="admin policy file (TOML)")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `recordings ACTION` to the command line."""
    parser = subparsers.add_parser(COMMAND, help="find, check, export and keep recordings")
    actions = parser.add_subparsers(dest="recordings_action", required=True)
    parsers = {name: actions.add_parser(name, help=text) for name, text in ACTIONS.items()}
    for action in parsers.values():
        common(action)
    listing = parsers["list"]
    listing.add_argument("--since", type=_when, metavar="DATE", help="calls started from (UTC)")
    listing.add_argument("--until", type=_when, metavar="DATE", help="calls started before")
    listing.add_argument("--agent", help="the agent's login")
    listing.add_argument("--account", help="part of the agent's SIP address")
    listing.add_argument("--remote", help="part of the remote party's SIP address")
    listing.add_argument("--direction", choices=("inbound", "outbound"))
    listing.add_argument("--min-duration", type=_seconds, metavar="S")
    listing.add_argument("--max-duration", type=_seconds, metavar="S")
    listing.add_argument("--had-hold", action=argparse.BooleanOptionalAction, default=None)
    listing.add_argument("--interrupted", action=argparse.BooleanOptionalAction, default=None)
    listing.add_argument("--text", help="words in the parties, pause reasons, errors, transfers")
    listing.add_argument("--limit", type=int, metavar="N")
    listing.add_argument("--rebuild", action="store_true", help="rebuild the index first")
    for name, text in (
        ("list", "search every workstation's recordings in the policy's archive"),
        ("play", "fetch the recording (an id as `list --archive` shows) from the archive"),
    ):
        parsers[name].add_argument("--archive", action="store_true", help=text)
    for name in ("show", "export", "hold"):
        parsers[name].add_argument("id", help="the recording's id (as `list` shows) or name")
    parsers["export"].add_argument("--to", required=True, metavar="PATH", dest="target")
    parsers["export"].add_argument("--from", type=_seconds, metavar="S", dest="start_s")
    parsers["export"].add_argument("--to-s", type=_seconds, metavar="S", dest="end_s")
    playcommand.add_arguments(parsers["play"], _seconds)
    held = parsers["hold"].add_mutually_exclusive_group(required=True)
    held.add_argument("--reason", help="why the recording must be kept (a case, a complaint)")
    held.add_argument("--lift", action="store_true", help="lift the recording's legal hold")
    parsers["purge"].add_argument("--dry-run", action="store_true", help="delete nothing")


def run(
    args: argparse.Namespace,
    root: Path,
    retention_days: Callable[[], int],
    archive: Callable[[], ArchivePolicy | None] = lambda: None,
) -> int:
    """Run `recordings ACTION` on the directory `root` (or, with --archive, on the archive)."""
    if getattr(args, "archive", False):
        return _from_archive(args, archive())
    if not root.is_dir():
        say(f"the recordings directory '{root}' does not exist; give --recordings DIR")
        return exitcodes.BAD_INPUT
    recover_for_readers(root)  # an interrupted call is read with its real length, at once
    action: Callable[[argparse.Namespace, Path], int] = {
        "list": _list,
        "show": _show,
        "export": _export,
        "play": playcommand.run,
        "verify": _verify,
        "hold": _hold,
        "purge": lambda a, r: _purge(a, r, retention_days(), archive() is not None),
    }[args.recordings_action]
    try:
        return action(args, root)
    except (LookupError, ValueError, HoldError) as exc:
        say(str(exc))
        return exitcodes.BAD_INPUT
    except (AuditError, ExportError, AudioIntegrityError, SealedAudioError, DeviceError) as exc:
        say(str(exc))
        return exitcodes.FAILED


def _from_archive(args: argparse.Namespace, policy: ArchivePolicy | None) -> int:
    if policy is None:
        say(NO_ARCHIVE)
        return exitcodes.BAD_INPUT
    index = ArchiveIndex(policy, s3_client(policy))
    try:
        if args.recordings_action == "list":
            return _list(args, index.root, index)
        index.fetch(args.id)
        return playcommand.run(args, index.root)
    except ArchiveError as exc:
        say(str(exc))
        return exitcodes.FAILED
    except (LookupError, ValueError) as exc:
        say(str(exc))
        return exitcodes.BAD_INPUT
    except (AuditError, AudioIntegrityError, SealedAudioError, DeviceError) as exc:
        say(str(exc))
        return exitcodes.FAILED


def _list(args: argparse.Namespace, root: Path, index: LibraryIndex | None = None) -> int:
    index = LibraryIndex(root) if index is None else index
    done = index.refresh(rebuild=args.rebuild)
    if done.moved_aside is not None:
        say(f"the library index was damaged: moved it to '{done.moved_aside}' and rebuilt it")
    rows = index.search(
        Filters(
            since=args.since,
            until=args.until,
            agent=args.agent,
            account=args.account,
            remote=args.remote,
            direction=args.direction,
            min_duration_s=args.min_duration,
            max_duration_s=args.max_duration,
            had_hold=args.had_hold,
            interrupted=args.interrupted,
            text=args.text,
            limit=args.limit,
        )
    )
    unreadable = 0
    for row in rows:
        unreadable += row["problem"] is not None
        summary = _summary(root, row)
        if args.json:
            print(json.dumps(summary, sort_keys=True))
        else:
            print(_line(summary))
    if unreadable:
        say(f"{unreadable} recording(s) cannot be read; `recordings show ID` says why")
    return exitcodes.FAILED if unreadable else exitcodes.OK


def _summary(root: Path, row: dict[str, Any]) -> dict[str, Any]:
    metadata = root / f"{row['id']}.json"
    summary: dict[str, Any] = {"id": row["id"], "metadata": str(metadata)}
    if row["problem"] is not None:
        return summary | {"status": "unreadable", "problems": [row["problem"]]}
    return summary | {
        "audio": str(metadata.with_name(str(row["audio"]))),
        "status": row["status"],
        "direction": row["direction"],
        "agent": row["agent"],
        "account": row["account"],
        "remote_uri": row["remote"],
        "answered_at": row["started"],
        "duration_s": row["duration_s"],
        "holds": row["holds"],
        "pauses": row["pauses"],
        "paused_s": row["paused_s"],
        "interrupted": bool(row["interrupted"]),
        "disclosure": row["disclosure"],
        "problems": [],
    }


def _line(s: dict[str, Any]) -> str:
    if s["status"] == "unreadable":
        return f"{s['id']}  unreadable\n    PROBLEM: {s['problems'][0]}"
    started = s["answered_at"]
    when = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(started)) if started else "?"
    return (
        f"{s['id']}  {s['status']}  {when}  {s['direction']}  {s['remote_uri']}  "
        f"{s['duration_s']:.1f} s  holds {s['holds']}  pauses {s['pauses']} "
        f"({s['paused_s']:.1f} s)  disclosure {s['disclosure']}"
    )


def _show(args: argparse.Namespace, root: Path) -> int:
    entry = find_entry(root, args.id)
    rid = recording_id(root, entry.metadata_path)
    trail = [e.data for e in AuditLog.of(root).entries() if e.recording == rid]
    document: dict[str, Any] = {
        "id": rid,
        "metadata_file": str(entry.metadata_path),
        "audio_file": str(entry.audio_path),
        "metadata": entry.metadata.to_json() if entry.metadata else None,
        "legal_hold": read_hold(entry.metadata_path),
        "audit": trail,
        "problems": [p.text for p in entry.problems],
    }
    if args.json:
        print_json(document)
    else:
        print(f"recording {rid}\n  metadata {entry.metadata_path}\n  audio    {entry.audio_path}")
        hold = document["legal_hold"]
        print(f"  legal hold: {hold['reason'] if hold else 'none'}")
        if entry.metadata is not None:
            text = json.dumps(document["metadata"], indent=2, sort_keys=True)
            print("  metadata:\n" + "\n".join(f"    {line}" for line in text.splitlines()))
        print(f"  audit trail ({len(trail)} entries):")
        for item in trail:
            print("    " + _audit_line(item))
        for problem in document["problems"]:
            print(f"  PROBLEM: {problem}")
    return exitcodes.FAILED if entry.problems else exitcodes.OK


def _audit_line(entry: dict[str, Any]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(float(entry.get("at", 0))))
    skip = {"seq", "at", "by", "event", "recording", "prev", "sha256"}
    extra = ", ".join(f"{k} {v}" for k, v in sorted(entry.items()) if k not in skip)
    return f"{entry.get('seq')}  {when}  {entry.get('event')}  by {entry.get('by')}  {extra}"


def _export(args: argparse.Namespace, root: Path) -> int:
    entry = find_entry(root, args.id)
    target = Path(args.target).expanduser().absolute()
    audited = export_recording(root, entry, target, args.start_s, args.end_s)
    if args.json:
        print_json(audited)
    else:
        print(f"exported {audited['recording']} to {target} ({audited['bytes']} bytes)")
    return exitcodes.OK


def _verify(args: argparse.Namespace, root: Path) -> int:
    results, trail_problem = verify_library(root)
    failed = 0
    for rid, problems in results:
        failed += bool(problems)
        verdict = problems[0].kind if problems else "ok"
        if args.json:
            found = [{"kind": p.kind, "text": p.text} for p in problems]
            print(json.dumps({"id": rid, "verdict": verdict, "problems": found}, sort_keys=True))
        else:
            print(f"{rid}  {verdict}" + "".join(f"\n    PROBLEM: {p.text}" for p in problems))
    if trail_problem is not None:
        say(f"the audit trail is broken: {trail_problem}")
    if failed or trail_problem:
        say(f"{failed} recording(s) with problems")
        return exitcodes.FAILED
    say("all recordings verified")
    return exitcodes.OK


def _hold(args: argparse.Namespace, root: Path) -> int:
    entry = find_entry(root, args.id)
    rid = recording_id(root, entry.metadata_path)
    if args.lift:
        lift_hold(root, entry.metadata_path)
        document: dict[str, Any] = {"id": rid, "legal_hold": None}
        text = f"{rid}: legal hold lifted; retention applies again"
    else:
        hold = set_hold(root, entry.metadata_path, args.reason)
        document = {"id": rid, "legal_hold": hold}
        text = f"{rid}: on legal hold ({hold['reason']}) until lifted"
    print_json(document) if args.json else print(text)
    return exitcodes.OK


def _purge(args: argparse.Namespace, root: Path, retention_days: int, archived_first: bool) -> int:
    sweeper = RetentionSweeper(root, retention_days, only_own=False, archived_first=archived_first)
    result = sweeper.sweep(time.time(), dry_run=args.dry_run)
    if args.json:
        print_json(
            {
                "retention_days": retention_days,
                "dry_run": args.dry_run,
                "deleted": result.deleted,
                "held": result.held,
                "unarchived": result.unarchived,
                "problems": result.problems,
            }
        )
    else:
        verb = "would delete" if args.dry_run else "deleted"
        for rid in result.deleted:
            print(f"{verb} {rid}")
        for rid in result.held:
            print(f"kept {rid}: on legal hold")
        for rid in result.unarchived:
            print(f"kept {rid}: not in the archive yet (softphone archive upload)")
    for problem in result.problems:
        say(problem)
    say(
        f"{len(result.deleted)} recording(s) {'due' if args.dry_run else 'deleted'} "
        f"(retention {retention_days} days), {len(result.held)} on legal hold"
    )
    return exitcodes.FAILED if result.problems else exitcodes.OK
