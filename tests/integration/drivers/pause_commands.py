"""Child process: every pause or resume a call cannot take now is refused, and changes nothing.

Places one call to URI (a customer peer that answers after a second) under a policy that requires
a reason, and gives the session's pause and resume commands at each stage of the call: before
the answer, during the disclosure (a pause there is taken; recording waits for both), once it is
recorded, and after the end. Prints one JSON object: each refusal (the command, its cause and
message, and whether the session's state was the same after it) and the gate at the checkpoints.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softphone.app.root import PhoneConfig, open_stack
from softphone.calls.pause import PauseError
from softphone.calls.session import CallSession, start_session
from softphone.calls.setup import prepare_setup
from softphone.config.policy import load_policy
from softphone.media.sinks import NullSink
from softphone.media.sources import ToneSource
from softphone.vocabulary.events import CallDirection, CallState, CallStateChanged, Event


def _state(session: CallSession) -> tuple[Any, ...]:
    """What a refused command must leave as it was."""
    return (
        session.gate.facts,
        session.gate.is_open,
        len(session.gate.transitions),
        [vars(span).copy() for span in session.outcome.pauses],
    )


def main(policy_path: str, uri: str) -> int:
    """Run the commands; prints the JSON object described above."""
    policy = load_policy(Path(policy_path))
    refusals: list[dict[str, Any]] = []
    checkpoints: dict[str, Any] = {}
    with open_stack(PhoneConfig(identity_user="agent")) as stack:
        engine, phone = stack.engine, stack.phone
        setup = prepare_setup(
            spec=policy.disclosure.for_language(policy.disclosure.default_language),
            recordings=policy.recording.directory,
            agent=getpass.getuser(),
            pause_requires_reason=True,
        )
        mic = phone.create_port("mic", source=ToneSource(1000.0))
        speaker = phone.create_port("speaker", sink=NullSink())
        call_id = phone.make_call(uri)
        session = start_session(
            engine, phone, call_id, CallDirection.OUTBOUND, setup=setup, audio=(mic, speaker)
        )
        engine.subscribe(session.handle)
        ended: list[bool] = []

        def note(event: Event) -> None:
            if isinstance(event, CallStateChanged) and event.state is CallState.DISCONNECTED:
                ended.append(True)

        engine.subscribe(note)

        def refused(name: str, command: Callable[[], None]) -> None:
            before = _state(session)
            try:
                command()
            except PauseError as exc:
                refusals.append(
                    {
                        "command": name,
                        "cause": exc.cause.name,
                        "call_id": exc.call_id == call_id,
                        "message": str(exc),
                        "unchanged": _state(session) == before,
                    }
                )
            else:
                refusals.append({"command": name, "cause": None})

        def checkpoint(name: str) -> None:
            facts = session.gate.facts
            checkpoints[name] = {
                "open": session.gate.is_open,
                "paused": facts.privacy_paused,
                "disclosure_done": facts.disclosure_done,
                "blockers": facts.blockers(),
            }

        refused("pause", lambda: session.pause_recording("card number", "agent7"))
        refused("resume", lambda: session.resume_recording("agent7"))
        engine.run_until(lambda: session.answered_at is not None, 15)
        refused("pause", lambda: session.pause_recording("  ", "agent7"))
        refused("pause", lambda: session.pause_recording("card\nnumber", "agent7"))
        refused("pause", lambda: session.pause_recording("x" * 201, "agent7"))
        refused("pause", lambda: session.pause_recording("card number", " "))
        refused("resume", lambda: session.resume_recording("agent7"))
        session.pause_recording(" card number ", "agent7")  # during the disclosure
        refused("pause", lambda: session.pause_recording("card number", "agent7"))
        playback = session.playback
        engine.run_until(lambda: playback is not None and playback.finished, 10)
        engine.run_until(lambda: False, 0.3)
        checkpoint("disclosure played, still paused")
        refused("resume", lambda: session.resume_recording(""))
        session.resume_recording("agent8")
        checkpoint("resumed")
        refused("resume", lambda: session.resume_recording("agent7"))
        engine.run_until(lambda: False, 0.5)
        phone.hangup(call_id)
        engine.run_until(lambda: bool(ended), 10)
        refused("pause", lambda: session.pause_recording("card number", "agent7"))
        refused("resume", lambda: session.resume_recording("agent7"))
        spans = [vars(span) for span in session.outcome.pauses]
        metadata = session.outcome.metadata
    print(json.dumps({"refusals": refusals, "checkpoints": checkpoints, "pauses": spans,
                      "metadata": metadata}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
