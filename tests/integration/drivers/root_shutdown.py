"""Child process: leaving the composition root mid-call ends the call first, audio last.

Calls URI (a customer peer) through `open_softphone`, waits until the call is recorded, then
leaves the `with` block without hanging up. Prints one JSON object: the desk events seen, the
call's metadata file, and whether the engine was still running when each audio part closed.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

from softphone.app.root import Audio, PhoneConfig, Softphone, open_softphone
from softphone.calls.setup import prepare_setup
from softphone.calls.snapshot import CallChanged, CallEnded, DeskEvent
from softphone.config.policy import load_policy
from softphone.media.sinks import NullSink
from softphone.media.sources import ToneSource


class _WatchedSpeaker(NullSink):
    """A speaker that notes whether the engine still ran when it was closed."""

    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__()
        self.seen = seen
        self.softphone: Softphone | None = None

    def close(self) -> None:
        assert self.softphone is not None
        self.seen["engine_running_at_speaker_close"] = self.softphone.engine.running
        super().close()


def main(policy_path: str, uri: str) -> int:
    """Run the scenario; every wait is bounded."""
    policy = load_policy(Path(policy_path))
    setup = prepare_setup(
        spec=policy.disclosure.for_language(policy.disclosure.default_language),
        recordings=policy.recording.directory,
        agent=getpass.getuser(),
    )
    seen: dict[str, Any] = {"events": []}
    speaker = _WatchedSpeaker(seen)
    ended: list[CallEnded] = []

    def note(event: DeskEvent) -> None:
        seen["events"].append(type(event).__name__)
        if isinstance(event, CallEnded):
            ended.append(event)
        elif isinstance(event, CallChanged) and event.call.recording_open:
            seen["recorded"] = True

    with open_softphone(PhoneConfig(), setup, Audio(ToneSource(1000.0), speaker)) as softphone:
        speaker.softphone = softphone
        softphone.subscribe(note)
        call_id = softphone.desk.dial(uri)
        softphone.run_until(lambda: bool(seen.get("recorded")), 15)
        softphone.run_until(lambda: False, 0.5)
        seen["live_before_exit"] = [c.call_id for c in softphone.desk.calls()] == [call_id]
    seen["ended"] = [
        {"status": e.status_code, "metadata": e.metadata, "recording": e.call.recording}
        for e in ended
    ]
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
