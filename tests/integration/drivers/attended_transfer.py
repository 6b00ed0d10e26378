"""Child process: an agent calls a customer, consults a colleague, then transfers with Replaces.

The agent calls CUSTOMER_URI; once its disclosure has played, it consults COLLEAGUE_URI (the
customer's call is held, the consult call is a call of its own); once that call's disclosure has
played too, the agent completes the transfer (REFER with Replaces on the customer's call) and
waits for both legs to end. Every wait is bounded. Prints one JSON object: each ended call's
SIP Call-ID, recording, metadata, problems and transfers, and the attempt's outcome.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from softphone.app.headless import engine_session
from softphone.calls.setup import prepare_setup
from softphone.calls.switchboard import Switchboard
from softphone.config.policy import load_policy
from softphone.media.sinks import NullSink
from softphone.media.sources import ToneSource
from softphone.vocabulary.events import (
    CallState,
    CallStateChanged,
    DisclosureFinished,
    Event,
    TransferEnded,
)


def main(policy_path: str, customer_uri: str, colleague_uri: str) -> int:
    """Run the scenario; each step waits for its event, at most a few seconds."""
    policy = load_policy(Path(policy_path))
    with engine_session("127.0.0.1:0", "agent") as (engine, phone):
        setup = prepare_setup(
            spec=policy.disclosure.for_language(policy.disclosure.default_language),
            recordings=policy.recording.directory,
            agent=getpass.getuser(),
        )
        mic = phone.create_port("mic", source=ToneSource(1000.0))
        speaker = phone.create_port("speaker", sink=NullSink())
        board = Switchboard(engine, phone, setup, (mic, speaker))
        disclosed: set[int] = set()
        ended: set[int] = set()
        outcomes: list[TransferEnded] = []

        def note(event: Event) -> None:
            if isinstance(event, DisclosureFinished):
                disclosed.add(event.call_id)
            elif isinstance(event, CallStateChanged) and event.state is CallState.DISCONNECTED:
                ended.add(event.call_id)
            elif isinstance(event, TransferEnded):
                outcomes.append(event)

        engine.subscribe(note)
        call_a = board.place(customer_uri).call_id
        assert engine.run_until(lambda: call_a in disclosed, 10), "the customer's disclosure"
        engine.run_until(lambda: False, 0.5)  # the customer and the agent talk
        call_b = board.consult(call_a, colleague_uri).call_id
        assert engine.run_until(lambda: call_b in disclosed, 10), "the colleague's disclosure"
        engine.run_until(lambda: False, 0.5)  # the agent tells the colleague who is coming
        attempt = board.complete_consult(call_a, call_b)
        engine.run_until(lambda: {call_a, call_b} <= ended, 10)
        result = {
            "attempt": attempt.as_json(),
            "outcomes": [e.result for e in outcomes],
            "ended": sorted(ended),
            "calls": [
                {
                    "call_id": s.sip_call_id,
                    "consult": s.call_id == call_b,
                    "recording": s.outcome.recording,
                    "metadata": s.outcome.metadata,
                    "problems": s.outcome.problems,
                    "transfers": [t.as_json() for t in s.outcome.transfers],
                }
                for s in board.ended
            ],
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
