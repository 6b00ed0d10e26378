"""Shared set-up for the device bridge benchmarks: private PulseAudio, a headset, a bridge clock.

The bridge clock is a thread that, like pjsua2's, reads one microphone frame and writes one
speaker frame every 20 ms on absolute deadlines, so the benchmarks measure the device bridge
alone, without SIP or RTP.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from softphone.media.headset import Headset, HeadsetConfig
from softphone.media.portaudio import portaudio
from softphone.media.sources import ToneSource
from softphone.vocabulary.frames import FRAME_SAMPLES, FrameSink, FrameSource
from tests.integration.pulse import SoundRig, tone

TICK_S = 0.02


class BridgeClock:
    """A thread that pulls `source` and feeds `sink` once every 20 ms until stopped."""

    def __init__(self, source: FrameSource, sink: FrameSink) -> None:
        self.source, self.sink = source, sink
        self.late_ms: list[float] = []  # how late each tick ran
        self._tone = ToneSource(440.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bridge-clock", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            self.late_ms.append((time.monotonic() - due) * 1000)
            self.source.read_frame()
            self.sink.write_frame(self._tone.read_frame())
            due += TICK_S
            time.sleep(max(0.0, due - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)


@dataclass
class Samples:
    """Latency readings of one role, taken every 100 ms while the bridge runs."""

    latency_ms: list[float] = field(default_factory=list)

    def describe(self) -> str:
        values = np.array(self.latency_ms or [float("nan")])
        return (
            f"mean {np.mean(values):5.1f} ms, p95 {np.percentile(values, 95):5.1f} ms, "
            f"max {np.max(values):5.1f} ms"
        )


@contextlib.contextmanager
def sound_rig() -> Iterator[SoundRig]:
    """A private PulseAudio daemon, made this process's sound server for the duration."""
    with tempfile.TemporaryDirectory(prefix="bridge-bench-") as folder:
        rig = SoundRig(Path(folder))
        saved = {name: os.environ.get(name) for name in rig.env()}
        os.environ.update(rig.env())
        try:
            portaudio().rescan()
            rig.speak(tone(1000.0, 600.0))  # the agent talks into the microphone throughout
            yield rig
        finally:
            rig.stop()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@contextlib.contextmanager
def running_headset(
    skew: float = 0.0, block_ms: float = 10.0, latency: str = "low"
) -> Iterator[tuple[Headset, BridgeClock]]:
    """The default devices as a headset, driven by a bridge clock."""
    config = HeadsetConfig(clock_skew=skew, block_ms=block_ms, latency=latency)
    headset = Headset.open(portaudio(), config, mic=True, speaker=True)
    assert headset.mic is not None and headset.speaker is not None
    clock = BridgeClock(headset.mic, headset.speaker)
    try:
        yield headset, clock
    finally:
        clock.stop()
        headset.close()


def settle(headset: Headset, seconds: float = 3.0) -> None:
    """Wait for PulseAudio's streams to start flowing (it takes one or two seconds)."""
    time.sleep(seconds)
    _ = headset.stats()


FRAME_MS = 1000 * FRAME_SAMPLES // 16000
