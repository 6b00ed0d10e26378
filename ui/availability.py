"""Which call commands make sense now, from the snapshots alone; the desk has the last word."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

from softphone.calls.snapshot import CallSnapshot
from softphone.vocabulary.events import CallDirection, CallState


class Command(enum.Enum):
    """What the agent can ask of the focused call (answering is the ringing call's own)."""

    HOLD = "hold"  # or resume, when the agent holds it
    PAUSE_RECORDING = "pause-recording"  # or resume the recording, when paused
    MUTE = "mute"
    DTMF = "dtmf"
    TRANSFER = "transfer"
    CONSULT = "consult"
    COMPLETE_TRANSFER = "complete-transfer"
    SWITCH = "switch"  # take back another call the agent holds
    HANG_UP = "hang-up"


def ringing(calls: Sequence[CallSnapshot]) -> CallSnapshot | None:
    """The oldest inbound call that rings and waits for the agent."""
    return next(
        (
            c
            for c in calls
            if c.direction is CallDirection.INBOUND
            and c.state in (CallState.INCOMING, CallState.EARLY)
            and not c.answered
        ),
        None,
    )


def in_conversation(call: CallSnapshot) -> bool:
    """Answered, live and not being handed on: the call's own controls apply."""
    return call.answered and call.live and not call.transferring


def available(
    focused: CallSnapshot | None,
    calls: Sequence[CallSnapshot],
    *,
    max_calls: int,
    consults: Mapping[int, int],
) -> frozenset[Command]:
    """The commands to enable for `focused`; `consults` maps a consult call to its customer's."""
    if focused is None or not focused.live:
        return frozenset()
    found = {Command.HANG_UP}
    if in_conversation(focused):
        found |= {Command.HOLD, Command.PAUSE_RECORDING, Command.MUTE, Command.DTMF}
        found.add(Command.TRANSFER)
        if len(calls) < max_calls and focused.call_id not in consults:
            found.add(Command.CONSULT)
        if transfer_pair(focused.call_id, calls, consults) is not None:
            found.add(Command.COMPLETE_TRANSFER)
    if switch_target(focused.call_id, calls) is not None:
        found.add(Command.SWITCH)
    return frozenset(found)


def transfer_pair(
    call_id: int, calls: Sequence[CallSnapshot], consults: Mapping[int, int]
) -> tuple[int, int] | None:
    """(customer's call, consult call) for a call that is either, when both can be joined."""
    customer = consults.get(call_id)
    consult: int | None = call_id
    if customer is None:
        customer = call_id
        consult = next((k for k, v in consults.items() if v == call_id), None)
    by_id = {c.call_id: c for c in calls}
    first = by_id.get(customer)
    second = by_id.get(consult) if consult is not None else None
    if first is None or second is None or not (in_conversation(first) and in_conversation(second)):
        return None
    return first.call_id, second.call_id


def switch_target(call_id: int, calls: Sequence[CallSnapshot]) -> int | None:
    """The next call after `call_id` (in order, wrapping) that the agent holds and can take back."""
    ids = [c.call_id for c in calls]
    start = ids.index(call_id) + 1 if call_id in ids else 0
    for call in [*calls[start:], *calls[:start]]:
        if call.call_id != call_id and in_conversation(call) and call.local_hold:
            return call.call_id
    return None
