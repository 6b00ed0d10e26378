"""A long day: 1,000 recorded calls with holds, 4 at a time, into long-running answerers.

Four `softphone answer --calls 0` processes each take 250 calls in turn from their own SIPp
caller (`uac_remote_hold`: the customer streams RTP, holds the agent, resumes, hangs up), so
four calls are in progress at a time; then `softphone recordings verify` checks them all. The
reference is each answerer itself: idle before the first call, and after the warm-up calls.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks._support import child_env, machine, short_disclosure_policy
from tests.integration.soak import run_soak

RSS_TARGET_KB = 5 * 1024


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak and print its figures; exit 1 if any call failed or grew a process."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--lanes", type=int, default=4, help="answerers, calls at a time")
    parser.add_argument("--calls", type=int, default=1000, help="calls in all (default 1000)")
    parser.add_argument("--warmup", type=int, default=5, help="calls per lane before the RSS base")
    args = parser.parse_args(argv)
    per_lane = max(1, args.calls // args.lanes)
    print(f"soak: {per_lane * args.lanes} recorded calls with a remote hold each (SIPp")
    print(
        f"uac_remote_hold), {args.lanes} at a time into {args.lanes} `softphone answer --calls 0`"
    )
    print(f"processes, {per_lane} calls each; RSS base after {args.warmup} calls per answerer.")
    print(machine())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        work = Path(tmp)
        policy = short_disclosure_policy(work / "policy")
        result = run_soak(
            work,
            policy.args,
            policy.recordings,
            child_env(work / "home"),
            lanes=args.lanes,
            calls_per_lane=per_lane,
            warmup_calls=args.warmup,
        )
        took = time.monotonic() - started  # the metadata is read below, before it is deleted
        for i, lane in enumerate(result.lanes):
            print(
                f"  answerer {i}: {len(lane.reports)} calls reported, {len(lane.failed)} failed, "
                f"SIPp exit {lane.sipp_exit}, answerer exit {lane.exit_code}; idle before "
                f"{lane.start}; after warm-up {lane.warm}; idle after {lane.end}"
            )
            if lane.sipp_failure:
                print(f"    SIPp: {lane.sipp_failure[-600:]}")
        growth = result.growth()
        worst_rss = max((g[0] for g in growth), default=0)
        fd_growth = [g[1] for g in growth]
        thread_growth = [g[2] for g in growth]
        ok_rss = len(growth) == args.lanes and worst_rss < RSS_TARGET_KB
        ok_idle = all(g == 0 for g in fd_growth + thread_growth)
        verified = result.verify_exit == 0
        print(
            f"calls: {result.calls_reported} of {result.calls_wanted} reported, "
            f"{result.failed} failed (target 0: {'meets' if result.failed == 0 else 'MISSES'})"
        )
        print(
            f"recordings verify: exit {result.verify_exit} "
            f"({'meets' if verified else 'MISSES'}): "
            f"{result.verify_output.strip().splitlines()[-1:]}"
        )
        print(
            f"RSS growth after warm-up, worst answerer: {worst_rss / 1024:.2f} MB (target < 5 MB: "
            f"{'meets' if ok_rss else 'MISSES'}); fd growth {fd_growth}, thread growth "
            f"{thread_growth} (target 0: {'meets' if ok_idle else 'MISSES'})"
        )
        print(f"(took {took:.0f} s, {took / max(1, result.calls_reported):.2f} s per call)")
        return 0 if result.failed == 0 and verified and ok_rss and ok_idle else 1


if __name__ == "__main__":
    sys.exit(main())
