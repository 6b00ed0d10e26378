"""A clean root to install the .deb into with `dpkg --root`, holding this host's Debian system.

No debootstrap mirror is reachable offline, so the root is built from the host: /usr as hard
links (seconds, not a copy; dpkg replaces files by renaming, so the host's files are never
written through them), a copy of /etc and of dpkg's database (so the package's Depends are
checked against the packages really installed here), an empty /opt, /tmp and a /dev/null.
Maintainer scripts and the installed `softphone` run chrooted into it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

FORBIDDEN = ("/etc/softphone", "/opt/softphone")  # the host must not have them: they would leak in


def make_root(root: Path) -> Path:
    """Build a clean root at `root` (which must not exist) and return it."""
    for path in FORBIDDEN:
        assert not os.path.lexists(path), f"{path} exists on this host: remove it first"
    root.mkdir()
    subprocess.run(["cp", "-al", "/usr", str(root / "usr")], check=True, timeout=120)
    for name in ("bin", "lib", "lib64", "sbin"):
        target = os.readlink(f"/{name}") if os.path.islink(f"/{name}") else None
        assert target is not None, f"/{name} is not a symlink: this host is not merged-/usr"
        (root / name).symlink_to(target)
    subprocess.run(["cp", "-a", "/etc", str(root / "etc")], check=True, timeout=120)
    (root / "var" / "lib").mkdir(parents=True)
    shutil.copytree("/var/lib/dpkg", root / "var" / "lib" / "dpkg", symlinks=True)
    for name in ("opt", "tmp", "root", "dev", "var/cache", "var/log", "run"):
        (root / name).mkdir(exist_ok=True)
    (root / "tmp").chmod(0o1777)
    subprocess.run(["mknod", "-m", "666", str(root / "dev" / "null"), "c", "1", "3"], check=True)
    return root


def dpkg(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run dpkg on `root` (maintainer scripts run chrooted there); triggers are left pending."""
    return subprocess.run(
        ["dpkg", f"--root={root}", "--no-triggers", "--force-confold", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
    )  # fmt: skip


def in_root(
    root: Path,
    argv: Sequence[str],
    timeout: float = 120,
    *,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` chrooted into `root`, found on its PATH, with a clean environment (and `env`)."""
    clean = {"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8", **(env or {})}
    return subprocess.run(
        ["/usr/sbin/chroot", str(root), *argv],
        capture_output=True, text=True, timeout=timeout, check=False, env=clean,
        input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
    )  # fmt: skip


def session_bus_in(root: Path) -> dict[str, str]:
    """Make this session's D-Bus (with its Secret Service) reachable inside `root`: a hard link
    to its socket at the same path there. The environment that names it, for `in_root`."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    assert address.startswith("unix:path="), (
        f"no session bus socket ({address!r}): run this through scripts/test.sh"
    )
    socket = Path(address.removeprefix("unix:path=").split(",", 1)[0])
    inside = root / socket.relative_to("/")
    inside.parent.mkdir(parents=True, exist_ok=True)
    os.link(socket, inside)
    return {"DBUS_SESSION_BUS_ADDRESS": address}


def status(root: Path) -> tuple[str, str]:
    """The softphone package's dpkg status and version in `root`."""
    done = subprocess.run(
        ["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "-f=${Status}\t${Version}",
         "softphone"],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    state, version = done.stdout.split("\t")
    return state, version
