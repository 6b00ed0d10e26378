"""A real scripted call flushes the spool before it exits: its recording is in the archive."""

from __future__ import annotations

from pathlib import Path

from softphone.recordings.spool import Spool
from softphone.recordings.store import recording_id
from tests.integration.archivedata import archive_toml, local_files, objects
from tests.integration.policies import Compliance
from tests.integration.seaweed import SeaweedServer
from tests.integration.softphone_cli import StartPeer, run_softphone, tone_call
from tests.integration.test_archive_upload import WORKSTATION, _env


def test_a_scripted_call_uploads_its_recording_before_it_exits(
    start_peer: StartPeer, compliance: Compliance, seaweed: SeaweedServer, bucket: str
) -> None:
    with compliance.policy.open("a") as policy:
        policy.write(archive_toml(seaweed, bucket))
    peer = start_peer("--play", "tone:440")
    done = run_softphone(
        tone_call(peer.uri_for(), compliance.args, "--hangup-after", "2.5"), env=_env()
    )
    assert done.returncode == 0, done.stderr
    peer.finish()
    root = compliance.recordings
    rid = recording_id(root, Path(done.report["metadata"]))
    stored = objects(seaweed, bucket)
    for suffix, data in local_files(root, rid).items():
        assert stored[f"{WORKSTATION}/{rid}{suffix}"] == data
    assert Spool(root).entries() == []
