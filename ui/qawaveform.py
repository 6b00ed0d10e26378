"""The QA player's waveform: a lane per party, the timeline's marks, the playhead, a selection.

Peaks (the least and greatest sample of each column) are computed once per width with numpy and
cached, so a repaint only draws lines. A click seeks, a drag selects a part (for export).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from softphone.recordings.timeline import GATE_KINDS, Mark, MarkKind, Timeline

LANES = ("agent", "customer")
MARK_COLOURS = {
    MarkKind.DISCLOSURE: QColor("#2e7d32"),
    MarkKind.HOLD: QColor("#c62828"),
    MarkKind.PAUSE: QColor("#ef6c00"),
    MarkKind.GATE_OPENED: QColor("#9e9e9e"),
    MarkKind.GATE_CLOSED: QColor("#9e9e9e"),
    MarkKind.INTERRUPTION: QColor("#6a1b9a"),
}
FLAG_PX = 16
FLAG_ROWS = 2  # flags that would overlap go to the next row
RULER_PX = FLAG_PX * FLAG_ROWS  # the strip under the lanes where the marks' flags stand
DRAG_PX = 4  # a press that moves less than this is a click


def peaks(samples: npt.NDArray[np.int16], columns: int) -> npt.NDArray[np.float32]:
    """Per column and channel, the least and greatest sample in -1..1: columns x channels x 2."""
    columns = max(1, columns)
    frames = len(samples)
    if frames == 0:
        return np.zeros((columns, samples.shape[1], 2), dtype=np.float32)
    edges = np.linspace(0, frames, columns + 1).astype(np.int64)
    starts = np.minimum(edges[:-1], frames - 1)
    low = np.minimum.reduceat(samples, starts, axis=0).astype(np.float32) / 32768.0
    high = np.maximum.reduceat(samples, starts, axis=0).astype(np.float32) / 32768.0
    return np.stack([low, high], axis=2)


class Waveform(QWidget):
    """Draws one recording; `seek_requested(s)` on a click, `selected(start, end)` on a drag."""

    seek_requested = Signal(float)
    selected = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qaWaveform")
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(self.tr("Waveform of the agent and the customer"))
        self._samples = np.zeros((0, 2), dtype=np.int16)
        self._rate = 16000
        self._timeline: Timeline | None = None
        self._cache: tuple[int, npt.NDArray[np.float32]] | None = None
        self.position_s = 0.0
        self.selection: tuple[float, float] | None = None
        self.muted = [False, False]
        self._pressed_x: float | None = None

    def show_recording(
        self, samples: npt.NDArray[np.int16], rate: int, timeline: Timeline | None
    ) -> None:
        """Draw `samples` (frames x 2) and `timeline`'s marks; the old peaks are dropped."""
        self._samples, self._rate, self._timeline = samples, rate, timeline
        self._cache = None
        self.position_s, self.selection = 0.0, None
        self.update()

    @property
    def duration_s(self) -> float:
        """The length of the audio drawn."""
        if len(self._samples):
            return len(self._samples) / self._rate
        return self._timeline.duration_s if self._timeline else 0.0

    def peaks(self) -> npt.NDArray[np.float32]:
        """The peaks for the current width, computed once per width."""
        width = max(1, self.width())
        if self._cache is None or self._cache[0] != width:
            self._cache = (width, peaks(self._samples, width))
        return self._cache[1]

    def set_position(self, at_s: float) -> None:
        """Move the playhead."""
        self.position_s = at_s
        self.update()

    def x_of(self, at_s: float) -> float:
        """The x coordinate of `at_s` into the audio."""
        duration = self.duration_s
        return 0.0 if duration <= 0 else at_s / duration * self.width()

    def time_at(self, x: float) -> float:
        """The position in the audio under x."""
        return min(max(x / max(1, self.width()), 0.0), 1.0) * self.duration_s

    def marks(self) -> tuple[Mark, ...]:
        """The marks drawn (none without a timeline)."""
        return self._timeline.marks if self._timeline else ()

    # --- painting and the mouse ----------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """Lanes, selection, marks, playhead."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        lane_h = (self.height() - RULER_PX) / 2
        if len(self._samples):
            found = self.peaks()
            for lane in range(2):
                self._lane(painter, found[:, lane], lane * lane_h, lane_h, self.muted[lane])
        painter.setPen(self.palette().text().color())
        for lane, name in enumerate(LANES):
            painter.drawText(QPointF(4, lane * lane_h + 14), self._lane_name(name))
        if self.selection is not None:
            left, right = (self.x_of(s) for s in self.selection)
            painter.fillRect(QRectF(left, 0, right - left, 2 * lane_h), QColor(30, 136, 229, 60))
        rows = [-1.0] * FLAG_ROWS  # the right edge of the last flag in each row
        for mark in self.marks():
            self._mark(painter, mark, 2 * lane_h, rows)
        painter.setPen(QPen(self.palette().highlight().color(), 2))
        x = self.x_of(self.position_s)
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.end()

    def _lane_name(self, name: str) -> str:
        return self.tr("Agent") if name == "agent" else self.tr("Customer")

    def _lane(
        self,
        painter: QPainter,
        found: npt.NDArray[np.float32],
        top: float,
        height: float,
        muted: bool,
    ) -> None:
        middle, half = top + height / 2, height / 2 - 2
        colour = QColor("#90a4ae") if muted else QColor("#1565c0")
        painter.setPen(QPen(colour, 1))
        for x, (low, high) in enumerate(found):
            painter.drawLine(
                QPointF(x + 0.5, middle - float(high) * half),
                QPointF(x + 0.5, middle - float(low) * half),
            )

    def _mark(self, painter: QPainter, mark: Mark, bottom: float, rows: list[float]) -> None:
        colour = MARK_COLOURS[mark.kind]
        x = self.x_of(mark.at_s)
        if mark.kind in GATE_KINDS:
            painter.setPen(QPen(colour, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, 0), QPointF(x, bottom))
            return
        text = self.flag_text(mark)
        width = painter.fontMetrics().horizontalAdvance(text) + 10
        row = next((r for r, edge in enumerate(rows) if edge < x), len(rows) - 1)
        rows[row] = x + width
        top = bottom + row * FLAG_PX
        painter.setPen(QPen(colour, 3 if mark.gap_s > 0 else 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, top + FLAG_PX))
        flag = QRectF(x + 1, top + 1, width, FLAG_PX - 2)
        painter.fillRect(flag, colour)
        painter.setPen(QColor("white"))
        painter.drawText(flag, Qt.AlignmentFlag.AlignCenter, text)

    def flag_text(self, mark: Mark) -> str:
        """The few words on a mark's flag."""
        if mark.kind is MarkKind.HOLD:
            return self.tr("hold %1 s").replace("%1", f"{mark.gap_s:.1f}")
        if mark.kind is MarkKind.PAUSE:
            return self.tr("pause %1 s").replace("%1", f"{mark.gap_s:.1f}")
        if mark.kind is MarkKind.DISCLOSURE:
            return self.tr("disclosure")
        return self.tr("interrupted")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        """Start a click or a drag."""
        self._pressed_x = event.position().x()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        """Stretch the selection while dragging."""
        if self._pressed_x is None or abs(event.position().x() - self._pressed_x) < DRAG_PX:
            return
        ends = sorted((self.time_at(self._pressed_x), self.time_at(event.position().x())))
        self.selection = (ends[0], ends[1])
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        """A click seeks; a drag ends its selection."""
        if self._pressed_x is None:
            return
        moved = abs(event.position().x() - self._pressed_x) >= DRAG_PX
        self._pressed_x = None
        if moved and self.selection is not None:
            self.selected.emit(*self.selection)
        else:
            self.selection = None
            self.seek_requested.emit(self.time_at(event.position().x()))
        self.update()
