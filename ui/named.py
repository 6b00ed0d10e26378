"""`named(widget, name)`: a widget with the object name tests and the style sheet find it by."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """`widget`, its object name set to `name`."""
    widget.setObjectName(name)
    return widget
