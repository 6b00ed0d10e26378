"""Frames recorded while held, reopening gap and audio lost after a resume, over the hold matrix."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._support import (
    Finished,
    Policy,
    child_env,
    load_metadata,
    machine,
    run_softphone,
    short_disclosure_policy,
)
from tests.integration.holdaudio import (
    AGENT_HZ,
    FRAME_S,
    HELD_HZ,
    MATRIX,
    PROMINENCE_DB,
    TALK_HZ,
    THRESHOLD_DB,
    HoldReport,
    MatrixPeer,
    analyse,
    call_args,
    check_detector,
    median_max,
)
from tests.integration.loopback import LoopbackCapture, first_arrival_after
from tests.integration.sipp import SippPeer

LOSS_MEDIAN_TARGET = 1.0  # frames lost after a resume: median at most one ...
LOSS_MAX_TARGET = 2.0  # ... and two at most (issue 8, item 4)


@dataclass
class Result:
    """One matrix call: how it ran, and its figures (None if it left no recording)."""

    peer: MatrixPeer
    seconds: float = 0.0
    exit_code: int = 0
    sipp_exit: int | None = None
    failure: str = ""
    report: HoldReport | None = None
    capture_failure: str = ""  # why the peer's packets could not be timed, if they could not
    first_packet_ms: list[float] = field(default_factory=list)  # opening -> peer's 1st packet
    beyond_arrival: list[float] = field(default_factory=list)  # silent frames not explained by it


def run(peer: MatrixPeer, policy: Policy, work: Path) -> Result:
    """Place one call against the peer, with every hold of its timetable, and analyse it."""
    result = Result(peer)
    env = child_env(work / "home")
    started = time.monotonic()
    # SippPeer's default -timeout (60 s) would end SIPp in the middle of these long calls.
    arrivals: dict[int, list[float]] = {}
    with SippPeer(
        peer.scenario,
        workdir=work / peer.scenario,
        timeout_s=peer.hangup_after + 60,
        extra_args=peer.sipp_args(),
    ) as sipp:
        args = call_args(peer, sipp.uri("customer"), policy.args)
        try:
            with LoopbackCapture(sipp.media_port) as capture:
                done: Finished = run_softphone(args, env, timeout=peer.hangup_after + 90)
            arrivals = capture.arrivals()
        except PermissionError as exc:
            result.capture_failure = f"cannot capture on lo ({exc}); run as root"
            done = run_softphone(args, env, timeout=peer.hangup_after + 90)
        try:
            result.sipp_exit = sipp.wait(20)
        except TimeoutError:
            result.sipp_exit = None
        entries = sipp.log_entries()
    result.seconds = time.monotonic() - started
    result.exit_code = done.returncode
    report = done.report
    if done.returncode != 0 or not report.get("recording"):
        result.failure = f"the call did not leave a recording: {done.why()}"
        return result
    try:
        result.report = analyse(
            str(report["recording"]), load_metadata(report), entries, policy.disclosure_s
        )
    except ValueError as exc:
        result.failure = f"cannot analyse the call: {exc}"
        return result
    if arrivals:
        _time_first_packets(result, result.report, arrivals)
    return result


def _time_first_packets(
    result: Result, report: HoldReport, arrivals: dict[int, list[float]]
) -> None:
    """Per stretch: when the peer's first packet on the new stream came, and what it explains.

    Silence at a stretch's start is the wait for the peer's first packet after the opening
    (the peer's own switch to the new address; a packet is written at the first bridge tick
    after it arrives) plus whatever the softphone lost on the way. The second part is the
    silence minus the wait in frames: about 0 (within one tick's phase, -1..+1) if nothing was
    lost, one more per frame lost.
    """
    for s in report.stretches:
        offered = (s.resumed_at if s.resumed_at is not None else s.opened_at - 1.0) - 0.05
        first = first_arrival_after(arrivals, offered, s.opened_at, s.opened_at + s.wall_s)
        if first is None:
            continue
        wait = first - s.opened_at
        result.first_packet_ms.append(wait * 1000)
        result.beyond_arrival.append(s.silent_start - wait / FRAME_S)


def _stats(values: Sequence[float], unit: str, digits: int) -> str:
    if not values:
        return "no values"
    med, top = median_max(values)
    return f"median {med:.{digits}f} {unit}, max {top:.{digits}f} {unit} (n={len(values)})"


def _loss_verdict(values: Sequence[float]) -> str:
    if not values:
        return "no values"
    med, top = median_max(values)
    ok = med <= LOSS_MEDIAN_TARGET and top <= LOSS_MAX_TARGET
    target = f"target median <= {LOSS_MEDIAN_TARGET:g}, max <= {LOSS_MAX_TARGET:g}"
    return f"meets {target}" if ok else f"MISSES {target}"


def show(result: Result) -> None:
    """Print the figures of one matrix call."""
    p = result.peer
    print(f"\n== {p.scenario}: {p.behaviour}")
    who = "holds by the peer" if p.peer_driven else "hold cycles"
    print(
        f"   {p.cycles} {who} of {p.held_s:g} s held + {p.talk_s:g} s talking; "
        f"call {p.hangup_after:.1f} s after answer; run took {result.seconds:.1f} s; "
        f"softphone exit {result.exit_code}, SIPp exit {result.sipp_exit}"
    )
    if p.why:
        print(f"   (this timetable because {p.why})")
    if result.failure or result.report is None:
        print(f"   FAILED: {result.failure}")
        return
    r = result.report
    t = r.timeline
    assert t is not None
    refused = ", ".join(sorted({str(status) for _, status in t.refusals})) or "none"
    print(
        f"   holds per the peer: {t.local_holds} by the agent ({len(t.hold_offers)} hold offers), "
        f"{t.remote_holds} by the peer; refused offers: {len(t.refusals)} ({refused}); "
        f"in the metadata: {r.local_holds} local, {r.remote_holds} remote"
    )
    held_s = sum(end - start for start, end in t.held)
    print(
        f"   held per the peer {held_s:.1f} s (~{held_s / FRAME_S:.0f} frames of held tone "
        f"offered); talking per the peer {t.talking_s:.1f} s ({t.talking_frames:.0f} frames) "
        f"in {len(t.talking)} stretches"
    )
    share = (lambda n: f"{100 * n / t.talking_frames:.0f} %") if t.talking_frames else str
    print(
        f"   recording: {r.recorded_frames} frames ({r.recorded_frames * FRAME_S:.1f} s); "
        f"customer {TALK_HZ:g} Hz in {r.talk_frames} frames ({share(r.talk_frames)} of the "
        f"talking), agent {AGENT_HZ:g} Hz in {r.agent_frames} frames ({share(r.agent_frames)})"
    )
    target = "meets target 0" if r.held_frames == 0 else "MISSES target 0"
    print(
        f"   frames written while held ({HELD_HZ:g} Hz >= {THRESHOLD_DB:g} dB and >= "
        f"{PROMINENCE_DB:g} dB above its neighbour bands): {r.held_frames}  [{target}]"
    )
    print(
        f"   (loudest {HELD_HZ:g} Hz band in any recorded frame, clicks included: "
        f"{r.loudest_held_db:.1f} dB; a held frame would be about -6 dB)"
    )
    if r.held_positions_s:
        where = ", ".join(f"{s:.2f}" for s in r.held_positions_s[:10])
        print(f"   held-tone frames at media time (s): {where}")
    print(f"   resume -> gate reopened (wall time): {_stats(r.reopen_ms(), 'ms', 1)}")
    if r.never_reopened:
        print(f"   resumes never followed by a reopening: {r.never_reopened}")
    silent = r.silent_starts()
    print(
        "   customer audio lost after a resume, from the audio: frames at the start of each "
        f"open stretch without {TALK_HZ:g} Hz: {_stats(silent, 'frames', 1)}  "
        f"[{_loss_verdict(silent)}]"
    )
    if result.capture_failure:
        print(f"   (peer's packets not timed: {result.capture_failure})")
    else:
        print(
            "   gate opened -> the peer's first packet on the new stream (captured on lo): "
            f"{_stats(result.first_packet_ms, 'ms', 1)}"
        )
        print(
            "   customer audio lost after a resume beyond that wait (item 4's figure): silent "
            f"frames - wait/20 ms: {_stats(result.beyond_arrival, 'frames', 2)}  "
            f"[{_loss_verdict(result.beyond_arrival)}]"
        )
    deficits = r.deficits()
    print(
        "   customer audio lost after a resume, from the metadata: (wall - media)/20 ms per "
        f"open stretch: {_stats(deficits, 'frames', 2)}  [{_loss_verdict(deficits)}]"
    )
    lengths = [s.wall_s for s in r.stretches]
    empty = sum(s.frames == 0 for s in r.stretches)
    print(
        f"   open stretches after a resume last {_stats(lengths, 's', 2)}; "
        f"{empty} of them had no audio written at all"
    )
    if r.first_deficit is not None:
        print(
            "   (wall - media for the first stretch, opened by the disclosure's end, not a "
            f"resume: {r.first_deficit:.2f} frames)"
        )


def _summary(results: Sequence[Result]) -> None:
    print("\nsummary (peer: held frames written | reopen gap median/max ms | frames lost after")
    print("         a resume, median/max: from the audio | beyond the peer's first packet |")
    print("         (wall - media))")
    for res in results:
        r = res.report
        if res.failure or r is None:
            print(f"  {res.peer.scenario:18s} FAILED")
            continue
        gap = median_max(r.reopen_ms())
        silent = median_max(r.silent_starts())
        beyond = median_max(res.beyond_arrival)
        deficit = median_max(r.deficits())
        print(
            f"  {res.peer.scenario:18s} {r.held_frames:4d} | {gap[0]:7.1f} / {gap[1]:7.1f} | "
            f"{silent[0]:4.1f} / {silent[1]:4.1f} | {beyond[0]:5.2f} / {beyond[1]:5.2f} | "
            f"{deficit[0]:5.2f} / {deficit[1]:5.2f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the matrix and print its figures; exit 1 only if a call could not be made."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hold_cycles", description=__doc__)
    parser.add_argument(
        "--scenario", choices=sorted(MATRIX), action="append", help="run only these peers"
    )
    parser.add_argument("--cycles", type=int, help="hold cycles per peer (default: each own)")
    parser.add_argument(
        "--held",
        type=float,
        help="seconds held per cycle (default: each own; not for a peer that holds by itself)",
    )
    parser.add_argument("--talk", type=float, help="seconds talking per cycle (likewise)")
    args = parser.parse_args(argv)
    chosen = [
        MATRIX[name].with_timetable(args.cycles, args.held, args.talk)
        for name in args.scenario or MATRIX
    ]
    print("hold_cycles: one `softphone call` per SIPp peer of the hold matrix, with many holds;")
    print(f"the peer sends {TALK_HZ:g} Hz, and {HELD_HZ:g} Hz while either side holds (from the")
    print("moment a hold offer reaches it, or just before it sends its own, until the last")
    print("resume). The recording's customer channel is cut into the writer's 20 ms frames and")
    print(f"every frame with {HELD_HZ:g} Hz counts as a frame written while held.")
    verdicts = [
        f"{name}: {'flagged' if found else 'clean'}{'' if found == expected else ' (WRONG)'}"
        for name, expected, found in check_detector()
    ]
    print(f"detector check: {'; '.join(verdicts)}")
    print(machine())
    results: list[Result] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-hold-") as tmp:
        work = Path(tmp)
        policy = short_disclosure_policy(work / "policy")
        for peer in chosen:
            result = run(peer, policy, work)
            show(result)
            results.append(result)
    _summary(results)
    print(f"(the whole matrix took {time.monotonic() - started:.0f} s)")
    return 1 if any(r.failure for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
