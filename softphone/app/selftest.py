"""`softphone selftest`: a loopback call to the embedded customer peer, judged by its audio.

The peer sends one tone while the call is live and a different tone while the agent holds it,
and it refuses every hold (the hardest case: its audio keeps flowing). The call plays the start
of the disclosure in force, holds and resumes several times, and is judged by analysing what
the peer heard, what the agent heard and what was recorded (`selftestverdicts`). It shows
progress on standard error while it runs and takes about 11 seconds.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import soundfile as sf

from softphone.app.headless import CallFailedError, ScriptedCall, Timetable
from softphone.app.peerproc import CustomerPeer, PeerError
from softphone.app.root import Audio, PhoneConfig, open_softphone
from softphone.app.selftestverdicts import (
    AGENT_HZ,
    CUSTOMER_HZ,
    HELD_HZ,
    Check,
    Evidence,
    Plan,
    judge,
)
from softphone.calls.setup import prepare_setup
from softphone.media.analysis import read_mono
from softphone.media.disclosure import DisclosureSpec, load_disclosure
from softphone.media.errors import AudioFileError
from softphone.media.sinks import CaptureSink
from softphone.media.sources import ToneSource
from softphone.vocabulary.events import SipError
from softphone.vocabulary.frames import FRAME_SAMPLES, RATE

Progress = Callable[[str], None]
MAX_EXCERPT_S = 5.0  # the excerpt grows up to this until it holds enough speech
MIN_VOICED_S = 1.5


@dataclass(frozen=True)
class Excerpt:
    """The start of the disclosure in force, as the disclosure of the self-test call."""

    id: str
    language: str
    purpose: str
    audio: Path


def write_excerpt(spec: DisclosureSpec, folder: Path, plan: Plan) -> Excerpt:
    """The first `plan.excerpt_s` of the disclosure (longer when it starts quietly), as a WAV.

    Decoding it is the same `load_disclosure` a call uses; AudioFileError says why it fails.
    """
    pcm = np.frombuffer(load_disclosure(spec).pcm, dtype="<i2")
    frames = pcm[: pcm.size // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    loud = np.sqrt(np.mean((frames.astype(np.float64) / 32768.0) ** 2, axis=1)) > 0.01
    voiced = np.cumsum(loud) * FRAME_SAMPLES / RATE
    wanted = int(plan.excerpt_s * RATE / FRAME_SAMPLES)
    while wanted < len(frames) and voiced[wanted - 1] < MIN_VOICED_S:
        wanted += 1
        if wanted * FRAME_SAMPLES >= MAX_EXCERPT_S * RATE:
            break
    path = folder / "disclosure-excerpt.wav"
    sf.write(path, frames[:wanted].reshape(-1), RATE, subtype="PCM_16")
    seconds = wanted * FRAME_SAMPLES / RATE
    return Excerpt(f"{spec.id} (its first {seconds:.1f} s)", spec.language, spec.purpose, path)


def _peer_args(tmp: Path) -> list[str]:
    return [
        "--listen", "127.0.0.1:0", "--play", f"tone:{CUSTOMER_HZ:g}",
        "--hold-tone", f"tone:{HELD_HZ:g}", "--on-hold", "refuse",
        "--record", str(tmp / "customer-heard.wav"), "--max-seconds", "40",
    ]  # fmt: skip


def _call(tmp: Path, excerpt: Excerpt, plan: Plan, progress: Progress) -> Evidence:
    """Place the call; every process and engine it starts is stopped before it returns."""
    capture = CaptureSink(max_frames=int(60 * RATE / FRAME_SAMPLES))
    with CustomerPeer(_peer_args(tmp), tmp) as peer:
        progress(f"the customer peer listens on 127.0.0.1:{peer.port}; calling it")
        setup = prepare_setup(spec=excerpt, recordings=tmp / "recordings", agent="selftest")
        if setup.disclosure is None or setup.store is None:
            raise CallFailedError("; ".join(setup.problems))
        seconds = setup.disclosure.duration_s
        timetable = Timetable(
            holds=plan.hold_times(seconds), hangup_after=plan.hangup_after(seconds)
        )
        audio = Audio(ToneSource(AGENT_HZ), capture)
        config = PhoneConfig(identity_user="selftest")
        with open_softphone(config, setup, audio) as softphone:
            runner = ScriptedCall(softphone, timetable, agent="selftest", progress=progress)
            report = runner.place(peer.uri_for("customer"))
        pcm = setup.disclosure.pcm
        peer.finish()
        reinvites = peer.named("reinvite")
    heard, heard_rate = read_mono(tmp / "customer-heard.wav")
    disclosure = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    agent = capture.samples().astype(np.float64) / 32768.0
    return Evidence(plan, report, disclosure, heard, heard_rate, agent, RATE, reinvites)


def run_checks(
    spec: DisclosureSpec, tmp: Path, progress: Progress | None = None, plan: Plan | None = None
) -> list[Check]:
    """Place the self-test call in `tmp` and judge it."""
    plan = plan or Plan()
    say = progress or (lambda _text: None)
    (tmp / "recordings").mkdir(mode=0o700)
    try:
        excerpt = write_excerpt(spec, tmp, plan)
    except AudioFileError as exc:
        return [Check("decode the disclosure in force", False, str(exc))]
    try:
        evidence = _call(tmp, excerpt, plan, say)
    except PeerError as exc:
        return [Check("run the customer peer", False, str(exc))]
    except (CallFailedError, SipError, AudioFileError) as exc:
        return [Check("place a call to the customer peer", False, str(exc))]
    say("analysing what each side heard and what was recorded")
    return judge(evidence)


def _stopwatch(stream: TextIO) -> Progress:
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"  [{time.monotonic() - started:4.1f} s] {text}", file=stream, flush=True)

    return say


def run_selftest(spec: DisclosureSpec, *, as_json: bool = False) -> int:
    """Run the self-test, print its report; 0 when every check passed, else 1."""
    started = time.time()
    plan = Plan()
    print(
        "softphone self-test: a real SIP call on 127.0.0.1 to an embedded customer peer that\n"
        f"refuses every hold; it hears the start of the disclosure '{spec.id}' ({spec.language}),"
        f"\nthen the call is held and resumed {plan.holds} times",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="softphone-selftest-") as name:
        checks = run_checks(spec, Path(name), _stopwatch(sys.stderr), plan)
    passed = all(c.passed for c in checks)
    for c in checks:
        print(f"  {'PASS' if c.passed else 'FAIL'}  {c.name}: {c.detail}")
    verdict = "PASS" if passed else "FAIL"
    print(f"result: {verdict} ({sum(c.passed for c in checks)} of {len(checks)} checks passed)")
    if as_json:
        result: dict[str, Any] = {
            "passed": passed,
            "started_at": started,
            "duration_s": round(time.time() - started, 2),
            "disclosure": spec.id,
            "checks": [c.as_json() for c in checks],
        }
        print(json.dumps(result, sort_keys=True))
    return 0 if passed else 1
