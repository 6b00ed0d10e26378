"""Check the local audit trail against the copy the archive holds (its anchored lines).

Each upload ships the trail's new lines to ARCHIVE/<workstation>/.audit/<first>-<last>.jsonl,
with the head they end at. A local trail that was rewritten afterwards, however consistently
its chain was recomputed, no longer matches those lines: the first line that differs, or the
first one missing, is named.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from softphone.config.schema import ArchivePolicy
from softphone.recordings.archiveerrors import ArchiveError, explain
from softphone.recordings.audit import AuditLog
from softphone.recordings.uploader import AUDIT_FOLDER, object_base

_SEGMENT = re.compile(r"(\d{12})-(\d{12})\.jsonl$")


@dataclass(frozen=True)
class AnchorReport:
    """How many archived lines were compared, and the first that the local trail contradicts."""

    archived: int
    bad_line: int | None = None
    why: str = ""

    @property
    def matches(self) -> bool:
        """Whether every archived line is, unchanged, in the local trail."""
        return self.bad_line is None


def archived_lines(policy: ArchivePolicy, client: Any, workstation: str) -> dict[int, bytes]:
    """The trail's lines as the archive holds them, by line number (1-based)."""
    prefix = f"{object_base(policy, workstation)}/{AUDIT_FOLDER}/"
    lines: dict[int, bytes] = {}
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=policy.bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])
                found = _SEGMENT.search(key)
                if found is None:
                    continue
                got = client.get_object(Bucket=policy.bucket, Key=key)
                body = bytes(got["Body"].read())
                _add_segment(lines, key, int(found[1]), body, got.get("Metadata", {}))
    except ArchiveError:
        raise
    except Exception as exc:  # noqa: BLE001 - explain() names what it knows, raises the rest
        raise explain(exc, policy, "reading the archived audit trail") from None
    return lines


def _add_segment(
    lines: dict[int, bytes], key: str, first: int, body: bytes, metadata: dict[str, str]
) -> None:
    segment = body.splitlines()
    head = metadata.get("audit-head")
    if segment and head and hashlib.sha256(segment[-1]).hexdigest() != head:
        raise ArchiveError(f"the archived audit segment {key} does not end at its own head")
    for offset, line in enumerate(segment):
        number = first + offset
        if lines.setdefault(number, line) != line:
            raise ArchiveError(f"two archived audit segments disagree on line {number} ({key})")


def verify_against_archive(audit: AuditLog, archived: dict[int, bytes]) -> AnchorReport:
    """Compare the local trail with the archived lines; names the first it contradicts."""
    local = audit.lines()
    for number in sorted(archived):
        if number > len(local):
            return AnchorReport(
                len(archived),
                number,
                f"the archive holds line {number}, the local trail ends at line {len(local)}: "
                "entries were removed from the local trail",
            )
        if local[number - 1] != archived[number]:
            return AnchorReport(
                len(archived),
                number,
                f"line {number} differs from the copy uploaded to the archive: the local trail "
                "was rewritten from there on",
            )
    return AnchorReport(len(archived))
