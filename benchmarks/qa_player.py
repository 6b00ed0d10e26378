"""The QA player: a one-hour waveform drawn, 100,000 recordings searched, a sealed hour opened."""

from __future__ import annotations

import argparse
import ctypes
import functools
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyrage
import soundfile as sf
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pyrage import x25519
from PySide6.QtWidgets import QApplication

from benchmarks._support import machine
from benchmarks.library_index import SEARCHES, generate, linear, parse_all, timed
from softphone.config.agekeys import parse_recipients
from softphone.recordings import sealed
from softphone.recordings.audiofile import open_audio
from softphone.recordings.index import LibraryIndex
from softphone.recordings.sealedcrypto import ChunkSealer
from softphone.recordings.writer import FinishedAudio, convert_partial, seal_partial
from softphone.vocabulary.frames import RATE
from ui.qawaveform import Waveform, peaks

HOUR_S = 3600
CHUNK_FRAMES = RATE // 2  # the writer seals one chunk per 0.5 s sync
WIDTHS = (1280, 1920)  # the QA window's default width, and a full-HD screen's
HEIGHT = 300
DRAW_TARGET_MS, SEARCH_TARGET_MS, OPEN_TARGET_S = 300.0, 50.0, 1.0
OPENS = 3
NONE_PROP = 5_000_000  # references to None held for PySide6's drawLine, which drops one a call


def verdict(figure: float, target: float, unit: str) -> str:
    """`[meets target <= T]` or `[MISSES target <= T]`."""
    return f"[{'meets' if figure <= target else 'MISSES'} target <= {target:g} {unit}]"


def runs(action: Callable[[], object], count: int) -> list[float]:
    """Seconds each of `count` runs of `action` took."""
    return [timed(action) for _ in range(count)]


def ms(values: Sequence[float]) -> str:
    """`median X ms (max Y, n=N)`."""
    return (
        f"median {statistics.median(values) * 1000:.1f} ms "
        f"(max {max(values) * 1000:.1f}, n={len(values)})"
    )


def numpy_peaks(columns: npt.NDArray[np.int16]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Reference: numpy's own min and max over each column's samples (columns x samples x 2)."""
    return columns.min(axis=1), columns.max(axis=1)


def one_hour() -> npt.NDArray[np.int16]:
    """An hour of stereo noise whose loudness changes every second per party (turns taken)."""
    rng = np.random.default_rng(13)
    block = np.clip(rng.normal(0, 6000, (RATE * 10, 2)), -32768, 32767).astype(np.int16)
    envelope = rng.uniform(0.02, 1.0, (HOUR_S, 1, 2)).astype(np.float32)
    tiled = np.tile(block, (HOUR_S // 10, 1)).reshape(HOUR_S, RATE, 2)
    return (tiled * envelope).astype(np.int16).reshape(-1, 2)


def write_plain(samples: npt.NDArray[np.int16], folder: Path) -> FinishedAudio:
    """The WAV as the writer finishes it: a RAW partial file converted by `convert_partial`."""
    partial = folder / "plain.partial.raw"
    samples.astype("<i2").tofile(partial)
    return convert_partial(partial, folder / "plain.wav")


def write_sealed(samples: npt.NDArray[np.int16], folder: Path, recipient: str) -> FinishedAudio:
    """The sealed file as the writer makes it: the file key, a chunk per 0.5 s, the trailer."""
    sealer = ChunkSealer(parse_recipients([recipient]))
    partial = folder / "sealed.partial.sealed"
    pcm = samples.astype("<i2").tobytes()
    step = CHUNK_FRAMES * sealed.BYTES_PER_FRAME
    with partial.open("wb") as handle:
        handle.write(sealer.header)
        for offset in range(0, len(pcm), step):
            handle.write(sealer.audio(pcm[offset : offset + step]))
        handle.write(sealer.trailer(len(samples), hashlib.sha256(pcm).hexdigest()))
    return seal_partial(partial, folder / "sealed.sealed")


def write_sealed_v1(samples: npt.NDArray[np.int16], folder: Path, recipient: str) -> FinishedAudio:
    """Reference: the same audio as `softphone.sealed/1` (before 2): an age file per chunk."""
    recipients = parse_recipients([recipient])
    partial = folder / "v1.partial.sealed"
    pcm = samples.astype("<i2").tobytes()
    step = CHUNK_FRAMES * sealed.BYTES_PER_FRAME

    def chunk(kind: bytes, frames: int, plain: bytes) -> bytes:
        body = cast(bytes, pyrage.encrypt(plain, recipients))
        return sealed.FRAME.pack(kind, frames, len(body)) + body

    with partial.open("wb") as handle:
        handle.write(sealed.MAGIC_V1)
        for offset in range(0, len(pcm), step):
            piece = pcm[offset : offset + step]
            handle.write(chunk(sealed.AUDIO, len(piece) // sealed.BYTES_PER_FRAME, piece))
        facts = {"frames": len(samples), "pcm_sha256": hashlib.sha256(pcm).hexdigest()}
        handle.write(chunk(sealed.TRAILER, 0, json.dumps(facts, sort_keys=True).encode()))
    return seal_partial(partial, folder / "v1.sealed")


def waveform(samples: npt.NDArray[np.int16], wav: Path, repeats: int) -> None:
    """Item 1: peaks cold, first paint and repaints from the cache, in the real widget."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before the QApplication
    app = cast(QApplication, QApplication.instance() or QApplication([]))
    print("\n== 1. waveform of the one-hour stereo recording (ui/qawaveform.py, offscreen)")
    for _ in range(NONE_PROP):  # else the second paint aborts the interpreter (none_dealloc)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    frames = len(samples)
    for width in WIDTHS:
        cold = runs(functools.partial(peaks, samples, width), OPENS)
        per = frames // width
        trimmed = samples[: per * width].reshape(width, per, 2)
        numpy_ref = runs(functools.partial(numpy_peaks, trimmed), OPENS)
        widget = Waveform()
        widget.resize(width, HEIGHT)
        widget.show()
        app.processEvents()
        widget.show_recording(samples, RATE, None)
        first = timed(widget.repaint)
        app.processEvents()
        before = sys.getrefcount(None)
        cached = runs(widget.repaint, repeats)
        lost = (before - sys.getrefcount(None)) / repeats
        grabbed = runs(widget.grab, repeats)
        widget.resize(width - 100, HEIGHT)
        resized = timed(widget.repaint)
        widget.close()
        app.processEvents()
        median_ms = statistics.median(cached) * 1000
        print(f"   {width} x {HEIGHT} px:")
        print(f"      peaks computed (cold, qawaveform.peaks): {ms(cold)}")
        print(f"      reference, numpy reshape + min/max of the same array: {ms(numpy_ref)}")
        print(
            f"      first paint (computes the peaks): {first * 1000:.1f} ms  "
            f"{verdict(first * 1000, DRAW_TARGET_MS, 'ms')} (if the target counted it)"
        )
        print(
            f"      repaint from the cached peaks: {ms(cached)}  "
            f"{verdict(median_ms, DRAW_TARGET_MS, 'ms')}"
        )
        print(f"      widget.grab() from the cache: {ms(grabbed)}")
        print(f"      references to None lost per paint (PySide6 drawLine): {lost:.0f}")
        print(
            f"      repaint after a resize to {width - 100} px (new peaks): {resized * 1000:.1f} ms"
        )
    read = runs(lambda: sf.read(wav, dtype="int16"), OPENS)
    print(f"   reference, soundfile reading the WAV into int16: {ms(read)}")


def search(count: int, repeats: int, work: Path) -> None:
    """Item 2: library_index's searches over `count` recordings, beside its linear scan."""
    print(f"\n== 2. search over {count} recordings (benchmarks/library_index.py's set)")
    root = work / "recordings"
    root.mkdir()
    print(f"   generated the metadata files in {timed(lambda: generate(root, count)):.1f} s")
    index = LibraryIndex(root, work / "index.sqlite")
    print(f"   index rebuilt in {timed(lambda: index.refresh(rebuild=True)):.1f} s")
    rows: list[dict[str, Any]] = []
    parse_s = timed(lambda: rows.extend(parse_all(root)))
    print(f"   parsed every file for the linear scan in {parse_s:.1f} s")
    for label, filters in SEARCHES:
        times = runs(functools.partial(index.search, filters), repeats)
        found = len(index.search(filters))
        reference = runs(functools.partial(linear, rows, filters), OPENS)
        median_ms = statistics.median(times) * 1000
        print(
            f"   {label} ({found} found): {ms(times)}  "
            f"{verdict(median_ms, SEARCH_TARGET_MS, 'ms')}; reference, linear scan {ms(reference)}"
        )


def opening(plain: FinishedAudio, locked: FinishedAudio, old: FinishedAudio, identity: Any) -> None:
    """Item 3: open_audio of the sealed hour, beside the plain WAV, the same hour sealed as
    version 1, and its parts (reading, SHA-256, unwrapping the file key, AES-GCM)."""
    print("\n== 3. opening the one-hour recording (open_audio: read, SHA-256, decrypt in memory)")
    print("   (the files were just written: they are read from the page cache)")
    secret = str(identity)
    keys = lambda: [secret]  # noqa: E731 - the KeySource open_audio asks
    opened = runs(lambda: open_audio(locked.path, [locked.sha256], keys=keys), OPENS)
    median_s = statistics.median(opened)
    print(
        f"   sealed ({sealed.CONTAINER}), with the QA identity: median {median_s:.2f} s (all "
        f"{', '.join(f'{t:.2f}' for t in opened)})  {verdict(median_s, OPEN_TARGET_S, 's')}"
    )
    audio = open_audio(locked.path, [locked.sha256], keys=keys)
    to_samples = runs(audio.samples, OPENS)
    print(f"      then .samples() as the QA view takes them: {ms(to_samples)}")
    del audio
    plain_runs = runs(lambda: open_audio(plain.path, [plain.sha256]), OPENS)
    print(f"   reference, the plain WAV opened the same way: {ms(plain_runs)}")
    v1 = runs(lambda: open_audio(old.path, [old.sha256], keys=keys), OPENS)
    print(
        f"   reference, the same hour sealed as softphone.sealed/1, opened the same way: {ms(v1)}"
    )
    data = locked.path.read_bytes()
    found = sealed.layout(data)
    _kind, _frames, offset, size = found.chunks[0]
    print(f"   ({len(found.chunks)} chunks with the file key's, {len(data) / 1e6:.0f} MB)")
    wrapped = data[offset : offset + size]
    unwrap = runs(lambda: pyrage.decrypt(wrapped, [identity]), OPENS)
    print(f"   part, unwrapping the file key (pyrage, once): {ms(unwrap)}")
    aead = AESGCM(pyrage.decrypt(wrapped, [identity]))
    view = memoryview(data)

    def raw() -> None:
        for index, (kind, frames, at, length) in enumerate(found.chunks[1:]):
            aad = sealed.CONTAINER.encode() + kind + index.to_bytes(8, "big")
            aead.decrypt(bytes(4) + index.to_bytes(8, "big"), view[at : at + length],
                         aad + frames.to_bytes(4, "big"))  # fmt: skip

    print(f"   part, AES-256-GCM decrypting every chunk (allocating): {ms(runs(raw, OPENS))}")
    digest = runs(lambda: hashlib.sha256(data), OPENS)
    print(f"   part, SHA-256 of the file's bytes (and about as long, of the PCM): {ms(digest)}")
    reading = runs(locked.path.read_bytes, OPENS)
    print(f"   part, Path.read_bytes of the file: {ms(reading)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, measure and print the figures; the temporary folder is removed in the end."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.qa_player", description=__doc__)
    parser.add_argument("--recordings", type=int, default=100_000, help="default 100000")
    parser.add_argument("--repeats", type=int, default=20, help="runs of each timed draw or search")
    args = parser.parse_args(argv)
    print("qa_player: issue 13, item 7; references measured in the same run")
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="bench-qa-", dir="/tmp"))
    try:
        identity = x25519.Identity.generate()
        started = time.perf_counter()
        samples = one_hour()
        plain = write_plain(samples, work)
        locked = write_sealed(samples, work, str(identity.to_public()))
        old = write_sealed_v1(samples, work, str(identity.to_public()))
        made_s = time.perf_counter() - started
        size_mb = plain.path.stat().st_size / 1e6
        print(
            f"made a one-hour stereo 16 kHz s16 recording, plain ({size_mb:.0f} MB) and sealed "
            f"(versions 2 and 1) with a throwaway age key, in {made_s:.1f} s"
        )
        waveform(samples, plain.path, args.repeats)
        del samples
        search(args.recordings, args.repeats, work)
        opening(plain, locked, old, identity)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(machine())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
