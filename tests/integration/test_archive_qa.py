"""QA reads the archive: one index over every workstation's archived metadata, play on demand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf

from softphone.app.archiving import flush
from softphone.recordings.archiveclient import s3_client
from softphone.recordings.archiveindex import ArchiveIndex
from softphone.recordings.index import Filters
from tests.integration.archivedata import archive_policy, archive_toml, record, use_aws_env
from tests.integration.policies import Compliance
from tests.integration.seaweed import SeaweedServer
from tests.integration.softphone_cli import child_env, run_softphone


def _desk(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, seaweed: SeaweedServer, bucket: str
) -> tuple[Path, list[str]]:
    """A workstation of its own (recordings directory, name) that uploads two recordings."""
    root = tmp_path / name
    root.mkdir()
    ids = [record(root, f"{name}-1", agent="alice"), record(root, f"{name}-2", agent="bob")]
    monkeypatch.setenv("SOFTPHONE_WORKSTATION", name)
    assert flush(root, archive_policy(seaweed, bucket)).ok
    return root, [f"{name}/{rid}" for rid in ids]


def test_qa_lists_every_workstation_from_the_archive_and_plays_on_demand(
    tmp_path: Path,
    compliance: Compliance,
    seaweed: SeaweedServer,
    bucket: str,
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_root, first = _desk(tmp_path, "desk-1", monkeypatch, seaweed, bucket)
    _, second = _desk(tmp_path, "desk-2", monkeypatch, seaweed, bucket)
    with compliance.policy.open("a") as policy:
        policy.write(archive_toml(seaweed, bucket))
    reviewer = tmp_path / "reviewer"
    env = use_aws_env(child_env()) | {
        "XDG_CACHE_HOME": str(reviewer / "cache"),
        "XDG_DATA_HOME": str(reviewer / "data"),
    }
    listed = run_softphone(["recordings", "list", "--archive", "--json", *compliance.args], env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(first + second)
    bobs = run_softphone(
        ["recordings", "list", "--archive", "--agent", "bob", "--json", *compliance.args], env=env
    )
    assert sorted(json.loads(x)["id"] for x in bobs.stdout.splitlines()) == [first[1], second[1]]

    out = tmp_path / "heard.wav"
    played = run_softphone(
        ["recordings", "play", first[0], "--archive", "--to-file", str(out), *compliance.args],
        env=env,
    )
    assert played.returncode == 0, played.stderr
    local_wav = first_root / f"{first[0].split('/', 1)[1]}.wav"
    heard, _ = sf.read(out, dtype="int16")
    original, _ = sf.read(local_wav, dtype="int16")
    assert (heard == original).all()


def test_the_archive_index_reads_only_what_is_new(
    tmp_path: Path,
    seaweed: SeaweedServer,
    bucket: str,
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    root, ids = _desk(tmp_path, "desk-9", monkeypatch, seaweed, bucket)
    policy = archive_policy(seaweed, bucket)
    index = ArchiveIndex(policy, s3_client(policy))
    assert index.refresh().read == 2
    assert index.refresh().read == 0
    record(root, "desk-9-3", agent="carol")
    assert flush(root, policy).ok
    assert index.refresh().read == 1
    carol = index.search(Filters(agent="carol"))
    assert len(carol) == 1 and carol[0]["id"].startswith("desk-9/carol/")
    assert len(index.search(Filters(text="desk"))) == 3  # the call ids, through FTS5
    seaweed.client().delete_object(Bucket=bucket, Key=f"{ids[0]}.json")
    assert index.refresh().removed == 1
