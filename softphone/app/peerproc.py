"""Runs the customer peer (`softphone.sip.testpeer`) as a child process and follows its events."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any


class PeerError(RuntimeError):
    """The customer peer did not start or did not report what was expected."""


class CustomerPeer:
    """One peer process; its JSON event lines are collected by a reader thread."""

    def __init__(self, args: Sequence[str], log_dir: Path | None = None) -> None:
        self.args = list(args)
        self.events: list[dict[str, Any]] = []
        self._lines: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._stderr_path = (log_dir or Path("/tmp")) / f"peer-{time.monotonic_ns()}.log"
        self._stderr: IO[bytes] = self._stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "softphone.sip.testpeer", *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, name="peer-reader", daemon=True)
        self._reader.start()
        self.port = int(self.wait_for("ready", 15.0)["port"])

    def uri_for(self, user: str = "customer") -> str:
        """The SIP address to call this peer at."""
        return f"sip:{user}@127.0.0.1:{self.port}"

    def _read(self) -> None:
        """Runs on the reader thread: parse each stdout line into an event."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self._lines.put(json.loads(line))
            except json.JSONDecodeError:
                continue  # not an event line
        self._lines.put(None)

    def wait_for(self, name: str, timeout: float, **match: Any) -> dict[str, Any]:
        """Wait for the next event called `name` whose fields include `match`."""
        for event in self.events:
            if _matches(event, name, match) and not event.get("_seen"):
                event["_seen"] = True
                return event
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PeerError(f"the customer peer did not report {name!r} within {timeout:g} s")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise PeerError(f"the customer peer exited before reporting {name!r}: {self.log()}")
            self.events.append(line)
            if _matches(line, name, match):
                line["_seen"] = True
                return line

    def finish(self, timeout: float = 20.0) -> int:
        """Wait for the peer to exit by itself; collect its remaining events."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise PeerError(f"the customer peer did not finish within {timeout:g} s") from None
        self._close_pipes()
        return code

    def _close_pipes(self) -> None:
        self._reader.join(5.0)
        self._drain()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if not self._stderr.closed:
            self._stderr.close()

    def _drain(self) -> None:
        while True:
            try:
                event = self._lines.get_nowait()
            except queue.Empty:
                return
            if event is not None:
                self.events.append(event)

    def named(self, name: str) -> list[dict[str, Any]]:
        """Every event called `name` received so far."""
        self._drain()
        return [e for e in self.events if e.get("event") == name]

    def log(self) -> str:
        """The peer's stderr so far, for error messages."""
        self._stderr.flush()
        return self._stderr_path.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        """Terminate the peer if it is still running."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5.0)
        self._close_pipes()

    def __enter__(self) -> CustomerPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _matches(event: dict[str, Any], name: str, match: dict[str, Any]) -> bool:
    return event.get("event") == name and all(event.get(k) == v for k, v in match.items())
