"""The archive spool: fed from the audit trail incrementally, atomic entries, back-off."""

from __future__ import annotations

from pathlib import Path

from softphone.recordings.audit import AuditEvent, AuditLog
from softphone.recordings.spool import BACKOFF_MAX_S, Spool, backoff_s


def test_catch_up_queues_each_finished_recording_once_reading_only_what_is_new(
    tmp_path: Path,
) -> None:
    audit, spool = AuditLog.of(tmp_path), Spool(tmp_path)
    audit.append(AuditEvent.CREATED, "a/2026/12/02/one")
    audit.append(AuditEvent.FINALISED, "a/2026/12/02/one")
    assert spool.catch_up(audit) == 1 and spool.catch_up(audit) == 0
    first = spool.state()
    assert first.queued_through == 2 and first.queued_offset == audit.path.stat().st_size
    # An entry before the mark is never read again: damaging it changes nothing.
    data = audit.path.read_bytes()
    audit.path.write_bytes(data.replace(b'"created"', b'"CREATED"'))
    audit.append(AuditEvent.RECOVERED, "a/2026/12/02/two")
    audit.append(AuditEvent.PLAYED, "a/2026/12/02/one")
    assert spool.catch_up(audit) == 1
    assert [e.recording for e in spool.entries()] == ["a/2026/12/02/one", "a/2026/12/02/two"]
    assert spool.state().queued_through == 4


def test_a_trail_cut_shorter_is_read_again_from_the_start(tmp_path: Path) -> None:
    audit, spool = AuditLog.of(tmp_path), Spool(tmp_path)
    for name in ("one", "two"):
        audit.append(AuditEvent.FINALISED, name)
    spool.catch_up(audit)
    spool.remove("one")
    spool.remove("two")
    audit.path.write_bytes(audit.path.read_bytes().splitlines(keepends=True)[0])
    assert spool.catch_up(audit) == 1  # queued again: uploads are idempotent
    assert [e.recording for e in spool.entries()] == ["one"]


def test_backoff_doubles_from_five_seconds_up_to_fifteen_minutes() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]
    assert backoff_s(30) == BACKOFF_MAX_S == 900.0
