"""Screenshot of the QA view on a recordings directory: scripts/qa_screenshot.py DIR OUT.png.

Opens the newest recording (its marks, evidence and audit trail), seeks to its first hold gap
and selects the second after it, as a reviewer about to export would, and saves the window.
Run by scripts/screenshots.sh on the demo's recordings, on Xvfb; nothing is played.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from softphone.config.policy import builtin_policy
from softphone.media.stretch import Block
from softphone.recordings.index import LibraryIndex
from softphone.recordings.timeline import reference_hashes
from ui.app import application
from ui.qawindow import QaSetup, QaWindow


class Silent:
    """An AudioOutput that plays nothing: the screenshot needs no sound."""

    def open(self, rate: int) -> None:
        """Nothing to open."""

    def write(self, block: Block) -> None:
        """Dropped."""

    def queued_s(self) -> float:
        """Nothing is queued."""
        return 0.0

    def clear(self) -> None:
        """Nothing to clear."""

    def close(self) -> None:
        """Nothing to close."""


def main(root: Path, out: Path) -> int:
    """Take the screenshot; 1 when the directory holds no recording."""
    app = application()
    index = LibraryIndex(root, Path(tempfile.mkdtemp()) / "index.sqlite")
    known = reference_hashes(builtin_policy().disclosure)  # the demo's disclosures
    window = QaWindow(QaSetup(root, index, Silent(), list, known))
    window.resize(1280, 800)
    window.refresh()
    ids = window.library.shown_ids()
    if not ids:
        print(f"qa_screenshot: no recording in {root}", file=sys.stderr)
        return 1
    window.library.table.selectRow(0)
    window.show()
    gaps = window.player.waveform.marks()
    first = next((m.at_s for m in gaps if m.gap_s > 0), 1.0)
    window.player.waveform.selection = (first, first + 1.0)
    window.playback.seek(first)
    for _ in range(20):
        QCoreApplication.processEvents()
    window.grab().save(str(out))
    window.close()
    app.processEvents()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
