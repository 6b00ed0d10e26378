"""Time from answer to the disclosure's first frame, over many outbound and inbound calls."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from benchmarks._support import (
    Finished,
    Policy,
    child_env,
    load_metadata,
    machine,
    med_p95_max,
    run_softphone,
    short_disclosure_policy,
    softphone_command,
)
from softphone.app.peerproc import CustomerPeer, PeerError

TARGET_MS = 40.0
HANGUP_AFTER_S = 1.4  # just after the 1.2 s disclosure, so that the call leaves its metadata


@dataclass
class Direction:
    """The measurements of one direction."""

    name: str
    answer_means: str
    report_ms: list[float] = field(default_factory=list)
    metadata_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _latencies(done: Finished, into: Direction) -> None:
    report = done.report
    disclosure = report.get("disclosure") or {}
    started = disclosure.get("started_at")
    if done.returncode != 0 or started is None or report.get("answered_at") is None:
        into.failures.append(done.why())
        return
    into.report_ms.append((float(started) - float(report["answered_at"])) * 1000)
    answered = load_metadata(report).get("call", {}).get("answered_at")
    if answered is not None:
        into.metadata_ms.append((float(started) - float(answered)) * 1000)


def _peer(args: list[str], logs: Path) -> CustomerPeer:
    return CustomerPeer(["--listen", "127.0.0.1:0", "--max-seconds", "30", *args], logs)


def outbound(count: int, policy: Policy, work: Path) -> Direction:
    """`softphone call` to a fresh pjsua2 customer peer, `count` times."""
    result = Direction("outbound", "the softphone received the 200 OK (the call is confirmed)")
    env = child_env(work / "home")
    started = time.monotonic()
    for _ in range(count):
        try:
            peer = _peer(["--play", "tone:440"], work)
        except PeerError as exc:
            result.failures.append(str(exc))
            continue
        try:
            args = ["call", peer.uri_for(), "--bind", "127.0.0.1:0", "--json"]
            args += ["--mic", "tone:1000", "--speaker", "null", *policy.args]
            args += ["--hangup-after", f"{HANGUP_AFTER_S:g}"]
            _latencies(run_softphone(args, env, timeout=30), result)
        finally:
            peer.stop()
    result.seconds = time.monotonic() - started
    return result


def _answer_one(policy: Policy, env: dict[str, str], work: Path) -> Finished:
    args = ["answer", "--listen", "127.0.0.1:0", "--json", "--wait", "20"]
    args += ["--mic", "tone:1000", "--speaker", "null", *policy.args]
    args += ["--hangup-after", f"{HANGUP_AFTER_S:g}"]
    proc = subprocess.Popen(
        softphone_command(*args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peer: CustomerPeer | None = None
    try:
        stdout: IO[str] | None = proc.stdout
        assert stdout is not None
        first = stdout.readline()
        if not first.startswith("listening on "):
            proc.kill()
            out, err = proc.communicate(timeout=10)
            return Finished(proc.returncode, first + out, err)
        port = int(first.strip().rsplit(":", 1)[1])
        peer = _peer(["--call", f"sip:agent@127.0.0.1:{port}", "--play", "tone:440"], work)
        out, err = proc.communicate(timeout=30)
        return Finished(proc.returncode, first + out, err)
    except (subprocess.TimeoutExpired, PeerError) as exc:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        return Finished(proc.returncode or 1, out, f"{err}\n{exc}")
    finally:
        if peer is not None:
            peer.stop()


def inbound(count: int, policy: Policy, work: Path) -> Direction:
    """`softphone answer` called by a fresh pjsua2 customer peer, `count` times."""
    result = Direction("inbound", "the softphone sent its 200 OK (metadata call.answered_at)")
    env = child_env(work / "home")
    started = time.monotonic()
    for _ in range(count):
        _latencies(_answer_one(policy, env, work), result)
    result.seconds = time.monotonic() - started
    return result


def show(result: Direction) -> None:
    """Print one direction's figures."""
    print(f"\n== {result.name}: 'answer' = {result.answer_means}")
    ok = len(result.report_ms)
    print(f"   {ok} calls measured, {len(result.failures)} failed, in {result.seconds:.1f} s")
    for failure in result.failures[:3]:
        print(f"   failed: {failure}")
    primary = result.metadata_ms if result.name == "inbound" else result.report_ms
    worst = max(primary, default=float("nan"))
    verdict = "meets" if worst <= TARGET_MS else "MISSES"
    print(f"   disclosure.started_at - answer: {med_p95_max(primary, 'ms')}")
    print(f"   [{verdict} target <= {TARGET_MS:g} ms at the max]")
    if result.name == "inbound":
        print(
            "   (against the --json report's answered_at, which for an inbound call is when the "
            f"caller's ACK confirmed it: {med_p95_max(result.report_ms, 'ms')}; negative means "
            "the disclosure started before the ACK arrived)"
        )
    else:
        print(
            "   (against the metadata's call.answered_at, the session's own answer mark: "
            f"{med_p95_max(result.metadata_ms, 'ms')})"
        )
    if primary:
        print(f"   min {min(primary):.1f} ms; all: {', '.join(f'{v:.0f}' for v in primary)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the calls and print the latencies; exit 1 only if no call could be measured."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.disclosure_latency", description=__doc__
    )
    parser.add_argument("--calls", type=int, default=20, help="calls per direction (default 20)")
    args = parser.parse_args(argv)
    count = max(1, args.calls)
    # The customer peer runs `python -m softphone.sip.testpeer`: it must import this checkout.
    repo = str(Path(__file__).resolve().parents[1])
    os.environ["PYTHONPATH"] = repo + os.pathsep + os.environ.get("PYTHONPATH", "")
    print("disclosure_latency: short calls to (and from) a pjsua2 customer peer, one process each;")
    print("disclosure.started_at is when the conference bridge took the disclosure's first frame")
    print("for the customer (the --json report and the recording's metadata both carry it).")
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-disclosure-") as tmp:
        work = Path(tmp)
        policy = short_disclosure_policy(work / "policy")
        results = [outbound(count, policy, work), inbound(count, policy, work)]
    for result in results:
        show(result)
    return 0 if any(r.report_ms for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
