"""Child process: proves the engine's thread model on a real call and prints one JSON verdict.

pjsua2 from a foreign thread must raise `WrongThreadError` (not abort), and every callback of a
full call (setup, hold, resume, hang-up) must arrive on the main thread. And an idle engine
runs no thread that wakes on its own: the bridge clock ticks only while something is connected
(it stops again after the call) and no media worker polls.
"""

from __future__ import annotations

import json
import os
import sys
import threading

from softphone.app.root import PhoneConfig, open_stack
from softphone.sip.engine import WrongThreadError
from softphone.vocabulary.events import CallState, CallStateChanged, Event

IDLE_CLOCK_WAIT_S = 5.0  # the clock stops a second after its last connection; allow for load


def native_threads() -> list[str]:
    """The names of this process's threads, as the kernel knows them."""
    names = []
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/comm") as comm:
            names.append(comm.read().strip())
    return names


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
        idle = lambda: "clock" not in native_threads()  # noqa: E731
        result["idle_before"] = engine.run_until(idle, IDLE_CLOCK_WAIT_S)
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
        result["threads_in_call"] = sorted(set(native_threads()))
        phone.hold(call)
        engine.run_until(lambda: phone.media(call).local_hold, 5)
        phone.resume(call)
        engine.run_until(lambda: phone.media(call).active, 5)
        phone.hangup(call)
        engine.run_until(lambda: CallState.DISCONNECTED.value in states, 5)
        result["idle_after"] = engine.run_until(idle, IDLE_CLOCK_WAIT_S)
        result["threads_idle"] = sorted(set(native_threads()))
        result["states"] = states
        result["thread_violations"] = engine.thread_violations
        result["handler_errors"] = engine.handler_errors
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
