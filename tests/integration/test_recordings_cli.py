"""`softphone recordings list|verify`, as a QA reviewer runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.softphone_cli import run_softphone
from tests.unit.test_recordings_catalog import _record


def test_list_and_verify_an_intact_and_an_altered_recording(tmp_path: Path) -> None:
    intact = _record(tmp_path, "one")
    altered = _record(tmp_path, "two")
    audio = altered.with_suffix(".wav")
    audio.write_bytes(audio.read_bytes()[:-2] + b"\x01\x02")
    listed = run_softphone(["recordings", "list", "--recordings", str(tmp_path), "--json"])
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["metadata"] for r in rows} == {str(intact), str(altered)}
    assert all(r["status"] == "complete" and r["disclosure"] == "d" for r in rows)
    checked = run_softphone(["recordings", "verify", "--recordings", str(tmp_path)])
    assert checked.returncode == 1
    assert "the file was altered" in checked.stdout
    assert checked.stdout.count("PROBLEM") == 1
    assert "1 recording(s) with problems" in checked.stderr


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    done = run_softphone(["recordings", "list", "--recordings", str(tmp_path / "nowhere")])
    assert done.returncode == 2
    assert "does not exist" in done.stderr
