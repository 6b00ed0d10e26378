"""Child process: an agent calls a customer, consults a colleague, then transfers with Replaces.

The agent calls CUSTOMER_URI; once its disclosure has played, it consults COLLEAGUE_URI (the
customer's call is held, the consult call is a call of its own); once that call's disclosure has
played too, the agent completes the transfer (REFER with Replaces on the customer's call) and
waits for both legs to end. Everything goes through the desk; every wait is bounded. Prints one
JSON object: each ended call's SIP Call-ID, recording, metadata, problems and transfers, and the
outcome of each leg's transfer.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from softphone.app.headless import engine_session
from softphone.calls.desk import Desk
from softphone.calls.setup import prepare_setup
from softphone.config.policy import load_policy
from softphone.media.sinks import NullSink
from softphone.media.sources import ToneSource
from softphone.sip.engine import SipEngine
from tests.integration.drivers.deskloop import Seen, run_until


@contextmanager
def agent_desk(policy_path: str) -> Iterator[tuple[SipEngine, Desk]]:
    """The agent's engine and desk, its microphone a 1 kHz tone, its speaker nowhere."""
    policy = load_policy(Path(policy_path))
    with engine_session("127.0.0.1:0", "agent") as (engine, phone):
        setup = prepare_setup(
            spec=policy.disclosure.for_language(policy.disclosure.default_language),
            recordings=policy.recording.directory,
            agent=getpass.getuser(),
        )
        mic = phone.create_port("mic", source=ToneSource(1000.0))
        speaker = phone.create_port("speaker", sink=NullSink())
        desk = Desk(engine, phone, setup, (mic, speaker))
        engine.subscribe(desk.handle)
        yield engine, desk


def main(policy_path: str, customer_uri: str, colleague_uri: str) -> int:
    """Run the scenario; each step waits for its event, at most a few seconds."""
    with agent_desk(policy_path) as (engine, desk):
        seen = Seen()
        desk.subscribe(seen)
        call_a = desk.dial(customer_uri)
        assert run_until(engine, desk, lambda: seen.disclosed(call_a), 10), "the customer's"
        run_until(engine, desk, lambda: False, 0.5)  # the customer and the agent talk
        call_b = desk.consult(call_a, colleague_uri)
        assert run_until(engine, desk, lambda: seen.disclosed(call_b), 10), "the colleague's"
        run_until(engine, desk, lambda: False, 0.5)  # the agent tells the colleague who comes
        desk.complete_transfer(call_a, call_b)
        run_until(engine, desk, lambda: {call_a, call_b} <= seen.ended.keys(), 10)
        result = {
            "outcomes": [t.result for t in seen.transfers],
            "calls": [
                {**seen.outcome(call_id), "consult": call_id == call_b} for call_id in seen.ended
            ],
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
