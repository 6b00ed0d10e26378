"""`softphone audit verify --archive`: a rewrite of the local trail shows against the archive."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tests.integration.archivedata import archive_toml, record
from tests.integration.policies import Compliance
from tests.integration.seaweed import SeaweedServer
from tests.integration.softphone_cli import run_softphone
from tests.integration.test_archive_upload import _env


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _rewrite_from(trail: Path, line: int, change: dict[str, Any]) -> None:
    """Edit entry `line` and recompute every hash after it: a chain that verifies on its own."""
    lines = trail.read_bytes().splitlines()
    for number in range(line, len(lines) + 1):
        entry = json.loads(lines[number - 1])
        if number == line:
            entry.update(change)
        entry["prev"] = hashlib.sha256(lines[number - 2]).hexdigest()
        entry.pop("sha256")
        entry["sha256"] = hashlib.sha256(_canonical(entry)).hexdigest()
        lines[number - 1] = _canonical(entry)
    trail.write_bytes(b"\n".join(lines) + b"\n")


def test_a_consistently_rewritten_trail_passes_alone_and_fails_against_the_archive(
    compliance: Compliance, seaweed: SeaweedServer, bucket: str
) -> None:
    root = compliance.recordings
    for name in ("a", "b", "c"):
        record(root, name)
    with compliance.policy.open("a") as policy:
        policy.write(archive_toml(seaweed, bucket))
    assert run_softphone(["archive", "upload", *compliance.args], env=_env()).returncode == 0
    args = ["audit", "verify", "--archive", "--json", *compliance.args]
    ok = run_softphone(args, env=_env())
    assert ok.returncode == 0, ok.stderr
    assert ok.report["archive"]["matches"] and ok.report["archive"]["compared"] >= 6

    _rewrite_from(root / "audit.jsonl", 2, {"status": "failed"})
    alone = run_softphone(["audit", "verify", *compliance.args], env=_env())
    assert alone.returncode == 0  # the chain alone cannot show a consistent rewrite
    against = run_softphone(args, env=_env())
    assert against.returncode == 1
    assert against.report["archive"]["bad_line"] == 2
    assert "line 2 differs from the copy uploaded to the archive" in against.stderr


def test_entries_removed_from_the_end_show_against_the_archive(
    compliance: Compliance, seaweed: SeaweedServer, bucket: str
) -> None:
    root = compliance.recordings
    record(root, "only")
    with compliance.policy.open("a") as policy:
        policy.write(archive_toml(seaweed, bucket))
    assert run_softphone(["archive", "upload", *compliance.args], env=_env()).returncode == 0
    trail = root / "audit.jsonl"
    trail.write_bytes(b"\n".join(trail.read_bytes().splitlines()[:1]) + b"\n")
    against = run_softphone(["audit", "verify", "--archive", *compliance.args], env=_env())
    assert against.returncode == 1 and "entries were removed" in against.stderr
