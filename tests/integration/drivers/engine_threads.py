"""Child process: proves the engine's thread model on a real call and prints one JSON verdict.

pjsua2 from a foreign thread must raise `WrongThreadError` (not abort), and every callback of a
full call (setup, hold, resume, hang-up) must arrive on the main thread.
"""

from __future__ import annotations

import json
import sys
import threading

from softphone.app.root import PhoneConfig, open_stack
from softphone.sip.engine import WrongThreadError
from softphone.vocabulary.events import CallState, CallStateChanged, Event


def main(uri: str) -> int:
    """Place a call to `uri`, poke the phone from another thread, then hold, resume, hang up."""
    result: dict[str, object] = {}
    states: list[str] = []
    with open_stack(PhoneConfig(identity_user="threads")) as stack:
        engine, phone = stack.engine, stack.phone

        def record(event: Event) -> None:
            if isinstance(event, CallStateChanged):
                states.append(event.state.value)

        engine.subscribe(record)
        errors: list[str] = []

        def foreign() -> None:
            try:
                phone.make_call(uri)
            except WrongThreadError as exc:
                errors.append(str(exc))

        worker = threading.Thread(target=foreign, name="not-main")
        worker.start()
        worker.join()
        result["foreign_thread_error"] = errors[0] if errors else None
        call = phone.make_call(uri)
        engine.run_until(lambda: CallState.CONFIRMED.value in states, 10)
        phone.hold(call)
        engine.run_until(lambda: phone.media(call).local_hold, 5)
        phone.resume(call)
        engine.run_until(lambda: phone.media(call).active, 5)
        phone.hangup(call)
        engine.run_until(lambda: CallState.DISCONNECTED.value in states, 5)
        result["states"] = states
        result["thread_violations"] = engine.thread_violations
        result["handler_errors"] = engine.handler_errors
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
