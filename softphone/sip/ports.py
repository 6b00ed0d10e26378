"""A pjsua2 media port that moves 20 ms PCM frames between the bridge and Python."""

from __future__ import annotations

import pjsua2 as pj

from softphone.media.frames import FRAME_BYTES, RATE, FrameSink, FrameSource
from softphone.sip.frames import read_vector

_SILENCE = bytes(FRAME_BYTES)


class FramePort(pj.AudioMediaPort):  # type: ignore[misc]
    """Bridge port fed by a `FrameSource` and/or draining into a `FrameSink`.

    Both callbacks run on the conference bridge clock thread, 50 times a second, even when
    nothing is connected: they only move bytes and must never block or touch Qt.
    """

    def __init__(
        self, name: str, source: FrameSource | None = None, sink: FrameSink | None = None
    ) -> None:
        super().__init__()
        self.name = name
        self._source = source
        self._sink = sink
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, RATE, 1, 20000, 16)
        self.createPort(name, fmt)

    def onFrameRequested(self, frame: pj.MediaFrame) -> None:
        """Runs on the bridge clock thread: hand the bridge the next frame of the source."""
        pcm = self._source.read_frame() if self._source is not None else _SILENCE
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = pj.ByteVector(pcm)
        frame.size = len(pcm)

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        """Runs on the bridge clock thread: pass a received audio frame to the sink."""
        if self._sink is None or frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO:
            return
        pcm = read_vector(frame.buf)
        if len(pcm) == FRAME_BYTES:
            self._sink.write_frame(pcm)
