"""Benchmark children: output timed line by line, stopped in bounds; CPU and memory from /proc."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from benchmarks.call_cpu import TICK_S, LineReader

READY_BOUND_S = 30.0  # a child not ready by then counts as failed
STOP_BOUND_S = 15.0  # SIGTERM, then this long, then SIGKILL


class Child:
    """A child process whose output (stdout and stderr) is read line by line, each line timed."""

    def __init__(self, command: Sequence[str], env: dict[str, str]) -> None:
        self.spawned = time.time()
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # baresip says it is ready on stdout, Python on stderr
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        self.lines = LineReader(self.proc.stdout)

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.proc.pid

    def seconds_to(self, pattern: str, bound_s: float = READY_BOUND_S) -> float | None:
        """Seconds from the spawn to the first line matching `pattern` (None: not within bound)."""
        deadline = time.monotonic() + bound_s
        while time.monotonic() < deadline:
            found = self.lines.first(pattern)
            if found is not None:
                return found[0] - self.spawned
            if self.proc.poll() is not None:
                self.lines.join()
                found = self.lines.first(pattern)
                return None if found is None else found[0] - self.spawned
            time.sleep(0.005)
        return None

    def tail(self) -> str:
        """The child's last lines of output, for a failure message."""
        return " | ".join(line for _, line in self.lines.lines[-3:]) or "no output"

    def stop(self) -> None:
        """SIGTERM, a bounded wait, then SIGKILL; `proc.returncode` is the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_BOUND_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_BOUND_S)
        self.lines.join()


@contextmanager
def running(command: Sequence[str], env: dict[str, str]) -> Iterator[Child]:
    """A child that is stopped on the way out, whatever happened."""
    child = Child(command, env)
    try:
        yield child
    finally:
        child.stop()


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of the process, every thread it ever had included."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS, RssAnon and RssFile of the process in MB (empty once it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    found: dict[str, float] = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            found[key] = int(value.split()[0]) / 1024
    return found


def wakeups(pid: int) -> dict[str, float]:
    """Voluntary context switches (each a sleep, so about one wake-up) of each live thread,
    keyed like `thread_cpu`: "name/tid", "main/tid" for the first."""
    found: dict[str, float] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            comm = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
        except OSError:
            continue
        switches = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.MULTILINE)
        if switches is not None:
            found[f"{'main' if tid == str(pid) else comm}/{tid}"] = float(switches.group(1))
    return found


def by_name(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What each thread name added between two readings (threads of one name summed)."""
    used: dict[str, float] = {}
    for key, value in after.items():
        label = key.split("/", 1)[0]
        used[label] = used.get(label, 0.0) + value - before.get(key, 0.0)
    return used
