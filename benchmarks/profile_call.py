"""Where a recorded call's CPU goes: py-spy samples `softphone call`, the top functions per thread.

A recorded `softphone call` to a fresh pjsua2 customer peer (both playing tones, as `call_cpu`
does) is attached to by py-spy once the disclosure has played; py-spy samples every thread's
Python stack (and, with `--native`, the C frames under it) for the window given. Printed per
thread: its share of the samples (by default only of the thread holding the GIL: Python's own
work, not its waits), the functions it spent its own time in,
and the functions under which most of its time was spent. Beside it, the call's CPU from /proc
in the same run (the reference that says how much time the profile divides up).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._support import child_env, machine, short_disclosure_policy, softphone_command
from benchmarks.call_cpu import AGENT_HZ, PEER_HZ, describe_audio
from benchmarks.procstats import process_cpu
from softphone.app.peerproc import CustomerPeer, PeerError

SETTLE_S = 4.0  # from the start of the call: answer, disclosure, the gate open
PROFILE_S = 20.0
RATE_HZ = 1000
TOP = 8


@dataclass
class ThreadProfile:
    """The samples of one thread: own time per function, and time under each function."""

    samples: int = 0
    own: Counter[str] = field(default_factory=Counter)
    under: Counter[str] = field(default_factory=Counter)


def parse_raw(text: str, names: dict[str, str] | None = None) -> dict[str, ThreadProfile]:
    """py-spy's `raw` output with `--threads` (one `thread (TID): NAME;frame;...;frame COUNT`
    line per distinct stack), per thread: named by `names` (the kernel's, by TID) if given."""
    threads: dict[str, ThreadProfile] = defaultdict(ThreadProfile)
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        tid, python_name = _thread(frames[0])
        label = python_name or (names or {}).get(tid) or "?"
        profile = threads[f"{label} ({tid})" if tid else label]
        calls = frames[1:]
        profile.samples += count
        if calls:
            profile.own[_short(calls[-1])] += count
            for name in {_short(f) for f in calls}:
                profile.under[name] += count
    return dict(threads)


def _thread(frame: str) -> tuple[str, str]:
    """`thread (15221): MainThread` -> ("15221", "MainThread")."""
    head, _, name = frame.partition(":")
    return head.rpartition("(")[2].rstrip(")"), name.strip()


def kernel_names(pid: int) -> dict[str, str]:
    """The kernel's name of each live thread of `pid`, by TID (pjsua2's own: clock, ...)."""
    names = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            names[task.name] = (task / "comm").read_text().strip()
        except OSError:
            continue
    return names


def _short(frame: str) -> str:
    # `function (path/to/module.py:123)` -> `function (module.py:123)`
    name, _, where = frame.partition(" (")
    if not where:
        return frame
    return f"{name} ({where.rstrip(')').rsplit('/', 1)[-1]})"


@dataclass
class Run:
    """One profiled call: the profile, the CPU /proc saw over the same window, the audio."""

    threads: dict[str, ThreadProfile] = field(default_factory=dict)
    cpu_share: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    failure: str = ""


def profile_call(work: Path, seconds: float, native: bool, gil: bool) -> Run:
    """Profile one recorded call to a fresh pjsua2 customer peer for `seconds`."""
    run = Run()
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        run.failure = "py-spy is not installed: pip install -e '.[test]'"
        return run
    policy = short_disclosure_policy(work / "policy")
    try:
        peer = CustomerPeer(
            ["--listen", "127.0.0.1:0", "--play", f"tone:{PEER_HZ}", "--max-seconds", "120"], work
        )
    except PeerError as exc:
        run.failure = f"the customer peer did not start: {exc}"
        return run
    heard = work / "heard.wav"
    args = ["call", peer.uri_for(), "--bind", "127.0.0.1:0", "--json"]
    args += ["--mic", f"tone:{AGENT_HZ}", "--speaker", str(heard), *policy.args]
    args += ["--hangup-after", f"{SETTLE_S + seconds + 2:g}"]
    try:
        call = subprocess.Popen(
            softphone_command(*args), env=child_env(work / "home"), text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(SETTLE_S)
        raw = work / "profile.txt"
        command = [spy, "record", "--pid", str(call.pid), "--duration", f"{seconds:g}"]
        command += ["--rate", str(RATE_HZ), "--threads", "--format", "raw", "-o", str(raw)]
        if native:
            command.append("--native")
        if gil:
            command.append("--gil")
        cpu0, started = process_cpu(call.pid), time.monotonic()
        spied = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
        cpu1, run.seconds = process_cpu(call.pid), time.monotonic() - started
        names = kernel_names(call.pid)  # the call is still up: 2 s are left of it
        _, err = call.communicate(timeout=SETTLE_S + seconds + 60)
    finally:
        peer.stop()
    if spied.returncode != 0 or not raw.exists():
        run.failure = f"py-spy failed: {spied.stderr.strip()[-500:]}"
        return run
    if call.returncode != 0:
        run.failure = f"the call failed (exit {call.returncode}): {err.strip()[-500:]}"
        return run
    if cpu0 is not None and cpu1 is not None:
        run.cpu_share = (cpu1 - cpu0) / run.seconds
    run.threads = parse_raw(raw.read_text(), names)
    run.notes.append("heard " + describe_audio(heard))
    recordings = sorted(policy.recordings.rglob("*.wav"))
    run.notes.append("recorded " + (describe_audio(recordings[-1]) if recordings else "nothing"))
    if not recordings or "dominant" not in run.notes[-1] or "dominant" not in run.notes[-2]:
        run.failure = "the call did not carry audio both ways: no figure from it"
    return run


def show(run: Run, native: bool, gil: bool) -> None:
    """Per thread, busiest first: its share of the samples, own time and time under."""
    total = sum(p.samples for p in run.threads.values())
    share = "n/a" if run.cpu_share is None else f"{run.cpu_share * 100:.2f} % of one core"
    print(f"\nthe call's process over the {run.seconds:.1f} s profiled: {share} (/proc)")
    frames = "with C frames" if native else "Python frames only"
    which = "the thread holding the GIL" if gil else "threads not idle"
    print(f"py-spy: {total} samples at {RATE_HZ}/s of {which} ({frames}); per thread")
    print("(its Python name, else the kernel's, and its TID), its share, then its functions:")
    for name, profile in sorted(run.threads.items(), key=lambda kv: -kv[1].samples):
        print(f"\n  {name}: {profile.samples / max(total, 1) * 100:.1f} % of the samples")
        print("    own time:")
        for function, count in profile.own.most_common(TOP):
            print(f"      {count / profile.samples * 100:5.1f} %  {function}")
        print("    under (own time plus callees):")
        for function, count in profile.under.most_common(TOP):
            print(f"      {count / profile.samples * 100:5.1f} %  {function}")


def main(argv: Sequence[str] | None = None) -> int:
    """Profile one call and print where its time went; exit 1 if no honest figure came out."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_call", description=__doc__)
    parser.add_argument("--seconds", type=float, default=PROFILE_S, help="profiled seconds")
    parser.add_argument("--native", action="store_true", help="also sample C frames")
    parser.add_argument(
        "--all-threads",
        action="store_true",
        help="sample every thread not idle, not only the one holding the GIL (waits in "
        "locks and in pjsua2's event wait then show as time)",
    )
    args = parser.parse_args(argv)
    print("profile_call: py-spy on a recorded `softphone call` to a pjsua2 customer peer")
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        gil = not args.all_threads
        run = profile_call(Path(tmp), max(2.0, args.seconds), args.native, gil)
    for note in run.notes:
        print(f"note: {note}")
    if run.failure:
        print(f"FAILED: {run.failure}")
        return 1
    show(run, args.native, gil)
    print(f"\n{machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
