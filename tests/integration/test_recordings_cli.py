"""`softphone recordings ...` and `softphone audit ...`, as a QA reviewer and an admin run them."""

from __future__ import annotations

import json
import resource
import signal
from pathlib import Path

import pytest
import soundfile as sf

from softphone.recordings.audit import line_hash
from softphone.recordings.metadata import read_metadata, write_metadata
from softphone.recordings.writer import file_sha256
from tests.integration.softphone_cli import Finished, run_softphone
from tests.unit.test_recordings_catalog import _record

OLD = 1_700_000_000.0  # 2023: long past the built-in policy's 90 days


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "recordings"
    folder.mkdir()
    return folder


def _run(root: Path, *args: str, **options: object) -> Finished:
    done = run_softphone(
        [*args, "--recordings", str(root)],
        env={"XDG_DATA_HOME": str(root.parent / "data")},  # the index lives there
        **options,  # type: ignore[arg-type]
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _rid(root: Path, meta: Path) -> str:
    return meta.relative_to(root).with_suffix("").as_posix()


def _old(root: Path, call_id: str) -> Path:
    meta = _record(root, call_id, started=OLD)
    data = json.loads(meta.read_text())
    data["call"]["answered_at"], data["call"]["ended_at"] = OLD, OLD + 60
    meta.write_text(json.dumps(data))
    return meta


def test_list_and_verify_an_intact_and_an_altered_recording(root: Path) -> None:
    intact = _record(root, "one")
    altered = _record(root, "two")
    audio = altered.with_suffix(".wav")
    audio.write_bytes(audio.read_bytes()[:-2] + b"\x01\x02")
    listed = _run(root, "recordings", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["metadata"] for r in rows} == {str(intact), str(altered)}
    assert all(r["status"] == "complete" and r["disclosure"] == "d" for r in rows)
    checked = _run(root, "recordings", "verify")
    assert checked.returncode == 1
    assert "the file was altered" in checked.stdout
    assert checked.stdout.count("PROBLEM") == 1
    assert "1 recording(s) with problems" in checked.stderr


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    done = _run(tmp_path / "nowhere", "recordings", "list")
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_verify_names_each_altered_truncated_unknown_and_missing_recording(root: Path) -> None:
    rewritten, truncated, orphan, gone = (_record(root, n) for n in ("rw", "tr", "or", "gone"))
    audio = rewritten.with_suffix(".wav")
    audio.write_bytes(audio.read_bytes()[:-1] + b"\x7f")
    data = read_metadata(rewritten)
    data.audio.sha256 = file_sha256(audio)  # consistent with the new audio
    write_metadata(rewritten, data)
    cut = truncated.with_suffix(".wav")
    cut.write_bytes(cut.read_bytes()[:1000])
    orphan.unlink()
    gone.unlink()
    gone.with_suffix(".wav").unlink()
    done = _run(root, "recordings", "verify", "--json")
    assert done.returncode == 1
    verdicts = {row["id"]: row["verdict"] for row in map(json.loads, done.stdout.splitlines())}
    assert verdicts == {
        _rid(root, rewritten): "altered",
        _rid(root, truncated): "truncated",
        _rid(root, orphan): "unknown",
        _rid(root, gone): "missing",
    }


def test_a_newer_schema_is_named_and_the_rest_still_lists(root: Path) -> None:
    newer, fine = _record(root, "newer"), _record(root, "fine")
    newer.write_text(newer.read_text().replace("softphone.recording/1", "softphone.recording/2"))
    done = _run(root, "recordings", "list")
    assert done.returncode == 1
    assert f"{_rid(root, fine)}  complete" in done.stdout
    assert "written by a newer softphone" in done.stdout
    assert "1 recording(s) cannot be read" in done.stderr


def test_list_filters_and_survives_a_damaged_index(root: Path) -> None:
    held = _record(root, "held")
    data = read_metadata(held)
    data.call.remote_uri = "sip:alice@shop.example"
    write_metadata(held, data)
    _record(root, "other")
    assert len(_run(root, "recordings", "list").stdout.splitlines()) == 2
    found = _run(root, "recordings", "list", "--remote", "alice", "--direction", "outbound")
    assert found.stdout.split()[0] == _rid(root, held)
    for index in (root.parent / "data" / "softphone" / "library").glob("*.sqlite*"):
        index.write_bytes(b"garbage" * 1000)
    again = _run(root, "recordings", "list", "--text", "alice")
    assert again.returncode == 0 and again.stdout.split()[0] == _rid(root, held)
    assert "the library index was damaged" in again.stderr


def test_show_prints_metadata_hold_and_audit_entries(root: Path) -> None:
    meta = _record(root, "one")
    done = _run(root, "recordings", "show", meta.stem, "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["id"] == _rid(root, meta) and shown["metadata"]["status"] == "complete"
    assert [e["event"] for e in shown["audit"]] == ["finalised"]
    assert "audit trail (1 entries)" in _run(root, "recordings", "show", meta.stem).stdout
    unknown = _run(root, "recordings", "show", "no-such-recording")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        f"softphone: no recording has the id 'no-such-recording' in '{root}'"
    )


def test_export_writes_the_whole_call_or_a_part_audited(root: Path, tmp_path: Path) -> None:
    meta = _record(root, "one")
    whole, part = tmp_path / "whole.wav", tmp_path / "part.wav"
    assert _run(root, "recordings", "export", meta.stem, "--to", str(whole)).returncode == 0
    assert whole.read_bytes() == meta.with_suffix(".wav").read_bytes()
    done = _run(root, "recordings", "export", meta.stem, "--to", str(part), "--from", "0.2",
                "--to-s", "0.6")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sf.info(str(part)).frames == round(0.4 * 16000)
    again = _run(root, "recordings", "export", meta.stem, "--to", str(part))
    assert again.returncode == 2 and "exists already" in again.stderr
    events = [json.loads(x)["event"] for x in (root / "audit.jsonl").read_text().splitlines()]
    assert events.count("exported") == 2


def test_an_altered_recording_is_not_exported(root: Path, tmp_path: Path) -> None:
    meta = _record(root, "one")
    audio = meta.with_suffix(".wav")
    audio.write_bytes(audio.read_bytes()[:-1] + b"\x55")
    done = _run(root, "recordings", "export", meta.stem, "--to", str(tmp_path / "x.wav"))
    assert done.returncode == 1 and "the file was altered" in done.stderr
    assert not (tmp_path / "x.wav").exists()


def _small_files() -> None:
    # As on a full disk: files may not grow past 2 kB; the write fails instead of killing us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))


def test_a_full_disk_during_export_leaves_no_partial_file(root: Path, tmp_path: Path) -> None:
    meta = _record(root, "one")
    out = tmp_path / "out"
    out.mkdir()
    done = _run(root, "recordings", "export", meta.stem, "--to", str(out / "x.wav"),
                preexec_fn=_small_files)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("softphone: the disk holding")
    assert "nothing was written" in done.stderr and list(out.iterdir()) == []


def test_a_legal_hold_survives_purge_until_lifted(root: Path) -> None:
    held, due = _old(root, "held"), _old(root, "due")
    fresh = _record(root, "fresh")
    done = _run(root, "recordings", "hold", held.stem, "--reason", "complaint 117")
    assert done.returncode == 0 and "on legal hold (complaint 117)" in done.stdout
    dry = _run(root, "recordings", "purge", "--dry-run", "--json")
    assert json.loads(dry.stdout)["deleted"] == [_rid(root, due)] and due.exists()
    purged = _run(root, "recordings", "purge")
    assert purged.returncode == 0, purged.stderr
    assert f"deleted {_rid(root, due)}" in purged.stdout
    assert f"kept {_rid(root, held)}: on legal hold" in purged.stdout
    assert held.exists() and not due.exists() and fresh.exists()
    assert _run(root, "recordings", "hold", held.stem, "--lift").returncode == 0
    assert _run(root, "recordings", "purge").returncode == 0
    assert not held.exists() and fresh.exists()
    no_reason = _run(root, "recordings", "hold", fresh.stem, "--reason", " ")
    assert no_reason.returncode == 2 and "needs a reason" in no_reason.stderr


def test_audit_verify_names_an_edited_entry_and_head_prints_the_anchor(root: Path) -> None:
    for name in ("a", "b", "c"):
        _record(root, name)
    trail = root / "audit.jsonl"
    ok = _run(root, "audit", "verify")
    assert ok.returncode == 0 and "3 entries, the chain is intact" in ok.stdout
    head = _run(root, "audit", "head")
    assert head.stdout.strip() == line_hash(trail.read_bytes().splitlines()[-1])
    lines = trail.read_bytes().splitlines()
    lines[1] = lines[1].replace(b'"status":"complete"', b'"status":"deleted"')
    trail.write_bytes(b"\n".join(lines) + b"\n")
    bad = _run(root, "audit", "verify", "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["bad_line"] == 2
    assert f"{trail}: line 2: edited" in bad.stderr
    assert _run(root, "recordings", "verify").returncode == 1  # says the trail is broken
