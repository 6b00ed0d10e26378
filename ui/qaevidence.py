"""The QA view's evidence: the disclosure, the integrity verdict, the marks, the audit trail."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.recordings.timeline import DisclosureVerdict, Mark, MarkKind, Timeline
from ui.named import named
from ui.qaplayer import clock

SKIPPED = {"seq", "at", "by", "event", "recording", "prev", "sha256"}  # shown apart, or noise


def utc(at: float | None) -> str:
    """A Unix time as the QA guide writes it (UTC), or a dash."""
    return "-" if at is None else time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(at))


class EvidencePanel(QWidget):
    """What the recording proves; `seek_requested(s)` when a mark in the list is activated."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qaEvidence")
        self.fields: dict[str, QLabel] = {}
        disclosure = QGroupBox(self.tr("Disclosure"))
        form = QFormLayout(disclosure)
        rows = {
            "id": self.tr("Id"),
            "language": self.tr("Language"),
            "purpose": self.tr("Purpose"),
            "played": self.tr("Played"),
            "packets": self.tr("RTP packets"),
            "sha256": self.tr("SHA-256"),
        }
        for key, title in rows.items():
            label = named(QLabel(), f"qaDisclosure_{key}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(title, label)
            self.fields[key] = label
        self.integrity = named(QLabel(), "qaIntegrity")
        self.integrity.setWordWrap(True)
        self.marks = named(QListWidget(), "qaMarks")
        self.marks.setAccessibleName(self.tr("Marks on the timeline"))
        self.marks.itemActivated.connect(self._mark_chosen)
        self.trail = named(QListWidget(), "qaTrail")
        self.trail.setAccessibleName(self.tr("Audit trail of this recording"))
        layout = QVBoxLayout(self)
        layout.addWidget(disclosure)
        layout.addWidget(QLabel(self.tr("Integrity")))
        layout.addWidget(self.integrity)
        layout.addWidget(QLabel(self.tr("Marks")))
        layout.addWidget(self.marks, 1)
        layout.addWidget(QLabel(self.tr("Audit trail")))
        layout.addWidget(self.trail, 1)

    def show_evidence(self, timeline: Timeline, answered_at: float | None) -> None:
        """The disclosure and the marks of `timeline` (call answered at `answered_at`)."""
        told = timeline.disclosure
        start = told.call_start_s
        when = utc(None if start is None or answered_at is None else answered_at + start)
        if told.call_start_s is not None and told.call_end_s is not None:
            length = told.call_end_s - told.call_start_s
            when += "  " + self.tr("(%1 s after the answer, for %2 s)").replace(
                "%1", f"{told.call_start_s:.1f}"
            ).replace("%2", f"{length:.1f}")
        verdict = {
            DisclosureVerdict.MATCHES: self.tr("matches the policy's disclosure audio"),
            DisclosureVerdict.DIFFERS: self.tr("DIFFERS from the policy's disclosure audio"),
            DisclosureVerdict.UNKNOWN: self.tr("no disclosure of this id in the policy here"),
        }[told.verdict]
        packets = "-" if told.rtp_packets_sent is None else str(told.rtp_packets_sent)
        values = {
            "id": told.id,
            "language": told.language,
            "purpose": told.purpose,
            "played": when,
            "packets": packets,
            "sha256": f"{told.sha256} ({verdict})",
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        self.marks.clear()
        for mark in timeline.marks:
            call = "" if mark.call_start_s is None else f"  [{clock(mark.call_start_s)}]"
            item = QListWidgetItem(f"{clock(mark.at_s)}{call}  {self.mark_text(mark, timeline)}")
            item.setData(Qt.ItemDataRole.UserRole, mark.at_s)
            self.marks.addItem(item)

    def mark_text(self, mark: Mark, timeline: Timeline) -> str:
        """What a mark stands for, in the reviewer's language (the metadata's words kept)."""
        gap = f"{mark.gap_s:.1f}"
        if mark.kind is MarkKind.DISCLOSURE:
            told = timeline.disclosure
            text = self.tr("disclosure %1 (%2): %3").replace("%1", told.id)
            return text.replace("%2", told.language).replace("%3", told.purpose)
        if mark.kind is MarkKind.HOLD:
            text = self.tr("hold (%1), %2 s not recorded").replace("%1", mark.detail)
            return text.replace("%2", gap)
        if mark.kind is MarkKind.PAUSE:
            reason = mark.detail or self.tr("no reason given")
            text = self.tr("privacy pause by %1: %2, %3 s not recorded")
            return text.replace("%1", mark.by or "?").replace("%2", reason).replace("%3", gap)
        if mark.kind is MarkKind.GATE_OPENED:
            return self.tr("recording opened: %1").replace("%1", mark.detail)
        if mark.kind is MarkKind.GATE_CLOSED:
            return self.tr("recording closed: %1").replace("%1", mark.detail)
        return self.tr("interrupted: %1").replace("%1", mark.detail)

    def show_integrity(self, verdict: str, problem: bool) -> None:
        """The audio's integrity check, in words; a problem is shown as one."""
        self.integrity.setText(verdict)
        self.integrity.setProperty("problem", problem)
        self.integrity.setStyleSheet("color: #c62828; font-weight: bold;" if problem else "")

    def show_trail(self, entries: list[dict[str, Any]]) -> None:
        """Every audit-trail entry about this recording, oldest first."""
        self.trail.clear()
        for entry in entries:
            extra = ", ".join(f"{k} {v}" for k, v in sorted(entry.items()) if k not in SKIPPED)
            at = float(entry.get("at", 0))
            self.trail.addItem(f"{utc(at)}  {entry.get('event')}  {entry.get('by')}  {extra}")

    def clear(self) -> None:
        """Nothing shown (no recording chosen)."""
        for label in self.fields.values():
            label.clear()
        self.integrity.clear()
        self.marks.clear()
        self.trail.clear()

    def _mark_chosen(self, item: QListWidgetItem) -> None:
        self.seek_requested.emit(float(item.data(Qt.ItemDataRole.UserRole)))
