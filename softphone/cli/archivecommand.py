"""`softphone archive upload|status|set-secret`: the spool of recordings bound for the archive."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softphone.app.archiving import NO_ARCHIVE, flush
from softphone.cli.cliout import print_json, say
from softphone.cli.recordingscommand import common
from softphone.config.archivesecret import store_secret
from softphone.config.credentials import backend_name, secure_backend
from softphone.config.schema import ArchivePolicy
from softphone.recordings.archiveerrors import where
from softphone.recordings.audit import AuditLog
from softphone.recordings.spool import Spool
from softphone.vocabulary import exitcodes

COMMAND = "archive"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `archive upload`, `archive status` and `archive set-secret` to the command line."""
    parser = subparsers.add_parser(COMMAND, help="upload recordings to the central archive")
    actions = parser.add_subparsers(dest="archive_action", required=True)
    upload = actions.add_parser("upload", help="upload what waits in the spool now")
    common(upload)
    upload.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="start no upload after S seconds"
    )
    common(actions.add_parser("status", help="what waits in the spool, and why"))
    secret = actions.add_parser(
        "set-secret", help="store the archive's secret access key in the OS keyring"
    )
    secret.add_argument("--policy", metavar="FILE", help="admin policy file (TOML)")
    secret.add_argument("--stdin", action="store_true", help="read the secret key from stdin")
    secret.add_argument(
        "--access-key-id", metavar="ID", help="the key id (default: archive.access_key_id)"
    )


def run(args: argparse.Namespace, root: Path, policy: Callable[[], ArchivePolicy | None]) -> int:
    """Run `archive ACTION` for the recordings directory `root`."""
    archive = policy()
    if args.archive_action == "set-secret":
        return _set_secret(args, archive)
    if not root.is_dir():
        say(f"the recordings directory '{root}' does not exist; give --recordings DIR")
        return exitcodes.BAD_INPUT
    if args.archive_action == "status":
        return _status(args, root, archive)
    if archive is None:
        say(NO_ARCHIVE)
        return exitcodes.BAD_INPUT
    result = flush(root, archive, args.timeout)
    for what, why in result.failed:
        say(f"{what}: {why}")
    document = {
        "archived": result.archived,
        "removed_locally": result.removed_locally,
        "failed": [{"recording": w, "why": y} for w, y in result.failed],
        "waiting": result.waiting,
    }
    if args.json:
        print_json(document)
    else:
        print(
            f"{len(result.archived)} recording(s) uploaded to {where(archive)}; "
            f"{result.waiting} waiting"
        )
    return exitcodes.OK if result.ok else exitcodes.FAILED


def _status(args: argparse.Namespace, root: Path, archive: ArchivePolicy | None) -> int:
    spool = Spool(root)
    spool.catch_up(AuditLog.of(root))
    state, entries = spool.state(), spool.entries()
    document: dict[str, Any] = {
        "archive": None if archive is None else where(archive),
        "waiting": len(entries),
        "last_error": state.last_error,
        "last_cause": state.last_cause,
        "last_success_at": state.last_success_at,
        "retry_at": state.retry_at or None,
        "audit_shipped_through": state.shipped_through,
        "recordings": [
            {
                "recording": e.recording,
                "queued_at": e.queued_at,
                "attempts": e.attempts,
                "next_attempt_at": e.next_attempt_at or None,
                "last_error": e.last_error,
            }
            for e in entries
        ],
    }
    if args.json:
        print_json(document)
        return exitcodes.OK
    print(f"archive: {document['archive'] or 'none (' + NO_ARCHIVE + ')'}")
    print(f"waiting: {len(entries)}")
    if state.last_error:
        print(f"last problem: {state.last_error}")
    for e in entries:
        queued = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e.queued_at))
        tried = f", {e.attempts} attempt(s): {e.last_error}" if e.attempts else ""
        print(f"  {e.recording} (queued {queued} UTC{tried})")
    return exitcodes.OK


def _set_secret(args: argparse.Namespace, archive: ArchivePolicy | None) -> int:
    key_id = args.access_key_id or (archive.access_key_id if archive else None)
    if not key_id:
        say("no access key id: set archive.access_key_id in the policy, or give --access-key-id ID")
        return exitcodes.BAD_INPUT
    backend = secure_backend()
    if args.stdin:
        secret = sys.stdin.read().removesuffix("\n").removesuffix("\r")
        if "\n" in secret:
            say("standard input holds more than one line: give only the secret key")
            return exitcodes.BAD_INPUT
    elif sys.stdin.isatty():
        secret = getpass.getpass(f"secret access key of {key_id}: ")
    else:
        say("no terminal to read the secret key from: pipe it in and give --stdin")
        return exitcodes.BAD_INPUT
    if not secret:
        say("the secret key is empty; nothing was stored")
        return exitcodes.BAD_INPUT
    store_secret(key_id, secret)
    print(f"stored the archive secret key of {key_id} in the OS keyring ({backend_name(backend)})")
    return exitcodes.OK
