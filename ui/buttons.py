"""A button that is an action: text, shortcut, enabled state and accessible name kept as one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolButton, QWidget


def action_button(action: QAction, parent: QWidget, name: str) -> QToolButton:
    """A push-style button for `action`; its accessible name follows the action's text."""
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def follow() -> None:
        button.setAccessibleName(action.text().replace("&", ""))
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        button.setAccessibleDescription(keys)
        button.setToolTip(f"{action.toolTip()} ({keys})" if keys else action.toolTip())

    action.changed.connect(follow)
    follow()
    return button
