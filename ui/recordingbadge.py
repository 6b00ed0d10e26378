"""The recording state of a call, unmistakable: colour, icon and words, read out on change."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QWidget

from ui.announce import announce
from ui.recordingstate import RecordingView
from ui.retranslate import retranslated
from ui.stateicons import state_icon

ICON_PX = 36


class RecordingBadge(QFrame):
    """A coloured block; `show_view(None)` when there is no call to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingBadge")
        self.icon = QLabel(self)
        self.words = QLabel(self)
        self.words.setObjectName("recordingWords")
        self.detail = QLabel(self)
        self.detail.setObjectName("recordingDetail")
        self.detail.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        retranslated(self, lambda: self.progress.setAccessibleName(self.tr("Disclosure progress")))
        self.progress.setTextVisible(False)  # the words say the percentage, on any colour
        layout = QGridLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setHorizontalSpacing(12)
        layout.addWidget(self.icon, 0, 0, 2, 1)
        layout.addWidget(self.words, 0, 1)
        layout.addWidget(self.detail, 1, 1)
        layout.addWidget(self.progress, 2, 0, 1, 2)
        layout.setColumnStretch(1, 1)
        self.view: RecordingView | None = None
        self.show_view(None)

    def show_view(self, view: RecordingView | None) -> None:
        """Show `view`; a change of state (not of progress) is announced to screen readers."""
        last, self.view = self.view, view
        if view is None:
            self._paint("none", "#eceff1", "#37474f")
            self.icon.clear()
            self.words.setText(self.tr("No call"))
            self.detail.setText("")
            self.progress.hide()
            self.setAccessibleName(self.tr("Recording state: no call"))
            self.setAccessibleDescription("")
            return
        self._paint(view.kind.value, view.colour, "#ffffff")
        self.icon.setPixmap(state_icon(view.icon, "#ffffff").pixmap(QSize(ICON_PX, ICON_PX)))
        words = view.words if view.progress is None else f"{view.words} · {view.progress}%"
        self.words.setText(words)
        self.detail.setText(view.detail)
        self.progress.setVisible(view.progress is not None)
        self.progress.setValue(view.progress or 0)
        self.setAccessibleName(self.tr("Recording state: %1").replace("%1", view.words))
        self.setAccessibleDescription(view.detail)
        if last is None or (last.kind, last.words) != (view.kind, view.words):
            announce(self, view.announcement, urgent=True)

    def _paint(self, state: str, background: str, text: str) -> None:
        self.setProperty("recordingState", state)
        self.setStyleSheet(
            f"#recordingBadge {{ background: {background}; border-radius: 8px; }}"
            f"#recordingBadge QLabel {{ color: {text}; background: transparent; }}"
            "#recordingBadge QProgressBar { background: rgba(255, 255, 255, 70); border: none;"
            " border-radius: 3px; max-height: 6px; }"
            "#recordingBadge QProgressBar::chunk { background: white; border-radius: 3px; }"
        )
