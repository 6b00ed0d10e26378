"""Issue 8 item 3, early media is not the call: what the callee received, analysed packet by packet.

A SIPp callee (tests/sipp/uas_early_media.xml) answers `softphone call` with 183 Session Progress
and SDP, then 3 s later with 200 OK. The SDP's media port is the test's RTP endpoint
(`rtpcapture.RtpCapture`): it records every packet the softphone sends, with its arrival time,
and plays the callee's side from that same port, ringback (425 Hz) until the 200 OK and then the
customer's voice (1200 Hz). The agent's microphone is a 1000 Hz tone, the disclosure a 700 Hz
tone of 60 frames (1.2 s).

Each RTP payload (160 PCMU samples, 20 ms at 8 kHz) is decoded and measured on its own with an
FFT (Hann window, the energy of the three 50 Hz bins around a frequency, in dB relative to a
full-scale sine). Both tones the softphone can send are sent at amplitude 0.3, -10.5 dB, and
measure -10.5 dB in every packet that carries them for its whole 20 ms. A tone counts as present
in a packet from PRESENT_DB = -20 dB: 9.5 dB below a whole packet of it, low enough that a packet
carrying the tone for only a third of its 20 ms still counts. The conference bridge mixes whole
20 ms frames that line up with the packets, so a frame of the microphone that reached the call
shows as one packet at -10.5 dB, twice the margin above the threshold. What measures anything
without the tone is far below: silence is digital zero; the onset of the disclosure leaks -43 dB
into the 1000 Hz band, and the disclosure's last samples, carried over into the next packet by
the resampler, put -33 dB into the 700 Hz band (measured): 13 dB or more below the threshold.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from softphone.media.analysis import read_channels, tone_duration_s, tone_timeline
from tests.integration.policies import DISCLOSURE_HZ, Compliance
from tests.integration.rtpcapture import G711_RATE, PCMU, RtpCapture, RtpPacket
from tests.integration.sipp import EXIT_OK, SippLogEntry, SippPeer, write_ulaw_tone
from tests.integration.softphone_cli import Finished, child_env

pytestmark = pytest.mark.integration

FloatArray = npt.NDArray[np.float64]

AGENT_HZ = 1000.0  # the agent's microphone (--mic tone:1000)
RINGBACK_HZ = 425.0  # what the callee plays as early media
CUSTOMER_HZ = 1200.0  # what the callee says once it answered
RINGBACK_S = 3.0  # the scenario's 183 -> 200 OK pause
DISCLOSURE_FRAMES = 60  # the `compliance` fixture's 1.2 s disclosure in 20 ms frames
HANGUP_AFTER_S = 3.0

PACKET_SAMPLES = 160  # 20 ms of PCMU at 8 kHz, the ptime the SDP asks for
PRESENT_DB = -20.0  # a tone is in a packet from this level (see the module docstring)
SILENT_DB = -50.0  # a packet below this RMS level carries nothing audible
# SIPp stamps a sent message in its trace around the moment it sends it, not before: the caller
# had the 200 OK up to 1.3 ms before the stamp (measured). A disclosure packet that arrives up to
# one packet time before the stamp may be an answer to the 200 OK; one sent as early media comes
# seconds before it.
STAMP_SLACK_S = 0.02
# The disclosure starts on the answer: at most this many packets (1 s of audio) may come
# between the 200 OK and the disclosure's first packet (none were measured).
MAX_LEAD_PACKETS = 50
TONES = [AGENT_HZ, RINGBACK_HZ, CUSTOMER_HZ, DISCLOSURE_HZ]


class Calling:
    """`softphone call ...` in the background, so that the test can act while it rings."""

    def __init__(self, args: Sequence[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "softphone.cli", "call", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )

    @property
    def running(self) -> bool:
        """Whether the softphone is still running."""
        return self.proc.poll() is None

    def finish(self, timeout: float = 60.0) -> Finished:
        """Wait for the call to end and the process to exit (killed after `timeout` s)."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate(timeout=10)
        return Finished(self.proc.returncode, out, err)

    def __enter__(self) -> Calling:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.returncode is None:  # finish() was not reached
            self.proc.kill()
            self.proc.communicate(timeout=10)


def _call_args(uri: str, compliance: Compliance) -> list[str]:
    return [uri, "--bind", "127.0.0.1:0", "--json", "--mic", f"tone:{AGENT_HZ:g}",
            "--speaker", "null", "--hangup-after", f"{HANGUP_AFTER_S:g}",
            *compliance.args]  # fmt: skip


def _wait_for_message(
    sipp: SippPeer, match: Callable[[SippLogEntry], bool], phone: Calling, timeout: float = 20.0
) -> SippLogEntry:
    """The first message in SIPp's trace that `match`es, polled until it appears."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in sipp.log_entries():
            if match(entry):
                return entry
        if not (sipp.running and phone.running):
            break
        time.sleep(0.01)
    ended = "" if phone.running else f"the softphone exited with {phone.proc.returncode}\n"
    raise AssertionError(f"SIPp never logged the message\n{ended}{sipp.describe()}")


def _media_address(sdp: str) -> tuple[str, int]:
    """Where an SDP offer wants its audio: the c= address and the m=audio port."""
    found_c = re.search(r"^c=IN IP4 (\S+)", sdp, re.MULTILINE)
    found_m = re.search(r"^m=audio (\d+) ", sdp, re.MULTILINE)
    assert found_c and found_m, f"no audio address in the offer:\n{sdp}"
    return found_c.group(1), int(found_m.group(1))


def _is_sent_status(status: int) -> Callable[[SippLogEntry], bool]:
    def match(entry: SippLogEntry) -> bool:
        return entry.direction == "sent" and entry.status == status and entry.method == "INVITE"

    return match


def _is_invite(entry: SippLogEntry) -> bool:
    return entry.direction == "received" and entry.is_request and entry.method == "INVITE"


def packet_levels_db(packets: Sequence[RtpPacket], freqs: Sequence[float]) -> FloatArray:
    """Level in dB (re a full-scale sine) of each frequency in each packet: shape (packets, freqs).

    One FFT per packet (Hann window over its 160 samples); a frequency's level is the energy of
    the bins within 50 Hz of it (three bins: the window's main lobe), scaled by Parseval.
    """
    if not packets:
        return np.empty((0, len(freqs)))
    blocks = np.stack([p.audio() for p in packets])
    window = np.hanning(PACKET_SAMPLES)
    power = np.abs(np.fft.rfft(blocks * window, axis=1)) ** 2
    bins = np.fft.rfftfreq(PACKET_SAMPLES, 1.0 / G711_RATE)
    scale = 2.0 / PACKET_SAMPLES / float(np.sum(window**2))
    levels = np.empty((len(packets), len(freqs)))
    for column, hz in enumerate(freqs):
        band = np.abs(bins - hz) <= G711_RATE / PACKET_SAMPLES + 1e-9
        with np.errstate(divide="ignore"):
            levels[:, column] = 10 * np.log10(2 * power[:, band].sum(axis=1) * scale)
    return levels


def packet_rms_db(packets: Sequence[RtpPacket]) -> FloatArray:
    """Overall RMS level of each packet in dB re a full-scale sine (-inf: digital silence)."""
    if not packets:
        return np.empty(0)
    blocks = np.stack([p.audio() for p in packets])
    with np.errstate(divide="ignore"):
        return np.asarray(10 * np.log10(2 * np.mean(blocks**2, axis=1)), dtype=np.float64)


@dataclass(frozen=True)
class Wire:
    """What the callee received, packet by packet, and when it sent its 200 OK."""

    packets: list[RtpPacket]
    answer_at: float  # SIPp's trace stamp of the 200 OK, time.time() scale
    mic: npt.NDArray[np.bool_]  # per packet: carries the agent's 1000 Hz
    disclosure: npt.NDArray[np.bool_]  # per packet: carries the disclosure's 700 Hz
    silent: npt.NDArray[np.bool_]  # per packet: nothing audible at all

    @classmethod
    def of(cls, packets: list[RtpPacket], answer_at: float) -> Wire:
        """Measure every packet."""
        levels = packet_levels_db(packets, [AGENT_HZ, DISCLOSURE_HZ])
        return cls(
            packets,
            answer_at,
            mic=levels[:, 0] >= PRESENT_DB,
            disclosure=levels[:, 1] >= PRESENT_DB,
            silent=packet_rms_db(packets) < SILENT_DB,
        )

    def before(self, moment: float) -> npt.NDArray[np.bool_]:
        """Per packet: arrived before `moment`."""
        return np.array([p.arrival < moment for p in self.packets], dtype=bool)

    def describe(self, first: int, last: int) -> str:
        """Packets first..last as lines, for an assertion message."""
        levels = packet_levels_db(self.packets[first : last + 1], [AGENT_HZ, DISCLOSURE_HZ])
        lines = []
        for offset, packet in enumerate(self.packets[first : last + 1]):
            mic_db, disclosure_db = levels[offset]
            lines.append(
                f"  #{first + offset} seq {packet.seq} at {packet.arrival - self.answer_at:+.3f} s"
                f" from the 200 OK: 1000 Hz {mic_db:6.1f} dB, 700 Hz {disclosure_db:6.1f} dB"
            )
        return "\n".join(lines)


def _place_call(
    user: str, early_media: bool, tmp_path: Path, compliance: Compliance, capture: RtpCapture
) -> tuple[Finished, Wire]:
    """Call the SIPp callee as `user` and play its side of the media; what the wire carried."""
    ringback = write_ulaw_tone(tmp_path / "ringback.ulaw", RINGBACK_HZ, RINGBACK_S).read_bytes()
    voice = write_ulaw_tone(tmp_path / "customer.ulaw", CUSTOMER_HZ, 1.0).read_bytes()
    sipp = SippPeer(
        "uas_early_media",
        workdir=tmp_path / "sipp",
        timeout_s=40,
        extra_args=["-set", "capture_port", str(capture.port)],
    )
    with sipp, Calling(_call_args(sipp.uri(user), compliance)) as phone:
        invite = _wait_for_message(sipp, _is_invite, phone)
        destination = _media_address(invite.body)
        _wait_for_message(sipp, _is_sent_status(183), phone)
        if early_media:
            capture.play(destination, ringback)
        answer = _wait_for_message(sipp, _is_sent_status(200), phone)
        capture.play(destination, voice, loop=True)
        done = phone.finish(60.0)
        capture.silence()
        assert done.returncode == 0, done.stderr
        assert sipp.wait(15.0) == EXIT_OK, sipp.describe()
    answer_at = answer.time.timestamp()
    # SIPp's trace is in local time, the report in time.time(): a wrong reading of either
    # would shift every verdict below, so check they agree about the answer.
    assert abs(done.report["answered_at"] - answer_at) < 2.0, (done.report, answer.time)
    packets = capture.packets()
    assert packets, "the callee received no RTP at all"
    odd = [(p.payload_type, len(p.payload)) for p in packets if p.payload_type != PCMU
           or len(p.payload) != PACKET_SAMPLES]  # fmt: skip
    assert not odd, f"expected PCMU packets of 20 ms only, got (payload type, bytes) {odd[:5]}"
    return done, Wire.of(packets, answer_at)


def wire_problems(wire: Wire) -> list[str]:
    """What is wrong with what the callee received (empty: nothing).

    The microphone must reach nobody before the disclosure ended; the disclosure must begin at
    the answer (not as early media), and the customer must get all of it, alone.
    """
    problems: list[str] = []
    early = wire.before(wire.answer_at)
    mic_early = int(np.sum(early & wire.mic))
    if mic_early:
        problems.append(
            f"{mic_early} of the {int(np.sum(early))} RTP packets sent before the 200 OK carried "
            f"the agent's microphone"
        )
    disclosure_early = np.flatnonzero(wire.before(wire.answer_at - STAMP_SLACK_S) & wire.disclosure)
    if disclosure_early.size:
        problems.append(
            f"the disclosure was sent as early media: {disclosure_early.size} packets of it "
            f"arrived before the 200 OK\n"
            + wire.describe(int(disclosure_early[0]), int(disclosure_early[0]) + 1)
        )
    found = np.flatnonzero(wire.disclosure)
    if not found.size:
        return [*problems, "no packet carried the disclosure"]
    first = int(found[0])
    after_answer = int(np.sum(early))  # index of the first packet after the 200 OK
    if not wire.silent[after_answer:first].all():
        problems.append(
            "something audible was sent between the 200 OK and the disclosure\n"
            + wire.describe(after_answer, first)
        )
    if first - after_answer > MAX_LEAD_PACKETS:
        problems.append(f"the disclosure began {first - after_answer} packets after the 200 OK")
    end = first + DISCLOSURE_FRAMES  # the first packet after the disclosure
    leaked = np.flatnonzero(wire.mic[first:end]) + first
    if leaked.size:
        which = "the first packet of the disclosure and " if leaked[0] == first else ""
        problems.append(
            f"the agent's microphone was mixed into the disclosure: {which}{leaked.size} of its "
            f"{DISCLOSURE_FRAMES} packets (#{first}..#{end - 1}) carried it\n"
            + wire.describe(int(leaked[0]), min(int(leaked[-1]), int(leaked[0]) + 3))
        )
    mic_between = int(np.sum(wire.mic[after_answer:first]))
    if mic_between:
        problems.append(
            f"{mic_between} packets between the 200 OK and the disclosure carried the mic"
        )
    if len(wire.packets) <= end:
        return [*problems, "the call ended before the whole disclosure was sent"]
    missing = np.flatnonzero(~wire.disclosure[first:end]) + first
    if missing.size:
        problems.append(
            f"the disclosure's {DISCLOSURE_FRAMES} packets are not one unbroken run: "
            f"{missing.size} of #{first}..#{end - 1} do not carry it\n"
            + wire.describe(int(missing[0]), int(missing[0]) + 2)
        )
    if (carried := int(np.sum(wire.disclosure))) != DISCLOSURE_FRAMES:
        problems.append(f"{carried} packets carried the disclosure, not {DISCLOSURE_FRAMES}")
    after = np.flatnonzero(wire.mic[end:])
    if not after.size:
        problems.append("the agent's microphone never reached the customer after the disclosure")
    return problems


def recording_problems(done: Finished) -> list[str]:
    """What is wrong with the recording: it must hold no ringback and begin after the disclosure."""
    report = done.report
    disclosure = report["disclosure"]
    if not (disclosure and disclosure["completed"]):
        return [f"the disclosure did not complete: {disclosure}"]
    problems: list[str] = []
    if disclosure["frames_played"] != DISCLOSURE_FRAMES:
        problems.append(f"frames_played {disclosure['frames_played']}, not {DISCLOSURE_FRAMES}")
    if not (report["recording"] and report["metadata"]):
        return [*problems, f"nothing was recorded: {report['recording_problems']}"]
    metadata: dict[str, Any] = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    opened = [g for g in metadata["gate"] if g["state"] == "open"]
    if not opened or opened[0]["reason"] != "disclosure-completed":
        problems.append(
            f"the gate did not first open on the completed disclosure: {metadata['gate']}"
        )
    elif opened[0]["wall_time"] < disclosure["ended_at"]:
        problems.append(
            f"the gate opened {disclosure['ended_at'] - opened[0]['wall_time']:.3f} s before the "
            f"disclosure ended"
        )
    audio, rate = read_channels(report["recording"])
    agent, customer = audio[:, 0], audio[:, 1]

    def frames_of(samples: FloatArray, hz: float) -> float:
        timeline = tone_timeline(samples, rate, TONES, window_s=0.02)
        return sum(s.duration_s for s in timeline if s.hz == hz)

    if ringback := frames_of(customer, RINGBACK_HZ):
        problems.append(f"{ringback:.2f} s of the early media's ringback were recorded")
    if disclosed := frames_of(agent, DISCLOSURE_HZ):
        problems.append(f"{disclosed:.2f} s of the disclosure were recorded")
    # Not empty either: 1.8 s of conversation followed the disclosure.
    if (heard := tone_duration_s(customer, rate, CUSTOMER_HZ)) < 1.0:
        problems.append(f"only {heard:.2f} s of the customer were recorded")
    if (said := tone_duration_s(agent, rate, AGENT_HZ)) < 1.0:
        problems.append(f"only {said:.2f} s of the agent were recorded")
    return problems


def test_early_media_neither_carries_the_microphone_nor_starts_the_disclosure(
    tmp_path: Path, compliance: Compliance, rtp_capture: RtpCapture
) -> None:
    done, wire = _place_call("customer", True, tmp_path, compliance, rtp_capture)
    problems = wire_problems(wire) + recording_problems(done)
    assert not problems, "\n".join(problems)


def test_a_183_without_sdp_changes_nothing(
    tmp_path: Path, compliance: Compliance, rtp_capture: RtpCapture
) -> None:
    done, wire = _place_call("nosdp", False, tmp_path, compliance, rtp_capture)
    problems = wire_problems(wire) + recording_problems(done)
    assert not problems, "\n".join(problems)
