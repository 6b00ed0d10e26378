"""The one recording state a call shows, from its snapshot: kind, colour, icon name and words.

The order of the checks is the order of what the agent must know first: a call being recorded
says so; one that will not be (or no longer can be) says why before anything else, because a
pause that will never end in a recording must not look like a pause; then what keeps the gate
closed for now (not answered, a transfer, a hold of either side, a privacy pause, the disclosure).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from softphone.calls.snapshot import CallSnapshot, DisclosureState

# The problems the call model raises when a call cannot be (or can no longer be) recorded,
# by their opening words (calls/setup.py, calls/session.py).
_NOT_RECORDED_OPENINGS = (
    "nothing will be recorded: ",
    "nothing was recorded: ",
    "recording stopped: ",
)
_NOT_RECORDED_ANYWHERE = "nothing more is recorded"  # a resume the customer's side refused
_WRITER_FAILED = "recording writer failed"  # a gate blocker (calls/gate.py)


class RecordingKind(enum.Enum):
    """The closed set of recording states a window shows."""

    WAITING = "waiting"  # not recording yet: not answered, or the call's audio not back yet
    DISCLOSURE = "disclosure"  # the customer hears the recording notice
    RECORDING = "recording"
    ON_HOLD = "on-hold"  # paused: the agent or the customer holds the call
    PRIVACY = "privacy"  # paused by the agent for privacy; the call goes on
    TRANSFERRING = "transferring"  # the agent is handing the call on
    NOT_RECORDED = "not-recorded"  # this call is not (or no longer) recorded, and why


@dataclass(frozen=True)
class RecordingView:
    """What to show: a colour (for a white label on it), a theme icon name, words and detail."""

    kind: RecordingKind
    colour: str  # "#rrggbb"; each has at least 4.5:1 contrast with white text
    icon: str  # a freedesktop icon name
    words: str  # short, the badge's main line
    detail: str  # one sentence: why, or what happens next
    progress: int | None = None  # the disclosure's progress in percent, while it plays

    @property
    def announcement(self) -> str:
        """What a screen reader says when the state changes."""
        return f"{self.words}. {self.detail}" if self.detail else self.words


STATE_STYLE: dict[RecordingKind, tuple[str, str]] = {
    # kind: (colour, icon); each colour has at least 4.5:1 contrast with white text
    RecordingKind.WAITING: ("#546e7a", "media-playback-stop"),
    RecordingKind.DISCLOSURE: ("#1565c0", "audio-volume-high"),
    RecordingKind.RECORDING: ("#c62828", "media-record"),
    RecordingKind.ON_HOLD: ("#a04900", "media-playback-pause"),
    RecordingKind.PRIVACY: ("#6a1b9a", "security-high"),
    RecordingKind.TRANSFERRING: ("#00695c", "go-next"),
    RecordingKind.NOT_RECORDED: ("#37474f", "dialog-warning"),
}


def _view(
    kind: RecordingKind, words: str, detail: str, progress: int | None = None
) -> RecordingView:
    colour, icon = STATE_STYLE[kind]
    return RecordingView(kind, colour, icon, words, detail, progress)


def recording_view(call: CallSnapshot) -> RecordingView:
    """The recording state to show for `call`."""
    if call.recording_open:
        return _view(
            RecordingKind.RECORDING,
            QCoreApplication.translate("RecordingState", "Recording"),
            QCoreApplication.translate("RecordingState", "Both sides are recorded."),
        )
    why_not = not_recorded_reason(call)
    if why_not is not None:
        return _view(
            RecordingKind.NOT_RECORDED,
            QCoreApplication.translate("RecordingState", "Not recorded"),
            why_not,
        )
    if not call.answered:
        return _view(
            RecordingKind.WAITING,
            QCoreApplication.translate("RecordingState", "Not recording yet"),
            QCoreApplication.translate("RecordingState", "The call is not answered yet."),
        )
    if call.transferring:
        return _view(
            RecordingKind.TRANSFERRING,
            QCoreApplication.translate("RecordingState", "Not recording: transferring"),
            QCoreApplication.translate("RecordingState", "The call is being handed on."),
        )
    if call.local_hold or call.remote_hold:
        return _view(
            RecordingKind.ON_HOLD,
            QCoreApplication.translate("RecordingState", "Paused: on hold"),
            _hold_detail(call),
        )
    if call.privacy_paused:
        return _view(
            RecordingKind.PRIVACY,
            QCoreApplication.translate("RecordingState", "Paused for privacy"),
            QCoreApplication.translate(
                "RecordingState", "Nothing is recorded until you resume the recording."
            ),
        )
    if call.disclosure is DisclosureState.PLAYING:
        played, total = call.disclosure_frames
        percent = played * 100 // total if total else 0
        return _view(
            RecordingKind.DISCLOSURE,
            QCoreApplication.translate("RecordingState", "Disclosure playing"),
            QCoreApplication.translate(
                "RecordingState",
                "The customer hears the recording notice; recording starts after it.",
            ),
            percent,
        )
    return _view(
        RecordingKind.WAITING,
        QCoreApplication.translate("RecordingState", "Not recording yet"),
        QCoreApplication.translate(
            "RecordingState", "Waiting for the call's audio to be confirmed."
        ),
    )


def not_recorded_reason(call: CallSnapshot) -> str | None:
    """Why this call is not (or no longer) recorded, in the call model's words; else None."""
    for problem in call.problems:
        for opening in _NOT_RECORDED_OPENINGS:
            if problem.startswith(opening):
                return _sentence(problem.removeprefix(opening))
        if _NOT_RECORDED_ANYWHERE in problem:
            return _sentence(problem)
    if _WRITER_FAILED in call.recording_blockers:
        return QCoreApplication.translate("RecordingState", "The recording could not be written.")
    if call.disclosure is DisclosureState.FAILED:
        return QCoreApplication.translate("RecordingState", "The disclosure could not be played.")
    return None


def _hold_detail(call: CallSnapshot) -> str:
    if call.local_hold and call.remote_hold:
        return QCoreApplication.translate(
            "RecordingState", "Both sides hold the call; recording resumes when it is taken back."
        )
    if call.local_hold:
        return QCoreApplication.translate(
            "RecordingState", "You hold the call; recording resumes when you take it back."
        )
    return QCoreApplication.translate(
        "RecordingState",
        "The customer's side holds the call; recording resumes when it comes back.",
    )


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
