"""What the audio devices tell the agent: a closed set of events and a thread-safe queue of them.

The headset's supervisor thread and the device monitor publish; the main thread drains the queue
(a Qt timer in the app) or subscribes a listener. Listeners run on the publishing thread, so a UI
listener must only hand the event on with a queued signal.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("softphone.media")


class Role(enum.Enum):
    """Which part of the headset an event is about."""

    MICROPHONE = "microphone"
    SPEAKER = "speaker"
    RINGER = "ringer"


@dataclass(frozen=True)
class DeviceLost:
    """A device stopped working mid-use (unplugged, stalled, or its stream failed)."""

    role: Role
    device: str
    reason: str
    at: float = field(default_factory=time.time)

    @property
    def message(self) -> str:
        """The words for the agent."""
        return f"{self.role.value} '{self.device}' stopped working ({self.reason})"


@dataclass(frozen=True)
class DeviceSwitched:
    """The role now uses another device, or silence when `device` is None."""

    role: Role
    device: str | None
    previous: str | None
    at: float = field(default_factory=time.time)

    @property
    def message(self) -> str:
        """The words for the agent."""
        if self.device is None:
            hint = "the customer hears silence" if self.role is Role.MICROPHONE else "no sound"
            return f"no working {self.role.value}: {hint}; plug in a headset or choose a device"
        return f"{self.role.value} switched to '{self.device}'"


@dataclass(frozen=True)
class DeviceRestored:
    """The preferred device works again and is back in use."""

    role: Role
    device: str
    at: float = field(default_factory=time.time)

    @property
    def message(self) -> str:
        """The words for the agent."""
        return f"{self.role.value} back on '{self.device}'"


@dataclass(frozen=True)
class DeviceUnavailable:
    """A device could not be opened; `reason` says what to do about it."""

    role: Role
    device: str | None
    reason: str
    at: float = field(default_factory=time.time)

    @property
    def message(self) -> str:
        """The words for the agent."""
        name = f" '{self.device}'" if self.device else ""
        return f"{self.role.value}{name} unavailable: {self.reason}"


@dataclass(frozen=True)
class DevicesChanged:
    """The list of audio devices changed (a headset plugged in or out)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    at: float = field(default_factory=time.time)

    @property
    def message(self) -> str:
        """The words for the agent."""
        parts = [f"new audio device '{name}'" for name in self.added]
        parts += [f"audio device '{name}' removed" for name in self.removed]
        return "; ".join(parts) or "audio devices unchanged"


DeviceEvent = DeviceLost | DeviceSwitched | DeviceRestored | DeviceUnavailable | DevicesChanged
Listener = Callable[[DeviceEvent], None]

_WARNINGS = (DeviceLost, DeviceUnavailable)


def needs_attention(event: DeviceEvent) -> bool:
    """Whether the agent must act: a device lost or unavailable, or nothing left to use."""
    no_device = isinstance(event, DeviceSwitched) and event.device is None
    return isinstance(event, _WARNINGS) or no_device


class DeviceEvents:
    """A bounded queue of device events plus listeners; publish from any thread."""

    def __init__(self, maxlen: int = 256) -> None:
        self._queue: deque[DeviceEvent] = deque(maxlen=maxlen)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()  # guards the listener list only; never held while calling

    def subscribe(self, listener: Listener) -> None:
        """Call `listener(event)` on the publishing thread for every later event."""
        with self._lock:
            self._listeners.append(listener)

    def publish(self, event: DeviceEvent) -> None:
        """Queue the event, log it for people, and tell the listeners. Never from real-time code."""
        level = logging.WARNING if needs_attention(event) else logging.INFO
        log.log(level, "%s", event.message)
        self._queue.append(event)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("a device event listener failed on %r", event)

    def drain(self) -> list[DeviceEvent]:
        """Remove and return every queued event, oldest first. Any thread; the UI's timer."""
        events: list[DeviceEvent] = []
        while True:
            try:
                events.append(self._queue.popleft())
            except IndexError:
                return events
