"""The recording states' icons, painted in a given colour so they work without an icon theme."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

SIZE = 48  # painted once at this size; Qt scales it down for each use


def state_icon(name: str, colour: str) -> QIcon:
    """The icon named like its freedesktop counterpart (`media-record`, ...), in `colour`."""
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(colour), 4))
    painter.setBrush(QColor(colour))
    _SHAPES.get(name, _stop)(painter)
    painter.end()
    return QIcon(pixmap)


def _poly(*points: tuple[float, float]) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in points])


def _record(p: QPainter) -> None:
    p.drawEllipse(QRectF(8, 8, 32, 32))


def _speaker(p: QPainter) -> None:
    p.drawPolygon(_poly((6, 18), (14, 18), (24, 9), (24, 39), (14, 30), (6, 30)))
    p.setBrush(Qt.BrushStyle.NoBrush)
    for inset in (0, 7):
        p.drawArc(
            QRectF(16 + inset, 12 + inset, 26 - 2 * inset, 24 - 2 * inset), -50 * 16, 100 * 16
        )


def _pause(p: QPainter) -> None:
    p.drawRect(QRectF(12, 9, 8, 30))
    p.drawRect(QRectF(28, 9, 8, 30))


def _shield(p: QPainter) -> None:
    path = QPainterPath()
    path.moveTo(24, 5)
    path.lineTo(40, 11)
    path.cubicTo(40, 28, 33, 37, 24, 43)
    path.cubicTo(15, 37, 8, 28, 8, 11)
    path.closeSubpath()
    p.drawPath(path)


def _arrow(p: QPainter) -> None:
    p.drawPolygon(_poly((6, 19), (26, 19), (26, 10), (42, 24), (26, 38), (26, 29), (6, 29)))


def _warning(p: QPainter) -> None:
    p.drawPolygon(_poly((24, 5), (44, 41), (4, 41)))
    p.setPen(QPen(QColor("white"), 5, c=Qt.PenCapStyle.RoundCap))
    p.drawLine(QPointF(24, 18), QPointF(24, 29))
    p.drawPoint(QPointF(24, 36))


def _stop(p: QPainter) -> None:
    p.drawRect(QRectF(11, 11, 26, 26))


_SHAPES = {
    "media-record": _record,
    "audio-volume-high": _speaker,
    "media-playback-pause": _pause,
    "security-high": _shield,
    "go-next": _arrow,
    "dialog-warning": _warning,
    "media-playback-stop": _stop,
}
