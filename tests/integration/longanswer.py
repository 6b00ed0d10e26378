"""The long-running answerer (`softphone answer --calls 0`) under test: its output, memory, calls.

Plain helpers, no pytest. The answerer's stdout and stderr are read as they come, so a report
that lists thousands of refused calls never fills a pipe and stalls the process under test.
"""

from __future__ import annotations

import json
import queue
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from softphone.media.analysis import read_channels, read_mono, tone_duration_s
from tests.integration.softphone_cli import Answering, StartPeer

AGENT_HZ, CUSTOMER_HZ = 1000.0, 440.0
TALK_S = 3.5
"""How long each check call lasts after the answer: the 1.2 s disclosure, then both tones."""
HEARD_S = 1.2
"""The least each side must carry of the other's tone, in what was heard and recorded."""


class LongAnswerer:
    """`softphone answer --calls 0 --listen 127.0.0.1:0 ARGS`, the agent sending AGENT_HZ."""

    def __init__(self, args: Sequence[str]) -> None:
        self._answering = Answering(
            ["--calls", "0", "--mic", f"tone:{AGENT_HZ:g}", "--speaker", "null", "--json", *args]
        )
        self.proc = self._answering.proc
        self.port = self._answering.port
        self.reports: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.stderr: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_reports, args=(self.proc.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self.proc.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_reports(self, stream: IO[str]) -> None:
        """Runs on a reader thread: each JSON line of stdout is one call's report."""
        for line in stream:
            if line.startswith("{"):
                self.reports.put(json.loads(line))

    def _read_stderr(self, stream: IO[str]) -> None:
        """Runs on a reader thread: keep the log, for assertion messages."""
        for line in stream:
            self.stderr.append(line)

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def log(self, lines: int = 40) -> str:
        """The end of its stderr and its exit status, for an assertion message."""
        return f"exit {self.proc.poll()}; stderr:\n" + "".join(self.stderr[-lines:])

    def rss_kib(self) -> int:
        """Its resident set size now (VmRSS in /proc/PID/status), in KiB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc status")

    def next_report(self, timeout: float) -> dict[str, Any]:
        """The report of the next call that ends."""
        try:
            return self.reports.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no call report within {timeout:g} s; {self.log()}") from None

    def stop(self) -> int:
        """SIGTERM (the normal way out of `--calls 0`); its exit code."""
        if self.alive:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self._close()
        return code

    def kill(self) -> None:
        """End it if it still runs (after a failed test)."""
        if self.alive:
            self.proc.kill()
            self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def check_call(agent: LongAnswerer, start_peer: StartPeer, folder: Path) -> dict[str, Any]:
    """A customer calls the agent: answered, each side hears and the recording holds the other.

    Audio is checked by FFT: the customer's recording of what it heard holds the agent's tone,
    the recording's customer (right) channel holds the customer's tone and its agent (left)
    channel the agent's. Returns the call's report.
    """
    assert agent.alive, agent.log()
    folder.mkdir(parents=True, exist_ok=True)
    heard = folder / "customer-heard.wav"
    peer = start_peer(
        "--call", f"sip:agent@127.0.0.1:{agent.port}", "--play", f"tone:{CUSTOMER_HZ:g}",
        "--record", str(heard), "--hangup-after", str(TALK_S),
    )  # fmt: skip
    assert peer.finish(timeout=30) == 0, peer.log()
    report = agent.next_report(timeout=20)
    assert report["answered_at"] is not None and report["error"] is None, report
    assert "sip:customer@" in report["remote_uri"], report
    samples, rate = read_mono(heard)
    assert tone_duration_s(samples, rate, AGENT_HZ) >= HEARD_S, "the customer did not hear"
    channels, rate = read_channels(report["recording"])
    assert tone_duration_s(channels[:, 0], rate, AGENT_HZ) >= HEARD_S, "agent not recorded"
    assert tone_duration_s(channels[:, 1], rate, CUSTOMER_HZ) >= HEARD_S, "customer not recorded"
    return report
