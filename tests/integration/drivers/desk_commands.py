"""Child process: the desk's reject and mute on a real call, each through the desk's command.

Mode "reject PORT_FILE CODE": the agent writes its SIP port to PORT_FILE, waits for a call and
refuses it with CODE while it rings. Mode "mute URI": the agent calls URI; once the disclosure
has played and the two have talked a second, the agent mutes for MUTE_S, unmutes, talks another
second and hangs up. Every wait is bounded. Prints one JSON object: the call's end (status,
recording) and, for mute, how long the agent was muted by the wall clock.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from softphone.calls.desk import Desk
from softphone.sip.engine import SipEngine
from tests.integration.drivers.deskloop import Seen, agent_desk, run_until

AGENT_HZ = 1000.0
MUTE_S = 1.5


def reject(
    engine: SipEngine, desk: Desk, seen: Seen, port_file: str, code: str
) -> dict[str, object]:
    """Refuse the first call that rings with `code`."""
    Path(port_file).write_text(str(engine.bound_port))
    assert run_until(engine, desk, lambda: bool(seen.incoming()), 20), "no call came"
    call_id = seen.incoming()[0]
    run_until(engine, desk, lambda: False, 0.3)  # it rings a moment
    desk.reject(call_id, int(code))
    assert run_until(engine, desk, lambda: call_id in seen.ended, 5), "the call did not end"
    return {**seen.outcome(call_id), "answered": seen.ended[call_id].call.answered}


def mute(engine: SipEngine, desk: Desk, seen: Seen, uri: str) -> dict[str, object]:
    """Call `uri`, mute for MUTE_S after a second of talk, unmute, talk, hang up."""
    call_id = desk.dial(uri)
    assert run_until(engine, desk, lambda: seen.disclosed(call_id), 10), "no disclosure"
    run_until(engine, desk, lambda: False, 1.0)
    desk.mute(call_id, True)
    muted_at = time.monotonic()
    assert seen.calls[call_id].muted
    run_until(engine, desk, lambda: False, MUTE_S)
    desk.mute(call_id, False)
    muted_s = time.monotonic() - muted_at
    run_until(engine, desk, lambda: False, 1.0)
    desk.hang_up(call_id)
    assert run_until(engine, desk, lambda: call_id in seen.ended, 5), "the call did not end"
    return {**seen.outcome(call_id), "muted_s": muted_s}


def main(policy_path: str, mode: str, *args: str) -> int:
    """Run the mode; prints the JSON object described above."""
    with agent_desk(policy_path, AGENT_HZ) as (engine, desk):
        seen = Seen()
        desk.subscribe(seen)
        result = (
            reject(engine, desk, seen, *args)
            if mode == "reject"
            else mute(engine, desk, seen, *args)
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
