"""Nothing is lost: an archive that is down, slow, refusing, full or lying keeps the spool.

After each outage every recording is in the archive exactly once, byte-identical, and the
spool is empty; while it lasts the message names the cause and the fix and nothing is deleted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.app.archiving import archive_state, flush
from softphone.recordings.spool import Spool
from tests.integration.archivedata import archive_policy, archive_toml, local_files, record
from tests.integration.policies import Compliance
from tests.integration.s3proxy import S3Proxy
from tests.integration.seaweed import SeaweedServer
from tests.integration.softphone_cli import REPO, child_env, run_softphone
from tests.integration.test_archive_upload import WORKSTATION, _env, assert_archived_once

pytestmark = pytest.mark.usefixtures("aws_env")


@pytest.fixture(autouse=True)
def _workstation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPHONE_WORKSTATION", WORKSTATION)


@pytest.fixture
def proxy(seaweed: SeaweedServer) -> Iterator[S3Proxy]:
    relay = S3Proxy(("127.0.0.1", seaweed.ports["s3"]))
    yield relay
    relay.close()


def _kept(root: Path, ids: list[str], before: dict[str, dict[str, bytes]]) -> None:
    """Nothing was deleted and every recording still waits."""
    assert {rid: local_files(root, rid) for rid in ids} == before
    assert sorted(e.recording for e in Spool(root).entries()) == sorted(ids)


def test_an_archive_that_stops_answering_keeps_the_spool_and_retries_with_backoff(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str
) -> None:
    ids = [record(tmp_path, "down-1"), record(tmp_path, "down-2")]
    before = {rid: local_files(tmp_path, rid) for rid in ids}
    policy = archive_policy(seaweed, bucket)
    seaweed.pause()
    try:
        result = flush(tmp_path, policy, budget_s=1.0)
        state = archive_state(tmp_path)
        later = flush(tmp_path, policy, budget_s=1.0, patient=True)  # within the back-off
    finally:
        seaweed.resume()
    assert not result.ok and result.waiting == 2
    assert "does not answer" in result.failed[0][1] and "stays in the spool" in result.failed[0][1]
    assert state.text == "archive unreachable, 2 waiting"
    assert later.failed == [] and later.archived == [] and later.waiting == 2  # did not try
    _kept(tmp_path, ids, before)
    assert Spool(tmp_path).state().retry_at > time.time()
    assert flush(tmp_path, policy).ok
    assert_archived_once(seaweed, bucket, tmp_path, ids)
    assert archive_state(tmp_path).text == ""


def test_a_server_killed_and_restarted_gets_everything_once(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str
) -> None:
    ids = [record(tmp_path, "restart-1")]
    policy = archive_policy(seaweed, bucket)
    assert flush(tmp_path, policy).ok
    ids.append(record(tmp_path, "restart-2"))
    seaweed.kill()
    try:
        result = flush(tmp_path, policy, budget_s=2.0)
    finally:
        seaweed.start()
    assert not result.ok and "does not answer" in result.failed[0][1]
    assert flush(tmp_path, policy).ok
    assert_archived_once(seaweed, bucket, tmp_path, ids)


def test_a_slow_archive_still_gets_everything(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str, proxy: S3Proxy
) -> None:
    proxy.delay_s = 0.05
    ids = [record(tmp_path, f"slow-{n}") for n in range(3)]
    assert flush(tmp_path, archive_policy(seaweed, bucket, endpoint=proxy.endpoint)).ok
    assert_archived_once(seaweed, bucket, tmp_path, ids)


def test_wrong_credentials_say_so_and_keep_everything(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [record(tmp_path, "creds")]
    before = {rid: local_files(tmp_path, rid) for rid in ids}
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    result = flush(tmp_path, archive_policy(seaweed, bucket))
    assert not result.ok
    assert "refused the credentials" in result.failed[0][1]
    assert "softphone archive set-secret" in result.failed[0][1]
    _kept(tmp_path, ids, before)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "archive-test-secret-key")
    assert flush(tmp_path, archive_policy(seaweed, bucket)).ok
    assert_archived_once(seaweed, bucket, tmp_path, ids)


def test_a_full_archive_keeps_the_spool_until_there_is_room(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str
) -> None:
    ids = [record(tmp_path, "full")]
    before = {rid: local_files(tmp_path, rid) for rid in ids}
    seaweed.fill(bucket)  # SeaweedFS then refuses writes with a plain 500 InternalError
    try:
        result = flush(tmp_path, archive_policy(seaweed, bucket))
    finally:
        seaweed.unfill(bucket)
    assert not result.ok and "stays in the spool" in result.failed[0][1]
    _kept(tmp_path, ids, before)
    deadline = time.monotonic() + 30
    while not (done := flush(tmp_path, archive_policy(seaweed, bucket))).ok:
        assert time.monotonic() < deadline, done.failed
        time.sleep(0.5)
    seaweed.client().delete_object(Bucket=bucket, Key="filler/2mb")
    assert_archived_once(seaweed, bucket, tmp_path, ids)


def test_an_uploader_killed_mid_upload_resumes_at_the_next_start(
    compliance: Compliance, seaweed: SeaweedServer, bucket: str, proxy: S3Proxy
) -> None:
    root = compliance.recordings
    ids = [record(root, "kill-1", frames=500), record(root, "kill-2")]
    with compliance.policy.open("a") as policy:
        policy.write(archive_toml(seaweed, bucket).replace(seaweed.endpoint, proxy.endpoint))
    proxy.hold_puts = True
    uploader = subprocess.Popen(
        [sys.executable, "-m", "softphone.cli", "archive", "upload", *compliance.args],
        env=_env(),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proxy.holding.wait(30), "the upload never started"
        entries = Spool(root).entries()
        assert any(e.uploading_since is not None for e in entries)  # mid-upload
    finally:
        os.kill(uploader.pid, signal.SIGKILL)
        uploader.wait(10)
    assert uploader.returncode == -signal.SIGKILL
    proxy.hold_puts = False
    proxy.release.set()
    done = run_softphone(["archive", "upload", "--json", *compliance.args], env=_env())
    assert done.returncode == 0, done.stderr
    assert_archived_once(seaweed, bucket, root, ids)


def test_an_object_that_comes_back_with_another_checksum_is_not_counted_as_archived(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str, proxy: S3Proxy
) -> None:
    ids = [record(tmp_path, "lying")]
    before = {rid: local_files(tmp_path, rid) for rid in ids}
    proxy.false_checksums = True
    lying = archive_policy(seaweed, bucket, endpoint=proxy.endpoint, keep_local_days=0)
    result = flush(tmp_path, lying)
    assert not result.ok
    assert "another checksum than was sent" in result.failed[0][1]
    _kept(tmp_path, ids, before)
    proxy.false_checksums = False
    assert flush(tmp_path, archive_policy(seaweed, bucket)).ok
    assert_archived_once(seaweed, bucket, tmp_path, ids)


def test_an_object_already_there_with_other_bytes_is_not_overwritten(
    tmp_path: Path, seaweed: SeaweedServer, bucket: str
) -> None:
    rid = record(tmp_path, "taken")
    before = {rid: local_files(tmp_path, rid)}
    key = f"{WORKSTATION}/{rid}.wav"
    seaweed.client().put_object(Bucket=bucket, Key=key, Body=b"someone else's bytes")
    result = flush(tmp_path, archive_policy(seaweed, bucket))
    assert not result.ok and "already in the archive with other content" in result.failed[0][1]
    _kept(tmp_path, [rid], before)
    body = seaweed.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == b"someone else's bytes"


def test_a_bucket_that_does_not_exist_is_named_with_the_fix(
    tmp_path: Path, seaweed: SeaweedServer
) -> None:
    rid = record(tmp_path, "nobucket")
    before = {rid: local_files(tmp_path, rid)}
    result = flush(tmp_path, archive_policy(seaweed, "no-such-bucket-here"))
    assert not result.ok
    assert "the bucket no-such-bucket-here does not exist" in result.failed[0][1]
    assert "fix archive.bucket" in result.failed[0][1]
    _kept(tmp_path, [rid], before)


def _faketime() -> str:
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    assert found, "libfaketime is missing: apt-get install faketime (scripts/setup.sh)"
    return str(found[0])


def test_a_clock_the_archive_rejects_is_named_with_the_fix(
    compliance: Compliance, seaweed: SeaweedServer, bucket: str
) -> None:
    root = compliance.recordings
    rid = record(root, "skewed")
    before = {rid: local_files(root, rid)}
    with compliance.policy.open("a") as policy:
        policy.write(archive_toml(seaweed, bucket))
    skewed = run_softphone(
        ["archive", "upload", *compliance.args],
        env={**_env(), "LD_PRELOAD": _faketime(), "FAKETIME": "-2d"},
    )
    assert skewed.returncode == 1
    assert "clock" in skewed.stderr and "NTP" in skewed.stderr, skewed.stderr
    _kept(root, [rid], before)


def test_a_malformed_endpoint_is_refused_before_anything_is_touched(
    compliance: Compliance,
) -> None:
    rid = record(compliance.recordings, "badurl")
    with compliance.policy.open("a") as policy:
        policy.write('\n[archive]\nendpoint = "s3.example.org:9000"\nbucket = "cc-rec"\n')
    done = run_softphone(["archive", "upload", *compliance.args], env=child_env())
    assert done.returncode == 2
    assert "archive.endpoint" in done.stderr and "https://" in done.stderr
    assert (compliance.recordings / f"{rid}.json").exists()
