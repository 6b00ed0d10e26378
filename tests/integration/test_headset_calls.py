"""Real calls with the headset on real audio streams: `softphone call --mic/--speaker device`.

Each call runs the CLI and the pjsua2 customer peer as child processes against private PulseAudio
daemons: pacat speaks into the agent's microphone, parec listens to the agent's earpiece, and the
peer plays and records the customer's side. What was heard is checked by FFT.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from softphone.app.peerproc import CustomerPeer
from softphone.media.analysis import read_channels, read_mono, tone_duration_s, tone_timeline
from tests.integration.policies import Compliance
from tests.integration.pulse import HEADSET, RATE, SoundRig, read_raw, tone
from tests.integration.softphone_cli import REPO, StartPeer

AGENT_HZ, LAPTOP_HZ, CUSTOMER_HZ = 1000.0, 1200.0, 440.0
SUMMARY = re.compile(
    r"(?P<role>microphone|speaker) on '[^']*': latency (?P<latency>[\d.]+) ms \(target "
    r"(?P<target>[\d.]+), longest wait (?P<wait>[\d.]+)\), drift correction (?P<ppm>[-+\d]+) ppm "
    r"\(learnt (?P<learnt>[-+\d]+)\), "
    r"(?P<underruns>\d+) underruns, (?P<overruns>\d+) overruns"
)


class LiveCall:
    """`softphone -v call ...` in the background, its stderr lines timestamped as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        env = {**env, "PYTHONPATH": str(REPO), "PYTHONFAULTHANDLER": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "softphone.cli", "-v", "call", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[tuple[float, str]] = []
        self.out: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stderr, True), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stdout, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, pipe: IO[str] | None, timed: bool) -> None:
        assert pipe is not None
        for line in pipe:
            if timed:
                self.lines.append((time.monotonic(), line.rstrip()))
            else:
                self.out.append(line)
        pipe.close()

    def first(self, text: str, after: float = 0.0) -> float | None:
        """When a stderr line containing `text` arrived (after `after`), or None."""
        return next((t for t, line in self.lines if text in line and t >= after), None)

    def finish(self, timeout: float) -> tuple[int, str]:
        """Wait for the exit; the return code and stdout."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        for reader in self._readers:
            reader.join(5)
        return self.proc.returncode, "".join(self.out)

    def stop(self) -> None:
        """Kill the process if it is still running (a failed test must not leave it behind)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def summaries(self) -> dict[str, dict[str, float]]:
        """The headset's closing statistics per role, from the -v log."""
        found = {}
        for _, line in self.lines:
            match = SUMMARY.search(line)
            if match:
                fields = match.groupdict()
                role = fields.pop("role")
                found[role] = {k: float(v) for k, v in fields.items()}
        return found

    def stderr(self) -> str:
        return "\n".join(line for _, line in self.lines)[-4000:]


def call_args(peer: CustomerPeer, compliance: Compliance, seconds: float) -> list[str]:
    return [
        f"sip:customer@127.0.0.1:{peer.port}", "--bind", "127.0.0.1:0", "--mic", "device",
        "--speaker", "device", "--hangup-after", f"{seconds:g}", "--json", *compliance.args,
    ]  # fmt: skip


def heard(path: Path, hz: float, start: float = 0.0) -> float:
    samples, rate = read_mono(path)
    return tone_duration_s(samples[int(start * rate) :], rate, hz)


def test_a_call_carries_the_headset_both_ways(
    start_peer: StartPeer, compliance: Compliance, tmp_path: Path
) -> None:
    rig = SoundRig(tmp_path / "sound")
    try:
        peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}", "--record", str(tmp_path / "peer.wav"))
        rig.speak(tone(AGENT_HZ, 14.0))
        rig.listen(tmp_path / "earpiece.raw")
        call = LiveCall(call_args(peer, compliance, 6.0), rig.child_env())
        code, _ = call.finish(60)
        assert code == 0, call.stderr()
        assert peer.finish() == 0
    finally:
        rig.stop()
    assert heard(tmp_path / "peer.wav", AGENT_HZ) >= 3.5, call.stderr()
    earpiece = read_raw(tmp_path / "earpiece.raw")
    assert tone_duration_s(earpiece, RATE, CUSTOMER_HZ) >= 3.5
    stats = call.summaries()
    for role in ("microphone", "speaker"):
        assert stats[role]["latency"] < 25.0 and stats[role]["overruns"] == 0, call.stderr()


def test_unplugging_the_headset_mid_call_keeps_the_call_up(
    start_peer: StartPeer, compliance: Compliance, tmp_path: Path
) -> None:
    rig = SoundRig(tmp_path / "sound", headset=True)
    assert rig.headset is not None
    try:
        peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}", "--record", str(tmp_path / "peer.wav"))
        rig.speak(tone(AGENT_HZ, 25.0), rig.headset)
        rig.speak(tone(LAPTOP_HZ, 25.0))  # what the computer's own microphone hears
        rig.listen(tmp_path / "laptop.raw")
        env = rig.child_env(SOFTPHONE_INPUT_DEVICE=HEADSET, SOFTPHONE_OUTPUT_DEVICE=HEADSET)
        call = LiveCall(call_args(peer, compliance, 11.0), env)
        answered = peer.wait_for("state", 20.0, state="confirmed")["t"]
        time.sleep(max(0.0, answered + 4.5 - time.time()))
        unplugged = time.monotonic()
        rig.headset.unplug("hs_spk", "hs_mic")
        code, out = call.finish(60)
        assert code == 0, call.stderr()
        assert peer.finish() == 0
        unplugged_at = time.time() - (time.monotonic() - unplugged)
    finally:
        rig.stop()
    told = call.first("stopped working (its audio stream ended", after=unplugged)
    assert told is not None and told - unplugged < 2.0, call.stderr()
    assert call.first("switched to 'default'", after=unplugged) is not None
    assert '"status_code": 200' in out
    since_unplug = unplugged_at - answered
    assert heard(tmp_path / "peer.wav", AGENT_HZ) >= 2.0  # the headset before ...
    assert heard(tmp_path / "peer.wav", LAPTOP_HZ, start=since_unplug) >= 3.0  # ... then the laptop
    assert tone_duration_s(read_raw(tmp_path / "laptop.raw"), RATE, CUSTOMER_HZ) >= 3.0
    # Told once per device; the recording went on through the switch, both sides, complete.
    for device in ("microphone", "speaker"):
        lines = [line for _, line in call.lines if f"{device} 'Agent Headset' stopped" in line]
        assert len(lines) == 1, call.stderr()
    report = json.loads(out.strip().splitlines()[-1])
    assert report["recording_problems"] == []
    metadata = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    assert metadata["status"] == "complete" and metadata["errors"] == []
    recorded, rate = read_channels(report["recording"])
    switched = int((unplugged_at - metadata["gate"][0]["wall_time"]) * rate)  # recording time
    agent, customer = recorded[:, 0], recorded[:, 1]
    assert tone_duration_s(agent[:switched], rate, AGENT_HZ) >= 2.0  # the headset's mic ...
    assert tone_duration_s(agent[switched:], rate, LAPTOP_HZ) >= 3.0  # ... then the laptop's
    assert tone_duration_s(customer, rate, CUSTOMER_HZ) >= 8.0  # the customer, all along


def test_a_sound_server_that_dies_mid_call_neither_hangs_nor_drops_the_call(
    start_peer: StartPeer, compliance: Compliance, tmp_path: Path
) -> None:
    rig = SoundRig(tmp_path / "sound", headset=True)
    assert rig.headset is not None
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}", "--record", str(tmp_path / "peer.wav"))
    rig.speak(tone(LAPTOP_HZ, 25.0))
    env = rig.child_env(SOFTPHONE_INPUT_DEVICE=HEADSET, SOFTPHONE_OUTPUT_DEVICE=HEADSET)
    call = LiveCall(call_args(peer, compliance, 9.0), env)
    try:
        answered = peer.wait_for("state", 20.0, state="confirmed")["t"]
        time.sleep(max(0.0, answered + 4.0 - time.time()))
        killed = time.monotonic()
        rig.headset.stop()  # the headset's sound server goes away with both streams open
        code, out = call.finish(40)
        ended = time.monotonic()
        assert code == 0, call.stderr()
        assert peer.finish() == 0
    finally:
        call.stop()
        rig.stop()
    assert '"status_code": 200' in out
    told = call.first("stopped working", after=killed)
    assert told is not None and told - killed < 2.0, call.stderr()
    assert ended - killed < 20.0  # the call ran its course and the process exited
    assert heard(tmp_path / "peer.wav", LAPTOP_HZ, start=6.0) >= 1.5  # the computer's mic


def test_with_no_sound_device_at_all_the_call_still_goes_through(
    start_peer: StartPeer, compliance: Compliance, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / ".config" / "pulse").mkdir(parents=True)
    (home / ".config" / "pulse" / "client.conf").write_text("autospawn = no\n")
    env = {**os.environ, "HOME": str(home), "PULSE_SERVER": f"unix:{tmp_path / 'nothing'}"}
    peer = start_peer("--record", str(tmp_path / "peer.wav"))
    started = time.monotonic()
    call = LiveCall(call_args(peer, compliance, 3.0), env)
    code, out = call.finish(60)
    assert code == 0, call.stderr()
    assert peer.finish() == 0
    assert '"status_code": 200' in out
    assert call.first("no working microphone: the customer hears silence") is not None
    assert time.monotonic() - started < 30.0


def burst_train(seconds: float, period: float = 4.0, length: float = 0.25) -> npt.NDArray[np.int16]:
    """A 1 kHz burst every `period` seconds: onsets that show any latency change."""
    samples = np.zeros(int(seconds * RATE), dtype=np.int16)
    burst = tone(AGENT_HZ, length)
    for start in np.arange(0.5, seconds - length, period):
        at = int(start * RATE)
        samples[at : at + burst.size] = burst
    return samples


def onsets(samples: npt.NDArray[np.float64], rate: int, after: float) -> list[float]:
    """Start times of the 1 kHz bursts (10 ms resolution), skipping the first `after` seconds.

    A burst broken by a dropout counts once, at its first part.
    """
    segments = tone_timeline(samples, rate, [700.0, AGENT_HZ], window_s=0.01)
    starts: list[float] = []
    for segment in segments:
        new = not starts or segment.start_s - starts[-1] > 1.0
        if segment.hz == AGENT_HZ and segment.start_s >= after and new:
            starts.append(segment.start_s)
    return starts


@pytest.mark.parametrize("skew", ["0.01", "-0.01"])
def test_a_device_clock_1_percent_off_for_60_s_keeps_latency_bounded(
    skew: str, compliance: Compliance, tmp_path: Path
) -> None:
    burst_wav = tmp_path / "bursts.wav"
    sf.write(burst_wav, burst_train(8.0, period=4.0), RATE, subtype="PCM_16")
    rig = SoundRig(tmp_path / "sound")
    peer = None
    try:
        peer = CustomerPeer(
            ["--listen", "127.0.0.1:0", "--max-seconds", "120", "--play", str(burst_wav),
             "--record", str(tmp_path / "peer.wav")], tmp_path,
        )  # fmt: skip
        rig.speak(burst_train(75.0))
        rig.listen(tmp_path / "earpiece.raw")
        env = rig.child_env(SOFTPHONE_DEVICE_CLOCK_SKEW=skew)
        call = LiveCall(call_args(peer, compliance, 60.0), env)
        code, _ = call.finish(120)
        assert code == 0, call.stderr()
        assert peer.finish(30) == 0
    finally:
        if peer is not None:
            peer.stop()
        rig.stop()
    stats = call.summaries()
    for role, sign in (("microphone", 1), ("speaker", -1)):
        assert role in stats, call.stderr()
        s = stats[role]
        context = f"{role}: {s}"
        # A busy test machine (pjsua2, PulseAudio and Python threads on two cores) costs some
        # underruns; without the compensation there would be one every two seconds or so (or
        # overruns), and the learnt drift below would be zero.
        assert s["overruns"] <= 2 and s["underruns"] <= 20, context
        assert s["latency"] < 40.0 and s["wait"] < 200.0, context
        assert abs(s["learnt"] - sign * 1e6 * float(skew)) < 3000, context  # it learnt the drift
    # Outside evidence: the bursts reach the customer with their spacing kept, so the delay
    # did not grow or shrink. (Towards the agent pjsua2's own jitter buffer adds a slow delay
    # change of its own, so there only the arrival of every burst is checked.)
    peer_audio, rate = read_mono(tmp_path / "peer.wav")
    sent = np.array(onsets(peer_audio, rate, after=6.0))  # settled after the disclosure
    assert len(sent) >= 12, f"bursts at the customer: {sent}"
    phase = sent % 4.0
    moved = (phase - phase[len(phase) // 2] + 2.0) % 4.0 - 2.0  # circular, around a middle one
    assert np.max(np.abs(moved)) < 0.05, f"bursts moved by {moved}"
    earpiece = onsets(read_raw(tmp_path / "earpiece.raw"), RATE, after=3.0)
    assert len(earpiece) >= 12, f"bursts in the earpiece: {earpiece}"
