"""`softphone qa` recovers an interrupted recording before it lists the library."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from softphone.cli.windowcommand import _demo_settings, run_qa
from softphone.config.resolve import Settings
from softphone.recordings.metadata import read_metadata
from softphone.recordings.store import RecordingStore
from softphone.recordings.writer import RecordingWriter
from tests.unit.test_recording_sealed import _frame


def test_the_qa_view_lists_an_interrupted_call_recovered_with_its_length(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store = RecordingStore(tmp_path)
    paths = store.new_recording("c-killed", "inbound", time.time())
    writer = RecordingWriter(paths.partial, print, sync_interval_s=0.1)
    for tick in range(100):
        writer.write(_frame(tick))
    time.sleep(0.3)
    writer.close()  # let go of the file, as a killed process does
    listed: list[int] = []

    def look_and_close() -> None:
        # The view's library as the reviewer first sees it, then the view is closed.
        tables = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        listed.extend(t.model().rowCount() for w in tables for t in w.findChildren(QTableView))
        for window in tables:
            window.close()  # the last window closed ends run_qa's event loop

    QTimer.singleShot(0, look_and_close)
    args = argparse.Namespace(recordings=str(tmp_path))

    def settings_for(_args: argparse.Namespace) -> Settings:
        return _demo_settings(tmp_path)

    assert run_qa(args, settings_for) == 0
    assert listed == [1]
    assert not paths.partial.exists() and paths.audio.exists()
    metadata = read_metadata(paths.metadata)
    assert metadata.status == "interrupted" and metadata.audio.frames == 100 * 320
