"""Checks of the files and directories a configuration refers to, in words an admin can act on."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from softphone.config.tomlfile import current_user

_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_MAX_CA_BYTES = 16 * 1024 * 1024
_PROBE_BYTES = 4096  # one block, as the first write of a recording


def readable_file_problem(path: Path) -> str | None:
    """Why `path` is not a readable, non-empty regular file, or None when it is."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return f"{path} does not exist"
    except OSError as exc:
        return f"{path} cannot be examined: {exc.strerror or exc}"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file"
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except PermissionError:
        return f"{path} cannot be read by user {current_user()}: permission denied"
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror or exc}"
    if st.st_size == 0:
        return f"{path} is empty"
    return None


def ca_file_problem(path: Path) -> str | None:
    """Why `path` is not a readable PEM file with at least one certificate, or None."""
    problem = readable_file_problem(path)
    if problem is not None:
        return problem
    try:
        with path.open("rb") as handle:
            head = handle.read(_MAX_CA_BYTES)
    except OSError as exc:  # pragma: no cover - readable a moment ago
        return f"{path} cannot be read: {exc.strerror or exc}"
    if _PEM_CERTIFICATE not in head:
        return (
            f"{path} holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line); "
            "convert a DER file with: openssl x509 -inform der -in CA.der -out CA.pem"
        )
    return None


def writable_directory_problem(
    path: Path, *, may_create: bool, checking: bool = True
) -> str | None:
    """Why recordings cannot be written to `path`, or None when they can.

    Permission bits do not tell (root passes every `access()` check, a read-only or pseudo
    file system refuses anyway), so this does what a recording does: it creates a folder and a
    file in it, writes, fsyncs, and removes both again. With `may_create`, a missing directory
    is created for the probe and removed after it (the softphone creates it on first use).
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        if not may_create:
            return (
                f"{path} does not exist; create it, writable by the agents' accounts, "
                "or name a directory that exists"
            )
        return _probe_missing(path)
    except OSError as exc:
        return f"{path} cannot be examined: {exc.strerror or exc}"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a directory"
    return probe_directory(path, checking=checking)


def probe_directory(path: Path, *, checking: bool = True) -> str | None:
    """Create, write, fsync and remove a probe folder and file in `path`; why that failed.

    `checking` says in the message that the result holds for the account running the check.
    """
    probe = path / f".softphone-probe-{os.getpid()}-{secrets.token_hex(4)}"
    who = f"user {current_user()}" + (" (the account running the check)" if checking else "")
    try:
        probe.mkdir(mode=0o700)
    except OSError as exc:
        return f"{path} is not writable by {who}: {_why(exc)}"
    file = probe / "probe.raw"
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, bytes(_PROBE_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return f"{path} does not take a recording written by {who}: {_why(exc)}"
    finally:
        with contextlib.suppress(OSError):
            file.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            probe.rmdir()
    return None


def _probe_missing(path: Path) -> str | None:
    parent = _nearest_existing(path)
    if parent is None:
        return f"{path} does not exist and no folder above it can be examined"
    created: list[Path] = []
    problem: str | None = None
    try:
        folder = parent
        for part in path.relative_to(parent).parts:
            folder = folder / part
            folder.mkdir(mode=0o700)
            created.append(folder)
    except OSError as exc:
        problem = (
            f"{path} does not exist and cannot be created by user {current_user()}: "
            f"{_why(exc)} in {folder.parent}"
        )
    else:
        problem = probe_directory(path)
    finally:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
    return problem


def _why(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _nearest_existing(path: Path) -> Path | None:
    for parent in path.parents:
        try:
            if parent.is_dir():
                return parent
        except OSError:
            return None
    return None


def group_problem(name: str) -> str | None:
    """Why recordings cannot be given to the local group `name`, or None when they can."""
    if os.name != "posix":
        return "a recording group can only be set on Linux and macOS; remove the key"
    import grp  # noqa: PLC0415 - POSIX only

    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        return f'there is no local group "{name}" on this computer; create it (groupadd {name})'
    if os.geteuid() != 0 and gid not in (os.getegid(), *os.getgroups()):
        return (
            f'user {current_user()} is not a member of group "{name}", so the recordings '
            f"cannot be given to it; add the agents to it (usermod -aG {name} USER)"
        )
    return None


def loose_permission_problems(path: Path) -> list[str]:
    """Warnings when users other than the owner could change the policy (POSIX only)."""
    if os.name != "posix":
        return []
    found = []
    for target, what in ((path, "the policy file"), (path.parent, "the policy's directory")):
        try:
            mode = target.stat().st_mode
        except OSError:
            continue
        sticky_dir = target.is_dir() and mode & stat.S_ISVTX
        if mode & (stat.S_IWGRP | stat.S_IWOTH) and not sticky_dir:
            found.append(
                f"{what} {target} is writable by users other than its owner "
                f"(mode {stat.S_IMODE(mode):04o}): anyone who can change it can change what "
                f"compliance depends on; make it writable by root only (chmod go-w {target})"
            )
    return found
