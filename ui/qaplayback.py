"""The QA player's transport: play, pause, seek, speed, per-party volume and mute, on a QTimer.

The main thread reads the recording through a `ReplayCursor` (mixed, time-stretched) and keeps
an injected `AudioOutput` a little ahead; the playhead is what has been heard, not what was
queued. Each stretch heard (from a play to the pause, seek or end that stops it) is reported to
`heard(start_s, end_s, speed)`, which the QA window enters in the audit trail as played.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QTimer, Signal

from softphone.media.devices import DeviceError
from softphone.media.replay import AudioOutput, ReplayCursor
from softphone.media.stretch import MAX_SPEED, MIN_SPEED

TICK_MS = 20
AHEAD_S = 0.2  # audio queued ahead of the ear: small, so pause and seek answer at once
Heard = Callable[[float, float, float], None]


class Playback(QObject):
    """Plays one recording at a time through `output`; see the module docstring."""

    position_changed = Signal(float)
    playing_changed = Signal(bool)
    failed = Signal(str)  # the output could not be opened, in words

    def __init__(self, output: AudioOutput, heard: Heard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._output = output
        self._heard = heard
        self._cursor: ReplayCursor | None = None
        self._opened = False
        self._since: float | None = None  # where the stretch being heard began
        self.volumes = [1.0, 1.0]
        self.muted = [False, False]
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)

    def load(self, samples: npt.NDArray[np.int16], rate: int) -> None:
        """Stop what plays and get ready to play `samples` (frames x 2) from the start."""
        self.pause()
        speed = self._cursor.speed if self._cursor else 1.0
        self._cursor = ReplayCursor(samples, rate)
        self._cursor.speed = speed
        self._apply_gains()
        self.position_changed.emit(0.0)

    def unload(self) -> None:
        """Stop and forget the recording (another cannot be opened, say)."""
        self.pause()
        self._cursor = None

    @property
    def loaded(self) -> bool:
        """Whether there is audio to play."""
        return self._cursor is not None

    @property
    def playing(self) -> bool:
        """Whether it is playing now."""
        return self._timer.isActive()

    @property
    def speed(self) -> float:
        """The speed, 0.5 to 2 (pitch kept)."""
        return self._cursor.speed if self._cursor else 1.0

    @property
    def duration_s(self) -> float:
        """The audio's length (0 without a recording)."""
        return self._cursor.duration_s if self._cursor else 0.0

    @property
    def position_s(self) -> float:
        """Where the listener is: what was read, less what is still queued."""
        if self._cursor is None:
            return 0.0
        behind = self._output.queued_s() * self._cursor.speed if self.playing else 0.0
        return max(0.0, self._cursor.position_s - behind)

    def play(self) -> None:
        """Play from the position (from the start again when at the end)."""
        if self._cursor is None or self.playing:
            return
        if self._cursor.finished:
            self._cursor.seek(0.0)
        if not self._opened:
            try:
                self._output.open(self._cursor.rate)
            except DeviceError as exc:
                self.failed.emit(str(exc))
                return
            self._opened = True
        self._since = self._cursor.position_s
        self._timer.start()
        self.playing_changed.emit(True)
        self.tick()

    def pause(self) -> None:
        """Stop where the listener is; what was heard is reported."""
        if self._cursor is None or not self.playing:
            return
        at = self.position_s
        self._timer.stop()
        self._output.clear()
        self._cursor.seek(at)
        self._report(at)
        self.playing_changed.emit(False)
        self.position_changed.emit(at)

    def toggle(self) -> None:
        """Play when paused, pause when playing."""
        self.pause() if self.playing else self.play()

    def seek(self, at_s: float) -> None:
        """Go to `at_s`; playing goes on from there."""
        if self._cursor is None:
            return
        at = min(max(at_s, 0.0), self._cursor.duration_s)
        if self.playing:
            self._report(self.position_s)
            self._output.clear()
            self._since = at
        self._cursor.seek(at)
        self.position_changed.emit(at)

    def step(self, by_s: float) -> None:
        """Seek `by_s` from where the listener is (back when negative)."""
        self.seek(self.position_s + by_s)

    def set_speed(self, speed: float) -> None:
        """Play `speed` times as fast (clamped to 0.5-2), the pitch kept."""
        if self._cursor is not None:
            self._cursor.speed = min(max(speed, MIN_SPEED), MAX_SPEED)

    def set_volume(self, lane: int, volume: float) -> None:
        """The agent's (0) or the customer's (1) volume, 0 to 1."""
        self.volumes[lane] = min(max(volume, 0.0), 1.0)
        self._apply_gains()

    def set_muted(self, lane: int, muted: bool) -> None:
        """Silence the agent (0) or the customer (1), or hear them again."""
        self.muted[lane] = muted
        self._apply_gains()

    def close(self) -> None:
        """Stop, report what was heard and let the output go."""
        self.unload()
        if self._opened:
            self._output.close()
            self._opened = False

    def tick(self) -> None:
        """Keep the output fed; at the end, stop once everything was heard."""
        cursor = self._cursor
        if cursor is None:
            return
        while self._output.queued_s() < AHEAD_S and not cursor.finished:
            self._output.write(cursor.read(TICK_MS / 1000))
        if cursor.finished and self._output.queued_s() <= 0:
            self._timer.stop()
            self._report(cursor.duration_s)
            self.playing_changed.emit(False)
        self.position_changed.emit(self.position_s)

    def _report(self, end_s: float) -> None:
        if self._since is not None and end_s > self._since and self._cursor is not None:
            self._heard(self._since, end_s, self._cursor.speed)
        self._since = None

    def _apply_gains(self) -> None:
        if self._cursor is not None:
            gains = [0.0 if m else v for v, m in zip(self.volumes, self.muted, strict=True)]
            self._cursor.gains = (gains[0], gains[1])
