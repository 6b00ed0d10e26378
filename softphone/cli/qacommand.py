"""`softphone qa [import-key|key-status]`: the QA view, and QA's keys that open sealed recordings.

Without an action it opens the QA view (ui/qawindow.py, through windowcommand.py: the one door
of the core to the widgets) on the policy's recordings directory or `--recordings DIR`.

`import-key` reads one AGE-SECRET-KEY-1... line (the age-keygen format: `#` comment lines are
skipped) from FILE or standard input and adds it to the OS keyring; `key-status` says which keys
are there, by public key and fingerprint. Neither ever prints a secret key.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from softphone.cli.cliout import print_json, say
from softphone.config.agekeys import fingerprint
from softphone.config.qakey import import_identity, public_keys
from softphone.vocabulary import exitcodes

COMMAND = "qa"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `qa ACTION` to the command line."""
    parser = subparsers.add_parser(
        COMMAND, help="the QA view (without an action); QA's keys that open encrypted recordings"
    )
    parser.add_argument(
        "--recordings",
        metavar="DIR",
        help="the recordings directory (default: the policy's recording.directory)",
    )
    parser.add_argument("--policy", metavar="FILE", help="admin policy file (TOML)")
    actions = parser.add_subparsers(dest="qa_action")
    importing = actions.add_parser(
        "import-key", help="store an age secret key (AGE-SECRET-KEY-1...) in the OS keyring"
    )
    source = importing.add_mutually_exclusive_group(required=True)
    source.add_argument("--stdin", action="store_true", help="read the key from standard input")
    source.add_argument("file", nargs="?", metavar="FILE", help="a key file age-keygen wrote")
    status = actions.add_parser("key-status", help="say which QA keys the OS keyring holds")
    status.add_argument("--json", action="store_true", help="JSON output")


def run(args: argparse.Namespace) -> int:
    """Run `qa ACTION`; keyring problems are raised for the caller to report."""
    if args.qa_action == "import-key":
        return _import(args)
    return _status(args)


def _import(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.stdin else _read(Path(args.file).expanduser())
    keys = [line.strip() for line in text.splitlines() if line.strip() and line[:1] != "#"]
    if len(keys) != 1:
        say(f"expected one secret key line (AGE-SECRET-KEY-1...), found {len(keys)} lines")
        return exitcodes.BAD_INPUT
    try:
        public, added = import_identity(keys[0])
    except ValueError as exc:
        say(str(exc))
        return exitcodes.BAD_INPUT
    what = "stored in the OS keyring" if added else "was in the OS keyring already"
    print(f"the QA key for {public} ({fingerprint(public)}) {what}")
    return exitcodes.OK


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the key file '{path}': {exc}") from None


def _status(args: argparse.Namespace) -> int:
    keys = public_keys()
    if args.json:
        print_json({"keys": [{"public_key": k, "fingerprint": fingerprint(k)} for k in keys]})
    elif keys:
        for key in keys:
            print(f"QA key for {key} ({fingerprint(key)}) is in the OS keyring")
    else:
        print("no QA key is in the OS keyring: encrypted recordings cannot be opened here")
    return exitcodes.OK if keys else exitcodes.FAILED
