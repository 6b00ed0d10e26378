"""`softphone selftest` as a rollout gate: many runs beside a busy core, every verdict's figures.

Runs `softphone selftest --json` again and again (30 times by default) while other processes
keep CPU cores busy (one by default: a pure-Python loop each), and prints for every verdict how
many runs passed it, the distribution of its figure and the smallest margin to its pass mark,
then the run times. Target: every run passes, each within 15 s.

    .venv/bin/python -m benchmarks.selftest_reliability              # about 6 minutes
    .venv/bin/python -m benchmarks.selftest_reliability --runs 5 --busy 0
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._support import child_env, machine, percentile, run_softphone

TARGET_S = 15.0
BUSY_LOOP = "while True: pass"


@dataclass
class Verdict:
    """One verdict's results over all runs."""

    name: str
    passed: int = 0
    figures: list[float] = field(default_factory=list)
    margins: list[float] = field(default_factory=list)
    limit: float | None = None
    at_least: bool = True
    unit: str = ""
    failures: list[str] = field(default_factory=list)


def _burners(count: int) -> list[subprocess.Popen[bytes]]:
    """Processes that each keep one core busy until stopped."""
    return [
        subprocess.Popen([sys.executable, "-c", BUSY_LOOP], stdin=subprocess.DEVNULL)
        for _ in range(count)
    ]


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in processes:
        proc.terminate()
    for proc in processes:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _collect(verdicts: dict[str, Verdict], result: dict[str, Any]) -> None:
    for check in result.get("checks", []):
        verdict = verdicts.setdefault(check["name"], Verdict(check["name"]))
        verdict.passed += bool(check["passed"])
        if check.get("figure") is not None:
            verdict.figures.append(float(check["figure"]))
            verdict.margins.append(float(check["margin"]))
            verdict.limit, verdict.at_least = check["limit"], check["at_least"]
            verdict.unit = check["unit"]
        if not check["passed"]:
            verdict.failures.append(check["detail"])


def _spread(values: list[float], unit: str) -> str:
    if not values:
        return "no figures"
    return (
        f"min {min(values):.3g}, p5 {percentile(values, 5):.3g}, median "
        f"{statistics.median(values):.3g}, max {max(values):.3g} {unit}".rstrip()
    )


def _report(verdicts: dict[str, Verdict], runs: int) -> None:
    print("\nverdicts (figure over all runs; margin = distance to the pass mark, worst run):")
    for verdict in verdicts.values():
        print(f"  {verdict.passed}/{runs} passed  {verdict.name}")
        if verdict.limit is not None:
            side = ">=" if verdict.at_least else "<="
            print(f"      figure: {_spread(verdict.figures, verdict.unit)}")
            print(
                f"      pass mark {side} {verdict.limit:g} {verdict.unit}; smallest margin "
                f"{min(verdict.margins):.3g} {verdict.unit}".rstrip()
            )
        for failure in verdict.failures[:3]:
            print(f"      FAILED: {failure}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 0 when every run passed within the target time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="self-test runs (default 30)")
    parser.add_argument(
        "--busy", type=int, default=1, help="CPU cores kept busy meanwhile (default 1)"
    )
    args = parser.parse_args(argv)
    print(f"selftest_reliability: {machine()}")
    print(f"{args.runs} runs of `softphone selftest --json`, {args.busy} core(s) kept busy")
    verdicts: dict[str, Verdict] = {}
    durations: list[float] = []
    passed = 0
    burners = _burners(args.busy)
    try:
        with tempfile.TemporaryDirectory(prefix="selftest-reliability-") as name:
            env = child_env(Path(name))
            for run in range(1, args.runs + 1):
                started = time.monotonic()
                done = run_softphone(["selftest", "--json"], env, timeout=120)
                durations.append(time.monotonic() - started)
                result = done.report
                ok = done.returncode == 0 and result.get("passed") is True
                passed += ok
                _collect(verdicts, result)
                state = "PASS" if ok else f"FAIL ({done.why()})"
                print(f"run {run:2d}/{args.runs}: {state} in {durations[-1]:.1f} s", flush=True)
    finally:
        _stop(burners)
    _report(verdicts, args.runs)
    slow = sum(d > TARGET_S for d in durations)
    print(f"\nrun time: {_spread(durations, 's')}; {slow} over {TARGET_S:g} s")
    met = passed == args.runs and slow == 0
    print(
        f"result: {passed}/{args.runs} runs passed; target: all, each within {TARGET_S:g} s"
        + ("" if met else "  MISSES")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
