"""The timeline puts the disclosure, hold gaps, pauses, gate transitions and interruptions
where the metadata says, on the audio's clock and on the call's."""

from __future__ import annotations

import pytest

from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    GateEntry,
    HoldInterval,
    PauseInterval,
    RecordingMetadata,
)
from softphone.recordings.timeline import (
    GATE_KINDS,
    DisclosureVerdict,
    MarkKind,
    build_timeline,
)

T0 = 1_000_000.0  # the answer


def _meta(interruption: dict[str, object] | None = None) -> RecordingMetadata:
    """A call answered at T0, disclosure 0-2 s, hold 5-9 s (at 3 s of audio), pause 12-14 s."""
    return RecordingMetadata(
        call=CallFacts("c", "inbound", "sip:a@x", "sip:c@y", "agent", T0, T0 + 20),
        audio=AudioFacts("a.wav", 16000, frames=16000 * 12, duration_s=12.0),
        disclosure=DisclosureEvidence(
            "d-en", "en", "quality", "AB12", 2.0, T0, T0 + 2, 100, 100, True
        ),
        gate=[
            GateEntry(T0 + 2, 0.0, "open", "disclosure-completed"),
            GateEntry(T0 + 5, 3.0, "closed", "hold-requested"),
            GateEntry(T0 + 9.5, 3.0, "open", "media-changed"),
            GateEntry(T0 + 12, 5.5, "closed", "privacy-paused"),
            GateEntry(T0 + 14, 5.5, "open", "privacy-resumed"),
            GateEntry(T0 + 20, 11.5, "closed", "call-ended"),
        ],
        holds=[HoldInterval("local", T0 + 5, T0 + 9, 3.0)],
        pauses=[PauseInterval("card number", "agent7", T0 + 12, T0 + 14, 5.5, "agent7")],
        interruption=interruption,
    )


def test_gaps_sit_where_the_audio_was_cut_and_carry_their_call_time() -> None:
    timeline = build_timeline(_meta())
    hold, pause = timeline.gaps()
    assert (hold.kind, hold.at_s, hold.gap_s) == (MarkKind.HOLD, 3.0, 4.0)
    assert (hold.call_start_s, hold.call_end_s) == (5.0, 9.0)
    assert hold.detail == "local"
    assert (pause.kind, pause.at_s, pause.gap_s) == (MarkKind.PAUSE, 5.5, 2.0)
    assert (pause.detail, pause.by) == ("card number", "agent7")


def test_gate_transitions_use_media_time_for_the_audio_and_wall_time_for_the_call() -> None:
    gates = [m for m in build_timeline(_meta()).marks if m.kind in GATE_KINDS]
    assert [(m.at_s, m.call_start_s) for m in gates] == [
        (0.0, 2.0), (3.0, 5.0), (3.0, 9.5), (5.5, 12.0), (5.5, 14.0), (11.5, 20.0),
    ]  # fmt: skip
    assert (gates[1].kind, gates[1].detail) == (MarkKind.GATE_CLOSED, "hold-requested")
    assert (gates[2].kind, gates[2].detail) == (MarkKind.GATE_OPENED, "media-changed")


def test_audio_positions_map_to_call_time_across_the_gaps() -> None:
    timeline = build_timeline(_meta())
    assert timeline.call_time(0.0) == 2.0
    assert timeline.call_time(2.0) == 4.0
    assert timeline.call_time(3.0) == 9.5  # the audio resumes where the gate reopened
    assert timeline.call_time(4.0) == 10.5
    assert timeline.call_time(6.0) == pytest.approx(14.5)


def test_the_disclosure_precedes_the_audio_and_its_hash_is_judged() -> None:
    meta = _meta()
    first = build_timeline(meta).marks[0]
    assert (first.kind, first.at_s, first.call_start_s, first.call_end_s) == (
        MarkKind.DISCLOSURE, 0.0, 0.0, 2.0,
    )  # fmt: skip
    assert first.detail == "d-en"
    assert build_timeline(meta).disclosure.verdict is DisclosureVerdict.UNKNOWN
    assert build_timeline(meta, {"d-en": "ab12"}).disclosure.verdict is DisclosureVerdict.MATCHES
    assert build_timeline(meta, {"d-en": "ffff"}).disclosure.verdict is DisclosureVerdict.DIFFERS
    assert build_timeline(meta).disclosure.rtp_packets_sent == 100


def test_an_interruption_is_marked_at_the_end_of_the_audio() -> None:
    timeline = build_timeline(_meta({"reason": "killed", "last_write_at": T0 + 19}))
    last = timeline.marks[-1]
    assert (last.kind, last.at_s, last.call_start_s) == (MarkKind.INTERRUPTION, 12.0, 19.0)
    assert last.detail == "killed"


def test_marks_are_in_audio_order() -> None:
    positions = [m.at_s for m in build_timeline(_meta()).marks]
    assert positions == sorted(positions)
