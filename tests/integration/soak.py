"""A long day in a few minutes: many recorded calls with holds into long-running answerers.

`run_soak` starts `lanes` answerers (`softphone answer --calls 0`), each fed by its own SIPp
caller (`uac_remote_hold`: the customer streams RTP, holds the agent, resumes, hangs up) that
places `calls_per_lane` calls one after the other, so `lanes` calls are in progress at a time.
Each answerer's RSS, open file descriptors and threads are read from /proc when idle before
the first call, after the warm-up calls and idle after the last; then `softphone recordings
verify` checks every recording.
Plain functions, no pytest: benchmarks/soak.py uses them too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.integration.sipp import SippPeer

__all__ = ["Lane", "ProcessSample", "SoakResult", "run_soak"]

CALL_S = 6.0  # generous upper bound of one uac_remote_hold call, set-up and tear-down included


@dataclass(frozen=True)
class ProcessSample:
    """What one process holds at a moment: resident memory, file descriptors, threads."""

    rss_kb: int
    fds: int
    threads: int

    @classmethod
    def of(cls, pid: int) -> ProcessSample:
        """Read /proc/PID now."""
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines()
        fields = {k: v.split() for k, _, v in (line.partition(":") for line in status)}
        fds = len(list(Path(f"/proc/{pid}/fd").iterdir()))
        return cls(int(fields["VmRSS"][0]), fds, int(fields["Threads"][0]))


@dataclass
class Lane:
    """One answerer and what it reported: a JSON report per call, samples, its exit."""

    answerer: subprocess.Popen[str]
    stderr_path: Path
    reports: list[dict[str, Any]] = field(default_factory=list)
    start: ProcessSample | None = None  # idle, before the first call
    warm: ProcessSample | None = None
    end: ProcessSample | None = None
    sipp_exit: int | None = None
    sipp_failure: str = ""
    exit_code: int | None = None
    _seen: threading.Condition = field(default_factory=threading.Condition)

    def read(self) -> None:
        """Runs on a reader thread: collect the answerer's call reports as they come."""
        stdout: IO[str] | None = self.answerer.stdout
        assert stdout is not None
        for line in stdout:
            if line.startswith("{"):
                with self._seen:
                    self.reports.append(json.loads(line))
                    self._seen.notify_all()

    def wait_reports(self, count: int, timeout: float) -> bool:
        """Wait until `count` calls were reported; whether they were."""
        with self._seen:
            return self._seen.wait_for(lambda: len(self.reports) >= count, timeout)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Reports of calls that failed or were not recorded completely."""
        return [r for r in self.reports if r.get("error") or not _complete(r)]


@dataclass
class SoakResult:
    """Every lane, and the verdict of `softphone recordings verify` on the recordings."""

    lanes: list[Lane]
    calls_wanted: int
    verify_exit: int = -1
    verify_output: str = ""

    @property
    def calls_reported(self) -> int:
        """Calls the answerers reported."""
        return sum(len(lane.reports) for lane in self.lanes)

    @property
    def failed(self) -> int:
        """Calls that failed, were not recorded completely, or never came (SIPp failures)."""
        return (
            sum(len(lane.failed) for lane in self.lanes)
            + self.calls_wanted
            - min(self.calls_wanted, self.calls_reported)
        )

    def growth(self) -> list[tuple[int, int, int]]:
        """Per lane: RSS growth (kB) from warm-up to the end; fds and threads from idle to idle.

        RSS is compared after the warm-up calls (the first calls fill caches once); descriptors
        and threads between the idle process before the first call and after the last one.
        """
        out = []
        for lane in self.lanes:
            if lane.start is not None and lane.warm is not None and lane.end is not None:
                out.append(
                    (
                        lane.end.rss_kb - lane.warm.rss_kb,
                        lane.end.fds - lane.start.fds,
                        lane.end.threads - lane.start.threads,
                    )
                )
        return out


def _complete(report: dict[str, Any]) -> bool:
    metadata = report.get("metadata")
    if not metadata:
        return False
    try:
        value = json.loads(Path(metadata).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(value.get("status") == "complete")


def _answerer(
    policy_args: list[str], env: Mapping[str, str], stderr_path: Path
) -> tuple[subprocess.Popen[str], int]:
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "softphone.cli", "answer", "--listen", "127.0.0.1:0",
             "--calls", "0", "--mic", "tone:1000", "--speaker", "null", "--json", *policy_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True,
            env=dict(env),
        )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if not first.startswith("listening on "):
        proc.kill()
        proc.wait(10)
        raise RuntimeError(f"softphone answer did not start: {first!r} {stderr_path.read_text()}")
    return proc, int(first.strip().rsplit(":", 1)[1])


def run_soak(
    work: Path,
    policy_args: list[str],
    recordings: Path,
    env: Mapping[str, str],
    *,
    lanes: int = 4,
    calls_per_lane: int = 25,
    warmup_calls: int = 3,
) -> SoakResult:
    """Run the soak (see the module docstring); every process is ended before it returns."""
    result = SoakResult([], lanes * calls_per_lane)
    callers: list[SippPeer] = []
    readers: list[threading.Thread] = []
    try:
        for i in range(lanes):
            proc, port = _answerer(policy_args, env, work / f"answer{i}.stderr")
            lane = Lane(proc, work / f"answer{i}.stderr", start=ProcessSample.of(proc.pid))
            result.lanes.append(lane)
            reader = threading.Thread(target=lane.read, name=f"soak-lane{i}", daemon=True)
            reader.start()
            readers.append(reader)
            caller = SippPeer(
                "uac_remote_hold",
                remote=f"127.0.0.1:{port}",
                service="agent",
                calls=calls_per_lane,
                timeout_s=calls_per_lane * CALL_S + 60,
                extra_args=["-l", "1"],  # one call at a time per answerer
                workdir=work / f"sipp{i}",
            )
            callers.append(caller.start())
        for lane in result.lanes:
            if lane.wait_reports(warmup_calls, warmup_calls * CALL_S + 30):
                lane.warm = ProcessSample.of(lane.answerer.pid)
        for lane, caller in zip(result.lanes, callers, strict=True):
            try:
                lane.sipp_exit = caller.wait(calls_per_lane * CALL_S + 90)
            except TimeoutError:
                lane.sipp_exit = None
            if lane.sipp_exit != 0:
                lane.sipp_failure = caller.describe()
            lane.wait_reports(calls_per_lane, 20)
            if lane.answerer.poll() is None:
                lane.end = ProcessSample.of(lane.answerer.pid)
    finally:
        for caller in callers:
            caller.stop()
        for lane in result.lanes:
            if lane.answerer.poll() is None:
                lane.answerer.terminate()
            try:
                lane.exit_code = lane.answerer.wait(30)
            except subprocess.TimeoutExpired:
                lane.answerer.kill()
                lane.exit_code = lane.answerer.wait(10)
        for reader in readers:
            reader.join(10)
        for lane in result.lanes:
            if lane.answerer.stdout is not None:
                lane.answerer.stdout.close()
    done = subprocess.run(
        [sys.executable, "-m", "softphone.cli", "recordings", "verify", *policy_args,
         "--recordings", str(recordings)],
        capture_output=True, text=True, timeout=600, env=dict(env), check=False,
    )  # fmt: skip
    result.verify_exit, result.verify_output = done.returncode, done.stdout + done.stderr
    return result
