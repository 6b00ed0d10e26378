"""The audit trail's hash chain: every edit, removal, insertion or reordering is named."""

from __future__ import annotations

import itertools
import json
import multiprocessing
from pathlib import Path

from softphone.recordings.audit import GENESIS, AuditEvent, AuditLog, _self_hash, line_hash


def _trail(tmp_path: Path, count: int = 5) -> AuditLog:
    audit = AuditLog(tmp_path / "audit.jsonl")
    for n in range(count):
        audit.append(AuditEvent.PLAYED, f"agent/r{n}", start_s=0.0, end_s=float(n))
    return audit


def _lines(audit: AuditLog) -> list[bytes]:
    return audit.path.read_bytes().splitlines()


def _write(audit: AuditLog, lines: list[bytes]) -> None:
    audit.path.write_bytes(b"".join(line + b"\n" for line in lines))


def _rehashed(line: bytes, **changes: object) -> bytes:
    data = json.loads(line) | changes
    data["sha256"] = _self_hash(data)
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def test_an_intact_trail_chains_from_genesis_to_its_head(tmp_path: Path) -> None:
    audit = _trail(tmp_path)
    lines = _lines(audit)
    assert json.loads(lines[0])["prev"] == GENESIS
    assert all(json.loads(b)["prev"] == line_hash(a) for a, b in itertools.pairwise(lines))
    report = audit.verify()
    assert report.intact and report.entries == 5
    assert report.head == audit.head() == line_hash(lines[-1])
    assert [e.data["seq"] for e in audit.entries()] == [1, 2, 3, 4, 5]


def test_an_empty_or_absent_trail_is_intact(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    assert audit.verify().intact and audit.head() == GENESIS


def test_a_flipped_byte_is_named(tmp_path: Path) -> None:
    audit = _trail(tmp_path)
    data = bytearray(audit.path.read_bytes())
    data[data.index(b'"end_s":2.0') + 8] ^= 0x01  # 2.0 becomes 3.0 in entry 3
    audit.path.write_bytes(bytes(data))
    report = audit.verify()
    assert (report.bad_line, report.why) == (3, "edited: the entry does not match its own hash")


def test_a_flipped_byte_that_breaks_the_json_is_named(tmp_path: Path) -> None:
    audit = _trail(tmp_path)
    data = bytearray(audit.path.read_bytes())
    data[-3] ^= 0xFF  # inside the last entry
    audit.path.write_bytes(bytes(data))
    report = audit.verify()
    assert report.bad_line == 5 and report.why.startswith("not a JSON entry")


def test_an_edit_that_recomputes_the_entrys_own_hash_is_named(tmp_path: Path) -> None:
    audit = _trail(tmp_path)
    lines = _lines(audit)
    lines[1] = _rehashed(lines[1], by="someone-else")
    _write(audit, lines)
    report = audit.verify()
    assert (report.bad_line, report.why) == (
        2,
        "edited: line 3 chained to a different version of it",
    )


def test_a_removed_entry_is_named(tmp_path: Path) -> None:
    audit = _trail(tmp_path)
    lines = _lines(audit)
    del lines[2]
    _write(audit, lines)
    report = audit.verify()
    assert report.bad_line == 3 and "entry 4 stands where entry 3 belongs" in report.why


def test_an_inserted_entry_is_named(tmp_path: Path) -> None:
    audit = _trail(tmp_path)
    lines = _lines(audit)
    forged = _rehashed(lines[1], seq=3, prev=line_hash(lines[1]), recording="agent/forged")
    lines.insert(2, forged)
    _write(audit, lines)
    report = audit.verify()
    assert (report.bad_line, report.why) == (3, "inserted: line 4 continues the chain from line 2")


def test_reordered_entries_are_named(tmp_path: Path) -> None:
    audit = _trail(tmp_path)
    lines = _lines(audit)
    lines[1], lines[2] = lines[2], lines[1]
    _write(audit, lines)
    report = audit.verify()
    assert report.bad_line == 2 and "entry 3 stands where entry 2 belongs" in report.why


def test_a_rewrite_of_the_whole_file_passes_the_chain_but_not_the_anchored_head(
    tmp_path: Path,
) -> None:
    audit = _trail(tmp_path)
    anchored = audit.head()
    forged = AuditLog(tmp_path / "forged.jsonl")
    for n in range(5):
        forged.append(AuditEvent.PLAYED, f"agent/r{n}", start_s=0.0, end_s=float(n + 1))
    forged.path.replace(audit.path)
    assert audit.verify().intact  # what the chain alone cannot show (docs/qa.md)
    assert audit.head() != anchored


def test_an_append_after_a_line_cut_short_keeps_it_visible(tmp_path: Path) -> None:
    audit = _trail(tmp_path, 2)
    audit.path.write_bytes(audit.path.read_bytes()[:-10])  # a power cut mid-write
    audit.append(AuditEvent.PLAYED, "agent/r9")
    report = audit.verify()
    assert report.bad_line == 2 and report.why.startswith("not a JSON entry")


def _append_many(path: str, who: str) -> None:
    audit = AuditLog(Path(path))
    for n in range(40):
        audit.append(AuditEvent.PLAYED, f"{who}/{n}")


def test_two_processes_appending_at_once_keep_one_chain(tmp_path: Path) -> None:
    path = str(tmp_path / "audit.jsonl")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(path, w)) for w in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    audit = AuditLog(Path(path))
    report = audit.verify()
    assert report.intact and report.entries == 80
