"""The privacy pause's rules: when a call's recording may be paused or resumed, and its reason.

A privacy pause closes the recording gate for what must never be recorded (a card number under
PCI DSS, a health detail) without holding the call. These are the checks a command must pass
before anything changes, so that a refused command leaves no state half-changed.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

MAX_REASON_CHARS = 200
"""A reason is a short note for the metadata and the audit, not a transcript."""
MAX_REASON_DIGITS = 4
"""A reason names what was paused for, never the data: more digits than the last four of a card
(which PCI DSS lets be shown) look like the number itself, and the metadata is not encrypted."""


class PauseRefusal(enum.Enum):
    """Why a pause or resume command was refused; the value says it in words."""

    NOT_ANSWERED = "the call has not been answered yet"
    ENDED = "the call has ended"
    ALREADY_PAUSED = "the recording is paused already"
    NOT_PAUSED = "the recording is not paused"
    REASON_REQUIRED = (
        "the admin policy requires a reason for every pause (recording.pause_requires_reason)"
    )
    BAD_REASON = "the reason must be one line of plain text"
    REASON_TOO_LONG = f"the reason must be at most {MAX_REASON_CHARS} characters"
    REASON_HAS_NUMBER = (
        f"the reason must not hold more than {MAX_REASON_DIGITS} digits: say what the pause is "
        'for ("card number"), never the number itself'
    )
    NO_ONE = "the command must name who gave it"


class PauseError(ValueError):
    """A pause or resume of a call's recording that cannot be done; nothing was changed."""

    def __init__(self, call_id: int, action: str, cause: PauseRefusal) -> None:
        super().__init__(f"cannot {action} the recording of call {call_id}: {cause.value}")
        self.call_id = call_id
        self.action = action
        self.cause = cause


@dataclass
class PauseSpan:
    """One privacy pause of a call (Unix times); `end` is None while it stands."""

    reason: str
    by: str
    start: float
    end: float | None = None
    resumed_by: str | None = None


def reason_refusal(reason: str, *, required: bool) -> PauseRefusal | None:
    """What is wrong with a pause's reason (already stripped), or None when it may be used."""
    if not reason:
        return PauseRefusal.REASON_REQUIRED if required else None
    if len(reason) > MAX_REASON_CHARS:
        return PauseRefusal.REASON_TOO_LONG
    # Control and format characters (line breaks, bidi overrides) could forge or hide log lines.
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in reason):
        return PauseRefusal.BAD_REASON
    if sum(c.isdigit() for c in reason) > MAX_REASON_DIGITS:
        return PauseRefusal.REASON_HAS_NUMBER
    return None


def pause_refusal(
    *, answered: bool, ended: bool, paused: bool, reason: str, required: bool, by: str
) -> PauseRefusal | None:
    """Why a call in this state may not be paused now, or None when it may."""
    if ended:
        return PauseRefusal.ENDED
    if not answered:
        return PauseRefusal.NOT_ANSWERED
    if paused:
        return PauseRefusal.ALREADY_PAUSED
    if not by:
        return PauseRefusal.NO_ONE
    return reason_refusal(reason, required=required)


def resume_refusal(*, answered: bool, ended: bool, paused: bool, by: str) -> PauseRefusal | None:
    """Why a call in this state may not have its recording resumed now, or None when it may."""
    if ended:
        return PauseRefusal.ENDED
    if not answered:
        return PauseRefusal.NOT_ANSWERED
    if not paused:
        return PauseRefusal.NOT_PAUSED
    if not by:
        return PauseRefusal.NO_ONE
    return None
