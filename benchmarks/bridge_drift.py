"""Underruns per minute of the device bridge when the device clock runs 1 % fast or slow.

    python -m benchmarks.bridge_drift [--seconds 60] [--skew 0.01]

The devices are opened that much off nominal (the headset's `clock_skew`), which PulseAudio
turns into a device that really consumes and produces 1 % more (or less) audio per second than
the bridge. Printed per direction: underruns and overruns per minute, the drift the FIFO learnt
and its latency. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.bridge_rig import Samples, running_headset, settle, sound_rig
from softphone.media.deviceevents import Role


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--skew", type=float, default=0.01)
    parser.add_argument("--block-ms", type=float, default=10.0, help="device block length")
    parser.add_argument("--latency", default="low", help="PortAudio device latency: low, high")
    args = parser.parse_args()
    print(f"bridge under device clock drift, {args.seconds:g} s each")
    with sound_rig():
        for skew in (args.skew, -args.skew):
            with running_headset(skew, args.block_ms, args.latency) as (headset, _):
                settle(headset)
                start = headset.stats()
                samples = {role: Samples() for role in (Role.MICROPHONE, Role.SPEAKER)}
                end = time.monotonic() + args.seconds
                while time.monotonic() < end:
                    time.sleep(0.1)
                    for role, stats in headset.stats().items():
                        if stats.fifo is not None:
                            samples[role].latency_ms.append(stats.fifo.latency_ms)
                final = headset.stats()
            minutes = args.seconds / 60
            for role, sample in samples.items():
                first, last = start[role], final[role]
                assert last.fifo is not None
                print(
                    f"  device {100 * skew:+.0f} % {role.value:10} "
                    f"{(last.underruns - first.underruns) / minutes:4.1f} underruns/min, "
                    f"{(last.overruns - first.overruns) / minutes:4.1f} overruns/min, "
                    f"learnt {last.fifo.drift_ppm:+6.0f} ppm, latency {sample.describe()}"
                )


if __name__ == "__main__":
    main()
