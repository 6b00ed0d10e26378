"""The window benchmark's reference: a bare PySide6 process showing an empty QMainWindow."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

READY_LINE = "bare window shown; its event loop runs"
SIZE = (980, 680)  # the softphone window's default size


def _say_ready() -> None:
    print(READY_LINE, file=sys.stderr, flush=True)


def main() -> int:
    """Show the window as `ui/app.py` does, say so once the loop has turned, run until killed."""
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(*SIZE)
    window.show()
    QTimer.singleShot(0, window, _say_ready)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
