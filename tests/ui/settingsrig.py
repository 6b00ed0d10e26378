"""The settings dialog's world for tests: devices that are plugged and unplugged, a policy."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from softphone.config.schema import DisclosureLanguage, DisclosurePolicy, Policy, RecordingPolicy
from softphone.media.deviceevents import DeviceEvents, DevicesChanged
from softphone.media.devices import AudioDevice

POLICY_FILE = Path("/etc/softphone/policy.toml")


def device(index: int, name: str, inputs: int, outputs: int) -> AudioDevice:
    """A device as PortAudio would list it."""
    return AudioDevice(index, name, "ALSA", inputs, outputs, 48000.0)


class Devices:
    """What the device monitor would list; a test plugs and unplugs."""

    def __init__(self) -> None:
        self.listed = [device(0, "Built-in Audio", 2, 2), device(1, "Desk Speaker", 0, 2)]
        self.events = DeviceEvents()

    def __call__(self) -> list[AudioDevice]:
        return list(self.listed)

    def plug(self, new: AudioDevice) -> None:
        self.listed.append(new)
        self.events.publish(DevicesChanged((new.name,), ()))

    def unplug(self, name: str) -> None:
        self.listed = [d for d in self.listed if d.name != name]
        self.events.publish(DevicesChanged((), (name,)))


def policy(recordings: Path) -> Policy:
    """A machine policy from POLICY_FILE that locks calls.auto_answer (to false)."""
    languages = {
        code: DisclosureLanguage(f"d-{code}", code, Path(f"/d/{code}.wav"), "quality")
        for code in ("nl", "en")
    }
    return Policy(
        accounts=(),
        disclosure=DisclosurePolicy("nl", MappingProxyType(languages)),
        recording=RecordingPolicy(directory=recordings),
        preferences=MappingProxyType({"calls.auto_answer": False}),
        locked=frozenset({"calls.auto_answer"}),
        source=POLICY_FILE,
        origin="machine",
    )
