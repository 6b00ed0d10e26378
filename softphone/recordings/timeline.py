"""The marks on a recording's timeline, in recording time (seconds into the audio) and call time.

Call time is seconds since the call was answered, on the wall clock. Recording time is the
audio's own: hold and pause time has no samples, so each of them is a gap marker at the point
where it was cut out (`at_s`), carrying the call time it stood for. The audio's positions map to
call time through the gate: each opening says at which wall time a stretch of audio began.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from softphone.config.schema import DisclosurePolicy
from softphone.recordings.metadata import RecordingMetadata


class MarkKind(Enum):
    """What a mark on the timeline stands for."""

    DISCLOSURE = "disclosure"
    HOLD = "hold"
    PAUSE = "pause"
    GATE_OPENED = "gate-opened"
    GATE_CLOSED = "gate-closed"
    INTERRUPTION = "interruption"


GATE_KINDS = (MarkKind.GATE_OPENED, MarkKind.GATE_CLOSED)


class DisclosureVerdict(Enum):
    """Whether the disclosure's SHA-256 is the one the policy names for its id."""

    MATCHES = "matches"
    DIFFERS = "differs"
    UNKNOWN = "unknown"  # no reference hash for this disclosure id at hand


@dataclass(frozen=True)
class Mark:
    """One thing that happened, placed on both clocks.

    `at_s` is the position in the audio; `call_start_s` and `call_end_s` (None for an instant,
    or when not known) are in call time; `gap_s` is how much call time is missing from the audio
    at this point (holds and pauses). `detail` is the metadata's word for it: the disclosure's
    id, the hold's kind, the pause's reason ("" when none was given), the gate's reason, the
    interruption's reason; `by` who paused (pauses only).
    """

    kind: MarkKind
    at_s: float
    call_start_s: float | None
    call_end_s: float | None
    detail: str
    gap_s: float = 0.0
    by: str | None = None


@dataclass(frozen=True)
class Disclosure:
    """What the customer was told before the recording began, and whether its hash is right."""

    id: str
    language: str
    purpose: str
    sha256: str
    verdict: DisclosureVerdict
    call_start_s: float | None
    call_end_s: float | None
    rtp_packets_sent: int | None


@dataclass(frozen=True)
class Timeline:
    """A recording's marks in audio order, its disclosure and its audio-to-call-time map."""

    duration_s: float
    marks: tuple[Mark, ...]
    disclosure: Disclosure
    segments: tuple[tuple[float, float], ...]  # (audio position, call time) where audio resumed

    def call_time(self, at_s: float) -> float | None:
        """The call time of position `at_s` in the audio (None without a gate opening)."""
        if not self.segments:
            return None
        starts = [s[0] for s in self.segments]
        index = max(0, bisect.bisect_right(starts, at_s) - 1)
        media, call = self.segments[index]
        return call + (at_s - media)

    def gaps(self) -> tuple[Mark, ...]:
        """The marks where call time is missing from the audio (holds and pauses)."""
        return tuple(m for m in self.marks if m.gap_s > 0)


def build_timeline(
    meta: RecordingMetadata, known_disclosures: Mapping[str, str] | None = None
) -> Timeline:
    """The timeline of `meta`; `known_disclosures` maps disclosure ids to their audio's SHA-256."""
    origin = meta.call.answered_at

    def call(wall: float | None) -> float | None:
        return None if wall is None or origin is None else wall - origin

    marks: list[Mark] = []
    told = meta.disclosure
    reference = (known_disclosures or {}).get(told.id)
    verdict = (
        DisclosureVerdict.UNKNOWN
        if reference is None
        else DisclosureVerdict.MATCHES
        if reference.lower() == told.audio_sha256.lower()
        else DisclosureVerdict.DIFFERS
    )
    disclosure = Disclosure(
        told.id,
        told.language,
        told.purpose,
        told.audio_sha256,
        verdict,
        call(told.started_at),
        call(told.ended_at),
        told.rtp_packets_sent,
    )
    marks.append(
        Mark(
            MarkKind.DISCLOSURE,
            0.0,
            disclosure.call_start_s,
            disclosure.call_end_s,
            told.id,
        )
    )
    for hold in meta.holds:
        gap = 0.0 if hold.end is None else max(0.0, hold.end - hold.start)
        marks.append(
            Mark(MarkKind.HOLD, hold.media_time, call(hold.start), call(hold.end), hold.kind, gap)
        )
    for pause in meta.pauses:
        marks.append(
            Mark(
                MarkKind.PAUSE,
                pause.media_time,
                call(pause.start),
                call(pause.end),
                pause.reason,
                pause.seconds,
                pause.by,
            )
        )
    for entry in meta.gate:
        kind = MarkKind.GATE_OPENED if entry.state == "open" else MarkKind.GATE_CLOSED
        marks.append(Mark(kind, entry.media_time, call(entry.wall_time), None, entry.reason))
    if meta.interruption is not None:
        reason = str(meta.interruption.get("reason", "unknown"))
        last = meta.interruption.get("last_write_at")
        when = call(float(last)) if isinstance(last, int | float) else None
        marks.append(
            Mark(
                MarkKind.INTERRUPTION,
                meta.audio.duration_s,
                when,
                None,
                reason,
            )
        )
    segments = tuple(
        (g.media_time, g.wall_time - origin)
        for g in meta.gate
        if g.state == "open" and origin is not None
    )
    # At one point in the audio: the disclosure, then holds and pauses, then the gate's
    # transitions in the order they happened (the sort is stable), then an interruption.
    order = {kind: rank for rank, kind in enumerate(MarkKind)} | {k: 3 for k in GATE_KINDS}
    marks.sort(key=lambda m: (m.at_s, order[m.kind]))
    return Timeline(meta.audio.duration_s, tuple(marks), disclosure, segments)


def reference_hashes(policy: DisclosurePolicy) -> dict[str, str]:
    """The SHA-256 of each disclosure's audio the policy names, by id, for `build_timeline`.

    An unreadable file is left out: its disclosures are then judged UNKNOWN, not DIFFERS.
    """
    found = {}
    for told in policy.languages.values():
        try:
            found[told.id] = hashlib.sha256(told.audio.read_bytes()).hexdigest()
        except OSError:
            continue
    return found
