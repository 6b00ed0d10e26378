"""QA's view of the archive: an index of every workstation's archived metadata, fetch on demand.

The index has the library index's tables (index.py), in the reviewer's own data folder, keyed
by the archive; a recording's id there is <workstation>/<its id on the workstation>. Bringing
it up to date lists the metadata objects and reads only those that are new or changed (by
last-modified time and size) since, and drops those that went. Playing a recording fetches its
audio and metadata into the reviewer's cache (mirroring the archive's keys) and checks the
audio against the SHA-256 in its metadata before anything is played.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import platformdirs

from softphone.config.schema import ArchivePolicy
from softphone.recordings.archiveerrors import ArchiveError, explain
from softphone.recordings.index import LibraryIndex, Refresh, metadata_row
from softphone.recordings.metadata import MetadataError, parse_metadata, read_metadata
from softphone.recordings.uploader import AUDIT_FOLDER
from softphone.recordings.writer import file_sha256


def archive_cache(policy: ArchivePolicy) -> Path:
    """This reviewer's cache of recordings fetched from the archive `policy` names."""
    key = hashlib.sha256(f"{policy.endpoint}|{policy.bucket}|{policy.prefix}".encode()).hexdigest()[
        :16
    ]
    return platformdirs.user_cache_path("softphone", appauthor=False) / "archive" / key


class ArchiveIndex(LibraryIndex):
    """The index of the archive `policy` names, read through the S3 `client`."""

    def __init__(self, policy: ArchivePolicy, client: Any, path: Path | None = None) -> None:
        super().__init__(archive_cache(policy), path)
        self.policy = policy
        self.client = client
        self.base = f"{policy.prefix.strip('/')}/" if policy.prefix.strip("/") else ""

    def _refresh(self, rebuild: bool) -> Refresh:
        try:
            with self._connection() as db:
                return self._sync(db, rebuild)
        except (ArchiveError, sqlite3.DatabaseError):
            raise
        except Exception as exc:  # noqa: BLE001 - explain() names what it knows, raises the rest
            raise explain(exc, self.policy, "reading the archive's metadata") from None

    def _sync(self, db: sqlite3.Connection, rebuild: bool) -> Refresh:
        if rebuild:
            self._clear(db)
        rows = {r: (m, s) for r, m, s in db.execute("SELECT id, mtime_ns, size FROM recordings")}
        seen: set[str] = set()
        read = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.policy.bucket, Prefix=self.base
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if not key.endswith(".json") or f"/{AUDIT_FOLDER}/" in key:
                    continue
                rid = key[len(self.base) : -len(".json")]
                stamp, size = int(item["LastModified"].timestamp() * 1e9), int(item["Size"])
                seen.add(rid)
                if rows.get(rid) == (stamp, size):
                    continue
                body = self.client.get_object(Bucket=self.policy.bucket, Key=key)["Body"].read()
                try:
                    row = metadata_row(parse_metadata(json.loads(body), key))
                except (MetadataError, ValueError) as exc:
                    row = {"status": "unreadable", "problem": str(exc), "parties": "", "notes": ""}
                row |= {"id": rid, "folder": rid.rpartition("/")[0], "mtime_ns": stamp}
                self._insert(db, rid, row | {"size": size})
                read += 1
        gone = set(rows) - seen
        for rid in gone:
            self._delete(db, rid)
        return Refresh(rebuild, read, len(gone))

    def fetch(self, rid: str) -> Path:
        """Fetch the recording `rid` into the cache (checked); its metadata file there."""
        meta_path = self.root / f"{rid}.json"
        try:
            self._download(f"{self.base}{rid}.json", meta_path)
            metadata = read_metadata(meta_path)
            audio = meta_path.with_name(metadata.audio.file)
            if not audio.is_file() or file_sha256(audio) != metadata.audio.sha256:
                self._download(f"{self.base}{rid}{audio.suffix}", audio)
        except (ArchiveError, MetadataError):
            raise
        except Exception as exc:  # noqa: BLE001 - explain() names what it knows, raises the rest
            raise explain(exc, self.policy, f"fetching {rid} from the archive") from None
        if file_sha256(audio) != metadata.audio.sha256:
            audio.unlink()
            raise ArchiveError(
                f"the archive's audio of {rid} does not match the SHA-256 in its metadata: "
                "it was altered or damaged in the archive; it is not played"
            )
        return meta_path

    def _download(self, key: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_name(target.name + ".part")
        self.client.download_file(self.policy.bucket, key, str(tmp))
        os.replace(tmp, target)
