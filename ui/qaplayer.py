"""The QA player panel: waveform and marks, transport, speed, per-party volume and mute, export.

Keys while the panel has the keyboard: Space or K play and pause, Left and Right step 5 s,
J and L 10 s, Home and End go to the ends, [ and ] change the speed by a quarter.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from softphone.recordings.timeline import Timeline
from ui.named import named
from ui.qaplayback import Playback
from ui.qawaveform import LANES, Waveform

SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
STEP_S, JUMP_S = 5.0, 10.0


def clock(seconds: float) -> str:
    """`seconds` as m:ss.t (h:mm:ss past an hour)."""
    whole, tenth = divmod(round(max(seconds, 0.0) * 10), 10)
    minutes, secs = divmod(whole, 60)
    if minutes >= 60:
        return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}.{tenth}"


class PlayerPanel(QWidget):
    """Plays one recording through `playback`; `export_requested(start, end)` (None: all)."""

    export_requested = Signal(object)

    def __init__(self, playback: Playback, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qaPlayer")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.playback = playback
        self.timeline: Timeline | None = None
        self.waveform = Waveform(self)
        self.waveform.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.play_button = named(QPushButton(self.tr("Play")), "qaPlay")
        self.time = named(QLabel(), "qaTime")
        self.speed = QComboBox(self)
        self.speed.setObjectName("qaSpeed")
        for value in SPEEDS:
            self.speed.addItem(f"{value:g}x", value)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setAccessibleName(self.tr("Speed"))
        self.speed.currentIndexChanged.connect(self._speed_chosen)
        self.export_button = named(QPushButton(self.tr("Export to WAV…")), "qaExport")
        self.volumes: list[QSlider] = []
        self.mutes: list[QCheckBox] = []
        self.message = named(QLabel(), "qaPlayerMessage")
        self.message.setWordWrap(True)
        self.play_button.clicked.connect(playback.toggle)
        self.export_button.clicked.connect(self._export)
        self.waveform.seek_requested.connect(playback.seek)
        playback.position_changed.connect(self._moved)
        playback.playing_changed.connect(self._playing)
        playback.failed.connect(self.message.setText)
        self._lay_out()
        self._keys()
        self.show_sealed(self.tr("Choose a recording in the list."))

    def _lay_out(self) -> None:
        transport = QHBoxLayout()
        transport.addWidget(self.play_button)
        transport.addWidget(self.time, 1)
        transport.addWidget(QLabel(self.tr("Speed")))
        transport.addWidget(self.speed)
        transport.addWidget(self.export_button)
        mixer = QGridLayout()
        for lane, name in enumerate(LANES):
            slider = named(QSlider(Qt.Orientation.Horizontal), f"qaVolume_{name}")
            slider.setRange(0, 100)
            slider.setValue(100)
            slider.valueChanged.connect(lambda v, n=lane: self.playback.set_volume(n, v / 100))
            mute = named(QCheckBox(self.tr("Mute")), f"qaMute_{name}")
            mute.toggled.connect(lambda m, n=lane: self._mute(n, m))
            title = self.tr("Agent") if name == "agent" else self.tr("Customer")
            slider.setAccessibleName(self.tr("%1 volume").replace("%1", title))
            mixer.addWidget(QLabel(title), lane, 0)
            mixer.addWidget(slider, lane, 1)
            mixer.addWidget(mute, lane, 2)
            self.volumes.append(slider)
            self.mutes.append(mute)
        layout = QVBoxLayout(self)
        layout.addWidget(self.waveform, 1)
        layout.addWidget(self.message)
        layout.addLayout(transport)
        layout.addLayout(mixer)

    def _keys(self) -> None:
        bindings = {
            "Space": self.playback.toggle,
            "K": self.playback.toggle,
            "Left": lambda: self.playback.step(-STEP_S),
            "Right": lambda: self.playback.step(STEP_S),
            "J": lambda: self.playback.step(-JUMP_S),
            "L": lambda: self.playback.step(JUMP_S),
            "Home": lambda: self.playback.seek(0.0),
            "End": lambda: self.playback.seek(self.playback.duration_s),
            "[": lambda: self.change_speed(-1),
            "]": lambda: self.change_speed(1),
        }
        for key, action in bindings.items():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)

    def show_recording(self, samples: npt.NDArray[np.int16], rate: int, timeline: Timeline) -> None:
        """Get ready to play `samples`, with `timeline`'s marks on the waveform."""
        self.timeline = timeline
        self.playback.load(samples, rate)
        self.playback.set_speed(float(self.speed.currentData()))
        self.waveform.show_recording(samples, rate, timeline)
        self.message.clear()
        self._enable(True)
        self._moved(0.0)

    def show_sealed(self, reason: str, timeline: Timeline | None = None) -> None:
        """No audio to play, and why (sealed, altered, missing); the marks are still drawn."""
        self.timeline = timeline
        self.playback.unload()
        self.waveform.show_recording(np.zeros((0, 2), dtype=np.int16), 16000, timeline)
        self.message.setText(reason)
        self._enable(False)
        self.time.setText("")

    def change_speed(self, steps: int) -> None:
        """Move the speed `steps` places from 0.5x to 2x."""
        index = min(max(self.speed.currentIndex() + steps, 0), len(SPEEDS) - 1)
        self.speed.setCurrentIndex(index)

    def _enable(self, on: bool) -> None:
        for widget in (self.play_button, self.export_button, self.speed, *self.volumes):
            widget.setEnabled(on)
        for mute in self.mutes:
            mute.setEnabled(on)

    def _speed_chosen(self) -> None:
        self.playback.set_speed(float(self.speed.currentData()))

    def _mute(self, lane: int, muted: bool) -> None:
        self.playback.set_muted(lane, muted)
        self.waveform.muted[lane] = muted
        self.waveform.update()

    def _moved(self, at_s: float) -> None:
        self.waveform.set_position(at_s)
        text = f"{clock(at_s)} / {clock(self.playback.duration_s)}"
        call = self.timeline.call_time(at_s) if self.timeline else None
        if call is not None:
            text += "  ·  " + self.tr("call time %1").replace("%1", clock(call))
        self.time.setText(text)

    def _playing(self, playing: bool) -> None:
        self.play_button.setText(self.tr("Pause") if playing else self.tr("Play"))

    def _export(self) -> None:
        self.export_requested.emit(self.waveform.selection)
