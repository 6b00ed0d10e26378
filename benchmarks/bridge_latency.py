"""Latency the device bridge adds beyond the device's own buffer, on real PulseAudio streams.

    python -m benchmarks.bridge_latency [--seconds 30]

The FIFO between each device and the bridge clock measures its time-average fill exactly (from
the times of its pushes and pops); by Little's law that over the rate is the mean time a sample
waits there, which is the latency the bridge adds. The device buffer (PortAudio's reported
latency) comes on top and is printed alongside. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.bridge_rig import FRAME_MS, Samples, running_headset, settle, sound_rig
from softphone.media.deviceevents import Role


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--block-ms", type=float, default=10.0, help="device block length")
    parser.add_argument("--latency", default="low", help="PortAudio device latency: low, high")
    args = parser.parse_args()
    with (
        sound_rig(),
        running_headset(block_ms=args.block_ms, latency=args.latency) as (headset, clock),
    ):
        settle(headset)
        samples = {role: Samples() for role in (Role.MICROPHONE, Role.SPEAKER)}
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            time.sleep(0.1)
            for role, stats in headset.stats().items():
                if stats.fifo is not None:
                    samples[role].latency_ms.append(stats.fifo.latency_ms)
        final = headset.stats()
    late = sorted(clock.late_ms[50:])
    print(f"bridge latency over {args.seconds:g} s (one bridge frame is {FRAME_MS} ms)")
    for role, sample in samples.items():
        stats = final[role]
        assert stats.fifo is not None
        print(
            f"  {role.value:10} added by the bridge: {sample.describe()} "
            f"(target {stats.fifo.target_ms:.1f} ms, longest wait of a sample "
            f"{stats.fifo.wait_max_ms:.1f} ms); device buffer "
            f"{stats.device_latency_ms or 0:.0f} ms; "
            f"{stats.underruns} underruns, {stats.overruns} overruns"
        )
    print(f"  bridge clock lateness: p99 {late[int(len(late) * 0.99)]:.1f} ms")


if __name__ == "__main__":
    main()
