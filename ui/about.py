"""Help > About: which softphone this is (pyproject.toml's version), for support and acceptance."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from softphone import __version__


def about_text() -> str:
    """The About box's words, in the language installed now."""
    name = QCoreApplication.translate("About", "Softphone %1").replace("%1", __version__)
    what = QCoreApplication.translate(
        "About", "Hold-aware contact-centre softphone: disclosure first, nothing recorded on hold."
    )
    return f"{name}\n\n{what}"


def about_box(parent: QWidget) -> QMessageBox:
    """A window-modal About box; the caller opens it."""
    box = QMessageBox(
        QMessageBox.Icon.Information,
        QCoreApplication.translate("About", "About Softphone"),
        about_text(),
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("aboutBox")
    return box
