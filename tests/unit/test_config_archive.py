"""The policy's [archive] table: typed, validated with specific errors, never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.config.policy import load_policy
from softphone.config.problems import PolicyError
from softphone.config.schema import ArchivePolicy, Policy
from tests.unit.test_config_support import MINIMAL, Files, make_files, write_policy


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return make_files(tmp_path)


def _load(files: Files, table: str) -> Policy:
    return load_policy(write_policy(files, MINIMAL + table), default_recordings=files.recordings)


def _problems(files: Files, table: str) -> list[str]:
    path = write_policy(files, MINIMAL + table)
    with pytest.raises(PolicyError) as info:
        load_policy(path, default_recordings=files.recordings)
    return [str(p).replace(str(path), "policy.toml") for p in info.value.problems]


def test_a_full_archive_table_is_read_into_its_dataclass(files: Files) -> None:
    policy = _load(
        files,
        f"""
[archive]
endpoint = "https://s3.example.org"
bucket = "cc-recordings"
prefix = "site-a/floor-2"
region = "eu-west-1"
access_key_id = "AKIAIOSFODNN7EXAMPLE"
verify_tls = true
ca_file = "{files.ca}"
keep_local_days = 7
object_lock_days = 365
""",
    )
    assert policy.archive == ArchivePolicy(
        bucket="cc-recordings",
        endpoint="https://s3.example.org",
        prefix="site-a/floor-2",
        region="eu-west-1",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        verify_tls=True,
        ca_file=files.ca,
        keep_local_days=7,
        object_lock_days=365,
    )


def test_without_an_archive_table_recordings_stay_local(files: Files) -> None:
    assert _load(files, "").archive is None


def test_aws_s3_needs_only_a_bucket(files: Files) -> None:
    archive = _load(files, '\n[archive]\nbucket = "cc-recordings"\n').archive
    assert archive is not None and archive.endpoint is None and archive.keep_local_days is None


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("s3.example.org", "the scheme must be https://"),
        ("ftp://s3.example.org", "the scheme must be https://"),
        ("https://", "no host name"),
        ("https://s3.example.org/cc-recordings", "the bucket goes in archive.bucket"),
        ("https://s3.example.org:99999", "Port out of range"),
    ],
)
def test_a_malformed_endpoint_says_what_is_wrong(files: Files, endpoint: str, says: str) -> None:
    found = _problems(files, f'\n[archive]\nendpoint = "{endpoint}"\nbucket = "cc-rec"\n')
    assert len(found) == 1 and "archive.endpoint" in found[0] and says in found[0], found


def test_a_bucket_name_s3_refuses_is_a_policy_error(files: Files) -> None:
    found = _problems(files, '\n[archive]\nbucket = "CC_Recordings"\n')
    assert len(found) == 1 and "archive.bucket: expected an S3 bucket name" in found[0]


def test_a_missing_bucket_is_named(files: Files) -> None:
    found = _problems(files, '\n[archive]\nendpoint = "https://s3.example.org"\n')
    assert len(found) == 1 and "archive.bucket: missing" in found[0]


@pytest.mark.parametrize("key", ["secret_access_key", "secret_key", "aws_secret"])
def test_a_secret_key_in_the_policy_is_refused(files: Files, key: str) -> None:
    found = _problems(files, f'\n[archive]\nbucket = "cc-rec"\n{key} = "wJalrXUtnFEMI"\n')
    assert len(found) == 1 and f"archive.{key}" in found[0]
    assert "wJalrXUtnFEMI" not in found[0]
    assert "keyring" in found[0]


def test_plain_http_to_another_host_is_warned_of(files: Files) -> None:
    policy = _load(files, '\n[archive]\nendpoint = "http://s3.lan:9000"\nbucket = "cc-rec"\n')
    assert any("unencrypted" in str(w) for w in policy.warnings)
    local = _load(files, '\n[archive]\nendpoint = "http://127.0.0.1:9000"\nbucket = "cc-rec"\n')
    assert local.warnings == ()


def test_negative_days_are_refused(files: Files) -> None:
    found = _problems(files, '\n[archive]\nbucket = "cc-rec"\nkeep_local_days = -1\n')
    assert len(found) == 1 and "archive.keep_local_days" in found[0]
