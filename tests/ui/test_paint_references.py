"""Painting never costs a reference to None: a Qt binding that leaks one per QPainter call
(PySide6 6.12.0 on Python 3.11) aborts the window after a few thousand paints."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter
from pytestqt.qtbot import QtBot

from ui.qawaveform import Waveform

PAINTS = 200


def _none_references() -> int:
    return sys.getrefcount(None)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_painter_calls_keep_nones_references() -> None:
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        before = _none_references()
        for i in range(1000):
            painter.setPen(QColor("red"))
            painter.drawLine(QPointF(0, i % 64), QPointF(63, i % 64))
        lost = before - _none_references()
    finally:
        painter.end()
    assert lost < 10, f"{lost} references to None lost in 1000 painter calls: a binding bug"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_the_waveform_repaints_without_losing_references(qtbot: QtBot) -> None:
    waveform = Waveform()
    qtbot.addWidget(waveform)
    waveform.resize(640, 160)
    tone = (8000 * np.sin(np.arange(16000 * 10) * 0.1)).astype(np.int16)
    waveform.show_recording(np.stack([tone, tone // 2], axis=1), 16000, None)
    waveform.grab()  # the peaks are computed once, outside the count
    before = _none_references()
    for i in range(PAINTS):
        waveform.set_position(i / PAINTS * 10)
        waveform.grab()
    lost = before - _none_references()
    assert lost < PAINTS, f"{lost} references to None lost in {PAINTS} repaints"
