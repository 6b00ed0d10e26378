"""Packet loss and jitter on the media path: a recorded call with holds through a lossy relay.

What is proven, with 5 % of RTP lost and 0-40 ms of jitter in both directions (seeded, through
`impairment.ImpairedPath`, since this kernel has no netem): the call stays up to its planned
end; nothing of any hold reaches the recording (by FFT of the file, as in the hold matrix); and
the recording stays continuous: each stretch the gate opened lasts in the file what it lasted
on the wall clock, within a frame or two, as on the same call without impairment: losses are
concealed, not cut out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.holdaudio import MATRIX, HoldReport, analyse, call_args
from tests.integration.holdaudio import held_packets_after_resume as late_held_packets
from tests.integration.impairment import ImpairedPath, Impairment
from tests.integration.policies import Compliance
from tests.integration.sipp import SippPeer
from tests.integration.softphone_cli import Finished, run_softphone

pytestmark = pytest.mark.integration

PEER = MATRIX["uas_accept_hold"].with_timetable(cycles=4, held_s=1.5, talk_s=2.5)
LATE_SWITCH_S = 0.1  # as in test_hold_matrix: where a slow SIPp's late switch can land
MAX_DEFICIT_FRAMES = 2.0
"""A stretch may lose this many frames against the wall clock: its ends quantised to ticks."""


@dataclass
class ImpairedCall:
    """One call through the relay: the softphone's outcome, the analysis, the relay's counts."""

    done: Finished
    sipp_exit: int
    result: HoldReport
    late_held: int
    path: ImpairedPath
    sipp_log: str


def impaired_call(
    folder: Path, compliance: Compliance, impairment: Impairment | None
) -> ImpairedCall:
    """Place the PEER call through the relay (unimpaired with None) and analyse its recording."""
    timeout = PEER.hangup_after + 60
    with SippPeer(PEER.scenario, workdir=folder / "sipp", timeout_s=timeout) as sipp:
        with ImpairedPath(sipp.port, impairment) as path:
            done = run_softphone(call_args(PEER, path.uri(), compliance.args), timeout=timeout)
        sipp_exit = sipp.wait(20)
        entries = sipp.log_entries()
        described = sipp.describe()
    assert done.returncode == 0, done.stderr[-3000:]
    metadata: dict[str, Any] = json.loads(Path(done.report["metadata"]).read_text(encoding="utf-8"))
    result = analyse(done.report["recording"], metadata, entries, compliance.disclosure_s)
    late = late_held_packets(path.datagrams_to_softphone, entries)
    return ImpairedCall(done, sipp_exit, result, late, path, described)


def _why(call: ImpairedCall) -> str:
    r, counts = call.result, call.path.counts
    return (
        f"recorded {r.recorded_frames} frames, held {r.held_frames} at {r.held_positions_s[:8]},"
        f" late held packets {call.late_held}; first deficit {r.first_deficit}, deficits "
        f"{[round(d, 2) for d in r.deficits()]}; relay: {counts.to_softphone} to the softphone "
        f"({counts.dropped_to_softphone} dropped), {counts.to_peer} to the peer "
        f"({counts.dropped_to_peer} dropped); report {call.done.report.get('reason')}"
    )


def test_a_call_with_holds_survives_loss_and_jitter_and_its_recording_is_whole(
    tmp_path: Path, compliance: Compliance
) -> None:
    call = impaired_call(tmp_path, compliance, Impairment(loss=0.05, jitter_s=0.040, seed=14))
    why = _why(call)
    assert call.sipp_exit == 0, call.sipp_log
    counts = call.path.counts
    # The relay really impaired the call: about 5 % lost each way (binomial, seeded).
    assert counts.to_softphone > 300 and counts.to_peer > 300, why
    assert 0.02 < counts.dropped_to_softphone / counts.to_softphone < 0.08, why
    assert 0.02 < counts.dropped_to_peer / counts.to_peer < 0.08, why

    # The call stayed up until the agent hung up as planned, every hold included.
    assert call.done.report["status_code"] in (0, 200), why
    assert call.result.local_holds == PEER.cycles, why

    # Nothing held was recorded: no held tone but what the peer itself sent after it knew of a
    # resume (its late switch, as in the hold matrix), and that only where a stretch begins.
    assert call.result.held_frames <= call.late_held, why
    starts = [s.media_start for s in call.result.stretches]
    for at in call.result.held_positions_s:
        assert any(0 <= at - start < LATE_SWITCH_S for start in starts), why

    # The file is continuous: every stretch as long as its wall time, within two frames.
    deficits = call.result.deficits()
    assert len(deficits) == PEER.cycles, why
    assert call.result.first_deficit is not None, why
    for deficit in [call.result.first_deficit, *deficits]:
        assert abs(deficit) <= MAX_DEFICIT_FRAMES, why
    # ... and the customer's talk is in it: loss is concealed, not turned into gaps.
    timeline = call.result.timeline
    assert timeline is not None
    assert call.result.talk_frames >= 0.8 * timeline.talking_frames, why
