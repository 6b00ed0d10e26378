"""`softphone recordings list|verify`: the QA reviewer's view of the recordings directory."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from softphone.recordings.catalog import Entry, find_recordings, verify
from softphone.vocabulary import exitcodes

COMMAND = "recordings"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `recordings list` and `recordings verify` to the command line."""
    parser = subparsers.add_parser(COMMAND, help="list recordings and check their integrity")
    actions = parser.add_subparsers(dest="recordings_action", required=True)
    for name, text in (
        ("list", "every recording with its status, length, holds, pauses and disclosure id"),
        ("verify", "check each recording's audio against its SHA-256 and its evidence"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument(
            "--recordings",
            metavar="DIR",
            help="the recordings directory (default: the policy's recording.directory)",
        )
        action.add_argument("--json", action="store_true", help="one JSON object per line")
        action.add_argument("--policy", metavar="FILE", help="admin policy file (TOML)")


def _summary(entry: Entry, problems: list[str] | None) -> dict[str, object]:
    meta = entry.metadata
    summary: dict[str, object] = {"metadata": str(entry.metadata_path)}
    if meta is not None:
        summary |= {
            "audio": str(entry.audio_path),
            "status": meta.status,
            "direction": meta.call.direction,
            "remote_uri": meta.call.remote_uri,
            "answered_at": meta.call.answered_at,
            "duration_s": meta.audio.duration_s,
            "holds": len(meta.holds),
            "pauses": len(meta.pauses),
            "paused_s": round(meta.paused_s, 3),
            "disclosure": meta.disclosure.id,
        }
    summary["problems"] = [p.text for p in entry.problems] if problems is None else problems
    return summary


def _say(text: str) -> None:
    print(f"softphone: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, root: Path) -> int:
    """List or verify the recordings in `root`; `verify` exits 1 on any problem."""
    if not root.is_dir():
        _say(f"the recordings directory '{root}' does not exist; give --recordings DIR")
        return exitcodes.BAD_INPUT
    checking = args.recordings_action == "verify"
    failed = 0
    for entry in find_recordings(root):
        problems = [p.text for p in verify(entry)] if checking else None
        failed += bool(problems)
        summary = _summary(entry, problems)
        if args.json:
            print(json.dumps(summary, sort_keys=True))
            continue
        line = (
            f"{summary.get('audio', summary['metadata'])}  {summary.get('status', '?')}  "
            f"{float(str(summary.get('duration_s', 0.0))):.1f} s  holds {summary.get('holds', '?')}"
            f"  pauses {summary.get('pauses', '?')}"
            f" ({float(str(summary.get('paused_s', 0.0))):.1f} s)"
            f"  disclosure {summary.get('disclosure', '?')}"
        )
        problems_found = [p.text for p in entry.problems] if problems is None else problems
        print(line + "".join(f"\n    PROBLEM: {p}" for p in problems_found))
    if checking:
        _say(f"{failed} recording(s) with problems" if failed else "all recordings verified")
    return exitcodes.FAILED if failed else exitcodes.OK
