"""The audio device lists of the settings: names as the agent knows them, following hot-plug."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QWidget
from shiboken6 import isValid

from softphone.media.deviceevents import DeviceEvent, DeviceEvents, DevicesChanged
from softphone.media.devices import AudioDevice

DeviceList = Callable[[], Sequence[AudioDevice]]
"""The devices as the last scan found them (`DeviceMonitor.devices`, say)."""


class DeviceRelay(QObject):
    """Hands the device monitor's news to the GUI thread: listeners run on the publisher's."""

    changed = Signal()

    def listen(self, events: DeviceEvents) -> None:
        """Emit `changed` (queued to this object's thread) for every change of the list.

        The events cannot be unsubscribed from, so the listener holds the relay weakly: once
        the relay (its dialog) is gone, the listener does nothing.
        """
        events.subscribe(partial(_heard, weakref.ref(self)))


def _heard(relay: weakref.ref[DeviceRelay], event: DeviceEvent) -> None:
    """Runs on the publishing thread: only emits."""
    alive = relay()
    if isinstance(event, DevicesChanged) and alive is not None and isValid(alive):
        alive.changed.emit()


class DeviceChoice(QComboBox):
    """The system default, then every device that can play (`output`) or take sound."""

    def __init__(self, output: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._output = output

    def show_devices(self, devices: Sequence[AudioDevice], chosen: str) -> None:
        """List `devices` and select `chosen` ("" = the system default), kept if unplugged."""
        self.clear()
        self.addItem(self.tr("System default"), "")
        for device in devices:
            if device.channels(self._output) > 0:
                self.addItem(device.name, device.name)
        index = self.findData(chosen)
        if index < 0:
            self.addItem(self.tr("%1 (not connected)").replace("%1", chosen), chosen)
            index = self.count() - 1
        self.setCurrentIndex(index)

    def chosen(self) -> str:
        """The device chosen, by name ("" = the system default)."""
        return str(self.currentData())
