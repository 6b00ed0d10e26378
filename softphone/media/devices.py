"""Audio devices by name: the list PortAudio sees, choosing one by name, and the fallback order.

Names are what an agent recognises and what preferences store ("USB Headset", "pulse"); PortAudio
indexes change whenever it rescans, so nothing here keeps an index for longer than one open.

    python -m softphone.media.devices            # list the devices, one a line
    python -m softphone.media.devices --json     # the same as JSON (used to rescan mid-call)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

SERVER_DEVICES = ("pulse", "pipewire")
"""Sound-server devices worth trying when the chosen device and the default are both gone."""


class DeviceError(OSError):
    """No usable audio device; the message says what to plug in or choose instead."""


@dataclass(frozen=True)
class AudioDevice:
    """One PortAudio device, as listed at the last scan."""

    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_rate: float
    default_input: bool = False
    default_output: bool = False

    def channels(self, output: bool) -> int:
        """How many channels it offers in that direction."""
        return self.outputs if output else self.inputs


def parse_devices(
    raw: Iterable[dict[str, Any]],
    hostapis: Sequence[dict[str, Any]],
    default_input: int = -1,
    default_output: int = -1,
) -> list[AudioDevice]:
    """Build `AudioDevice`s from `sounddevice.query_devices()` and `query_hostapis()` output."""
    devices = []
    for info in raw:
        index = int(info["index"])
        api = int(info.get("hostapi", 0))
        devices.append(
            AudioDevice(
                index=index,
                name=str(info["name"]),
                hostapi=str(hostapis[api]["name"]) if 0 <= api < len(hostapis) else "",
                inputs=int(info["max_input_channels"]),
                outputs=int(info["max_output_channels"]),
                default_rate=float(info["default_samplerate"]),
                default_input=index == default_input,
                default_output=index == default_output,
            )
        )
    return devices


def query_devices(sd: Any) -> list[AudioDevice]:
    """The devices of the `sounddevice` module's current PortAudio scan, defaults marked."""
    defaults = []
    for kind in ("input", "output"):
        try:
            defaults.append(int(sd.query_devices(kind=kind)["index"]))
        except (sd.PortAudioError, ValueError, KeyError, TypeError):
            defaults.append(-1)
    return parse_devices(sd.query_devices(), sd.query_hostapis(), defaults[0], defaults[1])


def role_name(output: bool) -> str:
    """'speaker' or 'microphone', for messages."""
    return "speaker" if output else "microphone"


def find_device(devices: Sequence[AudioDevice], name: str | None, output: bool) -> AudioDevice:
    """The device called `name` (exact, then case-insensitive substring), or the default.

    Raises DeviceError naming what exists when nothing matches.
    """
    usable = [d for d in devices if d.channels(output) > 0]
    role = role_name(output)
    if not usable:
        raise DeviceError(f"no audio {role} found: plug in a headset")
    if name is None or not name.strip():
        default = next(
            (d for d in usable if (d.default_output if output else d.default_input)), None
        )
        return default or usable[0]
    wanted = name.strip().casefold()
    exact = [d for d in usable if d.name.casefold() == wanted]
    partial = [d for d in usable if wanted in d.name.casefold()]
    if exact or partial:
        return (exact or partial)[0]
    listing = ", ".join(f"'{d.name}'" for d in usable)
    raise DeviceError(f"no audio {role} called '{name}'; available: {listing}")


def fallback_order(
    devices: Sequence[AudioDevice],
    output: bool,
    *,
    preferred: str | None,
    fallbacks: Sequence[str] = (),
    exclude: Iterable[str] = (),
) -> list[AudioDevice]:
    """Devices to try, best first: the preferred one, named fallbacks, the default, sound servers.

    Devices named in `exclude` (ones that just failed) are left out; each device appears once.
    """
    skip = {name.casefold() for name in exclude}
    order: list[AudioDevice] = []
    names: list[str | None] = [preferred, *fallbacks, None, *SERVER_DEVICES]
    for name in names:
        try:
            device = find_device(devices, name, output)
        except DeviceError:
            continue
        if name in SERVER_DEVICES and device.name.casefold() != name:
            continue  # only the server device itself, not whatever contains its name
        if device.name.casefold() not in skip and device not in order:
            order.append(device)
    return order


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="List the audio devices PortAudio sees.")
    parser.add_argument("--json", action="store_true", help="print one JSON list")
    args = parser.parse_args(argv)
    try:
        import sounddevice as sd  # noqa: PLC0415 - needs the PortAudio library

        devices = query_devices(sd)
    except OSError as exc:
        print(f"audio devices are unavailable: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([asdict(d) for d in devices]))
        return 0
    for d in devices:
        marks = ("<" if d.default_input else " ") + (">" if d.default_output else " ")
        print(f"{marks} {d.name}  ({d.hostapi}, {d.inputs} in, {d.outputs} out)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
