"""`softphone audit verify|head`: check the recordings' audit trail, print the head to anchor."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from softphone.app.archiving import NO_ARCHIVE
from softphone.cli.cliout import print_json, say
from softphone.cli.recordingscommand import common
from softphone.config.schema import ArchivePolicy
from softphone.recordings.anchor import AnchorReport, archived_lines, verify_against_archive
from softphone.recordings.archiveclient import s3_client, workstation_name
from softphone.recordings.archiveerrors import ArchiveError
from softphone.recordings.audit import AuditError, AuditLog
from softphone.vocabulary import exitcodes

COMMAND = "audit"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `audit verify` and `audit head` to the command line."""
    parser = subparsers.add_parser(COMMAND, help="check the recordings' audit trail")
    actions = parser.add_subparsers(dest="audit_action", required=True)
    for name, text in (
        ("verify", "check the hash chain; name the first edited, removed, inserted or moved entry"),
        ("head", "print the SHA-256 of the last entry, to keep (anchor) somewhere else"),
    ):
        action = actions.add_parser(name, help=text)
        common(action)
        if name == "verify":
            action.add_argument(
                "--archive",
                action="store_true",
                help="also compare the trail with the copy uploaded to the policy's archive",
            )


def run(args: argparse.Namespace, root: Path, archive: Callable[[], ArchivePolicy | None]) -> int:
    """Run `audit ACTION` on the trail of the recordings directory `root`."""
    if not root.is_dir():
        say(f"the recordings directory '{root}' does not exist; give --recordings DIR")
        return exitcodes.BAD_INPUT
    audit = AuditLog.of(root)
    try:
        report = audit.verify()
    except AuditError as exc:
        say(str(exc))
        return exitcodes.FAILED
    document: dict[str, object] = {
        "file": str(audit.path),
        "entries": report.entries,
        "head": report.head,
        "intact": report.intact,
        "bad_line": report.bad_line,
        "why": report.why or None,
    }
    anchored: AnchorReport | None = None
    if getattr(args, "archive", False):
        policy = archive()
        if policy is None:
            say(NO_ARCHIVE)
            return exitcodes.BAD_INPUT
        try:
            lines = archived_lines(policy, s3_client(policy), workstation_name())
        except ArchiveError as exc:
            say(str(exc))
            return exitcodes.FAILED
        anchored = verify_against_archive(audit, lines)
        document["archive"] = {
            "compared": anchored.archived,
            "matches": anchored.matches,
            "bad_line": anchored.bad_line,
            "why": anchored.why or None,
        }
    if args.json:
        print_json(document)
    elif args.audit_action == "head":
        print(report.head)
    elif report.intact:
        print(f"{audit.path}: {report.entries} entries, the chain is intact; head {report.head}")
        if anchored is not None and anchored.matches:
            print(f"{anchored.archived} entries match the copy in the archive")
    if not report.intact:
        say(f"{audit.path}: line {report.bad_line}: {report.why}")
        return exitcodes.FAILED
    if anchored is not None and not anchored.matches:
        say(f"{audit.path}: line {anchored.bad_line}: {anchored.why} (compared with the archive)")
        return exitcodes.FAILED
    return exitcodes.OK
