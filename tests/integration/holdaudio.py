"""The hold matrix: its SIPp peers, and what their recordings and logs say about every hold."""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from softphone.media.analysis import read_channels
from tests.integration.loopback import Datagram
from tests.integration.rtpcapture import G711_RATE, alaw_to_linear, ulaw_to_linear
from tests.integration.sipp import SippLogEntry
from tests.integration.softphone_cli import tone_call

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

TALK_HZ, HELD_HZ = 1200.0, 1800.0  # what the SIPp peers send normally / while anyone holds
AGENT_HZ = 1000.0  # the agent's `--mic tone:1000`
RATE = 16000  # the recording's rate (the conference bridge's)
FRAME_S = 0.02
FRAME = round(FRAME_S * RATE)  # samples per 20 ms frame, as the writer writes them
HOP = FRAME // 4
THRESHOLD_DB = -40.0  # a 20 ms window "has" a tone when its band reaches this (full-scale sine: 0)
PROMINENCE_DB = 6.0  # ... and stands this far above the bands 300 Hz either side
LOG_LAG_S = 0.02  # SIPp stamps a message in its log up to this long after sending it
SILENCE = 10 ** (-60 / 20)  # a sample below -60 dB full scale is silence (tones are -6 dB)
FIRST_HOLD_S = 1.6  # after the 1.2 s disclosure, so that recording has started

# --- the peers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixPeer:
    """One SIPp peer of the hold matrix (tests/sipp/<scenario>.xml) and the timetable used on it.

    Without ``peer_driven`` the softphone holds for ``held_s`` and talks for ``talk_s``, ``cycles``
    times, from FIRST_HOLD_S after the answer. A ``peer_driven`` peer holds the softphone itself
    on its own timetable (``held_s``, ``talk_s`` are then what its scenario file does, for the
    record) and takes its number of cycles from ``-set cycles N``.
    """

    scenario: str
    behaviour: str
    cycles: int
    held_s: float
    talk_s: float
    peer_driven: bool = False
    why: str = ""  # why this timetable, when it is not the default one

    @property
    def hangup_after(self) -> float:
        """Seconds from answer to the softphone's hang-up: one talking stretch after the last hold.

        A peer-driven peer drifts by a few ms per cycle (its waits start after each answer), and
        must have finished its last cycle before the BYE comes: 50 ms per cycle and 0.5 s spare.
        """
        cycle = self.held_s + self.talk_s
        if self.peer_driven:
            return FIRST_HOLD_S + self.cycles * (cycle + 0.05) + 0.5
        return FIRST_HOLD_S + self.cycles * cycle

    def hold_args(self) -> list[str]:
        """`--hold AT:DURATION` for every cycle (none when the peer holds)."""
        if self.peer_driven:
            return []
        args: list[str] = []
        for i in range(self.cycles):
            at = FIRST_HOLD_S + i * (self.held_s + self.talk_s)
            args += ["--hold", f"{at:.3f}:{self.held_s:g}"]
        return args

    def sipp_args(self) -> list[str]:
        """Extra SIPp arguments: the number of cycles for a peer that holds by itself."""
        return ["-set", "cycles", str(self.cycles)] if self.peer_driven else []

    def with_timetable(
        self, cycles: int | None, held_s: float | None, talk_s: float | None
    ) -> MatrixPeer:
        """This peer with other cycles / durations (a peer-driven one keeps its own durations)."""
        if self.peer_driven:
            held_s = talk_s = None
        return MatrixPeer(
            self.scenario,
            self.behaviour,
            max(1, cycles or self.cycles),
            held_s or self.held_s,
            talk_s or self.talk_s,
            self.peer_driven,
            self.why,
        )


MATRIX: dict[str, MatrixPeer] = {
    p.scenario: p
    for p in (
        MatrixPeer(
            "uas_accept_hold", "accepts hold: recvonly (inactive to inactive)", 30, 0.3, 0.4
        ),
        MatrixPeer(
            "uas_late_hold",
            "answers every re-INVITE 1.5 s late",
            10,
            1.8,
            2.0,
            why="the hold's answer (1.5 s) must come before the resume, one INVITE transaction at "
            "a time, and the resume's answer before the next hold",
        ),
        MatrixPeer("uas_refuse_hold", "refuses hold with 488", 30, 0.3, 0.4),
        MatrixPeer(
            "uas_491_hold",
            "refuses hold with 491, accepts the retry",
            10,
            4.6,
            0.5,
            why="the retry comes 2.1 to 4 s after the 491 (RFC 3261 14.1) and must come while held",
        ),
        MatrixPeer("uas_ignore_hold", "answers hold with sendrecv (ignores it)", 30, 0.3, 0.4),
        MatrixPeer("uas_inactive_hold", "answers hold with a=inactive", 30, 0.3, 0.4),
        MatrixPeer("uas_c0_hold", "answers hold with c=0.0.0.0 (RFC 2543)", 30, 0.3, 0.4),
        MatrixPeer(
            "uas_update_hold",
            "holds the agent itself with UPDATE (RFC 3311)",
            30,
            0.3,
            0.4,
            peer_driven=True,
            why="its own timetable (in the scenario file); the softphone only stays in the call",
        ),
        MatrixPeer(
            "uas_mutual_hold",
            "holds the agent back while held, three orders of resuming",
            30,
            0.45,
            0.5,
            why="its own hold and, in one order, its resume come 0.1 s apart within the agent's",
        ),
        MatrixPeer(
            "uas_codec_hold",
            "changes codec (PCMU <-> PCMA) by re-INVITE while held",
            30,
            0.4,
            0.4,
            why="its re-INVITE comes 0.15 s into the hold",
        ),
    )
}
"""The hold matrix (issue 8): every peer keeps sending while held, HELD_HZ instead of TALK_HZ."""


def call_args(peer: MatrixPeer, uri: str, policy_args: Sequence[str]) -> list[str]:
    """`softphone call` arguments for one matrix call: the agent sends AGENT_HZ, hears nothing."""
    hangup = ("--hangup-after", f"{peer.hangup_after:.3f}")
    return tone_call(uri, policy_args, *peer.hold_args(), *hangup, hz=AGENT_HZ)


# --- the detector -------------------------------------------------------------------------


def band_levels_db(
    windows: FloatArray, freqs: Sequence[float], half_band: float = 75.0
) -> FloatArray:
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


def tone_frames(samples: FloatArray, hz: float) -> BoolArray:
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


def check_detector() -> list[tuple[str, bool, bool]]:
    """Run the held-tone detector on made-up frames: (case, expected, found) for each."""
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
    return [(name, expected, bool(tone_frames(s, HELD_HZ).any())) for name, s, expected in cases]


# --- what the peer says happened ------------------------------------------------------------

_DIRECTION = re.compile(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", re.MULTILINE)
_NULL_ADDRESS = re.compile(r"^c=IN IP4 0\.0\.0\.0\s*$", re.MULTILINE)
_OFFER_METHODS = ("INVITE", "UPDATE")


def sdp_direction(body: str) -> str:
    """The SDP's audio direction; c=0.0.0.0 (RFC 2543 hold) counts as "inactive"."""
    if _NULL_ADDRESS.search(body):
        return "inactive"
    found = _DIRECTION.search(body)
    return found.group(1) if found else "sendrecv"


def is_hold(body: str) -> bool:
    """True if an SDP offer holds its receiver (sendonly, inactive or c=0.0.0.0)."""
    return sdp_direction(body) in ("sendonly", "inactive")


def _unix(stamp: datetime) -> float:
    """A SIPp log time (local time, no zone) as Unix time, comparable with the metadata's."""
    return stamp.timestamp()


@dataclass(frozen=True)
class PeerTimeline:
    """The call as the SIPp peer logged it (Unix times): when recording was allowed at all.

    Held, as the peer saw it: from the softphone's hold offer arriving until the peer's 2xx to
    its resume offer, and from the peer's own hold offer leaving until the 2xx to its resume
    offer arrives, whichever lasts longer when both hold. Talking: after the disclosure (the
    answer + its length) until the BYE, when not held; that is when the peer sent TALK_HZ.
    """

    answered: float
    ended: float
    held: list[tuple[float, float]]
    talking: list[tuple[float, float]]
    local_holds: int  # holds the softphone offered (a retry of a refused hold is not a new one)
    remote_holds: int  # holds the peer offered
    refusals: list[tuple[float, int]]  # (time, status) of every non-2xx final answer to an offer
    hold_offers: list[float]  # arrival of every hold offer from the softphone, retries included
    peer_resumes: list[float]  # departure of every offer from the peer that does not hold

    @property
    def talking_s(self) -> float:
        """Seconds in which recording is allowed, per the peer."""
        return sum(end - start for start, end in self.talking)

    @property
    def talking_frames(self) -> float:
        """talking_s in 20 ms frames."""
        return self.talking_s / FRAME_S


def peer_timeline(entries: Sequence[SippLogEntry], disclosure_s: float) -> PeerTimeline:
    """Read the peer's -trace_msg log (see PeerTimeline)."""
    if not entries:
        raise ValueError("the SIPp log is empty")
    answered = next(
        (_unix(e.time) for e in entries if e.direction == "received" and e.method == "ACK"), None
    )
    if answered is None:
        raise ValueError("the SIPp log has no ACK: the call was never set up")
    ended = next(
        (_unix(e.time) for e in entries if e.is_request and e.method == "BYE"),
        _unix(entries[-1].time),
    )
    local = remote = False
    local_holds = remote_holds = 0
    pending: dict[tuple[str, int], str] = {}  # (who offered, CSeq) -> "hold" / "resume"
    seen: set[tuple[str, int, str]] = set()  # offers already taken (a retransmission is not new)
    refusals: list[tuple[float, int]] = []
    hold_offers: list[float] = []
    peer_resumes: list[float] = []
    held: list[tuple[float, float]] = []
    since: float | None = None
    for entry in entries:
        at = _unix(entry.time)
        was_held = local or remote
        offerer = "softphone" if entry.direction == "received" else "peer"
        if entry.is_request and entry.method in _OFFER_METHODS and "m=audio" in entry.body:
            if entry.cseq is None or (offerer, entry.cseq, entry.method) in seen:
                continue
            seen.add((offerer, entry.cseq, entry.method))
            kind = "hold" if is_hold(entry.body) else "resume"
            pending[(offerer, entry.cseq)] = kind
            if kind == "hold" and offerer == "softphone":
                hold_offers.append(at)
                local_holds += not local
                local = True
            elif kind == "hold":
                remote_holds += not remote
                remote = True
            elif offerer == "peer":
                peer_resumes.append(at)
        elif not entry.is_request and entry.method in _OFFER_METHODS and entry.cseq is not None:
            # A response: the answerer is the other side of the one who offered.
            offered_by = "peer" if entry.direction == "received" else "softphone"
            kind_of = pending.get((offered_by, entry.cseq))
            status = entry.status or 0
            if kind_of is None or status < 200:
                continue
            del pending[(offered_by, entry.cseq)]
            if status >= 300:
                refusals.append((at, status))
            elif kind_of == "resume" and offered_by == "softphone":
                local = False
            elif kind_of == "resume":
                remote = False
        now_held = local or remote
        if now_held and not was_held:
            since = at
        elif was_held and not now_held and since is not None:
            held.append((since, at))
            since = None
    if since is not None:
        held.append((since, ended))
    talking: list[tuple[float, float]] = []
    cursor = answered + disclosure_s
    for start, end in [*held, (ended, ended)]:
        if start > cursor:
            talking.append((cursor, min(start, ended)))
        cursor = max(cursor, end)
    return PeerTimeline(
        answered,
        ended,
        held,
        talking,
        local_holds,
        remote_holds,
        refusals,
        hold_offers,
        peer_resumes,
    )


# --- what the recording says ----------------------------------------------------------------


@dataclass(frozen=True)
class Stretch:
    """One open stretch of the gate that a resume opened, measured in the recording."""

    opened_at: float  # wall time of the opening
    resumed_at: float | None  # the last resume before it: the agent's (metadata) or the peer's
    media_start: float  # its start in the file, s
    frames: int  # its length in the file, frames
    wall_s: float  # its length in wall time
    silent_start: float  # frames at its start without the customer's talk tone (from the audio)
    held_frames: int  # frames in it with the held tone (from the audio)

    @property
    def reopen_ms(self) -> float | None:
        """Resume -> gate open: the round trip of the resume (plus the app's reaction)."""
        return None if self.resumed_at is None else (self.opened_at - self.resumed_at) * 1000

    @property
    def deficit_frames(self) -> float:
        """(wall-clock length - length in the file) in frames: what never reached the file."""
        return (self.wall_s - self.frames * FRAME_S) / FRAME_S


@dataclass
class HoldReport:
    """Every figure of one matrix call: audio first, then the peer's and the app's account."""

    recorded_frames: int = 0
    held_frames: int = 0
    held_positions_s: list[float] = field(default_factory=list)
    loudest_held_db: float = float("-inf")
    talk_frames: int = 0
    agent_frames: int = 0
    timeline: PeerTimeline | None = None
    local_holds: int = 0  # in the metadata
    remote_holds: int = 0  # in the metadata
    held_wall_s: float = 0.0  # local holds in the metadata, summed
    stretches: list[Stretch] = field(default_factory=list)
    first_deficit: float | None = None  # deficit_frames of the stretch the disclosure opened
    never_reopened: int = 0  # local resumes (before the end) never followed by an opening

    def silent_starts(self) -> list[float]:
        """Frames without the talk tone at the start of each stretch after a resume."""
        return [float(s.silent_start) for s in self.stretches]

    def deficits(self) -> list[float]:
        """(wall - media) frames of each stretch after a resume."""
        return [s.deficit_frames for s in self.stretches]

    def reopen_ms(self) -> list[float]:
        """Resume -> gate open of each stretch after a resume, where the resume is known."""
        return [ms for s in self.stretches if (ms := s.reopen_ms) is not None]


def analyse(
    recording: Path | str,
    metadata: dict[str, Any],
    entries: Sequence[SippLogEntry],
    disclosure_s: float,
) -> HoldReport:
    """Analyse one matrix call: its recording, its metadata and the peer's message log."""
    report = HoldReport()
    audio, rate = read_channels(recording)
    if rate != RATE or audio.ndim != 2 or audio.shape[1] != 2:
        raise ValueError(f"unexpected recording format: {rate} Hz, shape {audio.shape}")
    agent, customer = audio[:, 0], audio[:, 1]
    held = tone_frames(customer, HELD_HZ)
    report.recorded_frames = int(held.size)
    report.held_frames = int(np.count_nonzero(held))
    report.held_positions_s = [float(i * FRAME_S) for i in np.flatnonzero(held)]
    whole = customer[: held.size * FRAME].reshape(-1, FRAME)
    if whole.size:
        report.loudest_held_db = float(band_levels_db(whole, [HELD_HZ])[:, 0].max())
    report.talk_frames = int(np.count_nonzero(tone_frames(customer, TALK_HZ)))
    report.agent_frames = int(np.count_nonzero(tone_frames(agent, AGENT_HZ)))
    report.timeline = peer_timeline(entries, disclosure_s)
    _read_metadata(report, metadata, customer, report.timeline.peer_resumes)
    return report


def _read_metadata(
    report: HoldReport,
    metadata: dict[str, Any],
    customer: FloatArray,
    peer_resumes: Sequence[float],
) -> None:
    """Holds from the metadata, and each open stretch measured in the audio.

    A stretch's resume is the later of the agent's last resume (the end of a local hold in the
    metadata) and the peer's last resume offer (its log) before the stretch opened. SIPp stamps
    a message a little after it left, so a peer's offer stamped up to LOG_LAG_S after the
    opening still counts (the gap then comes out slightly negative).
    """
    holds: list[dict[str, Any]] = metadata.get("holds", [])
    gate: list[dict[str, Any]] = metadata.get("gate", [])
    ended_at = float(metadata.get("call", {}).get("ended_at") or 0.0)
    local = [h for h in holds if h.get("kind") == "local"]
    report.local_holds = len(local)
    report.remote_holds = sum(h.get("kind") == "remote" for h in holds)
    report.held_wall_s = sum(float(h["end"]) - float(h["start"]) for h in local if h.get("end"))
    opens = [float(g["wall_time"]) for g in gate if g["state"] == "open"]
    for hold in local:
        end = hold.get("end")
        if (
            end is not None
            and float(end) < ended_at - 1e-6
            and not any(t >= float(end) for t in opens)
        ):
            report.never_reopened += 1
    resumes = [float(h["end"]) for h in local if h.get("end") is not None]
    for entry, after in itertools.pairwise(gate):
        if entry["state"] != "open" or after["state"] != "closed":
            continue
        opened, closed = float(entry["wall_time"]), float(after["wall_time"])
        start = round(float(entry["media_time"]) / FRAME_S)
        stop = round(float(after["media_time"]) / FRAME_S)
        if entry["reason"] == "disclosure-completed":
            report.first_deficit = (closed - opened - (stop - start) * FRAME_S) / FRAME_S
            continue
        samples = customer[start * FRAME : stop * FRAME]
        report.stretches.append(
            Stretch(
                opened_at=opened,
                resumed_at=max(
                    [t for t in resumes if t <= opened]
                    + [t for t in peer_resumes if t <= opened + LOG_LAG_S],
                    default=None,
                ),
                media_start=start * FRAME_S,
                frames=stop - start,
                wall_s=closed - opened,
                silent_start=silent_start(samples),
                held_frames=int(np.count_nonzero(tone_frames(samples, HELD_HZ))),
            )
        )


_AUDIO_PORT = re.compile(r"^m=audio (\d+) ", re.MULTILINE)
_ULAW, _ALAW = 0, 8  # RTP payload types (RFC 3551)
_RTP_HEADER = 12


def talking_ports(entries: Sequence[SippLogEntry]) -> set[int]:
    """The softphone's RTP ports named in SDP it sent with a=sendrecv: resumes, and the start.

    The peer learns such a port only from that SDP, so whatever it sends there, it sent after
    it knew the softphone was talking again.
    """
    ports: set[int] = set()
    for entry in entries:
        if entry.direction != "received" or "m=audio" not in entry.body:
            continue
        found = _AUDIO_PORT.search(entry.body)
        if found and sdp_direction(entry.body) == "sendrecv":
            ports.add(int(found.group(1)))
    return ports


def held_packets_after_resume(
    datagrams: Sequence[Datagram], entries: Sequence[SippLogEntry]
) -> int:
    """Packets of held tone the peer sent to a port it can only have learnt from a resume.

    SIPp starts streaming to the address of an SDP as it reads it, and switches its file from
    the held tone to the talk tone a step later, in the action of that <recv>: a SIPp that is
    slow between the two (a loaded machine) sends a packet or two of held tone to the resume's
    new port. Those were sent after the peer knew of the resume, which the promise allows (it
    covers audio sent before the peer could have known); nothing else held may reach the file.
    """
    ports = talking_ports(entries)
    count = 0
    for datagram in datagrams:
        if datagram.port not in ports or len(datagram.payload) <= _RTP_HEADER:
            continue
        kind = datagram.payload[1] & 0x7F
        if kind not in (_ULAW, _ALAW):
            continue
        code = datagram.payload[_RTP_HEADER:]
        pcm = ulaw_to_linear(code) if kind == _ULAW else alaw_to_linear(code)
        upsampled = np.repeat(pcm, RATE // G711_RATE)  # the detector's rate; an image at 6.2 kHz
        count += int(np.count_nonzero(tone_frames(upsampled, HELD_HZ)))
    return count


def silent_start(samples: FloatArray) -> float:
    """How many frames at the start of a stretch lack the talk tone, to a sample's precision.

    The first frame with the tone as a peak of its own (tone_frames, on the stretch alone) is
    frame k; a window only partly on the tone can miss, so the tone began in frame k - 1 or k.
    Within those, the first sample above SILENCE marks the onset: a new stream starts from
    digital silence. So 0 for a stretch whose first frame is talk, about 1.3 for one frame of
    silence and 6 ms more, k if the onset is not silence (another sound came first).
    """
    talk = tone_frames(samples, TALK_HZ)
    if not talk.any():
        return float(talk.size)
    first_tone = int(np.argmax(talk))
    loud = np.flatnonzero(np.abs(samples) > SILENCE)
    onset = float(loud[0]) / FRAME if loud.size else float(first_tone)
    return min(max(onset, first_tone - 1.0), float(first_tone))


def median_max(values: Sequence[float]) -> tuple[float, float]:
    """(median, max) of the values; nan for none."""
    if not values:
        return float("nan"), float("nan")
    return float(statistics.median(values)), float(max(values))
