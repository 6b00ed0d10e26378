"""Checks of the files and directories a configuration refers to, in words an admin can act on."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from softphone.config.tomlfile import current_user

_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_MAX_CA_BYTES = 16 * 1024 * 1024


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


def writable_directory_problem(path: Path, *, may_create: bool) -> str | None:
    """Why recordings cannot be written to `path`, or None when they can.

    With `may_create`, a missing directory is fine when its nearest existing parent is writable
    (the softphone creates it on first use).
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        if not may_create:
            return (
                f"{path} does not exist; create it, writable by the agents' accounts, "
                "or name a directory that exists"
            )
        parent = _nearest_existing(path)
        if parent is None or not os.access(parent, os.W_OK | os.X_OK):
            return (
                f"{path} does not exist and cannot be created: {parent} is not writable by "
                f"user {current_user()}"
            )
        return None
    except OSError as exc:
        return f"{path} cannot be examined: {exc.strerror or exc}"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a directory"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path} is not writable by user {current_user()} (the account running the check)"
    return None


def _nearest_existing(path: Path) -> Path | None:
    for parent in path.parents:
        try:
            if parent.is_dir():
                return parent
        except OSError:
            return None
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
