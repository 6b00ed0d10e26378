"""The QA view: library search and filters, the player's controls and keys, marks, evidence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from softphone.recordings.audit import AuditLog
from softphone.recordings.index import LibraryIndex
from softphone.recordings.timeline import MarkKind
from tests.ui.qarig import DISCLOSURE_SHA, Library, PacedOutput, make_library
from tests.unit.test_recording_sealed import QA
from tests.unit.test_recordings_play import SECONDS
from ui.qawindow import QaSetup, QaWindow

Keys = list[str]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return make_library(tmp_path)


@pytest.fixture
def held_keys() -> Keys:
    return []  # no QA key in the "keyring" unless a test puts one there


@pytest.fixture
def output() -> PacedOutput:
    return PacedOutput()


@pytest.fixture
def view(
    qtbot: QtBot, library: Library, output: PacedOutput, held_keys: Keys, tmp_path: Path
) -> Iterator[QaWindow]:
    setup = QaSetup(
        library.root,
        LibraryIndex(library.root, tmp_path / "index.sqlite"),
        output,
        lambda: held_keys,
        {"d": DISCLOSURE_SHA},
        choose_export=lambda _parent, name: tmp_path / name,
    )
    window = QaWindow(setup)
    qtbot.addWidget(window)
    window.refresh()
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def _trail(library: Library, rid: str) -> list[dict[str, object]]:
    return [e.data for e in AuditLog.of(library.root).entries() if e.recording == rid]


def test_the_list_searches_as_you_type_and_sorts(
    qtbot: QtBot, view: QaWindow, library: Library
) -> None:
    shown = view.library.shown_ids
    assert sorted(shown()) == sorted([library.plain, library.sealed, library.altered])
    assert shown()[0] == library.altered  # newest first
    QTest.keyClicks(view.library.text, "31609")
    qtbot.waitUntil(lambda: shown() == [library.sealed])
    view.library.text.clear()
    qtbot.waitUntil(lambda: len(shown()) == 3)
    view.library.direction.setCurrentIndex(1)  # inbound
    qtbot.waitUntil(lambda: sorted(shown()) == sorted([library.plain, library.altered]))
    view.library.direction.setCurrentIndex(0)
    QTest.keyClicks(view.library.text, "card")  # a pause reason: every recording has one
    qtbot.waitUntil(lambda: len(shown()) == 3)
    view.library.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert shown()[0] == library.plain
    audio = {view.library.model.item(r, 8).text() for r in range(3)}
    assert audio == {"sealed", "plain WAV"}


def test_a_recording_shows_its_evidence_and_marks(view: QaWindow, library: Library) -> None:
    view.open_recording(library.plain)
    fields = view.evidence.fields
    assert fields["id"].text() == "d" and fields["purpose"].text() == "quality"
    assert fields["packets"].text() == "50"
    assert "matches the policy's disclosure audio" in fields["sha256"].text()
    assert fields["played"].text().startswith("2026-11-24 09:31:12Z")
    assert view.evidence.integrity.text().startswith("Intact")
    marks = [view.evidence.marks.item(i).text() for i in range(view.evidence.marks.count())]
    assert any("hold (local), 4.0 s not recorded" in m for m in marks)
    assert any("hold (remote), 2.0 s not recorded" in m for m in marks)
    assert any("privacy pause by agent7: card number, 1.5 s" in m for m in marks)
    waveform = view.player.waveform
    gaps = [(m.kind, m.at_s, m.gap_s) for m in waveform.marks() if m.gap_s > 0]
    hold, pause = MarkKind.HOLD, MarkKind.PAUSE
    assert gaps == [(hold, 1.0, 4.0), (hold, 2.0, 2.0), (pause, 2.5, 1.5)]
    assert waveform.x_of(1.0) == pytest.approx(waveform.width() / SECONDS)
    assert waveform.peaks().shape == (waveform.width(), 2, 2)
    assert [e["event"] for e in _trail(library, library.plain)] == ["finalised"]
    assert "finalised" in view.evidence.trail.item(0).text()


def test_space_plays_and_pauses_and_what_was_heard_is_audited(
    view: QaWindow, library: Library, output: PacedOutput
) -> None:
    view.open_recording(library.plain)
    player = view.player
    player.setFocus()
    QTest.keyClick(player, Qt.Key.Key_Space)
    assert view.playback.playing and output.opened == 1 and output.queued > 0
    output.hear(output.queued)
    view.playback.tick()
    output.hear(0.1)
    heard = view.playback.position_s
    QTest.keyClick(player, Qt.Key.Key_K)
    assert not view.playback.playing and player.play_button.text() == "Play"
    assert view.playback.position_s == pytest.approx(heard)
    played = _trail(library, library.plain)[-1]
    assert played["event"] == "played" and played["start_s"] == 0.0
    assert played["end_s"] == pytest.approx(heard) and played["speed"] == 1.0
    assert "played" in view.evidence.trail.item(view.evidence.trail.count() - 1).text()


def test_arrows_and_j_l_seek_and_a_click_on_the_waveform_too(
    qtbot: QtBot, view: QaWindow, library: Library
) -> None:
    view.open_recording(library.plain)
    player, playback = view.player, view.playback
    player.setFocus()
    QTest.keyClick(player, Qt.Key.Key_End)
    assert playback.position_s == SECONDS
    QTest.keyClick(player, Qt.Key.Key_Home)
    QTest.keyClick(player, Qt.Key.Key_Right)
    assert playback.position_s == pytest.approx(min(5.0, SECONDS))
    QTest.keyClick(player, Qt.Key.Key_J)
    assert playback.position_s == 0.0
    QTest.keyClick(player, Qt.Key.Key_L)
    assert playback.position_s == SECONDS
    QTest.keyClick(player, Qt.Key.Key_Left)
    assert playback.position_s == 0.0
    waveform = player.waveform
    QTest.mouseClick(waveform, Qt.MouseButton.LeftButton, pos=QPoint(waveform.width() // 2, 40))
    assert playback.position_s == pytest.approx(SECONDS / 2, abs=0.02)
    assert waveform.position_s == pytest.approx(SECONDS / 2, abs=0.02)
    assert player.time.text().startswith("0:01.5 / 0:03.0")


def test_speed_keys_and_mute_change_what_is_played(
    view: QaWindow, library: Library, output: PacedOutput
) -> None:
    view.open_recording(library.plain)
    player = view.player
    player.setFocus()
    for _ in range(3):
        QTest.keyClick(player, Qt.Key.Key_BracketRight)
    assert player.speed.currentData() == 1.75 and view.playback.speed == 1.75
    QTest.keyClick(player, Qt.Key.Key_BracketLeft)
    assert view.playback.speed == 1.5
    player.speed.setCurrentIndex(player.speed.count() - 1)
    assert view.playback.speed == 2.0
    player.mutes[1].setChecked(True)  # the customer
    view.playback.play()
    while view.playback.playing:
        output.hear(output.queued)
        view.playback.tick()
    heard = output.written()
    assert len(heard) / output.rate == pytest.approx(SECONDS / 2, abs=0.1)
    assert float(np.abs(heard[:, 1]).max()) == 0.0 and float(np.abs(heard[:, 0]).max()) > 0.1
    played = _trail(library, library.plain)[-1]
    assert (played["start_s"], played["end_s"], played["speed"]) == (0.0, SECONDS, 2.0)


def test_a_sealed_recording_says_so_without_the_key_and_plays_with_it(
    view: QaWindow, library: Library, held_keys: Keys
) -> None:
    view.open_recording(library.sealed)
    assert "sealed: this recording is encrypted to QA's key" in view.player.message.text()
    assert not view.player.play_button.isEnabled()
    assert view.evidence.fields["id"].text() == "d"  # the metadata is still shown
    assert view.player.waveform.marks()  # and the marks
    held_keys.append(str(QA))
    view.open_recording(library.sealed)  # chosen again, now that the key is there
    assert view.player.play_button.isEnabled()
    assert "decrypted in memory" in view.evidence.integrity.text()


def test_an_altered_recording_is_refused_and_the_rest_still_plays(
    view: QaWindow, library: Library
) -> None:
    view.open_recording(library.altered)
    assert "the file was altered" in view.evidence.integrity.text()
    assert view.evidence.integrity.property("problem") is True
    assert not view.player.play_button.isEnabled()
    view.open_recording(library.plain)
    assert view.player.play_button.isEnabled()


def test_a_selection_dragged_on_the_waveform_is_exported_and_audited(
    view: QaWindow, library: Library, tmp_path: Path
) -> None:
    view.open_recording(library.plain)
    waveform = view.player.waveform
    width = waveform.width()
    QTest.mousePress(waveform, Qt.MouseButton.LeftButton, pos=QPoint(width // 3, 40))
    QTest.mouseMove(waveform, QPoint(2 * width // 3, 40))
    QTest.mouseRelease(waveform, Qt.MouseButton.LeftButton, pos=QPoint(2 * width // 3, 40))
    assert waveform.selection is not None
    QTest.mouseClick(view.player.export_button, Qt.MouseButton.LeftButton)
    name = library.plain.rsplit("/", 1)[-1]
    part = tmp_path / f"{name}-part.wav"
    assert sf.info(part).duration == pytest.approx(SECONDS / 3, abs=0.05)
    exported = _trail(library, library.plain)[-1]
    assert exported["event"] == "exported" and exported["to"] == str(part)
    assert "Exported to" in view.statusBar().currentMessage()


def test_no_sound_output_is_said_and_nothing_plays(
    view: QaWindow, library: Library, output: PacedOutput
) -> None:
    output.refuse = "no audio output found: plug in a headset"
    view.open_recording(library.plain)
    view.player.play_button.click()
    assert not view.playback.playing
    assert view.player.message.text() == "no audio output found: plug in a headset"
    assert _trail(library, library.plain)[-1]["event"] == "finalised"  # nothing was heard
