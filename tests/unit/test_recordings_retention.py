"""Retention deletes only what is due, audited; a legal hold keeps a recording until lifted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from softphone.recordings.audit import AuditError, AuditEvent, AuditLog
from softphone.recordings.retention import (
    HoldError,
    RetentionSweeper,
    hold_path,
    lift_hold,
    set_hold,
)
from softphone.recordings.store import recording_id
from tests.unit.test_recordings_catalog import _record

DAY = 86400.0
ENDED = 1_700_000_000.0


def _old(root: Path, call_id: str = "c1") -> Path:
    """A recording of a call that started a minute before ENDED."""
    return _record(root, call_id, started=ENDED - 60)


def _ended_at(meta: Path, ended: float = ENDED) -> None:
    data = json.loads(meta.read_text())
    data["call"]["answered_at"], data["call"]["ended_at"] = ended - 60, ended
    meta.write_text(json.dumps(data))


def _events(root: Path) -> list[tuple[str, str]]:
    return [(e.event, e.recording) for e in AuditLog.of(root).entries()]


def test_only_finished_recordings_past_retention_go_each_audited(tmp_path: Path) -> None:
    old, recent = _old(tmp_path, "old"), _old(tmp_path, "recent")
    _ended_at(old)
    unreadable = tmp_path / "2000" / "broken.json"
    unreadable.parent.mkdir()
    unreadable.write_text("{")
    result = RetentionSweeper(tmp_path, 1).sweep(ENDED + 2 * DAY)
    assert result.deleted == [recording_id(tmp_path, old)]
    assert not old.exists() and not old.with_suffix(".wav").exists()
    assert recent.exists() and recent.with_suffix(".wav").exists()  # its end is unknown: kept
    assert unreadable.exists() and len(result.unreadable) == 1
    assert _events(tmp_path)[-1] == ("deleted-by-retention", recording_id(tmp_path, old))


def test_nothing_goes_before_it_is_due(tmp_path: Path) -> None:
    meta = _old(tmp_path)
    _ended_at(meta)
    result = RetentionSweeper(tmp_path, 1).sweep(ENDED + DAY - 1)
    assert result.deleted == [] and meta.exists()


def test_a_newer_schema_is_kept_and_named(tmp_path: Path) -> None:
    meta = _old(tmp_path)
    _ended_at(meta)
    meta.write_text(meta.read_text().replace("softphone.recording/1", "softphone.recording/7"))
    result = RetentionSweeper(tmp_path, 1).sweep(ENDED + 400 * DAY)
    assert result.deleted == [] and meta.exists()
    assert "written by a newer softphone" in result.unreadable[0]


def test_a_legal_hold_survives_retention_until_lifted(tmp_path: Path) -> None:
    held, other = _old(tmp_path, "held"), _old(tmp_path, "other")
    for meta in (held, other):
        _ended_at(meta)
    set_hold(tmp_path, held, "complaint 2026-117")
    sweeper = RetentionSweeper(tmp_path, 1)
    result = sweeper.sweep(ENDED + 2 * DAY)
    assert result.held == [recording_id(tmp_path, held)]
    assert result.deleted == [recording_id(tmp_path, other)]
    assert held.exists() and held.with_suffix(".wav").exists()
    lift_hold(tmp_path, held)
    assert not hold_path(held).exists()
    assert sweeper.sweep(ENDED + 3 * DAY).deleted == [recording_id(tmp_path, held)]
    mine = [event for event, rid in _events(tmp_path) if rid == recording_id(tmp_path, held)]
    assert mine[-3:] == ["legal-hold-set", "legal-hold-lifted", "deleted-by-retention"]


def test_a_hold_whose_file_was_removed_still_holds(tmp_path: Path) -> None:
    meta = _old(tmp_path)
    _ended_at(meta)
    set_hold(tmp_path, meta, "court order")
    hold_path(meta).unlink()  # the audit trail still says it is held
    result = RetentionSweeper(tmp_path, 1).sweep(ENDED + 2 * DAY)
    assert result.held == [recording_id(tmp_path, meta)] and meta.exists()


def test_holds_need_a_reason_and_a_lift_needs_a_hold(tmp_path: Path) -> None:
    meta = _old(tmp_path)
    with pytest.raises(HoldError, match="needs a reason"):
        set_hold(tmp_path, meta, "  ")
    with pytest.raises(HoldError, match="is not on legal hold"):
        lift_hold(tmp_path, meta)


def test_a_trail_that_cannot_be_written_deletes_nothing(tmp_path: Path) -> None:
    meta = _old(tmp_path)
    _ended_at(meta)
    trail = AuditLog.of(tmp_path).path
    trail.unlink()
    trail.mkdir()  # neither readable nor writable as a file
    result = RetentionSweeper(tmp_path, 1).sweep(ENDED + 2 * DAY)
    assert result.deleted == [] and meta.exists() and result.failed
    with pytest.raises(AuditError, match="cannot"):
        AuditLog.of(tmp_path).append(AuditEvent.PLAYED, "x")


def test_tick_sweeps_at_most_once_an_interval(tmp_path: Path) -> None:
    meta = _old(tmp_path)
    _ended_at(meta)
    sweeper = RetentionSweeper(tmp_path, 1, interval_s=60.0)
    first = sweeper.tick(ENDED + 0.5 * DAY)
    assert first is not None and first.deleted == []
    assert sweeper.tick(ENDED + 0.5 * DAY + 30) is None
    later = sweeper.tick(ENDED + 2 * DAY)
    assert later is not None and later.deleted == [recording_id(tmp_path, meta)]


def test_day_folders_newer_than_the_cutoff_are_not_read(tmp_path: Path) -> None:
    meta = _record(tmp_path)  # recorded today: its day folder is after any cutoff in the past
    meta.write_text("{damaged")  # would be reported if it were read
    result = RetentionSweeper(tmp_path, 1).sweep(ENDED + 2 * DAY)
    assert result.unreadable == [] and meta.exists()
