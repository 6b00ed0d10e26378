"""Notices audio devices plugged in or out, for the device menus and the agent's status line.

PortAudio only sees devices that existed when it was initialised. The monitor therefore rescans
in-process (re-initialising PortAudio) when no stream is open, and otherwise asks a short-lived
child process (`python -m softphone.media.devices --json`) so open streams are left alone; the
in-process list is refreshed at the first chance once the streams are closed. On Linux it only
rescans when ALSA's view changes (sound cards, /dev/snd, ALSA configuration files), so an idle
poll costs a few file reads.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Hashable
from pathlib import Path

from softphone.media.deviceevents import DeviceEvents, DevicesChanged
from softphone.media.devices import AudioDevice, DeviceError
from softphone.media.portaudio import PortAudio

log = logging.getLogger("softphone.media")

PROBE_TIMEOUT_S = 10.0
"""The longest a child process may take to list the devices."""


def alsa_signature() -> Hashable | None:
    """What changes when ALSA's device list may have changed; None where that is unknown."""
    cards = Path("/proc/asound/cards")
    if not cards.exists():
        return None
    try:
        nodes = tuple(sorted(os.listdir("/dev/snd"))) if Path("/dev/snd").is_dir() else ()
        text = cards.read_text(errors="replace")
    except OSError:
        return None
    home = Path.home()
    config_home = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
    configs = (home / ".asoundrc", config_home / "alsa" / "asoundrc", Path("/etc/asound.conf"))
    stamps = tuple(_mtime(path) for path in configs)
    return (text, nodes, stamps)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def probe_devices() -> list[AudioDevice]:
    """The device list as a fresh PortAudio sees it, from a child process; DeviceError if not."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "softphone.media.devices", "--json"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeviceError(f"could not list audio devices in a helper process: {exc}") from exc
    if done.returncode != 0:
        raise DeviceError(f"could not list audio devices: {done.stderr.strip()[-500:]}")
    try:
        return [AudioDevice(**item) for item in json.loads(done.stdout)]
    except (ValueError, TypeError) as exc:
        raise DeviceError(f"the device list helper printed something unexpected: {exc}") from exc


class DeviceMonitor:
    """Rescans on request or every `interval_s`; reports added and removed devices by name.

    Call `poll()` from the main thread (a Qt timer every second is plenty); it returns and
    publishes a `DevicesChanged` when the list changed.
    """

    def __init__(
        self,
        pa: PortAudio,
        events: DeviceEvents | None = None,
        *,
        interval_s: float = 2.0,
        probe: Callable[[], list[AudioDevice]] = probe_devices,
        signature: Callable[[], Hashable | None] = alsa_signature,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pa = pa
        self.events = events or DeviceEvents()
        self._interval = interval_s
        self._probe = probe
        self._signature = signature
        self._clock = clock
        self._stale = False  # the in-process list lags behind the last child-process scan
        self._seen = signature()
        self._next = clock() + interval_s
        self._devices = pa.devices()

    def devices(self) -> list[AudioDevice]:
        """The devices found by the last scan."""
        return list(self._devices)

    def poll(self) -> DevicesChanged | None:
        """Rescan if it is time and something may have changed. Main thread."""
        now = self._clock()
        if now < self._next:
            return None
        self._next = now + self._interval
        seen = self._signature()
        if seen is not None and seen == self._seen and not self._stale:
            return None
        self._seen = seen
        return self.refresh()

    def refresh(self) -> DevicesChanged | None:
        """Rescan now (a device menu is being opened, say). Main thread."""
        try:
            if self._pa.rescan():
                devices, self._stale = self._pa.devices(), False
            else:
                devices, self._stale = self._probe(), True
        except DeviceError as exc:
            log.warning("audio device list not refreshed: %s", exc)
            return None
        before = [d.name for d in self._devices]
        after = [d.name for d in devices]
        self._devices = devices
        added = tuple(name for name in after if name not in before)
        removed = tuple(name for name in before if name not in after)
        if not added and not removed:
            return None
        event = DevicesChanged(added, removed)
        self.events.publish(event)
        return event
