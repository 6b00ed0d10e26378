"""Encryption at rest with real files: no plaintext audio on disk, kill-safe, QA's key opens it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pyrage import x25519

from softphone.calls.setup import prepare_setup
from softphone.config.agekeys import fingerprint
from softphone.recordings import sealed
from softphone.recordings.audiofile import SealedAudioError, open_audio
from softphone.recordings.audit import AuditEvent, AuditLog
from softphone.recordings.catalog import find_entry, verify_library
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    GateEntry,
    RecordingMetadata,
    read_metadata,
)
from softphone.recordings.review import export_recording
from softphone.recordings.store import (
    PARTIAL_SEALED_SUFFIX,
    RecordingPaths,
    RecordingStore,
    StoreError,
    recording_id,
    seal,
)
from softphone.recordings.writer import RecordingWriter, file_sha256
from softphone.vocabulary.frames import FRAME_SAMPLES

REPO = Path(__file__).resolve().parents[2]
QA = x25519.Identity.generate()
QA_PUBLIC = str(QA.to_public())
AGE_MAGIC = b"age-encryption.org/v1\n"


def _frame(tick: int) -> bytes:
    """20 ms whose samples are unlike silence or any header: a ramp that names its frame."""
    frame = np.empty(2 * FRAME_SAMPLES, dtype="<i2")
    ramp = (np.arange(FRAME_SAMPLES) * 97 + tick * 7919) % 30011 + 1000
    frame[0::2] = ramp
    frame[1::2] = -ramp
    return frame.tobytes()


def plaintext_found(root: Path, frames: list[bytes]) -> list[str]:
    """Every file under `root` that holds a WAV header or 64 bytes of any frame's PCM."""
    needles = [f[i : i + 64] for f in frames for i in (0, 640, 1216)]
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if b"RIFF" in data or b"WAVE" in data or any(n in data for n in needles):
            found.append(path.name)
    return found


def assert_all_ciphertext(path: Path) -> sealed.Layout:
    """`path` is a version 2 container and every byte after its header line is framing, the
    age file that wraps the file key, or AES-GCM ciphertext of exactly its frames and tag."""
    data = path.read_bytes()
    found = sealed.layout(data)
    assert found.magic == sealed.MAGIC and found.whole == len(data), "bytes after the last chunk"
    covered = len(sealed.MAGIC)
    for index, (kind, frames, offset, size) in enumerate(found.chunks):
        assert (kind == sealed.KEY) == (index == 0)
        if kind == sealed.KEY:
            assert data[offset : offset + size].startswith(AGE_MAGIC)
        elif kind == sealed.AUDIO:
            assert size == frames * sealed.BYTES_PER_FRAME + sealed.TAG_BYTES
        covered += 9 + size
    assert covered == len(data)
    return found


def _record(root: Path, frames: list[bytes], keys: tuple[str, ...] = (QA_PUBLIC,)) -> Path:
    store = RecordingStore(root, seal_to=keys)
    paths = store.new_recording("c1", "outbound", time.time())
    writer = RecordingWriter(paths.partial, print, seal_to=paths.seal_to, sync_interval_s=0.2)
    for frame in frames:
        writer.write(frame)
    audio = writer.finish(paths.audio)
    _seal_metadata(paths, audio.frames, audio.sha256)
    return paths.metadata


def _seal_metadata(paths: RecordingPaths, frames: int, sha256: str) -> None:
    metadata = RecordingMetadata(
        call=CallFacts("c1", "outbound", "sip:a@x", "sip:c@y", "agent"),
        audio=AudioFacts(
            paths.audio.name,
            16000,
            frames=frames,
            sha256=sha256,
            encryption=sealed.encryption_facts(paths.seal_to),
        ),
        disclosure=DisclosureEvidence("d", "en", "quality", "ab", 1.0, 10.0, 11.0, 50, 50, True),
        status="complete",
        gate=[GateEntry(11.5, 0.0, "open", "disclosure-completed")],
    )
    seal(paths, metadata, AuditEvent.FINALISED)


def test_a_sealed_recording_has_no_plaintext_and_only_qa_can_open_it(tmp_path: Path) -> None:
    other = x25519.Identity.generate()
    frames = [_frame(t) for t in range(60)]
    meta_path = _record(tmp_path, frames, keys=(QA_PUBLIC, str(other.to_public())))
    metadata = read_metadata(meta_path)
    audio_path = meta_path.with_name(metadata.audio.file)
    assert audio_path.suffix == ".sealed" and plaintext_found(tmp_path, frames) == []
    layout = assert_all_ciphertext(audio_path)
    assert layout.closed and layout.frames == 60 * FRAME_SAMPLES == metadata.audio.frames
    assert metadata.audio.encryption == {
        "container": "softphone.sealed/2",
        "scheme": "age-x25519 file key, aes-256-gcm chunks",
        "recipients": [fingerprint(QA_PUBLIC), fingerprint(str(other.to_public()))],
    }
    # The agent's side: no key. Verify still works on the ciphertext; the audio stays sealed.
    assert [p for _rid, p in verify_library(tmp_path)[0]] == [[]]
    locked = open_audio(audio_path, [metadata.audio.sha256])
    assert locked.sealed and locked.pcm is None and locked.frames == 60 * FRAME_SAMPLES
    with pytest.raises(SealedAudioError, match="sealed: this recording is encrypted to QA's key"):
        locked.samples()
    with pytest.raises(SealedAudioError, match="softphone qa import-key"):
        open_audio(audio_path, [metadata.audio.sha256], keys=list)
    # QA: either key opens it (rotation), to exactly the PCM written.
    for identity in (str(QA), str(other)):
        opened = open_audio(audio_path, [metadata.audio.sha256], keys=[identity].copy)
        samples, rate = opened.samples()
        assert rate == 16000
        assert samples.tobytes() == b"".join(frames)


def test_a_wrong_qa_key_is_told_as_such(tmp_path: Path) -> None:
    meta_path = _record(tmp_path, [_frame(t) for t in range(10)])
    metadata = read_metadata(meta_path)
    stranger = str(x25519.Identity.generate())
    with pytest.raises(SealedAudioError) as info:
        open_audio(meta_path.with_name(metadata.audio.file), [metadata.audio.sha256],
                   keys=lambda: [stranger])  # fmt: skip
    assert "the QA key in the keyring does not open this recording" in str(info.value)
    assert "softphone qa import-key" in str(info.value) and stranger not in str(info.value)


def test_a_flipped_byte_in_the_ciphertext_is_caught_by_verify(tmp_path: Path) -> None:
    meta_path = _record(tmp_path, [_frame(t) for t in range(30)])
    audio_path = meta_path.with_name(read_metadata(meta_path).audio.file)
    data = bytearray(audio_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    audio_path.write_bytes(bytes(data))
    ((_rid, problems),) = verify_library(tmp_path)[0]
    assert [p.kind for p in problems] == ["altered"], problems
    # Even with the hash in the metadata rewritten to match, AES-GCM's authentication refuses it.
    with pytest.raises(SealedAudioError, match="tampered with: its audio chunk"):
        open_audio(audio_path, [file_sha256(audio_path)], keys=lambda: [str(QA)])
    audio_path.write_bytes(bytes(data[: len(data) // 3]))  # cut off: fewer frames than sealed
    ((_rid, problems),) = verify_library(tmp_path)[0]
    assert [p.kind for p in problems] == ["truncated"], problems


def test_export_with_the_key_writes_the_decrypted_wav_and_without_refuses(tmp_path: Path) -> None:
    frames = [_frame(t) for t in range(25)]
    entry = find_entry(tmp_path, recording_id(tmp_path, _record(tmp_path, frames)))
    with pytest.raises(SealedAudioError, match="sealed: this recording is encrypted"):
        export_recording(tmp_path, entry, tmp_path / "out.wav", None, None, keys=list)
    assert not (tmp_path / "out.wav").exists()
    audited = export_recording(
        tmp_path, entry, tmp_path / "out.wav", None, None, keys=lambda: [str(QA)]
    )
    data, _ = sf.read(tmp_path / "out.wav", dtype="int16")
    assert data.tobytes() == b"".join(frames) and audited["decrypted"] is True
    assert [e.event for e in AuditLog.of(tmp_path).entries()][-1] == "exported"


def test_keys_that_cannot_be_used_mean_nothing_is_recorded(tmp_path: Path) -> None:
    bad = QA_PUBLIC[:-2] + "zz"
    with pytest.raises(StoreError, match=f'recording.encrypt_to: "{bad}" is not an age'):
        RecordingStore(tmp_path, seal_to=(bad,))
    setup = prepare_setup(spec=None, recordings=tmp_path, agent="a", encrypt_to=(bad,))
    assert setup.store is None
    assert any(
        p.startswith("nothing will be recorded: recording.encrypt_to") for p in setup.problems
    )


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from softphone.recordings.writer import RecordingWriter
    from tests.unit.test_recording_sealed import _frame
    writer = RecordingWriter(Path(sys.argv[1]), print, seal_to=(sys.argv[2],))
    tick = 0
    start = time.monotonic()
    while True:
        writer.write(_frame(tick))
        tick += 1
        print(tick, flush=True)
        time.sleep(max(0.0, start + tick * 0.02 - time.monotonic()))
    """
)


def test_a_kill_mid_call_recovers_a_sealed_recording_missing_at_most_a_second(
    tmp_path: Path,
) -> None:
    store = RecordingStore(tmp_path, seal_to=(QA_PUBLIC,))
    paths = store.new_recording("call-1", "inbound", time.time())
    assert paths.partial.name.endswith(PARTIAL_SEALED_SUFFIX)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(paths.partial), QA_PUBLIC],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        cwd=REPO,
    )
    assert child.stdout is not None
    produced, scanned = 0, False
    for line in child.stdout:
        produced = int(line)
        if produced == 100 and not scanned:  # mid-call: the partial file is ciphertext only
            assert plaintext_found(tmp_path, [_frame(t) for t in range(100)]) == []
            assert sealed.layout(paths.partial.read_bytes()).frames > 0
            scanned = True
        if produced >= 150:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    with paths.partial.open("ab") as half:  # as if the kill came in the middle of an append
        half.write(sealed.FRAME.pack(sealed.AUDIO, 7, 28 + sealed.TAG_BYTES) + bytes(31))
    assert store.recover() == [paths.metadata]
    assert not paths.partial.exists() and plaintext_found(tmp_path, []) == []
    layout = assert_all_ciphertext(paths.audio)
    assert not layout.closed  # no trailer: the call never ended
    metadata = read_metadata(paths.metadata)
    assert metadata.status == "interrupted" and metadata.audio.encryption is not None
    assert metadata.audio.frames == layout.frames
    assert metadata.audio.sha256 == file_sha256(paths.audio)
    opened = open_audio(paths.audio, [metadata.audio.sha256], keys=lambda: [str(QA)])
    samples, _ = opened.samples()
    kept = samples.shape[0] // FRAME_SAMPLES
    assert produced - kept <= 50, f"lost {produced - kept} frames of {produced}"
    assert samples.tobytes() == b"".join(_frame(t) for t in range(kept))  # intact, in order


def test_the_plaintext_scan_sees_a_plain_recording(tmp_path: Path) -> None:
    # Guards the scans above against a check that can never find anything.
    frames = [_frame(t) for t in range(20)]
    RecordingStore(tmp_path)  # a plaintext store
    writer = RecordingWriter(tmp_path / "a.partial.raw", print)
    for frame in frames:
        writer.write(frame)
    writer.close()
    assert plaintext_found(tmp_path, frames) == ["a.partial.raw"]
    writer.finish(tmp_path / "a.wav")
    assert plaintext_found(tmp_path, frames) == ["a.wav"]
