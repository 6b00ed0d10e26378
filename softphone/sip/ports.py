"""A pjsua2 media port that moves 20 ms PCM frames between the bridge and Python."""

from __future__ import annotations

import pjsua2 as pj

from softphone.sip.frames import read_vector
from softphone.vocabulary.frames import FRAME_BYTES, RATE, FrameSink, FrameSource, TickSink

_SILENCE = bytes(FRAME_BYTES)


class FramePort(pj.AudioMediaPort):  # type: ignore[misc]
    """Bridge port fed by a `FrameSource` and/or draining into a `FrameSink` or `TickSink`.

    Both callbacks run on the conference bridge clock thread, 50 times a second, even when
    nothing is connected: they only move bytes and must never block or touch Qt. A `TickSink`
    hears every tick (None when no audio came); a `FrameSink` only ticks that carried audio.
    """

    def __init__(
        self,
        name: str,
        source: FrameSource | None = None,
        sink: FrameSink | TickSink | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self._source: FrameSource | None = None
        self._sink: FrameSink | None = None
        self._tick: TickSink | None = None
        self._discard = False
        self.rebind(name, source, sink)
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, RATE, 1, 20000, 16)
        self.createPort(name, fmt)

    def onFrameRequested(self, frame: pj.MediaFrame) -> None:
        """Runs on the bridge clock thread: hand the bridge the next frame of the source."""
        pcm = self._source.read_frame() if self._source is not None else _SILENCE
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = pj.ByteVector(pcm)
        frame.size = len(pcm)

    def rebind(
        self, name: str, source: FrameSource | None, sink: FrameSink | TickSink | None
    ) -> None:
        """Main thread: give a (reused) port its new source and sink.

        Each attribute is replaced in one step, so a callback sees the old or the new one.
        """
        self.name = name
        self._discard = False
        self._source = source
        self._sink = sink if isinstance(sink, FrameSink) else None
        self._tick = sink if isinstance(sink, TickSink) else None

    def discard_frames(self, discard: bool) -> None:
        """Main thread: drop (True) or pass on (False) every received frame from now on."""
        self._discard = discard

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        """Runs on the bridge clock thread: pass a received audio frame to the sink."""
        audio = frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO
        if self._discard:
            return
        if self._tick is not None:
            pcm = read_vector(frame.buf) if audio else b""
            self._tick.on_frame(pcm if len(pcm) == FRAME_BYTES else None)
        elif self._sink is not None and audio:
            pcm = read_vector(frame.buf)
            if len(pcm) == FRAME_BYTES:
                self._sink.write_frame(pcm)
