"""The QA view: the library beside the player and the evidence of the recording chosen.

A recording's audio is opened only through `review.open_recording` (hash-checked; a sealed one
decrypted in memory with the QA keys `keys` gives). One that cannot be opened (sealed without a
key, altered, missing) still shows its metadata, marks and audit trail, and says why it is not
played. Every stretch heard is entered in the audit trail as played; every export as exported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QSplitter, QStatusBar, QWidget

from softphone.config.credentials import KeyringUnavailableError
from softphone.media.replay import AudioOutput
from softphone.recordings.audiofile import AudioIntegrityError, KeySource, SealedAudioError
from softphone.recordings.audit import AuditError, AuditLog
from softphone.recordings.catalog import Entry, find_entry
from softphone.recordings.index import LibraryIndex
from softphone.recordings.review import export_recording, note_played, open_recording
from softphone.recordings.store import recording_id
from softphone.recordings.timeline import Timeline, build_timeline
from ui.qaevidence import EvidencePanel
from ui.qalibrary import Library
from ui.qaplayback import Playback
from ui.qaplayer import PlayerPanel

ExportChooser = Callable[[QWidget, str], Path | None]
"""Asks where an export goes (a file dialog; a fixed path in tests); None: cancelled."""


def ask_for_export(parent: QWidget, suggested: str) -> Path | None:
    """The desktop's save dialog for a WAV export."""
    title = QCoreApplication.translate("QaWindow", "Export to WAV")
    kinds = QCoreApplication.translate("QaWindow", "WAV audio (*.wav)")
    chosen, _ = QFileDialog.getSaveFileName(parent, title, suggested, kinds)
    return Path(chosen) if chosen else None


@dataclass(frozen=True)
class QaSetup:
    """What the QA view works on and with."""

    root: Path
    index: LibraryIndex
    output: AudioOutput
    keys: KeySource
    known_disclosures: Mapping[str, str]  # disclosure id -> SHA-256 of its audio, from the policy
    choose_export: ExportChooser = ask_for_export


class QaWindow(QMainWindow):
    """The library, the player and the evidence panel; see the module docstring."""

    def __init__(self, setup: QaSetup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qaWindow")
        self.setWindowTitle(self.tr("Softphone QA: recordings"))
        self.setup = setup
        self.entry: Entry | None = None
        self.rid: str | None = None
        self.playback = Playback(setup.output, self._heard, self)
        self.library = Library(setup.index, self)
        self.player = PlayerPanel(self.playback, self)
        self.evidence = EvidencePanel(self)
        self.library.chosen.connect(self.open_recording)
        self.player.export_requested.connect(self.export)
        self.evidence.seek_requested.connect(self.playback.seek)
        right = QSplitter(Qt.Orientation.Horizontal)
        right.addWidget(self.player)
        right.addWidget(self.evidence)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.library)
        split.addWidget(right)
        split.setSizes([330, 530])  # room for a dozen rows above the player
        self.setCentralWidget(split)
        self.setStatusBar(QStatusBar(self))
        self.resize(1280, 860)

    def refresh(self) -> None:
        """Bring the library up to date and show it."""
        found = self.setup.index.refresh()
        if found.moved_aside is not None:
            text = self.tr("The library index was damaged; it was moved to %1 and rebuilt.")
            self.statusBar().showMessage(text.replace("%1", str(found.moved_aside)))
        self.library.search()

    def open_recording(self, rid: str) -> None:
        """Show the recording `rid`: evidence, trail, and its audio when it can be opened."""
        if rid == self.rid and self.playback.loaded:
            return  # open already (one that could not be opened is tried again)
        self.playback.pause()
        root = self.setup.root
        try:
            entry = find_entry(root, rid)
        except LookupError as exc:
            self.entry = self.rid = None
            self.evidence.clear()
            self._unplayable(str(exc))
            return
        self.entry, self.rid = entry, rid
        self._show_trail()
        if entry.metadata is None:
            self.evidence.clear()
            self._unplayable("; ".join(p.text for p in entry.problems))
            return
        timeline = build_timeline(entry.metadata, self.setup.known_disclosures)
        self.evidence.show_evidence(timeline, entry.metadata.call.answered_at)
        try:
            audio = open_recording(root, entry, self.setup.keys)
            samples, rate = audio.samples()
        except SealedAudioError as exc:
            self._unplayable(str(exc), timeline, problem=False)
            return
        except AudioIntegrityError as exc:
            self._unplayable(str(exc), timeline)
            return
        except (OSError, ValueError, KeyringUnavailableError) as exc:
            text = self.tr("The audio cannot be read: %1").replace("%1", str(exc))
            self._unplayable(text, timeline)
            return
        verdict = self.tr("Intact: the audio matches its SHA-256 (metadata and audit trail).")
        if audio.sealed:
            verdict += " " + self.tr("Sealed; decrypted in memory with your QA key.")
        self.evidence.show_integrity(verdict, problem=False)
        self.player.show_recording(samples, rate, timeline)

    def export(self, selection: tuple[float, float] | None) -> None:
        """Export the whole recording, or the part selected, where the reviewer chooses."""
        if self.entry is None or self.rid is None:
            return
        name = self.rid.rsplit("/", 1)[-1]
        suggested = f"{name}.wav" if selection is None else f"{name}-part.wav"
        target = self.setup.choose_export(self, suggested)
        if target is None:
            return
        start, end = selection if selection is not None else (None, None)
        try:
            export_recording(self.setup.root, self.entry, target, start, end, keys=self.setup.keys)
        except (ValueError, OSError, KeyringUnavailableError) as exc:
            self.statusBar().showMessage(str(exc))
            return
        self.statusBar().showMessage(self.tr("Exported to %1").replace("%1", str(target)))
        self._show_trail()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Stop playing (what was heard is entered) before the window goes."""
        self.playback.close()
        super().closeEvent(event)

    def _unplayable(
        self, reason: str, timeline: Timeline | None = None, *, problem: bool = True
    ) -> None:
        self.player.show_sealed(reason, timeline)
        self.evidence.show_integrity(reason, problem)

    def _heard(self, start_s: float, end_s: float, speed: float) -> None:
        if self.entry is None:
            return
        try:
            note_played(self.setup.root, self.entry.metadata_path, start_s, end_s, speed=speed)
        except AuditError as exc:
            self.statusBar().showMessage(str(exc))
        self._show_trail()

    def _show_trail(self) -> None:
        if self.entry is None:
            return
        rid = recording_id(self.setup.root, self.entry.metadata_path)
        try:
            trail = [e.data for e in AuditLog.of(self.setup.root).entries() if e.recording == rid]
        except AuditError as exc:
            self.statusBar().showMessage(str(exc))
            return
        self.evidence.show_trail(trail)
