"""Child process: an agent takes call A, leaves it for a second call, then resumes A.

Mode "answer": call B rings while A is live and the agent answers it. Mode "consult URI": the
agent consults URI (calls it) before a transfer. Either way B ends by itself, then the agent
resumes A and hangs up. Prints one JSON list: each ended call's recording, metadata, problems.
"""

from __future__ import annotations

import getpass
import json
import sys
import time
from pathlib import Path

from softphone.app.headless import engine_session
from softphone.calls.setup import prepare_setup
from softphone.calls.switchboard import Switchboard
from softphone.config.policy import load_policy
from softphone.media.sinks import NullSink
from softphone.media.sources import ToneSource
from softphone.vocabulary.events import CallState, CallStateChanged, Event, IncomingCall


def main(policy_path: str, port_file: str, mode: str, consult_uri: str = "") -> int:
    """Run the scenario; timings are relative to the events, bounded by a deadline."""
    policy = load_policy(Path(policy_path))
    language = policy.disclosure.default_language
    with engine_session("127.0.0.1:0", "agent") as (engine, phone):
        Path(port_file).write_text(str(engine.bound_port))
        setup = prepare_setup(
            spec=policy.disclosure.for_language(language),
            recordings=policy.recording.directory,
            agent=getpass.getuser(),
        )
        mic = phone.create_port("mic", source=ToneSource(1000.0))
        speaker = phone.create_port("speaker", sink=NullSink())
        board = Switchboard(engine, phone, setup, (mic, speaker))
        incoming: list[IncomingCall] = []
        ended: list[int] = []

        def note(event: Event) -> None:
            if isinstance(event, IncomingCall):
                incoming.append(event)
            elif isinstance(event, CallStateChanged) and event.state is CallState.DISCONNECTED:
                ended.append(event.call_id)

        engine.subscribe(note)
        deadline = time.monotonic() + 40
        engine.run_until(lambda: len(incoming) >= 1, 20)
        call_a = incoming[0].call_id
        board.answer(call_a)
        if mode == "consult":
            engine.run_until(lambda: False, 2.5)  # A talks past its disclosure
            call_b = board.consult(call_a, consult_uri).call_id
        else:
            engine.run_until(lambda: len(incoming) >= 2, 20)  # B rings while A talks
            call_b = incoming[1].call_id
            engine.run_until(lambda: time.monotonic() > deadline, 0.8)  # let B ring a moment
            board.answer(call_b)
        engine.run_until(lambda: call_b in ended, 20)  # B hangs up by itself
        engine.run_until(lambda: False, 0.3)
        board.sessions[call_a].resume()
        engine.run_until(lambda: False, 2.5)
        phone.hangup(call_a)
        engine.run_until(lambda: call_a in ended, 5)
        outcome = [
            {
                "recording": s.outcome.recording,
                "metadata": s.outcome.metadata,
                "problems": s.outcome.problems,
            }
            for s in board.ended
        ]
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
