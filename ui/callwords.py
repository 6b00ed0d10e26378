"""A call's state in the agent's words: ringing, calling, talking, on hold, and its duration."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from softphone.calls.snapshot import CallSnapshot
from softphone.vocabulary.events import CallDirection, CallState


def state_words(call: CallSnapshot) -> str:
    """One or two words for where the call stands."""
    if not call.live:
        return QCoreApplication.translate("CallWords", "Ended")
    if not call.answered:
        if call.direction is CallDirection.INBOUND:
            return QCoreApplication.translate("CallWords", "Ringing")
        return (
            QCoreApplication.translate("CallWords", "Ringing at the other end")
            if call.state is CallState.EARLY
            else QCoreApplication.translate("CallWords", "Calling")
        )
    if call.transferring:
        return QCoreApplication.translate("CallWords", "Transferring")
    if call.local_hold:
        return QCoreApplication.translate("CallWords", "On hold")
    if call.remote_hold:
        return QCoreApplication.translate("CallWords", "Held by the other side")
    return QCoreApplication.translate("CallWords", "In conversation")


def duration(seconds: float) -> str:
    """m:ss, or h:mm:ss past the hour."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
