"""A small inline question (a pause's reason, a transfer's target), answered with Enter."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from ui.retranslate import retranslated

Answer = Callable[[str], bool]
"""Takes what was typed; True when it was used (the prompt closes), False to keep asking."""


class InlinePrompt(QFrame):
    """A question, a field, OK and Cancel; Enter answers, Escape cancels. Hidden until asked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inlinePrompt")
        self.question = QLabel(self)
        self.field = QLineEdit(self)
        self.ok = QPushButton(self)
        self.cancel = QPushButton(self)
        retranslated(self, self._retranslate)
        self.question.setBuddy(self.field)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.question)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.ok)
        layout.addWidget(self.cancel)
        self._answer: Answer | None = None
        self.field.returnPressed.connect(self.submit)
        self.ok.clicked.connect(self.submit)
        self.cancel.clicked.connect(self.dismiss)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.dismiss)
        self.hide()

    def _retranslate(self) -> None:
        self.ok.setText(self.tr("OK"))
        self.cancel.setText(self.tr("Cancel"))
        self.ok.setAccessibleName(self.tr("Confirm"))
        self.cancel.setAccessibleName(self.tr("Cancel the question"))

    def ask(self, question: str, answer: Answer, *, placeholder: str = "") -> None:
        """Show `question` and give the field the keyboard; `answer` gets what is typed."""
        self._answer = answer
        self.question.setText(question)
        self.field.setAccessibleName(question)
        self.field.setPlaceholderText(placeholder)
        self.field.clear()
        self.show()
        self.field.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def asking(self) -> bool:
        """Whether a question is open."""
        return self._answer is not None

    def submit(self) -> None:
        """Hand what was typed to the question's answer; close if it was taken."""
        if self._answer is not None and self._answer(self.field.text().strip()):
            self.dismiss()

    def dismiss(self) -> None:
        """Close the question without an answer."""
        self._answer = None
        self.field.clear()
        self.hide()
