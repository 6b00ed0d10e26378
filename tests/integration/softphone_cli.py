"""Runs the `softphone` command line as a child process, the way admins and scripts use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Self

from softphone.app.peerproc import CustomerPeer

REPO = Path(__file__).resolve().parents[2]
StartPeer = Callable[..., CustomerPeer]
"""The `start_peer` fixture: start a customer peer with extra command-line arguments."""


def child_env() -> dict[str, str]:
    """The environment for a child process that imports this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@dataclass
class Finished:
    """The outcome of one `softphone` run."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        """The JSON object on the last line of stdout."""
        lines = self.stdout.strip().splitlines()
        assert lines, f"no output; stderr: {self.stderr}"
        value = json.loads(lines[-1])
        assert isinstance(value, dict)
        return value


def tone_call(uri: str, policy_args: Sequence[str], *options: str, hz: float = 1000.0) -> list[str]:
    """`softphone call` arguments of a test call: the agent sends a tone and hears nothing."""
    mic = f"tone:{hz:g}"
    return ["call", uri, "--bind", "127.0.0.1:0", "--json", "--mic", mic, "--speaker", "null",
            *policy_args, *options]  # fmt: skip


def run_softphone(
    args: Sequence[str],
    timeout: float = 60.0,
    *,
    env: Mapping[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> Finished:
    """Run `softphone ARGS` to completion with no stdin; `env` adds to the environment."""
    proc = subprocess.run(
        [sys.executable, "-m", "softphone.cli", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env() | dict(env or {}),
        check=False,
        preexec_fn=preexec_fn,
    )
    return Finished(proc.returncode, proc.stdout, proc.stderr)


def run_driver(name: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run `python -m tests.integration.drivers.NAME ARGS` from the checkout, to completion."""
    return subprocess.run(
        [sys.executable, "-m", f"tests.integration.drivers.{name}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )


@contextmanager
def background_driver(name: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """`python -m tests.integration.drivers.NAME ARGS` in the background, killed if left running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", f"tests.integration.drivers.{name}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=child_env(),
        stdin=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def driver_uri(driver: subprocess.Popen[str], port_file: Path, user: str = "agent") -> str:
    """The SIP address of a background driver's agent, once it wrote its port to `port_file`."""
    deadline = time.monotonic() + 15
    while not port_file.exists() or not port_file.read_text():
        assert time.monotonic() < deadline and driver.poll() is None, "the agent did not start"
        time.sleep(0.05)
    return f"sip:{user}@127.0.0.1:{port_file.read_text()}"


def driver_output(driver: subprocess.Popen[str], timeout: float = 60.0) -> Any:
    """Wait for a background driver to succeed; the JSON value on its last line of stdout."""
    out, err = driver.communicate(timeout=timeout)
    assert driver.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


class Running:
    """`softphone ARGS` started in the background; `finish` waits for it and gives its outcome."""

    def __init__(self, args: Sequence[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "softphone.cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )

    def finish(self, timeout: float = 60.0) -> Finished:
        """Wait for the call to end and the process to exit."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate(timeout=10)
        return Finished(self.proc.returncode, out, err)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=10)


class Answering(Running):
    """`softphone answer --listen 127.0.0.1:0 ...` started in the background."""

    def __init__(self, args: Sequence[str]) -> None:
        super().__init__(["answer", "--listen", "127.0.0.1:0", *args])
        stdout: IO[str] | None = self.proc.stdout
        assert stdout is not None
        first = stdout.readline()
        if not first.startswith("listening on "):
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
            raise RuntimeError(f"softphone answer did not start: {first!r} {err}")
        self.port = int(first.strip().rsplit(":", 1)[1])
