"""Keeps a recording's metadata current while the call runs and completes it at the end.

A metadata write that fails (a full disk) never stops the call: the document stays in memory
and the next change, or the end of the call, writes it again; the space kept aside for it
(`reserve.py`) is given back when the writer stops. Once the recording's folder is
gone nothing more is written: no folder is made again for a recording that is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from softphone.recordings.audit import AuditEvent
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    GateEntry,
    HoldInterval,
    PauseInterval,
    RecordingMetadata,
    write_metadata,
)
from softphone.recordings.reserve import RESERVE_SUFFIX, SpaceReserve
from softphone.recordings.sealed import encryption_facts
from softphone.recordings.store import RecordingPaths, seal
from softphone.recordings.writefault import WriterStop
from softphone.recordings.writer import RecordingWriter
from softphone.vocabulary.frames import RATE

log = logging.getLogger("softphone.recorder")


class EvidenceLog:
    """The metadata of one recording, rewritten atomically whenever it changes."""

    def __init__(
        self, paths: RecordingPaths, call: dict[str, Any], disclosure: dict[str, Any]
    ) -> None:
        self.paths = paths
        self.metadata = RecordingMetadata(
            call=CallFacts(local_uri=str(call.pop("local_uri", "")), **call),
            audio=AudioFacts(
                file=paths.audio.name,
                rate=RATE,
                encryption=encryption_facts(paths.seal_to) if paths.seal_to else None,
            ),
            disclosure=DisclosureEvidence(**disclosure),
        )
        self._saved_gate = -1
        self._lost = False  # the folder went away: nothing more is written
        self._unsaved: str | None = None  # why the last write failed, until one succeeds
        self._reserve = SpaceReserve(paths.metadata.with_suffix(RESERVE_SUFFIX))
        paths.audit(
            AuditEvent.CREATED,
            call_id=self.metadata.call.call_id,
            direction=self.metadata.call.direction,
        )

    def note_hold(
        self, kind: str, held: bool, media_time: float, *, since: float | None = None
    ) -> None:
        """Open or close the hold interval of `kind`; repeated notes change nothing."""
        current = [h for h in self.metadata.holds if h.kind == kind and h.end is None]
        if held and not current:
            start = time.time() if since is None else since
            self.metadata.holds.append(HoldInterval(kind, start, None, media_time))
            self._write()
        elif not held and current:
            current[0].end = time.time()
            self._write()

    def note_pause(self, start: float, reason: str, by: str, media_time: float) -> None:
        """A privacy pause began at `start` (before the recording did: media time 0)."""
        self.metadata.pauses.append(PauseInterval(reason, by, start, None, media_time))
        self._write()

    def end_pause(self, end: float, by: str | None) -> None:
        """The privacy pause that stands ended; without one this changes nothing."""
        current = [p for p in self.metadata.pauses if p.end is None]
        if current:
            current[0].end, current[0].resumed_by = end, by
            self._write()

    def note_transfers(self, transfers: list[dict[str, Any]]) -> None:
        """Replace the call's transfer attempts (each one's outcome as it stands) and write."""
        if transfers != self.metadata.transfers:
            self.metadata.transfers = transfers
            self._write()

    def note_stop(self, stop: WriterStop, media_time: float) -> None:
        """The writer stopped mid-call: say why in the metadata at once (a kill may follow)."""
        if self.metadata.stopped is not None:
            return
        self._reserve.release()  # room for this write, the rest of the call's and the end's
        self.metadata.stopped = {
            "reason": stop.reason.value,
            "at": stop.at,
            "media_time": media_time,
            "detail": stop.text,
            "audio_kept": stop.audio_kept,
        }
        if not stop.audio_kept:
            self._lost = True
            if self.paths.root.is_dir():  # a trail taken away with the folder stays away
                self.paths.audit(AuditEvent.LOST, reason=stop.reason.value)
            return
        self._write()

    @property
    def lost(self) -> bool:
        """Whether the recording's folder went away during the call, with what it held."""
        return self._lost

    def save(self, gate: Sequence[GateEntry]) -> None:
        """Write the metadata if the gate moved since the last write."""
        if len(gate) != self._saved_gate:
            self.metadata.gate = list(gate)
            self._saved_gate = len(gate)
            self._write()

    def finish(
        self, writer: RecordingWriter, gate: Sequence[GateEntry], problems: list[str]
    ) -> None:
        """Finalize the audio into its WAV (or sealed file) and the metadata into its final state.

        If the WAV cannot be written (the disk is full), the partial audio stays where it is,
        let go of, and the next command that reads recordings turns it into the WAV; the
        metadata says so. A recording whose folder went away is only closed: it is lost.
        """
        meta = self.metadata
        if self._lost:
            writer.close()
            return
        if writer.error is not None:
            self._reserve.release()
        kept_partial = False
        try:
            audio = writer.finish(self.paths.audio)
        except (OSError, RuntimeError) as exc:
            if writer.stop is not None and not writer.stop.audio_kept:  # seen only at the end
                self.note_stop(writer.stop, writer.frames_written / RATE)
                writer.release()
                return
            writer.error = writer.error or f"finishing '{self.paths.audio}' failed: {exc}"
            kept_partial = True
            problems = [
                *problems,
                "the audio is kept as a partial file; the next softphone command that reads "
                "recordings turns it into the WAV (it needs as much free space again)",
            ]
        else:
            meta.audio.frames = audio.frames
            meta.audio.duration_s = audio.frames / RATE
            meta.audio.sha256 = audio.sha256
        meta.audio.dropped_frames = writer.dropped
        meta.call.ended_at = time.time()
        for hold in meta.holds:
            if hold.end is None:
                hold.end = meta.call.ended_at
        for pause in meta.pauses:
            if pause.end is None:
                pause.end = meta.call.ended_at
        told = writer.error is not None and any(writer.error in p for p in problems)
        meta.errors = list(problems) + ([writer.error] if writer.error and not told else [])
        meta.status = "failed" if writer.error else "complete"
        meta.gate = list(gate)
        try:
            seal(self.paths, meta, AuditEvent.FINALISED)
        except OSError as exc:
            log.error("the final metadata of %s could not be written: %s", self.paths.id, exc)
        self._reserve.release()
        if kept_partial:
            writer.release()  # closed and described: recovery may take it from now on

    def _write(self) -> None:
        if self._lost:
            return
        try:
            write_metadata(self.paths.metadata, self.metadata)
        except OSError as exc:
            if self._unsaved is None:
                log.info("the metadata of %s could not be written: %s", self.paths.id, exc)
            self._unsaved = str(exc)
        else:
            self._unsaved = None
