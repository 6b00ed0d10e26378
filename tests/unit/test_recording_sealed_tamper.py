"""A sealed recording (softphone.sealed/2) that was tampered with never opens as if it were whole.

Each case rewrites the container the way someone holding the files could (chunks swapped,
reordered, dropped, cut off, taken from another recording, the trailer altered) and gives
`open_audio` the tampered file's own SHA-256, as if the metadata had been rewritten to match:
the container's own authentication must refuse it. And version 1 files still open.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pyrage import x25519

from softphone.recordings import sealed
from softphone.recordings.audiofile import SealedAudioError, open_audio
from softphone.recordings.catalog import UNCLOSED, find_entry, verify_library
from softphone.recordings.metadata import read_metadata
from softphone.recordings.review import export_recording
from softphone.recordings.sealedcrypto import decrypt_pcm
from softphone.recordings.store import RecordingStore
from softphone.recordings.writer import RecordingWriter, file_sha256
from tests.unit.test_recording_sealed import QA, QA_PUBLIC, _frame, _seal_metadata

DATA = Path(__file__).parent / "data"
# A throwaway key made for this fixture only: softphone-sealed-1.sealed was written by the
# recording writer of 19e3bc1 (container version 1), 60 frames of `_frame(t)`, sync every 0.2 s.
V1_KEY = "AGE-SECRET-KEY-17NW9S5C2YV6T4828WLHN9FZCGSN08JPAFTZM7ZA4TDRL0M7G3XXQ2YANME"
V1_SHA256 = "a7e5ebe59660e4fee40bde77b4747cc2bb451b26a7ff35bc6e3608e472d5f0ad"

Chunk = tuple[bytes, int, int, int]


def _pieces(data: bytes) -> tuple[bytes, list[bytes], bytes]:
    """The header line with the key chunk, each audio chunk framed, and the framed trailer."""
    found = sealed.layout(data)
    framed = [data[offset - 9 : offset + size] for _k, _f, offset, size in found.chunks]
    assert found.closed and found.chunks[0][0] == sealed.KEY and len(framed) >= 3
    return data[: len(sealed.MAGIC)] + framed[0], framed[1:-1], framed[-1]


def _opened(path: Path) -> bytes:
    audio = open_audio(path, [hashlib.sha256(path.read_bytes()).hexdigest()],
                       keys=lambda: [str(QA)])  # fmt: skip
    samples, _ = audio.samples()
    return samples.tobytes()


def _chunked(root: Path) -> Path:
    """A closed version 2 recording of 60 frames in chunks of about ten frames each."""
    root.mkdir(exist_ok=True)
    store = RecordingStore(root, seal_to=(QA_PUBLIC,))
    paths = store.new_recording("c-tamper", "inbound", time.time())
    writer = RecordingWriter(paths.partial, print, seal_to=paths.seal_to, sync_interval_s=0.1)
    for tick in range(60):
        writer.write(_frame(tick))
        if tick % 10 == 9:
            time.sleep(0.25)  # a sync (a chunk) every ten frames or so
    writer.finish(paths.audio)
    assert _opened(paths.audio) == b"".join(_frame(t) for t in range(60))
    assert len(_pieces(paths.audio.read_bytes())[1]) >= 3
    return paths.audio


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """A closed version 2 recording of 60 frames in several chunks."""
    return _chunked(tmp_path)


CASES: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "two audio chunks swapped": lambda audio: [audio[1], audio[0], *audio[2:]],
    "audio chunks reordered": lambda audio: audio[::-1],
    "an audio chunk dropped": lambda audio: [audio[0], *audio[2:]],
    "an audio chunk repeated": lambda audio: [audio[0], *audio],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_chunks_moved_or_dropped_fail_their_authentication(recording: Path, case: str) -> None:
    head, audio, trailer = _pieces(recording.read_bytes())
    recording.write_bytes(head + b"".join(CASES[case](audio)) + trailer)
    with pytest.raises(SealedAudioError, match="tampered with: its audio chunk"):
        _opened(recording)


def test_a_chunk_from_another_recording_fails_its_authentication(
    recording: Path, tmp_path: Path
) -> None:
    head, audio, trailer = _pieces(recording.read_bytes())
    _o_head, other, _o_trailer = _pieces(_chunked(tmp_path / "other").read_bytes())
    recording.write_bytes(head + other[0] + b"".join(audio[1:]) + trailer)
    with pytest.raises(SealedAudioError, match="tampered with: its audio chunk"):
        _opened(recording)


def test_an_altered_trailer_fails_its_authentication(recording: Path) -> None:
    head, audio, trailer = _pieces(recording.read_bytes())
    altered = bytearray(trailer)
    altered[20] ^= 0x01  # in its ciphertext: the frame count or the SHA-256 it seals
    recording.write_bytes(head + b"".join(audio) + bytes(altered))
    with pytest.raises(SealedAudioError, match="tampered with: its trailer"):
        _opened(recording)


def test_audio_cut_away_before_the_trailer_fails(recording: Path) -> None:
    head, audio, trailer = _pieces(recording.read_bytes())
    recording.write_bytes(head + b"".join(audio[:-1]) + trailer)  # the trailer kept
    with pytest.raises(SealedAudioError, match="tampered with: its trailer"):
        _opened(recording)


def test_a_cut_off_container_says_so(recording: Path) -> None:
    data = recording.read_bytes()
    recording.write_bytes(data[:-5])  # the trailer cut short
    with pytest.raises(SealedAudioError, match="damaged sealed recording: it was cut off"):
        _opened(recording)
    recording.write_bytes(data + b"more")
    with pytest.raises(SealedAudioError, match="bytes follow its trailer"):
        _opened(recording)


def test_chunks_cut_at_a_boundary_open_as_unclosed_and_short(recording: Path) -> None:
    # What recovery makes of a killed call: the chunks that are whole, no trailer. It opens, but
    # says it was not closed (the QA side then holds a complete recording to have its trailer).
    head, audio, _trailer = _pieces(recording.read_bytes())
    recording.write_bytes(head + b"".join(audio[:2]))
    audio_opened = open_audio(recording, [hashlib.sha256(recording.read_bytes()).hexdigest()],
                              keys=lambda: [str(QA)])  # fmt: skip
    assert not audio_opened.closed
    samples, _ = audio_opened.samples()
    assert samples.tobytes() == b"".join(_frame(t) for t in range(60))[: len(samples.tobytes())]
    assert 0 < len(samples) < 60 * 320


def test_a_wrong_file_key_chunk_is_refused_as_the_wrong_key(recording: Path) -> None:
    stranger = x25519.Identity.generate()
    with pytest.raises(SealedAudioError, match="does not open this recording"):
        open_audio(recording, [hashlib.sha256(recording.read_bytes()).hexdigest()],
                   keys=lambda: [str(stranger)])  # fmt: skip


def test_a_version_1_recording_still_opens_to_its_audio() -> None:
    path = DATA / "softphone-sealed-1.sealed"
    assert path.read_bytes().startswith(sealed.MAGIC_V1)
    locked = open_audio(path, [V1_SHA256])
    assert locked.sealed and locked.pcm is None and locked.frames == 60 * 320
    opened = open_audio(path, [V1_SHA256], keys=lambda: [V1_KEY])
    samples, rate = opened.samples()
    assert rate == 16000 and opened.closed
    assert samples.tobytes() == b"".join(_frame(t) for t in range(60))
    assert opened.wav()[:4] == b"RIFF"


def test_a_version_1_chunk_altered_is_refused() -> None:
    data = bytearray((DATA / "softphone-sealed-1.sealed").read_bytes())
    data[len(data) // 2] ^= 0x01
    with pytest.raises(sealed.SealedError, match="cannot be decrypted"):
        decrypt_pcm(bytes(data), [x25519.Identity.from_str(V1_KEY)])


def test_a_complete_recording_without_its_trailer_is_called_truncated(tmp_path: Path) -> None:
    # Metadata and audit trail alike finalise a trailer-less container as complete (what a writer
    # fault, or someone rewriting all three, would leave): verify and the QA side refuse it.
    store = RecordingStore(tmp_path, seal_to=(QA_PUBLIC,))
    paths = store.new_recording("c-cut", "inbound", time.time())
    writer = RecordingWriter(paths.partial, print, seal_to=paths.seal_to, sync_interval_s=0.1)
    for tick in range(20):
        writer.write(_frame(tick))
    writer.finish(paths.audio)
    head, audio, _trailer = _pieces(paths.audio.read_bytes())
    paths.audio.write_bytes(head + b"".join(audio))
    _seal_metadata(paths, 20 * 320, file_sha256(paths.audio))
    ((_rid, problems),) = verify_library(tmp_path)[0]
    assert [p.text for p in problems] == [UNCLOSED]
    entry = find_entry(tmp_path, paths.id)
    with pytest.raises(SealedAudioError, match="has no trailer"):
        export_recording(tmp_path, entry, tmp_path / "out.wav", None, None,
                         keys=lambda: [str(QA)])  # fmt: skip
    assert not (tmp_path / "out.wav").exists()


def test_a_version_1_partial_left_by_an_older_softphone_is_recovered(tmp_path: Path) -> None:
    data = (DATA / "softphone-sealed-1.sealed").read_bytes()
    found = sealed.layout(data)
    _kind, frames, offset, size = found.chunks[-2]  # the last audio chunk, cut by the kill
    store = RecordingStore(tmp_path, seal_to=(QA_PUBLIC,))
    paths = store.new_recording("c-old", "inbound", time.time())
    paths.partial.write_bytes(data[: offset + size // 2])
    (recovered,) = store.recover()
    assert read_metadata(recovered).audio.frames == found.frames - frames
    audio = open_audio(paths.audio, [file_sha256(paths.audio)], keys=lambda: [V1_KEY])
    samples, _ = audio.samples()
    assert not audio.closed
    assert samples.tobytes() == b"".join(_frame(t) for t in range(60))[: len(samples.tobytes())]
    for cut in (b"softphone-sealed-audio/1", b"softphone-sealed"):  # killed in its header line
        paths.audio.unlink()
        paths.partial.write_bytes(cut)
        (recovered,) = store.recover()
        assert paths.audio.read_bytes() == (sealed.MAGIC_V1 if cut.endswith(b"1") else sealed.MAGIC)
