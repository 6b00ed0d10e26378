"""The headset for the command line and the app: open the microphone and speaker by name.

`open_device_audio` returns bridge-facing parts of one `Headset` (see `softphone.media.headset`):
drift-compensated, supervised, falling back to another device or to silence, never failing the
call. Device names come from the arguments (the preferences module stores them); until the CLI has
flags for them, `SOFTPHONE_INPUT_DEVICE`, `SOFTPHONE_OUTPUT_DEVICE` and `SOFTPHONE_DEVICE_FALLBACKS`
(comma-separated) may name them, and `SOFTPHONE_DEVICE_CLOCK_SKEW` (such as 0.01) makes the devices
run that much fast or slow for drift tests and diagnostics.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref

from softphone.media.deviceevents import DeviceEvents, DeviceUnavailable, Role
from softphone.media.devices import DeviceError
from softphone.media.headset import Headset, HeadsetConfig
from softphone.media.headsetports import HeadsetMic, HeadsetSpeaker
from softphone.media.portaudio import PortAudio, portaudio

__all__ = ["DeviceError", "open_device_audio", "open_headset"]

log = logging.getLogger("softphone.media")

_open_headsets: weakref.WeakSet[Headset] = weakref.WeakSet()
_exit_hook = threading.Lock()
_exit_hook_registered = False


def open_device_audio(
    mic: bool,
    speaker: bool,
    *,
    input_name: str | None = None,
    output_name: str | None = None,
    fallbacks: tuple[str, ...] | None = None,
    strict: bool = False,
    events: DeviceEvents | None = None,
) -> tuple[HeadsetMic | None, HeadsetSpeaker | None]:
    """Open the headset microphone and/or speaker, chosen by (part of) their names.

    Without `strict`, a missing or broken device never stops the call: the headset uses the next
    device in the fallback order or silence, logs a warning saying what to do, publishes the
    event, and keeps retrying. With `strict`, DeviceError says why the chosen device cannot be
    used. Closing the speaker part (or both) releases the devices. Main thread.
    """
    config = HeadsetConfig(
        input_name=input_name if input_name is not None else _env("SOFTPHONE_INPUT_DEVICE"),
        output_name=output_name if output_name is not None else _env("SOFTPHONE_OUTPUT_DEVICE"),
        fallbacks=fallbacks if fallbacks is not None else _env_list("SOFTPHONE_DEVICE_FALLBACKS"),
        clock_skew=_env_skew(),
    )
    headset = open_headset(config, mic=mic, speaker=speaker, strict=strict, events=events)
    return headset.mic, headset.speaker


def open_headset(
    config: HeadsetConfig,
    *,
    mic: bool = True,
    speaker: bool = True,
    strict: bool = False,
    events: DeviceEvents | None = None,
) -> Headset:
    """Open a supervised `Headset`; see `open_device_audio` for `strict`. Main thread."""
    events = events or DeviceEvents()
    pa: PortAudio | None
    try:
        pa = portaudio()
    except DeviceError as exc:
        if strict:
            raise
        pa = None
        for role, wanted in ((Role.MICROPHONE, mic), (Role.SPEAKER, speaker)):
            if wanted:
                events.publish(DeviceUnavailable(role, None, str(exc)))
    headset = Headset.open(pa, config, mic=mic, speaker=speaker, events=events, strict=strict)
    _close_at_exit(headset)
    return headset


def _close_at_exit(headset: Headset) -> None:
    """Close open headsets before `sounddevice` terminates PortAudio at interpreter exit.

    `atexit` runs handlers last-registered first; this one is registered after `sounddevice` was
    imported (which registered its own), so streams are released before PortAudio goes away.
    """
    global _exit_hook_registered  # noqa: PLW0603 - one hook per process
    _open_headsets.add(headset)
    with _exit_hook:
        if not _exit_hook_registered:
            atexit.register(_close_all)
            _exit_hook_registered = True


def _close_all() -> None:
    for headset in list(_open_headsets):
        headset.close()
    try:
        portaudio().forget_at_exit()
    except DeviceError:
        return


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in os.environ.get(name, "").split(",") if part.strip())


def _env_skew() -> float:
    text = os.environ.get("SOFTPHONE_DEVICE_CLOCK_SKEW", "").strip()
    if not text:
        return 0.0
    try:
        skew = float(text)
    except ValueError:
        skew = float("nan")
    if not -0.1 <= skew <= 0.1:
        raise DeviceError(
            f"SOFTPHONE_DEVICE_CLOCK_SKEW={text!r} is not a fraction between -0.1 and 0.1 "
            "(0.01 makes the devices run 1 % fast)"
        )
    return skew
