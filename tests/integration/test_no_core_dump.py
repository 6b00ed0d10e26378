"""A crash writes no core dump: the process holds secrets, whatever the shell's `ulimit -c`."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.softphone_cli import child_env


def _core_files_go_to_the_working_directory() -> bool:
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    return bool(pattern) and not pattern.startswith("|") and "/" not in pattern


def test_a_crashed_answerer_leaves_no_core_file(tmp_path: Path) -> None:
    if not _core_files_go_to_the_working_directory():
        pytest.skip("this kernel pipes or redirects core dumps; the file check needs 'core'")
    answer = f"exec {sys.executable} -m softphone.cli answer --listen 127.0.0.1:0 --calls 0"
    proc = subprocess.Popen(
        ["bash", "-c", f"ulimit -c unlimited && {answer}"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on ")
        limits = Path(f"/proc/{proc.pid}/limits").read_text()
        [core] = [line.split() for line in limits.splitlines() if line.startswith("Max core")]
        assert core[4:6] == ["0", "0"], limits  # soft and hard limit
        proc.send_signal(signal.SIGSEGV)  # what a crash in the SIP stack does
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGSEGV
    assert list(tmp_path.iterdir()) == []  # no core, no core.PID


def test_the_process_is_marked_non_dumpable() -> None:
    probe = (
        "from softphone.app.hardening import dumpable, forbid_core_dumps;"
        "before = dumpable(); forbid_core_dumps(); print(before, dumpable())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30,
        env=child_env(), check=True,
    )  # fmt: skip
    assert done.stdout.split() == ["True", "False"]
