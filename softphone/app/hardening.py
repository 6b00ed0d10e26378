"""The process keeps its secrets in memory only: no core dump, no ptrace by other users.

A crash of a process holding a SIP password (or, later, a QA key) must not write that memory to
disk: the core file limit is set to 0 and the process is marked non-dumpable (prctl
PR_SET_DUMPABLE), which also stops other non-root users from attaching a debugger. Done first
thing at start, before any secret is read.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import resource
import sys

log = logging.getLogger("softphone.app")

PR_SET_DUMPABLE = 4  # <linux/prctl.h>
PR_GET_DUMPABLE = 3


def forbid_core_dumps() -> None:
    """No core file whatever the shell's `ulimit -c`, and not dumpable; a warning if it fails."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError) as exc:
        log.warning("cannot switch core dumps off (RLIMIT_CORE): %s", exc)
    if not sys.platform.startswith("linux"):
        return
    if _prctl(PR_SET_DUMPABLE, 0) != 0:
        log.warning("cannot mark the process non-dumpable (prctl PR_SET_DUMPABLE)")


def dumpable() -> bool:
    """Whether the kernel would dump this process's memory (Linux; True elsewhere)."""
    if not sys.platform.startswith("linux"):
        return True
    return _prctl(PR_GET_DUMPABLE, 0) != 0


def _prctl(option: int, value: int) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    result: int = libc.prctl(option, value, 0, 0, 0)
    return result
