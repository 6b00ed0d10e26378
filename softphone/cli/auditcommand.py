"""`softphone audit verify|head`: check the recordings' audit trail, print the head to anchor."""

from __future__ import annotations

import argparse
from pathlib import Path

from softphone.cli.cliout import print_json, say
from softphone.cli.recordingscommand import common
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
        common(actions.add_parser(name, help=text))


def run(args: argparse.Namespace, root: Path) -> int:
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
    document = {
        "file": str(audit.path),
        "entries": report.entries,
        "head": report.head,
        "intact": report.intact,
        "bad_line": report.bad_line,
        "why": report.why or None,
    }
    if args.json:
        print_json(document)
    elif args.audit_action == "head":
        print(report.head)
    elif report.intact:
        print(f"{audit.path}: {report.entries} entries, the chain is intact; head {report.head}")
    if not report.intact:
        say(f"{audit.path}: line {report.bad_line}: {report.why}")
        return exitcodes.FAILED
    return exitcodes.OK
