"""The audit trail of a recordings directory: an append-only, hash-chained JSON-lines file.

Each line is one entry, canonical JSON (sorted keys, no spaces): `seq` (1, 2, ...), `at` (Unix
time), `by` (the account that acted), `event`, `recording` (its id, the metadata's path below
the root without `.json`), what the event adds, `prev` (the SHA-256 of the previous line's
bytes; GENESIS for the first) and `sha256` (of the entry without this field). An edited,
removed, inserted or reordered line breaks the chain at or after it, and `verify` names the
first bad one. What the chain cannot show on its own, a rewrite of the whole file from the edit
on, is caught only against a head kept elsewhere (docs/qa.md). Appends take an exclusive lock on
the file and fsync each entry, so two processes never interleave or chain to the same entry.
"""

from __future__ import annotations

import enum
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from softphone.config.tomlfile import current_user

AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64
_FIELDS = ("seq", "at", "by", "event", "recording", "prev", "sha256")
_TAIL = 1 << 16  # bytes read from the end to find the last line; longer lines read more


class AuditEvent(enum.Enum):
    """What can happen to a recording, as the trail names it."""

    CREATED = "created"
    FINALISED = "finalised"
    RECOVERED = "recovered"
    LOST = "lost"  # its folder was removed or moved away while the call recorded
    PLAYED = "played"
    EXPORTED = "exported"
    DELETED = "deleted-by-retention"
    HOLD_SET = "legal-hold-set"
    HOLD_LIFTED = "legal-hold-lifted"
    ARCHIVED = "archived"
    REMOVED_ARCHIVED = "removed-locally-after-archive"


class AuditError(OSError):
    """The audit trail cannot be read or written; the message says which file and why."""


@dataclass(frozen=True)
class AuditEntry:
    """One parsed line of the trail."""

    line: int
    data: dict[str, Any]

    @property
    def event(self) -> str:
        """The event's name (an AuditEvent value)."""
        return str(self.data.get("event", ""))

    @property
    def recording(self) -> str:
        """The recording's id."""
        return str(self.data.get("recording", ""))


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking the chain: entries read, the first bad line and why, the head."""

    entries: int
    head: str
    bad_line: int | None = None
    why: str = ""

    @property
    def intact(self) -> bool:
        """Whether every line chains to the one before it."""
        return self.bad_line is None


def line_hash(line: bytes) -> str:
    """The SHA-256 that the next entry's `prev` carries for `line` (without its newline)."""
    return hashlib.sha256(line).hexdigest()


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _self_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in data.items() if k != "sha256"})).hexdigest()


class AuditLog:
    """The trail at `path`; every method opens the file anew, so any process may use it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, root: Path) -> AuditLog:
        """The trail of the recordings directory `root`."""
        return cls(root / AUDIT_FILE)

    def append(self, event: AuditEvent, recording: str, **details: Any) -> dict[str, Any]:
        """Add one entry (locked, written whole, fsynced); returns it. AuditError on failure."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditError(f"cannot open the audit trail '{self.path}': {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last, count, ends_whole = _last_line(fd)
            entry: dict[str, Any] = {
                **details,
                "seq": count + 1,
                "at": time.time(),
                "by": current_user(),
                "event": event.value,
                "recording": recording,
                "prev": GENESIS if last is None else line_hash(last),
            }
            entry["sha256"] = _self_hash(entry)
            # A line a power cut left without its newline stays as it is (verify names it).
            os.write(fd, (b"" if ends_whole else b"\n") + _canonical(entry) + b"\n")
            os.fsync(fd)
            return entry
        except OSError as exc:
            raise AuditError(f"cannot write the audit trail '{self.path}': {exc}") from exc
        finally:
            os.close(fd)  # closing releases the lock

    def entries(self) -> Iterator[AuditEntry]:
        """Every line that parses as an entry, in file order (check the chain with `verify`)."""
        for number, raw in enumerate(self._lines(), 1):
            try:
                data = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(data, dict):
                yield AuditEntry(number, data)

    def head(self) -> str:
        """The SHA-256 of the last line: what to anchor elsewhere (GENESIS for an empty trail)."""
        lines = self._lines()
        return line_hash(lines[-1]) if lines else GENESIS

    def read_from(self, offset: int) -> tuple[list[bytes], int] | None:
        """The whole lines after byte `offset`, and the offset after them (a line still being
        written is left for later); None when the file is shorter than `offset`: cut or rewritten.
        """
        try:
            with self.path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < offset:
                    return None
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return None if offset else ([], 0)
        except OSError as exc:
            raise AuditError(f"cannot read the audit trail '{self.path}': {exc.strerror}") from exc
        whole = data[: data.rfind(b"\n") + 1]
        return whole.splitlines(), offset + len(whole)

    def tail(self) -> tuple[str, int]:
        """The head and the number of entries, from the end of the file only (cheap)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return GENESIS, 0
        except OSError as exc:
            raise AuditError(f"cannot read the audit trail '{self.path}': {exc.strerror}") from exc
        try:
            last, count, _whole = _last_line(fd)
        finally:
            os.close(fd)
        return (GENESIS if last is None else line_hash(last)), count

    def verify(self) -> ChainReport:
        """Check every line against its own hash and the line before it; names the first bad."""
        lines = self._lines()
        known: dict[str, int] = {GENESIS: 0}
        prev, prev_seq = GENESIS, 0
        for number, raw in enumerate(lines, 1):
            problem = _line_problem(raw, number, prev, prev_seq, known)
            if problem is not None:
                bad, why = problem
                return ChainReport(len(lines), line_hash(lines[-1]), bad, why)
            prev, prev_seq = line_hash(raw), number
            known.setdefault(prev, number)
        return ChainReport(len(lines), prev)

    def lines(self) -> list[bytes]:
        """The trail's lines as bytes, without their newlines (what the chain hashes)."""
        return self._lines()

    def _lines(self) -> list[bytes]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise AuditError(f"cannot read the audit trail '{self.path}': {exc.strerror}") from exc
        return data.splitlines()


def _line_problem(
    raw: bytes, number: int, prev: str, prev_seq: int, known: dict[str, int]
) -> tuple[int, str] | None:
    """What is wrong at line `number` (the bad line and why), or None when it chains on."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return number, f"not a JSON entry ({exc}): edited, or a write cut short"
    if not isinstance(data, dict) or any(name not in data for name in _FIELDS):
        return number, "not an audit entry: fields are missing"
    if data["sha256"] != _self_hash(data):
        return number, "edited: the entry does not match its own hash"
    if data["prev"] != prev:
        earlier = known.get(str(data["prev"]))
        if earlier is not None and earlier < number - 1:
            return earlier + 1, f"inserted: line {number} continues the chain from line {earlier}"
        if data["seq"] == number and prev_seq == number - 1:
            return number - 1, f"edited: line {number} chained to a different version of it"
        return number, (
            f"entry {data['seq']} stands where entry {number} belongs: an entry before it was "
            "removed, or entries were moved"
        )
    if data["seq"] != number:
        return number, f"entry {data['seq']} stands where entry {number} belongs"
    return None


def _last_line(fd: int) -> tuple[bytes | None, int, bool]:
    """The last line of the open trail, its line count, and whether the file ends in a newline.

    The count is the last entry's `seq` when it parses (the trail is not reread whole on every
    append), else the number of lines.
    """
    size = os.fstat(fd).st_size
    if size == 0:
        return None, 0, True
    span = min(size, _TAIL)
    while True:
        tail = os.pread(fd, span, size - span)
        lines = tail.splitlines()
        if len(lines) > 1 or span == size:
            break
        span = min(size, span * 4)
    last = lines[-1]
    try:
        seq = int(json.loads(last)["seq"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        seq = len(os.pread(fd, size, 0).splitlines())
    return last, seq, tail.endswith(b"\n")
