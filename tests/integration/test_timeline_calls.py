"""A real call with two holds: its timeline's gap markers fall where its metadata and audio say."""

from __future__ import annotations

import pytest

from softphone.recordings.metadata import read_metadata
from softphone.recordings.timeline import MarkKind, build_timeline
from tests.integration.policies import Compliance
from tests.integration.softphone_cli import StartPeer, run_softphone


def test_two_holds_are_two_gaps_at_their_media_time(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    # The holds come after the 1.2 s disclosure (it ends about 2.2 s after the answer): a hold
    # asked for while it plays is not a gap in the audio, the audio has not begun yet.
    peer = start_peer("--play", "tone:440")
    done = run_softphone(
        ["call", f"sip:customer@127.0.0.1:{peer.port}", "--bind", "127.0.0.1:0", "--json",
         *compliance.args, "--mic", "tone:1000", "--speaker", "null",
         "--hold", "3:1", "--hold", "5:1", "--hangup-after", "7"]
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    peer.finish()
    (path,) = [p for p in compliance.recordings_made() if p.suffix == ".json"]
    meta = read_metadata(path)
    timeline = build_timeline(meta)
    gaps = timeline.gaps()
    assert [m.kind for m in gaps] == [MarkKind.HOLD, MarkKind.HOLD]
    assert [m.at_s for m in gaps] == [h.media_time for h in meta.holds]
    opened = meta.gate[0].wall_time
    answered = meta.call.answered_at
    assert answered is not None
    for mark, hold in zip(gaps, meta.holds, strict=True):
        assert hold.end is not None
        assert mark.gap_s == pytest.approx(hold.end - hold.start)
        assert 0.8 < mark.gap_s < 1.6
        # Recording time runs with the wall clock from the gate's opening until the hold.
        assert mark.at_s == pytest.approx(
            hold.start - opened - sum(g.gap_s for g in gaps if g.at_s < mark.at_s), abs=0.15
        )
        # Right after the gap the audio is call time after the hold ended, not before.
        after = timeline.call_time(mark.at_s + 0.01)
        assert after is not None and after >= hold.end - answered
    first, second = gaps
    assert first.call_end_s is not None and second.call_start_s is not None
    # Between the gaps the audio is as long as the call time between the holds.
    between = second.call_start_s - first.call_end_s
    assert second.at_s - first.at_s == pytest.approx(between, abs=0.15)
    # What the audio holds is the call without the disclosure and the gaps.
    assert meta.call.ended_at is not None
    call_s = meta.call.ended_at - opened
    assert timeline.duration_s == pytest.approx(call_s - sum(g.gap_s for g in gaps), abs=0.3)
