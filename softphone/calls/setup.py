"""Prepares what every call needs to be recorded: the disclosure and the recordings directory.

A part that cannot be prepared is not an error that stops calls: the call goes on, nothing is
recorded, and the problem is said to the agent and written into the call's report.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from softphone.calls.session import SessionSetup
from softphone.media.disclosure import Disclosure, DisclosureSpec, load_disclosure
from softphone.media.errors import AudioFileError
from softphone.recordings.retention import RetentionSweeper
from softphone.recordings.store import RecordingStore, StoreError

log = logging.getLogger("softphone.calls")


def prepare_setup(
    *,
    spec: DisclosureSpec | None,
    recordings: Path | None,
    agent: str,
    retention_days: int | None = None,
    group: str | None = None,
    pause_requires_reason: bool = False,
    encrypt_to: tuple[str, ...] = (),
    archived_first: bool = False,
) -> SessionSetup:
    """Load the disclosure and open the store: recover interrupted recordings, expire old ones.

    With `encrypt_to` (age public keys) every recording is sealed to them; keys that cannot be
    used mean nothing is recorded, never a recording in plaintext.
    """
    problems: list[str] = []
    disclosure: Disclosure | None = None
    if spec is None:
        problems.append("nothing will be recorded: no recording disclosure is configured")
    else:
        try:
            disclosure = load_disclosure(spec)
        except AudioFileError as exc:
            problems.append(f"nothing will be recorded: the disclosure cannot be played: {exc}")
    store: RecordingStore | None = None
    retention: RetentionSweeper | None = None
    if recordings is None:
        problems.append("nothing will be recorded: no recordings directory is configured")
    else:
        try:
            store = RecordingStore(recordings, group=group, agent=agent, seal_to=encrypt_to)
            for recovered in store.recover():
                log.warning("recovered an interrupted recording: %s", recovered)
            if retention_days is not None:
                retention = RetentionSweeper(
                    store.root, retention_days, archived_first=archived_first
                )
                retention.sweep(time.time())
        except StoreError as exc:
            problems.append(f"nothing will be recorded: {exc}")
    for problem in problems:
        log.warning("%s", problem)
    return SessionSetup(
        agent=agent,
        disclosure=disclosure,
        store=store,
        problems=tuple(problems),
        pause_requires_reason=pause_requires_reason,
        retention=retention,
    )
