"""Child process: an agent calls a customer, consults a colleague, then transfers with Replaces.

The agent calls CUSTOMER_URI; once its disclosure has played, it consults COLLEAGUE_URI (the
customer's call is held, the consult call is a call of its own); once that call's disclosure has
played too, the agent completes the transfer (REFER with Replaces on the customer's call) and
waits for both legs to end. Everything goes through the desk; every wait is bounded. Prints one
JSON object: each ended call's SIP Call-ID, recording, metadata, problems and transfers, and the
outcome of each leg's transfer.
"""

from __future__ import annotations

import json
import sys

from tests.integration.drivers.deskloop import Seen, agent_desk, run_until


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
