"""One editor per user preference, read back as a preference value; locked ones shown locked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from softphone.config.resolve import Settings
from softphone.config.schema import PreferenceValue

LOCK_PX = 18


@dataclass
class Field:
    """A preference's row: its editor, how to read it back, and whether the admin locked it."""

    key: str
    row: QWidget
    editor: QWidget
    read: Callable[[], PreferenceValue]
    locked: bool = False


def choice_field(
    key: str, options: Sequence[tuple[str, str]], current: str, parent: QWidget
) -> Field:
    """A list of (value, label); a current value not among them is kept, shown as it is."""
    row = QWidget(parent)
    combo = QComboBox(row)
    for value, label in options:
        combo.addItem(label, value)
    if combo.findData(current) < 0:
        combo.addItem(current, current)
    combo.setCurrentIndex(combo.findData(current))
    return _field(key, row, combo, lambda: str(combo.currentData()))


def flag_field(key: str, label: str, current: bool, parent: QWidget) -> Field:
    """A check box."""
    row = QWidget(parent)
    box = QCheckBox(label, row)
    box.setChecked(current)
    return _field(key, row, box, box.isChecked)


def path_field(key: str, current: Path, parent: QWidget) -> Field:
    """An absolute path, typed."""
    row = QWidget(parent)
    line = QLineEdit(str(current), row)
    return _field(key, row, line, lambda: Path(line.text().strip()))


def _field(key: str, row: QWidget, editor: QWidget, read: Callable[[], PreferenceValue]) -> Field:
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(editor, 1)
    editor.setObjectName(key)
    return Field(key, row, editor, read)


def lock(field: Field, settings: Settings) -> None:
    """Show `field` as locked by the admin: disabled, a padlock, the policy in its tooltip."""
    source = settings.policy.source
    if source is None:
        where = QCoreApplication.translate("PreferenceFields", "the built-in policy")
    else:
        where = QCoreApplication.translate("PreferenceFields", "policy %1").replace(
            "%1", str(source)
        )
    why = QCoreApplication.translate("PreferenceFields", "Locked by your administrator (%1).")
    why = why.replace("%1", where)
    field.locked = True
    field.editor.setEnabled(False)
    field.editor.setToolTip(why)
    field.editor.setAccessibleDescription(why)
    padlock = QLabel(field.row)
    padlock.setObjectName("lockIcon")
    padlock.setPixmap(lock_pixmap())
    padlock.setToolTip(why)
    padlock.setAccessibleName(QCoreApplication.translate("PreferenceFields", "Locked"))
    padlock.setAccessibleDescription(why)
    layout = field.row.layout()
    assert isinstance(layout, QHBoxLayout)
    layout.insertWidget(0, padlock)


def lock_pixmap(colour: str = "#546e7a") -> QPixmap:
    """A padlock, painted so it needs no icon theme."""
    scale = 4  # painted large and scaled down, for smooth edges
    size = LOCK_PX * scale
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(colour), size * 0.11))
    painter.drawArc(QRectF(size * 0.28, size * 0.08, size * 0.44, size * 0.5), 0, 180 * 16)
    for x in (0.28, 0.72):  # the shackle's legs, down into the body
        painter.drawLine(QPointF(size * x, size * 0.33), QPointF(size * x, size * 0.46))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(QRectF(size * 0.14, size * 0.44, size * 0.72, size * 0.5), 6, 6)
    painter.end()
    return pixmap.scaled(
        QSize(LOCK_PX, LOCK_PX),
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
