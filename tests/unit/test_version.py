"""One version, pyproject.toml's: `softphone --version` and every recording's metadata carry it."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    RecordingMetadata,
    read_metadata,
    write_metadata,
)
from tests.integration.softphone_cli import REPO, child_env

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_softphone_version_prints_pyprojects_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "softphone.cli", "--version"],
        capture_output=True, text=True, env=child_env(), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"softphone {VERSION}\n"


def _metadata() -> RecordingMetadata:
    return RecordingMetadata(
        call=CallFacts("c1", "inbound", "sip:a@h", "sip:b@h", "agent"),
        audio=AudioFacts("c1.wav", 16000),
        disclosure=DisclosureEvidence("builtin-nl", "nl", "kwaliteit", "00", 3.0),
    )


def test_a_recordings_metadata_names_the_softphone_version(tmp_path: Path) -> None:
    path = tmp_path / "c1.json"
    write_metadata(path, _metadata())
    assert json.loads(path.read_text(encoding="utf-8"))["softphone_version"] == VERSION
    assert read_metadata(path).softphone_version == VERSION


def test_metadata_from_before_versions_reads_as_no_version(tmp_path: Path) -> None:
    path = tmp_path / "c1.json"
    write_metadata(path, _metadata())
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["softphone_version"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_metadata(path).softphone_version is None
