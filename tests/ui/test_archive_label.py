"""The window says "archive unreachable, N waiting" quietly, and nothing when all is well."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from softphone.app.archiving import archive_state, flush
from softphone.config.schema import ArchivePolicy
from softphone.recordings.spool import Spool
from tests.integration.archivedata import CREDENTIAL_ENV, record
from ui.archivelabel import ArchiveLabel


def test_the_label_shows_an_unreachable_archive_and_hides_when_it_took_everything(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CREDENTIAL_ENV.items():
        monkeypatch.setenv(name, value)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    label = ArchiveLabel(lambda: archive_state(tmp_path))
    qtbot.addWidget(label)
    assert label.isHidden() and label.text() == ""
    record(tmp_path, "waits-1")
    record(tmp_path, "waits-2")
    nobody = ArchivePolicy(bucket="cc-rec", endpoint=f"http://127.0.0.1:{port}")
    assert not flush(tmp_path, nobody, 1.0).ok  # nothing listens there: a real refusal
    label.refresh()
    assert not label.isHidden()
    assert label.text() == "archive unreachable, 2 waiting"
    assert "does not answer" in label.toolTip()
    # The archive took both (as an upload would leave the spool): the label goes quiet.
    for entry in Spool(tmp_path).entries():
        Spool(tmp_path).remove(entry.recording)
    state = Spool(tmp_path).state()
    state.last_error = state.last_cause = None
    Spool(tmp_path).save_state(state)
    label.refresh()
    assert label.isHidden()
