"""The library index: an SQLite (WAL) summary of every recording's metadata, for fast search.

The index is a cache the metadata files can always rebuild, so each reader keeps their own, in
their user data folder (Linux: ~/.local/share/softphone/library/<hash of the directory>.sqlite):
QA reviewers need no write access to the recordings, and agents share no file. It is brought up
to date before every search: missing, it is built; stale, only the folders whose modification
time changed since (a recording added, rewritten or removed renames or unlinks a file there)
are read again; damaged (not a database, or of an unknown layout), it is moved aside with a
warning and rebuilt. A metadata file edited in place leaves its folder's time alone: `rebuild`
(the `--rebuild` option) reads everything again. Free text uses SQLite's FTS5 when this
Python's SQLite has it, else LIKE.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from softphone.recordings.metadata import MetadataError, RecordingMetadata, read_metadata
from softphone.recordings.store import recording_id

log = logging.getLogger("softphone.recorder")

LAYOUT = 1  # PRAGMA user_version of the index's tables; another value means rebuild
_COLUMNS = (
    "id", "folder", "mtime_ns", "size", "audio", "status", "direction", "agent", "account",
    "remote", "started", "ended", "duration_s", "holds", "pauses", "paused_s", "interrupted",
    "disclosure", "problem", "parties", "notes",
)  # fmt: skip
_TABLES = f"""
CREATE TABLE recordings (n INTEGER PRIMARY KEY, {", ".join(_COLUMNS)}, UNIQUE (id));
CREATE INDEX recordings_folder ON recordings (folder);
CREATE INDEX recordings_started ON recordings (started);
CREATE TABLE folders (path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL);
"""
_FTS = "CREATE VIRTUAL TABLE text USING fts5 (parties, notes)"


def default_index_path(root: Path) -> Path:
    """Where this user's index of the recordings directory `root` lives."""
    key = hashlib.sha256(str(root.absolute()).encode()).hexdigest()[:16]
    return platformdirs.user_data_path("softphone", appauthor=False) / "library" / f"{key}.sqlite"


@dataclass(frozen=True)
class Filters:
    """What a search asks for; None is "any". Times are Unix times of the call's start."""

    since: float | None = None
    until: float | None = None
    agent: str | None = None
    account: str | None = None  # part of the local (the agent's) SIP URI
    remote: str | None = None  # part of the remote party's SIP URI
    direction: str | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    had_hold: bool | None = None
    interrupted: bool | None = None
    text: str | None = None  # words in the parties, pause reasons, errors and transfers
    limit: int | None = None


@dataclass(frozen=True)
class Refresh:
    """What bringing the index up to date did."""

    rebuilt: bool
    read: int  # metadata files read
    removed: int
    moved_aside: Path | None = None


class LibraryIndex:
    """The index of the recordings directory `root`, in the SQLite file `path`."""

    def __init__(self, root: Path, path: Path | None = None) -> None:
        self.root = root
        self.path = default_index_path(root) if path is None else path
        self.has_fts = _fts_available()

    def search(self, filters: Filters) -> list[dict[str, Any]]:
        """Recordings matching `filters`, oldest first, each a row of the index as a dict."""
        where, params = _where(filters, self.has_fts)
        order = "ORDER BY started IS NULL, started, id"  # unknown start times last
        sql = f"SELECT {', '.join(_COLUMNS)} FROM recordings {where} {order}"
        if filters.limit is not None:
            sql += f" LIMIT {int(filters.limit)}"
        with self._connection() as db:
            return [dict(zip(_COLUMNS, row, strict=True)) for row in db.execute(sql, params)]

    def refresh(self, *, rebuild: bool = False) -> Refresh:
        """Bring the index up to date (from scratch with `rebuild`); damage is moved aside."""
        moved: Path | None = None
        try:
            return self._refresh(rebuild)
        except sqlite3.DatabaseError as exc:
            moved = self._move_aside(exc)
        done = self._refresh(True)
        return Refresh(True, done.read, done.removed, moved)

    def _refresh(self, rebuild: bool) -> Refresh:
        with self._connection() as db:
            known = dict(db.execute("SELECT path, mtime_ns FROM folders").fetchall())
            if rebuild or not known:
                self._clear(db)
                read, _ = self._scan(db, self.root, {})
                return Refresh(True, read, 0)
            read = removed = 0
            for folder, mtime_ns in known.items():
                path = self.root / folder if folder else self.root
                try:
                    now_ns = path.stat().st_mtime_ns
                except FileNotFoundError:
                    removed += self._forget(db, folder)
                    continue
                if now_ns != mtime_ns:
                    more, gone = self._scan(db, path, known, recurse=False)
                    read, removed = read + more, removed + gone
            return Refresh(False, read, removed)

    def _scan(
        self, db: sqlite3.Connection, top: Path, known: dict[str, int], *, recurse: bool = True
    ) -> tuple[int, int]:
        """Read the changed metadata files of `top` (with `recurse`, of every folder below it;
        without, of its new subfolders only); how many were read and how many had gone.
        """
        read = removed = 0
        for folder, subfolders, files in _walk(top, recurse):
            rel = "" if folder == self.root else folder.relative_to(self.root).as_posix()
            stamp = folder.stat().st_mtime_ns
            rows = {
                rid: (m, s)
                for rid, m, s in db.execute(
                    "SELECT id, mtime_ns, size FROM recordings WHERE folder = ?", (rel,)
                )
            }
            present = set()
            for entry in files:
                rid = recording_id(self.root, Path(entry.path))
                present.add(rid)
                info = entry.stat()
                if rows.get(rid) != (info.st_mtime_ns, info.st_size):
                    self._store(db, rid, rel, Path(entry.path), info)
                    read += 1
            for rid in set(rows) - present:
                self._delete(db, rid)
                removed += 1
            db.execute("INSERT OR REPLACE INTO folders VALUES (?, ?)", (rel, stamp))
            for sub in subfolders if not recurse else ():
                sub_rel = f"{rel}/{sub.name}" if rel else sub.name
                if sub_rel not in known:
                    more, _ = self._scan(db, Path(sub.path), known)
                    read += more
        return read, removed

    def _store(
        self, db: sqlite3.Connection, rid: str, folder: str, path: Path, info: os.stat_result
    ) -> None:
        try:
            row = metadata_row(read_metadata(path))
        except MetadataError as exc:
            row = {"status": "unreadable", "problem": str(exc), "parties": "", "notes": ""}
        row |= {"id": rid, "folder": folder, "mtime_ns": info.st_mtime_ns, "size": info.st_size}
        self._insert(db, rid, row)

    def _insert(self, db: sqlite3.Connection, rid: str, row: dict[str, Any]) -> None:
        """Put `row` in the index as the recording `rid` (replacing what it had of it)."""
        self._delete(db, rid)
        cursor = db.execute(_INSERT, [row.get(c) for c in _COLUMNS])
        if self.has_fts:
            db.execute(
                "INSERT INTO text (rowid, parties, notes) VALUES (?, ?, ?)",
                (cursor.lastrowid, row["parties"], row["notes"]),
            )

    def _clear(self, db: sqlite3.Connection) -> None:
        for table in ("recordings", "folders", *(("text",) if self.has_fts else ())):
            db.execute(f"DELETE FROM {table}")

    def _delete(self, db: sqlite3.Connection, rid: str) -> None:
        if self.has_fts:
            db.execute(
                "DELETE FROM text WHERE rowid IN (SELECT n FROM recordings WHERE id = ?)", (rid,)
            )
        db.execute("DELETE FROM recordings WHERE id = ?", (rid,))

    def _forget(self, db: sqlite3.Connection, folder: str) -> int:
        """Drop a folder that is gone, with its recordings; how many recordings went."""
        rids = [r for (r,) in db.execute("SELECT id FROM recordings WHERE folder = ?", (folder,))]
        for rid in rids:
            self._delete(db, rid)
        db.execute("DELETE FROM folders WHERE path = ?", (folder,))
        return len(rids)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """The index, its tables created when new, in WAL mode; the block is one transaction."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0 and not db.execute("SELECT 1 FROM sqlite_master").fetchone():
                db.executescript(_TABLES + (_FTS + ";" if self.has_fts else ""))
                db.execute(f"PRAGMA user_version = {LAYOUT}")
            elif version != LAYOUT:
                raise sqlite3.DatabaseError(f"an index of layout {version}, not {LAYOUT}")
            db.execute("BEGIN")
            yield db
            db.execute("COMMIT")
        finally:
            if db.in_transaction:
                db.rollback()
            db.close()

    def _move_aside(self, problem: sqlite3.DatabaseError) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        log.warning(
            "the library index '%s' was damaged (%s); moved it to '%s' and rebuilt it from the "
            "metadata files",
            self.path,
            problem,
            aside,
        )
        return aside


_INSERT = (
    f"INSERT INTO recordings ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
)


def _fts_available() -> bool:
    """Whether this Python's SQLite has FTS5."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE VIRTUAL TABLE probe USING fts5 (x)")
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()
    return True


def _walk(
    top: Path, recurse: bool
) -> Iterator[tuple[Path, list[os.DirEntry[str]], list[os.DirEntry[str]]]]:
    """`top` and (with `recurse`) every folder below it: its subfolders and metadata files."""
    pending = [top]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as listing:
            entries = list(listing)
        subfolders = [e for e in entries if e.is_dir(follow_symlinks=False)]
        files = [e for e in entries if e.name.endswith(".json") and e.is_file()]
        yield folder, subfolders, files
        if recurse:
            pending.extend(Path(e.path) for e in subfolders)


def metadata_row(meta: RecordingMetadata) -> dict[str, Any]:
    """A recording's metadata as a row of the index."""
    call = meta.call
    notes: Iterable[str] = (
        *(p.reason for p in meta.pauses),
        *meta.errors,
        *(str(t.get("to", "")) for t in meta.transfers),
        str((meta.interruption or {}).get("reason", "")),
    )
    return {
        "audio": meta.audio.file,
        "status": meta.status,
        "direction": call.direction,
        "agent": call.agent,
        "account": call.local_uri,
        "remote": call.remote_uri,
        "started": call.answered_at,
        "ended": call.ended_at,
        "duration_s": meta.audio.duration_s,
        "holds": len(meta.holds),
        "pauses": len(meta.pauses),
        "paused_s": round(meta.paused_s, 3),
        "interrupted": int(meta.status == "interrupted" or meta.interruption is not None),
        "disclosure": meta.disclosure.id,
        "parties": " ".join((call.local_uri, call.remote_uri, call.agent, call.call_id)),
        "notes": " ".join(n for n in notes if n),
    }


def _like(text: str) -> str:
    return "%" + re.sub(r"([%_\\])", r"\\\1", text) + "%"


def _where(filters: Filters, has_fts: bool) -> tuple[str, list[Any]]:
    """The WHERE clause of a search and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []

    def add(clause: str, value: Any) -> None:
        clauses.append(clause)
        params.append(value)

    f = filters
    for clause, value in (
        ("started >= ?", f.since),
        ("started < ?", f.until),
        ("agent = ?", f.agent),
        ("direction = ?", f.direction),
        ("duration_s >= ?", f.min_duration_s),
        ("duration_s <= ?", f.max_duration_s),
        ("interrupted = ?", None if f.interrupted is None else int(f.interrupted)),
        ("(holds > 0) = ?", None if f.had_hold is None else int(f.had_hold)),
        ("account LIKE ? ESCAPE '\\'", None if f.account is None else _like(f.account)),
        ("remote LIKE ? ESCAPE '\\'", None if f.remote is None else _like(f.remote)),
    ):
        if value is not None:
            add(clause, value)
    words = re.findall(r"\w+", f.text or "")
    if words and has_fts:
        query = " ".join(f'"{w}"*' for w in words)
        add("n IN (SELECT rowid FROM text WHERE text MATCH ?)", query)
    for word in words if not has_fts else ():
        clauses.append("(parties LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\')")
        params += [_like(word), _like(word)]
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params
