"""How the `softphone` command speaks: one message prefix, text or JSON, and quiet endings.

Messages for people go to standard error, each as `softphone: ...` (log records included);
results go to standard output, as text, or with `--json` as one JSON document last. A reader
that goes away (`softphone config show | head`) or Ctrl-C ends the command without a traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softphone.vocabulary import exitcodes

PREFIX = "softphone: "


def say(text: str) -> None:
    """Tell the user something on standard error, under the one prefix."""
    print(f"{PREFIX}{text}", file=sys.stderr, flush=True)


def print_json(document: Any) -> None:
    """One JSON document on one line of standard output."""
    print(json.dumps(document, sort_keys=True), flush=True)


def configure_logging(verbose: int) -> None:
    """Log records to standard error under the same prefix; more of them with -v and -vv."""
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(PREFIX + "%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pjsip's own lines repeat what the app already says in plain words; show them on -v.
    logging.getLogger("softphone.sip.pjsip").setLevel(level if verbose else logging.CRITICAL)


def guarded(command: Callable[[], int]) -> int:
    """Run `command`; Ctrl-C and a closed output pipe end it quietly with their exit codes."""
    try:
        return command()
    except KeyboardInterrupt:
        say("interrupted")
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        _drop_stdout()
        return exitcodes.PIPE_CLOSED


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def resolve_path(text: str | None) -> Path | None:
    """An absolute path for a CLI argument, or None."""
    return None if text is None else Path(text).expanduser().resolve()
