"""Which of this process's file descriptors are the sockets bound to given local ports (Linux)."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

_TABLES = ("udp", "udp6", "tcp", "tcp6")
_LISTEN = "0A"  # a TCP socket's state column while it listens


def bound_socket_fds(ports: Collection[int], proc: Path = Path("/proc")) -> tuple[int, ...]:
    """The descriptors of our UDP sockets and listening TCP sockets bound to one of `ports`.

    Read from the kernel's socket tables and our descriptor links; empty where there is no
    /proc (then a caller keeps polling on a timer). Connected TCP sockets are left out.
    """
    inodes: set[str] = set()
    for table in _TABLES:
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            port = int(fields[1].rsplit(":", 1)[-1], 16)
            if port in ports and (table.startswith("udp") or fields[3] == _LISTEN):
                inodes.add(fields[9])
    if not inodes:
        return ()
    found = []
    fd_dir = proc / "self" / "fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return ()
    for name in names:
        try:
            target = os.readlink(fd_dir / name)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            found.append(int(name))
    return tuple(sorted(found))
