"""Recordings made through the real store and writer, and policies with an [archive] table."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from softphone.config.schema import ArchivePolicy
from softphone.recordings.audit import AuditEvent
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    GateEntry,
    RecordingMetadata,
    read_metadata,
)
from softphone.recordings.store import RecordingStore, recording_id, seal
from softphone.recordings.writer import RecordingWriter
from softphone.vocabulary.frames import FRAME_SAMPLES
from tests.integration.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer

CREDENTIAL_ENV = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}


def record(
    root: Path,
    call_id: str,
    *,
    agent: str = "agent",
    frames: int = 50,
    started: float | None = None,
    seal_to: tuple[str, ...] = (),
) -> str:
    """Write one finished recording of noise (`frames` 20 ms frames); returns its id."""
    store = RecordingStore(root, agent=agent, seal_to=seal_to)
    started = time.time() if started is None else started
    paths = store.new_recording(call_id, "outbound", started)
    writer = RecordingWriter(paths.partial, print, seal_to=paths.seal_to)
    rng = np.random.default_rng(abs(hash(call_id)) % (1 << 32))
    for _ in range(frames):
        writer.write(rng.integers(-3000, 3000, 2 * FRAME_SAMPLES, dtype="<i2").tobytes())
    audio = writer.finish(paths.audio)
    metadata = RecordingMetadata(
        call=CallFacts(
            call_id, "outbound", f"sip:{agent}@x", "sip:c@y", agent, started, started + 1.0
        ),
        audio=AudioFacts(paths.audio.name, 16000, frames=audio.frames, sha256=audio.sha256),
        disclosure=DisclosureEvidence("d", "en", "quality", "ab", 1.0, 10.0, 11.0, 50, 50, True),
        status="complete",
        gate=[GateEntry(11.5, 0.0, "open", "disclosure-completed")],
    )
    if seal_to:
        from softphone.recordings.sealed import encryption_facts  # noqa: PLC0415

        metadata.audio.encryption = encryption_facts(seal_to)
    seal(paths, metadata, AuditEvent.FINALISED)
    return recording_id(root, paths.metadata)


def local_files(root: Path, rid: str) -> dict[str, bytes]:
    """The recording's audio and metadata bytes, by the suffix their object key ends in."""
    meta = root / f"{rid}.json"
    audio = meta.with_name(read_metadata(meta).audio.file)
    return {audio.suffix: audio.read_bytes(), ".json": meta.read_bytes()}


def archive_policy(server: SeaweedServer, bucket: str, **extra: object) -> ArchivePolicy:
    """An [archive] policy for `bucket` on `server` (credentials from the environment)."""
    values: dict[str, object] = {"endpoint": server.endpoint, "region": "us-east-1"}
    values.update(extra)
    return ArchivePolicy(bucket=bucket, **values)  # type: ignore[arg-type]


def archive_toml(server: SeaweedServer, bucket: str, extra: str = "") -> str:
    """The [archive] table of a policy file for `bucket` on `server`."""
    return (
        f'\n[archive]\nendpoint = "{server.endpoint}"\nbucket = "{bucket}"\n'
        f'region = "us-east-1"\naccess_key_id = "{ACCESS_KEY}"\n{extra}'
    )


def objects(server: SeaweedServer, bucket: str) -> dict[str, bytes]:
    """Every object in `bucket`, by key, with its bytes."""
    client = server.client()
    found: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[str(item["Key"])] = bytes(body)
    return found


def use_aws_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """An environment with the test server's credentials in AWS's standard variables."""
    env = dict(os.environ if environ is None else environ)
    env.update(CREDENTIAL_ENV)
    return env
