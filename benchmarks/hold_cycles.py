"""Frames recorded while held, resume-to-reopen gap and audio lost after resume, over many holds."""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks._support import (
    FRAME_S,
    Finished,
    Policy,
    child_env,
    load_metadata,
    machine,
    run_softphone,
    short_disclosure_policy,
)
from softphone.media.analysis import read_channels
from tests.integration.sipp import SippPeer

TALK_HZ, HELD_HZ = 1200.0, 1800.0  # what the SIPp peers send normally / once a hold offer came
AGENT_HZ = 1000.0
THRESHOLD_DB = -40.0  # a 20 ms window "has" a tone when its band reaches this (full-scale sine: 0)
PROMINENCE_DB = 6.0  # ... and stands this far above the bands 300 Hz either side
RATE = 16000
FRAME = round(FRAME_S * RATE)  # samples per 20 ms frame, as the writer writes them
HOP = FRAME // 4
FIRST_HOLD_S = 1.6  # after the 1.2 s disclosure, so that recording has started


@dataclass(frozen=True)
class Scenario:
    """One SIPp peer and the hold timetable used against it."""

    name: str
    cycles: int
    held_s: float
    talk_s: float
    behaviour: str

    @property
    def hangup_after(self) -> float:
        """Hang up one talking stretch after the last resume."""
        return FIRST_HOLD_S + self.cycles * (self.held_s + self.talk_s)

    def hold_args(self) -> list[str]:
        """`--hold AT:DURATION` for every cycle."""
        args: list[str] = []
        for i in range(self.cycles):
            at = FIRST_HOLD_S + i * (self.held_s + self.talk_s)
            args += ["--hold", f"{at:.3f}:{self.held_s:g}"]
        return args


SCENARIOS = {
    "uas_ignore_hold": Scenario(
        "uas_ignore_hold", 100, 0.3, 0.3, "answers hold with sendrecv and keeps sending"
    ),
    # Fewer, longer talking stretches: what this peer costs after a resume (about 1 s) would
    # otherwise be cut short by the 0.3 s stretch itself, and 100 such cycles take 3 minutes.
    "uas_refuse_hold": Scenario(
        "uas_refuse_hold", 30, 0.3, 1.5, "refuses hold with 488 and keeps sending"
    ),
    # Its answers come 1.5 s late: the resume must wait for the hold's answer (one INVITE
    # transaction at a time), and talking must outlast the resume's answer.
    "uas_late_hold": Scenario(
        "uas_late_hold", 10, 1.8, 2.0, "answers every re-INVITE 1.5 s late, keeps sending"
    ),
}


@dataclass
class Result:
    """The figures of one scenario."""

    scenario: Scenario
    seconds: float = 0.0
    exit_code: int = 0
    sipp_exit: int | None = None
    failure: str = ""
    held_frames: int = 0
    talk_frames: int = 0
    agent_frames: int = 0
    recorded_frames: int = 0
    loudest_held_db: float = float("-inf")
    held_frame_positions: list[float] = field(default_factory=list)
    holds: int = 0
    held_wall_s: float = 0.0
    refused: int = 0
    reopen_gaps_ms: list[float] = field(default_factory=list)
    never_reopened: int = 0
    lost_frames: list[float] = field(default_factory=list)
    stretch_s: list[float] = field(default_factory=list)
    empty_stretches: int = 0
    first_open_lost: float | None = None


def band_levels_db(
    windows: npt.NDArray[np.float64], freqs: Sequence[float], half_band: float = 75.0
) -> npt.NDArray[np.float64]:
    """Level in dB (full-scale sine = 0) of the bands freqs +- half_band in each row (Hann)."""
    size = windows.shape[1]
    hann = np.hanning(size)
    power = np.abs(np.fft.rfft(windows * hann, axis=1)) ** 2
    bins = np.fft.rfftfreq(size, 1.0 / RATE)
    scale = 2.0 / size / float(np.sum(hann**2))
    levels = np.empty((windows.shape[0], len(freqs)), dtype=np.float64)
    for column, hz in enumerate(freqs):
        mean_square = power[:, np.abs(bins - hz) <= half_band].sum(axis=1) * scale
        with np.errstate(divide="ignore"):
            levels[:, column] = 10 * np.log10(2 * mean_square)
    return levels


def tone_frames(samples: npt.NDArray[np.float64], hz: float) -> npt.NDArray[np.bool_]:
    """Which of the writer's 20 ms frames hold the tone `hz`, as a peak of its own.

    20 ms Hann windows slide in 5 ms steps, so audio at a frame's edge (which a window on the
    frame itself would all but ignore) is seen too; a window counts for the frame its centre
    falls in. The band must reach THRESHOLD_DB and stand PROMINENCE_DB above the bands 300 Hz
    either side: the click where two stretches of the file meet, or where a new stream starts
    from silence, is broadband (its 1800 Hz band is below its 1500 Hz one) and does not count;
    3 ms or more of the held tone anywhere in a frame does (9 dB or more above its neighbours).
    Shorter bursts are as broadband as a click and cannot be told from one this way.
    """
    count = samples.size // FRAME
    flags = np.zeros(count, dtype=np.bool_)
    if count == 0:
        return flags
    starts = np.arange(0, count * FRAME - FRAME + 1, HOP)
    windows = np.stack([samples[s : s + FRAME] for s in starts])
    levels = band_levels_db(windows, [hz - 300.0, hz, hz + 300.0])
    with np.errstate(invalid="ignore"):
        present = (levels[:, 1] >= THRESHOLD_DB) & (
            levels[:, 1] >= np.maximum(levels[:, 0], levels[:, 2]) + PROMINENCE_DB
        )
    flags[np.unique((starts[present] + FRAME // 2) // FRAME)] = True
    return flags


def check_detector() -> str:
    """Run the held-tone detector on made-up frames; say whether each was judged right."""
    t = np.arange(4 * FRAME) / RATE
    talk = 0.5 * np.sin(2 * np.pi * TALK_HZ * t)
    held = 0.5 * np.sin(2 * np.pi * HELD_HZ * t)
    edge = talk.copy()
    edge[2 * FRAME : 2 * FRAME + 48] = held[:48]  # 3 ms of held tone at a frame's start
    joined = np.concatenate([talk[: 2 * FRAME], talk[28 : 28 + 2 * FRAME]])  # a phase jump
    onset = talk.copy()
    onset[FRAME : FRAME + 100] = 0.0  # a new stream starting from silence mid-file
    whole = talk.copy()
    whole[FRAME : 2 * FRAME] = held[FRAME : 2 * FRAME]
    cases = [
        ("talk tone only", talk, False),
        ("silence-to-tone onset", onset, False),
        ("two stretches joined", joined, False),
        ("3 ms of held tone at a frame edge", edge, True),
        ("one whole held frame", whole, True),
    ]
    verdicts = []
    for name, samples, expected in cases:
        found = bool(tone_frames(samples, HELD_HZ).any())
        wrong = "" if found == expected else " (WRONG)"
        verdicts.append(f"{name}: {'flagged' if found else 'clean'}{wrong}")
    return "; ".join(verdicts)


def analyse_audio(result: Result, recording: str) -> None:
    """Count 20 ms frames of the held tone (and of normal audio) in the customer channel."""
    audio, rate = read_channels(recording)
    if rate != RATE or audio.shape[1] != 2:
        raise ValueError(f"unexpected recording format: {rate} Hz, {audio.shape[1]} channels")
    customer, agent = audio[:, 1], audio[:, 0]
    held = tone_frames(customer, HELD_HZ)
    result.recorded_frames = int(held.size)
    result.held_frames = int(np.count_nonzero(held))
    result.held_frame_positions = [float(i * FRAME_S) for i in np.flatnonzero(held)]
    whole = customer[: held.size * FRAME].reshape(-1, FRAME)
    in_frame = band_levels_db(whole, [HELD_HZ])[:, 0] if whole.size else np.zeros(0)
    result.loudest_held_db = float(in_frame.max()) if in_frame.size else float("-inf")
    result.talk_frames = int(np.count_nonzero(tone_frames(customer, TALK_HZ)))
    result.agent_frames = int(np.count_nonzero(tone_frames(agent, AGENT_HZ)))


def analyse_metadata(result: Result, report: dict[str, Any], metadata: dict[str, Any]) -> None:
    """Resume-to-reopen gaps and (wall length - media length) of every open stretch."""
    gate: list[dict[str, Any]] = metadata.get("gate", [])
    ended_at = float(metadata.get("call", {}).get("ended_at") or report.get("ended_at") or 0.0)
    local = [h for h in metadata.get("holds", []) if h.get("kind") == "local"]
    result.holds = len(local)
    result.held_wall_s = sum(float(h["end"]) - float(h["start"]) for h in local if h.get("end"))
    result.refused = len(report.get("refused_reinvites", []))
    opens = [g for g in gate if g["state"] == "open"]
    for hold in local:
        end = hold.get("end")
        if end is None or float(end) >= ended_at - 1e-6:
            continue  # the call ended while held
        reopened = next((g for g in opens if float(g["wall_time"]) >= float(end)), None)
        if reopened is None:
            result.never_reopened += 1
        else:
            result.reopen_gaps_ms.append((float(reopened["wall_time"]) - float(end)) * 1000)
    for entry, after in itertools.pairwise(gate):
        if entry["state"] != "open" or after["state"] != "closed":
            continue
        wall = float(after["wall_time"]) - float(entry["wall_time"])
        media = float(after["media_time"]) - float(entry["media_time"])
        lost = (wall - media) / FRAME_S
        if entry["reason"] == "disclosure-completed":
            result.first_open_lost = lost
        else:
            result.lost_frames.append(lost)
            result.stretch_s.append(wall)
            result.empty_stretches += media < FRAME_S


def run(scenario: Scenario, policy: Policy, work: Path) -> Result:
    """Place one call with every hold of the scenario and analyse what was recorded."""
    result = Result(scenario)
    env = child_env(work / "home")
    args = [
        "call",
        "",
        "--bind",
        "127.0.0.1:0",
        "--json",
        "--mic",
        f"tone:{AGENT_HZ:g}",
        "--speaker",
        "null",
        *policy.args,
        *scenario.hold_args(),
        "--hangup-after",
        f"{scenario.hangup_after:.3f}",
    ]
    started = time.monotonic()
    # SippPeer's default -timeout (60 s) would end SIPp in the middle of these long calls.
    with SippPeer(
        scenario.name, workdir=work / scenario.name, timeout_s=scenario.hangup_after + 60
    ) as peer:
        args[1] = peer.uri("customer")
        done: Finished = run_softphone(args, env, timeout=scenario.hangup_after + 90)
        try:
            result.sipp_exit = peer.wait(20)
        except TimeoutError:
            result.sipp_exit = None
    result.seconds = time.monotonic() - started
    result.exit_code = done.returncode
    report = done.report
    if done.returncode != 0 or not report.get("recording"):
        result.failure = f"the call did not leave a recording: {done.why()}"
        return result
    analyse_audio(result, str(report["recording"]))
    analyse_metadata(result, report, load_metadata(report))
    return result


def _stats(values: Sequence[float], unit: str, digits: int) -> str:
    if not values:
        return "no values"
    return (
        f"median {statistics.median(values):.{digits}f} {unit}, "
        f"max {max(values):.{digits}f} {unit} (n={len(values)})"
    )


def show(result: Result) -> None:
    """Print the figures of one scenario."""
    s = result.scenario
    print(f"\n== {s.name}: {s.behaviour}")
    print(
        f"   {s.cycles} hold cycles of {s.held_s:g} s held + {s.talk_s:g} s talking; "
        f"call {s.hangup_after:.1f} s after answer; run took {result.seconds:.1f} s; "
        f"softphone exit {result.exit_code}, SIPp exit {result.sipp_exit}"
    )
    if result.failure:
        print(f"   FAILED: {result.failure}")
        return
    sent = result.held_wall_s / FRAME_S
    print(
        f"   holds in the metadata: {result.holds}; refused re-INVITEs: {result.refused}; "
        f"time on hold {result.held_wall_s:.1f} s (~{sent:.0f} frames of held tone offered)"
    )
    print(
        f"   recording: {result.recorded_frames} frames ({result.recorded_frames * FRAME_S:.1f} s)"
        f"; customer 1200 Hz in {result.talk_frames} frames, agent 1000 Hz in "
        f"{result.agent_frames} frames"
    )
    target = "meets target 0" if result.held_frames == 0 else "MISSES target 0"
    print(
        f"   frames written while held (1800 Hz >= {THRESHOLD_DB:g} dB and >= {PROMINENCE_DB:g} dB "
        f"above its neighbour bands): {result.held_frames}  [{target}]"
    )
    print(
        f"   (loudest 1800 Hz band in any recorded frame, clicks included: "
        f"{result.loudest_held_db:.1f} dB; a held frame would be about -6 dB)"
    )
    if result.held_frame_positions:
        where = ", ".join(f"{t:.2f}" for t in result.held_frame_positions[:10])
        print(f"   held-tone frames at media time (s): {where}")
    gaps = _stats(result.reopen_gaps_ms, "ms", 1)
    print(f"   resume request -> gate reopened (wall time): {gaps}")
    if result.never_reopened:
        print(f"   resumes never followed by a reopening: {result.never_reopened}")
    worst = max(result.lost_frames, default=0.0)
    verdict = "meets target <= 1" if worst <= 1.0 else "MISSES target <= 1"
    print(
        "   customer audio lost per open stretch after a resume, (wall - media)/20 ms: "
        f"{_stats(result.lost_frames, 'frames', 2)}  [{verdict}]"
    )
    print(
        f"   open stretches after a resume last {_stats(result.stretch_s, 's', 2)}; "
        f"{result.empty_stretches} of them had no audio written at all"
    )
    if result.first_open_lost is not None:
        print(
            "   (same figure for the first stretch, opened by the disclosure's end, not a "
            f"resume: {result.first_open_lost:.2f} frames)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scenarios and print their figures; exit 1 only if a call could not be made."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hold_cycles", description=__doc__)
    parser.add_argument(
        "--scenario", choices=sorted(SCENARIOS), action="append", help="run only these"
    )
    parser.add_argument("--cycles", type=int, help="hold cycles per scenario (default: each own)")
    parser.add_argument("--held", type=float, help="seconds held per cycle (default: each own)")
    parser.add_argument("--talk", type=float, help="seconds talking per cycle (default: each own)")
    args = parser.parse_args(argv)
    chosen = [SCENARIOS[name] for name in args.scenario or SCENARIOS]
    chosen = [
        Scenario(
            s.name,
            max(1, args.cycles or s.cycles),
            args.held or s.held_s,
            args.talk or s.talk_s,
            s.behaviour,
        )
        for s in chosen
    ]
    print("hold_cycles: one `softphone call` per SIPp peer with many --hold AT:DURATION;")
    print("the peer sends 1200 Hz, and 1800 Hz from the moment a hold offer reaches it until")
    print("a resume offer does. The recording's customer channel is cut into the writer's 20 ms")
    print("frames and every frame with 1800 Hz counts as a frame written while held.")
    print(f"detector check: {check_detector()}")
    print(machine())
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-hold-") as tmp:
        work = Path(tmp)
        policy = short_disclosure_policy(work / "policy")
        for scenario in chosen:
            result = run(scenario, policy, work)
            show(result)
            results.append(result)
    print("\nsummary (scenario: held frames written | reopen gap median/max ms | lost frames")
    print("         median/max per open stretch)")
    for r in results:
        gaps, lost = r.reopen_gaps_ms, r.lost_frames
        if r.failure:
            print(f"  {r.scenario.name:16s} FAILED")
            continue
        print(
            f"  {r.scenario.name:16s} {r.held_frames:4d} | "
            f"{statistics.median(gaps) if gaps else float('nan'):7.1f} / "
            f"{max(gaps, default=float('nan')):7.1f} | "
            f"{statistics.median(lost) if lost else float('nan'):5.2f} / "
            f"{max(lost, default=float('nan')):5.2f}"
        )
    return 1 if any(r.failure for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
