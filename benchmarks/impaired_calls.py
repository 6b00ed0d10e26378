"""Recorded calls with holds through 5 % loss and 0-40 ms jitter, beside the same calls unimpaired.

Each call is `softphone call` to the hold matrix's `uas_accept_hold` SIPp peer, through the
test helpers' UDP relay (`tests/integration/impairment.py`): once with the relay passing RTP
untouched (the reference) and once impairing it, in turn, so both see the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks._support import (
    Policy,
    child_env,
    load_metadata,
    machine,
    run_softphone,
    short_disclosure_policy,
)
from softphone.media.analysis import read_channels
from tests.integration.holdaudio import (
    FRAME,
    FRAME_S,
    MATRIX,
    SILENCE,
    HoldReport,
    MatrixPeer,
    analyse,
    call_args,
)
from tests.integration.impairment import ImpairedPath, Impairment
from tests.integration.sipp import SippPeer

DEFICIT_TARGET = 2.0  # frames a stretch may lose against the wall clock
HELD_TARGET = 0  # frames of held audio in the recording


@dataclass
class Outcome:
    """One call's figures (report None: it left nothing to analyse, `failure` says why)."""

    impaired: bool
    failure: str = ""
    report: HoldReport | None = None
    expected_frames: float = 0.0  # the gate's open wall time, in frames
    silent_frames: int = 0  # recorded customer frames of digital silence, stretch starts aside
    sent_to_softphone: int = 0
    dropped_to_softphone: int = 0
    sent_to_peer: int = 0
    dropped_to_peer: int = 0
    delays_ms: list[float] = field(default_factory=list)


def run(peer: MatrixPeer, policy: Policy, work: Path, impairment: Impairment | None) -> Outcome:
    """One call through the relay, analysed like a hold-matrix call."""
    outcome = Outcome(impaired=impairment is not None)
    timeout = peer.hangup_after + 60
    with SippPeer(peer.scenario, workdir=work / "sipp", timeout_s=timeout) as sipp:
        with ImpairedPath(sipp.port, impairment) as path:
            done = run_softphone(
                call_args(peer, path.uri(), policy.args), child_env(work / "home"), timeout
            )
        try:
            sipp_exit: int | None = sipp.wait(20)
        except TimeoutError:
            sipp_exit = None
        entries = sipp.log_entries()
    counts = path.counts
    outcome.sent_to_softphone, outcome.dropped_to_softphone = (
        counts.to_softphone,
        counts.dropped_to_softphone,
    )
    outcome.sent_to_peer, outcome.dropped_to_peer = counts.to_peer, counts.dropped_to_peer
    outcome.delays_ms = [d * 1000 for d in counts.delays_s]
    report = done.report
    if done.returncode != 0 or sipp_exit != 0 or not report.get("recording"):
        outcome.failure = f"softphone exit {done.returncode}, SIPp {sipp_exit}: {done.why()}"
        return outcome
    metadata = load_metadata(report)
    outcome.report = analyse(report["recording"], metadata, entries, policy.disclosure_s)
    outcome.expected_frames = _open_wall_s(metadata) / FRAME_S
    outcome.silent_frames = _silent_frames(report["recording"], outcome.report)
    return outcome


def _open_wall_s(metadata: dict[str, object]) -> float:
    """Seconds the gate was open, by the wall clock of its transitions."""
    gate = metadata.get("gate", [])
    assert isinstance(gate, list)
    total, opened = 0.0, None
    for entry in gate:
        if entry["state"] == "open":
            opened = float(entry["wall_time"])
        elif opened is not None:
            total += float(entry["wall_time"]) - opened
            opened = None
    return total


def _silent_frames(recording: str, report: HoldReport) -> int:
    """Customer frames of digital silence (a loss not concealed), each stretch's start aside."""
    audio, _ = read_channels(recording)
    customer = audio[:, 1]
    frames = customer[: customer.size // FRAME * FRAME].reshape(-1, FRAME)
    silent = np.max(np.abs(frames), axis=1) < SILENCE
    for stretch in report.stretches:  # a new stream starts from silence: not a loss
        first = round(stretch.media_start / FRAME_S)
        silent[first : first + int(np.ceil(stretch.silent_start)) + 1] = False
    return int(np.count_nonzero(silent))


def _line(o: Outcome) -> str:
    kind = "impaired " if o.impaired else "reference"
    if o.report is None:
        return f"  {kind}: FAILED: {o.failure}"
    r = o.report
    deficits = [abs(d) for d in [r.first_deficit or 0.0, *r.deficits()]]
    lost = o.dropped_to_softphone / max(1, o.sent_to_softphone) * 100
    lost_out = o.dropped_to_peer / max(1, o.sent_to_peer) * 100
    misses = [
        f"{st.media_start:.2f} s: {st.frames} frames in {st.wall_s:.3f} s"
        for st in r.stretches
        if abs(st.deficit_frames) > DEFICIT_TARGET
    ]
    if r.first_deficit is not None and abs(r.first_deficit) > DEFICIT_TARGET:
        misses.insert(0, f"the first stretch: {r.first_deficit:.2f} frames short")
    missed = f"; stretches that MISS: {'; '.join(misses)}" if misses else ""
    return (
        f"  {kind}: recorded {r.recorded_frames} frames of {o.expected_frames:.1f} expected "
        f"({r.recorded_frames - o.expected_frames:+.1f}); |stretch deficit| max "
        f"{max(deficits):.2f} frames; held {r.held_frames} frames; customer talk in "
        f"{r.talk_frames} frames, {o.silent_frames} silent; "
        f"RTP to softphone {o.sent_to_softphone} ({lost:.1f} % dropped), to peer "
        f"{o.sent_to_peer} ({lost_out:.1f} % dropped){missed}"
    )


def _summary(outcomes: Sequence[Outcome]) -> None:
    for impaired in (False, True):
        mine = [o for o in outcomes if o.impaired == impaired and o.report is not None]
        failed = sum(o.impaired == impaired and o.report is None for o in outcomes)
        name = "impaired" if impaired else "reference"
        if not mine:
            print(f"{name}: no call to analyse ({failed} failed)")
            continue
        reports = [o.report for o in mine if o.report is not None]
        worst = max(abs(d) for r in reports for d in [r.first_deficit or 0.0, *r.deficits()])
        held = sum(r.held_frames for r in reports)
        short = [r.recorded_frames - o.expected_frames for r, o in zip(reports, mine, strict=True)]
        concealed = sum(o.dropped_to_softphone for o in mine)
        silent = sum(o.silent_frames for o in mine)
        delays = [d for o in mine for d in o.delays_ms]
        jitter = (
            f"; added delay median {statistics.median(delays):.1f} ms, max {max(delays):.1f} ms"
            if delays and impaired
            else ""
        )
        verdict_deficit = "meets" if worst <= DEFICIT_TARGET else "MISSES"
        verdict_held = "meets" if held <= HELD_TARGET else "MISSES"
        print(
            f"{name}: {len(mine)} calls up to their planned end, {failed} failed; recorded minus "
            f"expected frames per call {[round(s, 1) for s in short]}; worst |stretch deficit| "
            f"{worst:.2f} frames (target <= {DEFICIT_TARGET:g}: {verdict_deficit}); held frames "
            f"{held} (target {HELD_TARGET}: {verdict_held}); {concealed} RTP packets to the "
            f"softphone dropped, {silent} recorded frames silent (not concealed){jitter}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Alternate reference and impaired calls; print each and the summary."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.impaired_calls", description=__doc__
    )
    parser.add_argument("--calls", type=int, default=3, help="calls of each kind (default 3)")
    parser.add_argument("--cycles", type=int, default=6, help="holds per call (default 6)")
    parser.add_argument("--loss", type=float, default=0.05, help="share of RTP dropped")
    parser.add_argument("--jitter-ms", type=float, default=40.0, help="largest added delay")
    args = parser.parse_args(argv)
    peer = MATRIX["uas_accept_hold"].with_timetable(args.cycles, 1.5, 2.5)
    print("impaired_calls: `softphone call` with holds to SIPp uas_accept_hold through a UDP")
    print(f"relay; impaired: {args.loss:.0%} of RTP dropped and 0-{args.jitter_ms:g} ms added")
    print("per packet (each way, seeded per call); reference: the same relay passing RTP as is.")
    print(f"{peer.cycles} holds of {peer.held_s:g} s, {peer.talk_s:g} s talking between them.")
    print(machine())
    outcomes: list[Outcome] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-impaired-") as tmp:
        work = Path(tmp)
        policy = short_disclosure_policy(work / "policy")
        for i in range(args.calls):
            for impairment in (None, Impairment(args.loss, args.jitter_ms / 1000, seed=14 + i)):
                outcome = run(peer, policy, work / f"call{len(outcomes)}", impairment)
                print(_line(outcome), flush=True)
                outcomes.append(outcome)
    _summary(outcomes)
    print(f"(took {time.monotonic() - started:.0f} s)")
    return 1 if any(o.failure for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
