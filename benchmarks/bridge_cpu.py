"""CPU the device bridge costs, as a share of one core, on real PulseAudio streams.

    python -m benchmarks.bridge_cpu [--seconds 30]

Two runs in the same process: the bridge clock alone with silent in-memory ports (the
reference), then the same clock with the headset's microphone and speaker streams. The
difference is the bridge: PortAudio's threads, the PulseAudio client, the callbacks and the
FIFOs. Also the mean time of one real-time callback, measured on its own thread.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from benchmarks.bridge_rig import BridgeClock, running_headset, settle, sound_rig
from softphone.media import devicestream
from softphone.media.sinks import NullSink
from softphone.media.sources import SilenceSource


def cpu_share(seconds: float) -> float:
    """Process CPU time per wall second over `seconds`."""
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(seconds)
    return (time.process_time() - cpu) / (time.monotonic() - wall)


def timed(method: Callable[..., None], spent: list[float]) -> Callable[..., None]:
    """Wrap a callback so its own thread's CPU time is added up in `spent`."""

    def wrapper(*args: Any) -> None:
        start = time.thread_time()
        try:
            method(*args)
        finally:
            spent.append(time.thread_time() - start)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--block-ms", type=float, default=10.0, help="device block length")
    parser.add_argument("--latency", default="low", help="PortAudio device latency: low, high")
    args = parser.parse_args()
    reference_clock = BridgeClock(SilenceSource(), NullSink())
    time.sleep(1.0)
    reference = cpu_share(args.seconds)
    reference_clock.stop()
    spent: dict[str, list[float]] = {"microphone": [], "speaker": []}
    stream_class = devicestream.LiveStream
    original = (stream_class._captured, stream_class._playback)
    stream_class._captured = timed(original[0], spent["microphone"])  # type: ignore[method-assign]
    stream_class._playback = timed(original[1], spent["speaker"])  # type: ignore[method-assign]
    try:
        with (
            sound_rig(),
            running_headset(block_ms=args.block_ms, latency=args.latency) as (headset, _),
        ):
            settle(headset)
            for values in spent.values():
                values.clear()
            loaded = cpu_share(args.seconds)
    finally:
        stream_class._captured, stream_class._playback = original  # type: ignore[method-assign]
    print(f"bridge CPU over {args.seconds:g} s, as a share of one core")
    print(f"  reference (bridge clock, silent ports): {100 * reference:5.2f} %")
    print(f"  with the headset's two streams:          {100 * loaded:5.2f} %")
    print(f"  the device bridge:                       {100 * (loaded - reference):5.2f} %")
    for role, values in spent.items():
        if values:
            mean_us = 1e6 * sum(values) / len(values)
            rate = len(values) / args.seconds
            print(f"  {role} callback: {mean_us:.0f} us each, {rate:.0f} a second")


if __name__ == "__main__":
    main()
