"""Recordings go to a real S3 server (SeaweedFS): once each, byte-identical, checksummed."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import pytest
from pyrage import x25519

from softphone.app.archiving import background_uploads, flush
from softphone.recordings.audit import AuditLog
from softphone.recordings.retention import RetentionSweeper
from softphone.recordings.spool import Spool
from softphone.recordings.spool import archived_marker as marker_path
from tests.integration.archivedata import (
    archive_policy,
    archive_toml,
    local_files,
    objects,
    record,
    use_aws_env,
)
from tests.integration.policies import Compliance
from tests.integration.seaweed import SeaweedServer
from tests.integration.softphone_cli import child_env, run_softphone

WORKSTATION = "desk-07"


@pytest.fixture(autouse=True)
def _workstation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPHONE_WORKSTATION", WORKSTATION)


def _env() -> dict[str, str]:
    env = use_aws_env(child_env())
    env["SOFTPHONE_WORKSTATION"] = WORKSTATION
    return env


def assert_archived_once(server: SeaweedServer, bucket: str, root: Path, ids: list[str]) -> None:
    """Every recording is in the archive exactly once, byte-identical; the spool is empty."""
    stored = objects(server, bucket)
    recordings = {k: v for k, v in stored.items() if "/.audit/" not in k}
    expected: dict[str, bytes] = {}
    for rid in ids:
        for suffix, data in local_files(root, rid).items():
            expected[f"{WORKSTATION}/{rid}{suffix}"] = data
    assert recordings == expected
    assert Spool(root).entries() == []


def test_upload_sends_every_recording_once_with_a_checksum_the_server_holds(
    compliance: Compliance, seaweed: SeaweedServer, bucket: str
) -> None:
    root = compliance.recordings
    qa_key = x25519.Identity.generate()
    ids = [
        record(root, "call-1"),
        record(root, "call-2", agent="bob"),
        record(root, "call-3", seal_to=(str(qa_key.to_public()),)),
    ]
    with compliance.policy.open("a") as policy:
        policy.write(archive_toml(seaweed, bucket))
    status = run_softphone(["archive", "status", "--json", *compliance.args], env=_env())
    assert status.returncode == 0 and status.report["waiting"] == 3

    done = run_softphone(["archive", "upload", "--json", *compliance.args], env=_env())
    assert done.returncode == 0, done.stderr
    assert sorted(done.report["archived"]) == sorted(ids) and done.report["waiting"] == 0
    assert_archived_once(seaweed, bucket, root, ids)
    client = seaweed.client()
    for key, data in objects(seaweed, bucket).items():
        head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    sealed = objects(seaweed, bucket)[f"{WORKSTATION}/{ids[2]}.sealed"]
    assert b"RIFF" not in sealed[:64] and b"age-encryption.org" in sealed  # still encrypted
    # A second run has nothing to do, and sends nothing twice.
    again = run_softphone(["archive", "upload", "--json", *compliance.args], env=_env())
    assert again.returncode == 0 and again.report["archived"] == []
    assert_archived_once(seaweed, bucket, root, ids)
    status = run_softphone(["archive", "status", "--json", *compliance.args], env=_env())
    assert status.report["waiting"] == 0 and status.report["last_error"] is None


def test_upload_carries_the_audit_trail_since_the_last_upload(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str, aws_env: None
) -> None:
    policy = archive_policy(seaweed, bucket)
    record(tmp_path, "a")
    assert flush(tmp_path, policy).ok
    record(tmp_path, "b")
    assert flush(tmp_path, policy).ok
    segments = {k: v for k, v in objects(seaweed, bucket).items() if "/.audit/" in k}
    shipped = b"".join(segments[k] for k in sorted(segments))
    local = AuditLog.of(tmp_path).path.read_bytes()
    assert len(segments) == 2 and shipped == local  # every line once, in order
    last = sorted(segments)[-1]
    head = seaweed.client().head_object(Bucket=bucket, Key=last)["Metadata"]["audit-head"]
    assert head == AuditLog.of(tmp_path).head()


def test_an_upload_a_kill_cut_short_after_the_put_is_not_sent_again(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str, aws_env: None
) -> None:
    policy = archive_policy(seaweed, bucket)
    rid = record(tmp_path, "once")
    assert flush(tmp_path, policy).ok
    client = seaweed.client()
    key = f"{WORKSTATION}/{rid}.wav"
    first = client.head_object(Bucket=bucket, Key=key)["LastModified"]
    # What a kill after the PUT and before the spool knew leaves: queued, no marker.
    marker_path(tmp_path / f"{rid}.json").unlink()
    Spool(tmp_path).add(rid)
    result = flush(tmp_path, policy)
    assert result.ok and result.archived == [rid]
    assert client.head_object(Bucket=bucket, Key=key)["LastModified"] == first
    assert_archived_once(seaweed, bucket, tmp_path, [rid])


def test_object_lock_is_set_when_the_policy_asks(
    tmp_path: Path, seaweed: SeaweedServer, aws_env: None
) -> None:
    client = seaweed.client()
    client.create_bucket(Bucket="locked-archive", ObjectLockEnabledForBucket=True)
    rid = record(tmp_path, "locked")
    assert flush(tmp_path, archive_policy(seaweed, "locked-archive", object_lock_days=30)).ok
    retention = client.get_object_retention(Bucket="locked-archive", Key=f"{WORKSTATION}/{rid}.wav")
    assert retention["Retention"]["Mode"] == "COMPLIANCE"


def test_keep_local_days_removes_the_local_copy_only_once_the_archive_holds_it(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str, aws_env: None
) -> None:
    kept = record(tmp_path, "kept")
    policy = archive_policy(seaweed, bucket, keep_local_days=0)
    data = local_files(tmp_path, kept)
    result = flush(tmp_path, policy)
    assert result.ok and result.removed_locally == [kept]
    assert not (tmp_path / f"{kept}.json").exists()
    stored = objects(seaweed, bucket)
    assert stored[f"{WORKSTATION}/{kept}.wav"] == data[".wav"]
    events = [json.loads(line)["event"] for line in AuditLog.of(tmp_path).lines()]
    assert events[-1] == "removed-locally-after-archive" and "archived" in events
    # Without keep_local_days the local copy stays.
    other = record(tmp_path, "stays")
    assert flush(tmp_path, archive_policy(seaweed, bucket)).ok
    assert (tmp_path / f"{other}.json").exists()


def test_the_window_uploads_in_the_background_while_calls_go_on(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str, aws_env: None
) -> None:
    policy = archive_policy(seaweed, bucket)
    with background_uploads(tmp_path, policy, interval_s=0.2):
        rid = record(tmp_path, "while-open")  # finished while the worker runs
        deadline = time.monotonic() + 30
        while not marker_path(tmp_path / f"{rid}.json").exists():
            assert time.monotonic() < deadline, Spool(tmp_path).entries()
            time.sleep(0.1)
    assert_archived_once(seaweed, bucket, tmp_path, [rid])


def test_retention_keeps_a_recording_the_archive_has_not_confirmed(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str, aws_env: None
) -> None:
    old = record(tmp_path, "old", started=time.time() - 30 * 86400)
    sweeper = RetentionSweeper(tmp_path, 7, archived_first=True)
    kept = sweeper.sweep(time.time())
    assert kept.unarchived == [old] and kept.deleted == []
    assert (tmp_path / f"{old}.json").exists()
    assert flush(tmp_path, archive_policy(seaweed, bucket)).ok
    assert sweeper.sweep(time.time()).deleted == [old]  # the archive has it now
    assert not marker_path(tmp_path / f"{old}.json").exists()
    assert f"{WORKSTATION}/{old}.wav" in objects(seaweed, bucket)
