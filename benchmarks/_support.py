"""Shared benchmark helpers: the short-disclosure policy, child processes and statistics."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.integration.policies import Compliance, tone_policy

REPO = Path(__file__).resolve().parents[1]
FRAME_S = 0.02
"""One conference-bridge frame (20 ms): the unit of "frames written" and "frames lost"."""


Policy = Compliance  # the integration tests' policy: a short tone disclosure, a recordings folder
short_disclosure_policy = tone_policy


def child_env(home: Path) -> dict[str, str]:
    """Environment for a child that imports this checkout, with private user folders."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    for name, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def softphone_command(*args: str) -> list[str]:
    """The `softphone` command line run from this checkout with the current interpreter."""
    return [sys.executable, "-m", "softphone.cli", *args]


@dataclass(frozen=True)
class Finished:
    """The outcome of one `softphone` run."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        """The JSON call report on the last line of stdout (empty if there is none)."""
        lines = self.stdout.strip().splitlines()
        if not lines:
            return {}
        try:
            value = json.loads(lines[-1])
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def why(self) -> str:
        """The last lines of standard error, for a failure message."""
        return " | ".join(self.stderr.strip().splitlines()[-3:]) or f"exit {self.returncode}"


def run_softphone(args: Sequence[str], env: dict[str, str], timeout: float) -> Finished:
    """Run `softphone ARGS` to completion with no stdin."""
    proc = subprocess.run(
        softphone_command(*args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    return Finished(proc.returncode, proc.stdout, proc.stderr)


def load_metadata(report: dict[str, Any]) -> dict[str, Any]:
    """The recording's metadata named by a call report ({} when nothing was recorded)."""
    path = report.get("metadata")
    if not path:
        return {}
    value = json.loads(Path(path).read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def med_p95_max(values: Sequence[float], unit: str, digits: int = 1) -> str:
    """`median X, p95 Y, max Z UNIT (n=N)` for a list of measurements."""
    if not values:
        return "no values"
    med = statistics.median(values)
    return (
        f"median {med:.{digits}f}, p95 {percentile(values, 95):.{digits}f}, "
        f"max {max(values):.{digits}f} {unit} (n={len(values)})"
    )


def machine() -> str:
    """One line naming the machine the figures come from."""
    return (
        f"{platform.node()}: {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    )
