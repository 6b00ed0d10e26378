"""The desk's news in the agent's words, for the status line."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from softphone.calls.snapshot import CallRefused, ReinviteRefused, TransferFinished
from softphone.vocabulary.events import ReinviteKind
from ui.party import party


def sentence(text: str) -> str:
    """`text` with a capital first letter and a full stop, as the status line shows it."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text[-1] in ".!?" else ".")


def call_refused(event: CallRefused, caller: str) -> str:
    """A call that never rang."""
    text = QCoreApplication.translate("WindowText", "A call from %1 was turned away (%2 %3).")
    return (
        text.replace("%1", caller).replace("%2", str(event.status_code)).replace("%3", event.reason)
    )


def reinvite_refused(event: ReinviteRefused) -> str:
    """The other side did not take a hold or resume."""
    if event.request is ReinviteKind.RESUME:
        text = QCoreApplication.translate(
            "WindowText", "The other side refused to resume (SIP %1 %2); nothing more is recorded."
        )
    else:
        text = QCoreApplication.translate(
            "WindowText", "The other side refused the hold (SIP %1 %2); the recording stays paused."
        )
    return text.replace("%1", str(event.status_code)).replace("%2", event.reason).replace(" )", ")")


def transfer_finished(event: TransferFinished) -> str:
    """How a transfer ended."""
    to = (
        party(event.to).label
        if event.to
        else QCoreApplication.translate("WindowText", "the new party")
    )
    if event.result == "transferred":
        text = QCoreApplication.translate("WindowText", "The call went over to %1.")
    elif event.result == "failed":
        text = QCoreApplication.translate(
            "WindowText", "The transfer to %1 did not work (%2); the call is yours again."
        )
    else:
        text = QCoreApplication.translate(
            "WindowText", "Whether the transfer to %1 worked is not known (%2)."
        )
    why = f"{event.status_code} {event.reason}".strip()
    return text.replace("%1", to).replace("%2", why)
