"""Where a privacy pause's edges fall in the customer's audio, with no margin around the secret.

A SIPp customer (tests/sipp/uas_secret_window.xml) says a "secret" tone from 2.5 to 4.0 s after
the ACK and a talk tone otherwise; the agent pauses exactly as the secret starts and resumes
exactly as it ends (`--pause 2.5:1.5` counts from the answer, which is the ACK on loopback).
Whatever the pipeline between the peer's socket and the conference bridge holds (mostly the
jitter buffer) shifts both edges: the end of the secret, still on its way when the agent
resumes, is written after the resume. This prints how much, call by call: the resume's
lateness (the main loop's turn) and the secret frames written after it, and the same at the
pause's edge.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks._support import (
    child_env,
    load_metadata,
    machine,
    run_softphone,
    short_disclosure_policy,
)
from tests.integration.pauseaudio import (
    SECRET_FROM_S,
    SECRET_HZ,
    SECRET_UNTIL_S,
    PauseReport,
    analyse_pause,
    pause_call,
    secret_peer,
)


def one_call(work: Path, index: int, lead_s: float, lag_s: float) -> PauseReport | str:
    """One call; its figures, or why it failed."""
    policy = short_disclosure_policy(work / "policy")
    start = SECRET_FROM_S - lead_s
    duration = SECRET_UNTIL_S + lag_s - start
    with secret_peer(work / f"sipp-{index}") as sipp:
        done = run_softphone(
            pause_call(sipp.uri("customer"), policy.args, f"{start:g}:{duration:g}", 5.0),
            child_env(work / "home"),
            timeout=40,
        )
        sipp.wait(20)
        entries = sipp.log_entries()
    if done.returncode != 0 or not done.report.get("recording"):
        return done.why()
    return analyse_pause(done.report["recording"], load_metadata(done.report), entries)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the calls and print the figures; exit 1 only if a call could not be made."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pause_boundary", description=__doc__
    )
    parser.add_argument("--calls", type=int, default=10, help="how many calls (default 10)")
    parser.add_argument(
        "--lead", type=float, default=0.0, help="pause this many seconds before the secret"
    )
    parser.add_argument(
        "--lag", type=float, default=0.0, help="resume this many seconds after the secret"
    )
    args = parser.parse_args(argv)
    print("pause_boundary: the agent pauses the recording as the customer's secret starts and")
    print(f"resumes as it ends ({args.lead:g} s before / {args.lag:g} s after); frames of the")
    print(f"secret ({SECRET_HZ:g} Hz) found in the recording next to each edge:")
    print(machine())
    after: list[int] = []
    before: list[int] = []
    failures = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-pause-") as tmp:
        for index in range(args.calls):
            result = one_call(Path(tmp), index, args.lead, args.lag)
            if isinstance(result, str):
                failures += 1
                print(f"  call {index + 1}: FAILED: {result}")
                continue
            late_pause = (result.paused_at - SECRET_FROM_S) * 1000
            late_resume = (result.resumed_at - SECRET_UNTIL_S) * 1000
            print(
                f"  call {index + 1}: paused {late_pause:+5.1f} ms from the secret's start, "
                f"{result.secret_before_pause} secret frames before it; resumed "
                f"{late_resume:+5.1f} ms from its end, {result.secret_after_resume} secret "
                "frames after it"
            )
            before.append(result.secret_before_pause)
            after.append(result.secret_after_resume)
    if after:
        print(
            f"secret frames written after the resume: median {statistics.median(after):g}, "
            f"max {max(after)} (n={len(after)}); before the pause: max {max(before)}"
        )
    print(f"({args.calls} calls took {time.monotonic() - started:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
