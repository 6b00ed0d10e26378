"""Past calls, from a source the app chooses (the store); by default this session's own."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from softphone.calls.snapshot import CallEnded
from softphone.vocabulary.events import CallDirection
from ui.callwords import duration
from ui.party import party
from ui.retranslate import retranslated


@dataclass(frozen=True)
class PastCall:
    """One finished call as the history shows it."""

    started_at: float  # Unix time
    direction: CallDirection
    remote_uri: str
    duration_s: float  # 0 for a call never answered
    recording: str | None  # the recording's audio file, if one was made


def past_call(ended: CallEnded) -> PastCall:
    """The history's entry for a call the desk says ended."""
    call = ended.call
    end = call.ended_at or call.created_at
    return PastCall(
        call.created_at, call.direction, call.remote_uri, call.duration_s(end), call.recording
    )


class HistoryPanel(QListWidget):
    """Newest first: when, which way, who, how long, whether it was recorded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history")
        retranslated(self, lambda: self.setAccessibleName(self.tr("Call history")))

    def show_calls(self, calls: Sequence[PastCall]) -> None:
        """Show `calls` (any order; shown newest first)."""
        self.clear()
        for call in sorted(calls, key=lambda c: c.started_at, reverse=True):
            when = time.strftime("%H:%M", time.localtime(call.started_at))
            way = "↙" if call.direction is CallDirection.INBOUND else "↗"
            length = duration(call.duration_s) if call.duration_s else self.tr("not answered")
            recorded = self.tr("recorded") if call.recording else self.tr("not recorded")
            # Two lines: a narrow column shows whether it was recorded, not only who it was.
            text = f"{when}  {way}  {party(call.remote_uri).label}\n{length} · {recorded}"
            item = QListWidgetItem(text, self)
            item.setData(Qt.ItemDataRole.UserRole, call.recording)
            item.setToolTip(call.recording or "")
