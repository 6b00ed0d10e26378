"""Child process: an agent takes call A, leaves it for a second call, then resumes A.

Mode "answer": call B rings while A is live and the agent answers it. Mode "consult URI": the
agent consults URI (calls it) before a transfer. Either way B ends by itself, then the agent
resumes A and hangs up. Everything goes through the desk. Prints one JSON list: each ended
call's recording, metadata, problems.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.integration.drivers.deskloop import Seen, agent_desk, run_until


def main(policy_path: str, port_file: str, mode: str, consult_uri: str = "") -> int:
    """Run the scenario; timings are relative to the events, bounded by a deadline."""
    with agent_desk(policy_path) as (engine, desk):
        Path(port_file).write_text(str(engine.bound_port))
        seen = Seen()
        desk.subscribe(seen)
        assert run_until(engine, desk, lambda: len(seen.incoming()) >= 1, 20), "no call A"
        call_a = seen.incoming()[0]
        desk.answer(call_a)
        if mode == "consult":
            run_until(engine, desk, lambda: False, 2.5)  # A talks past its disclosure
            call_b = desk.consult(call_a, consult_uri)
        else:
            assert run_until(engine, desk, lambda: len(seen.incoming()) >= 2, 20), "no call B"
            call_b = seen.incoming()[1]
            run_until(engine, desk, lambda: False, 0.8)  # let B ring a moment
            desk.answer(call_b)
        assert run_until(engine, desk, lambda: call_b in seen.ended, 20), "B did not end"
        run_until(engine, desk, lambda: False, 0.3)
        desk.resume(call_a)
        run_until(engine, desk, lambda: False, 2.5)
        desk.hang_up(call_a)
        assert run_until(engine, desk, lambda: call_a in seen.ended, 5), "A did not end"
        outcome = [seen.outcome(call_id) for call_id in seen.ended]
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
