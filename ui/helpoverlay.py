"""The keyboard overlay (F1): every action with its shortcut, over the window until dismissed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from ui.retranslate import retranslated


class HelpOverlay(QFrame):
    """Covers its parent; F1 or Escape (the window's actions) or a click close it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        retranslated(self, lambda: self.setAccessibleName(self.tr("Keyboard shortcuts")))
        self.table = QLabel(self)
        self.table.setObjectName("helpTable")
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.hide)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hide()

    def show_actions(self, actions: Sequence[QAction], extra: Sequence[tuple[str, str]]) -> None:
        """List `actions` and `extra` (keys, what) and cover the parent."""
        rows = [
            (a.shortcut().toString(QKeySequence.SequenceFormat.NativeText), a.toolTip())
            for a in actions
        ]
        cells = "".join(
            f"<tr><td align='right'><b>{escape(keys)}</b></td><td>{escape(what)}</td></tr>"
            for keys, what in [*rows, *extra]
        )
        title = escape(self.tr("Keyboard shortcuts"))
        close = escape(self.tr("F1 or Escape closes this."))
        self.table.setText(f"<h2>{title}</h2><table cellspacing='6'>{cells}</table><p>{close}</p>")
        self.table.setAccessibleDescription(self.table.text())
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        """A click anywhere closes it."""
        self.hide()
