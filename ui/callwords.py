"""A call's state in the agent's words: ringing, calling, talking, on hold, and its duration."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from softphone.calls.snapshot import CallSnapshot
from softphone.vocabulary.events import CallDirection, CallState


def _tr(text: str) -> str:
    return QCoreApplication.translate("CallWords", text)


def state_words(call: CallSnapshot) -> str:
    """One or two words for where the call stands."""
    if not call.live:
        return _tr("Ended")
    if not call.answered:
        if call.direction is CallDirection.INBOUND:
            return _tr("Ringing")
        return _tr("Ringing at the other end") if call.state is CallState.EARLY else _tr("Calling")
    if call.transferring:
        return _tr("Transferring")
    if call.local_hold:
        return _tr("On hold")
    if call.remote_hold:
        return _tr("Held by the other side")
    return _tr("In conversation")


def duration(seconds: float) -> str:
    """m:ss, or h:mm:ss past the hour."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
