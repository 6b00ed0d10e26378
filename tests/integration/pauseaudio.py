"""The privacy pause against a SIPp customer who says a secret at known times, and its analysis.

The peer (tests/sipp/uas_secret_window.xml) streams TALK_HZ, then SECRET_HZ from SECRET_FROM_S to
SECRET_UNTIL_S after the ACK, then TALK_HZ again; the agent sends AGENT_HZ and pauses the
recording around the secret. What the recording holds is measured with the hold matrix's
detector (`holdaudio.tone_frames`), frame by frame, and set against the peer's own log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from softphone.media.analysis import read_channels, read_mono
from tests.integration.holdaudio import AGENT_HZ, FRAME, FRAME_S, RATE, TALK_HZ, tone_frames
from tests.integration.sipp import SippLogEntry, SippPeer, write_ulaw_tone
from tests.integration.softphone_cli import tone_call

SCENARIO = "uas_secret_window"
SECRET_HZ = 2000.0  # what the peer says during its secret window (neither talk nor agent tone)
SECRET_FILE = "secret.ulaw"
SECRET_FROM_S = 2.5  # the window, in seconds after the ACK, as in the scenario file
SECRET_UNTIL_S = 4.0


def secret_peer(workdir: Path, timeout_s: float = 30.0) -> SippPeer:
    """The SIPp customer with its secret tone written into its working directory."""
    workdir.mkdir(parents=True, exist_ok=True)
    write_ulaw_tone(workdir / SECRET_FILE, SECRET_HZ)
    return SippPeer(SCENARIO, workdir=workdir, timeout_s=timeout_s)


def pause_call(
    uri: str, policy_args: Sequence[str], pause: str, hangup_after: float, *options: str
) -> list[str]:
    """`softphone call` arguments: the agent sends AGENT_HZ and pauses with `--pause PAUSE`."""
    return tone_call(
        uri,
        policy_args,
        "--pause",
        pause,
        "--hangup-after",
        f"{hangup_after:g}",
        *options,
        hz=AGENT_HZ,
    )


@dataclass(frozen=True)
class PauseReport:
    """One call against the secret peer: times in seconds after the peer's ACK, counts in frames.

    `paused_at` and `resumed_at` are the gate's closing and reopening for the pause (the
    metadata's wall times); `before` and `after` are the open stretches of the recording on
    either side of the pause.
    """

    paused_at: float
    resumed_at: float
    recorded_frames: int
    secret_frames: int
    secret_positions_s: list[float]
    before: int  # frames recorded between the disclosure and the pause
    after: int  # frames recorded between the resume and the end
    talk_before: int
    talk_after: int
    agent_frames: int
    secret_before_pause: int  # secret frames in the last 10 frames before the pause
    secret_after_resume: int  # secret frames in the first 10 frames after the resume
    invites: int  # INVITE requests the peer received (1: no re-INVITE)
    updates: int  # UPDATE requests the peer received

    def describe(self) -> str:
        """The figures in one line, for an assertion's message."""
        return (
            f"paused {self.paused_at:.3f} s and resumed {self.resumed_at:.3f} s after the ACK "
            f"(secret {SECRET_FROM_S:g}-{SECRET_UNTIL_S:g} s); recorded {self.recorded_frames} "
            f"frames: {self.before} before the pause ({self.talk_before} talk), {self.after} "
            f"after ({self.talk_after} talk); secret {self.secret_frames} at "
            f"{self.secret_positions_s[:10]} s; agent {self.agent_frames}; INVITEs "
            f"{self.invites}, UPDATEs {self.updates}"
        )


def analyse_pause(
    recording: Path | str, metadata: dict[str, Any], entries: Sequence[SippLogEntry]
) -> PauseReport:
    """Measure one call: its recording's audio, its gate transitions and the peer's log."""
    audio, rate = read_channels(recording)
    if rate != RATE or audio.ndim != 2 or audio.shape[1] != 2:
        raise ValueError(f"unexpected recording format: {rate} Hz, shape {audio.shape}")
    customer = audio[:, 1]
    ack = next(
        (e.time.timestamp() for e in entries if e.direction == "received" and e.method == "ACK"),
        None,
    )
    if ack is None:
        raise ValueError("the SIPp log has no ACK: the call was never set up")
    gate: list[dict[str, Any]] = metadata["gate"]
    # Without a closing for the pause (a broken pause) the whole file counts as "before" it.
    missing = {"wall_time": float("nan"), "media_time": audio.shape[0] / RATE}
    closed = next((g for g in gate if g["reason"] == "privacy-paused"), missing)
    opened = next((g for g in gate if g["reason"] == "privacy-resumed"), missing)
    pause_frame = round(float(closed["media_time"]) / FRAME_S)
    # Each side of the pause on its own tells which side a secret frame is on (a window across
    # the join sees both); the whole file as well, so that nothing at the join is missed.
    sides = customer[: pause_frame * FRAME], customer[pause_frame * FRAME :]
    secret = [tone_frames(side, SECRET_HZ) for side in sides]
    talk = [tone_frames(side, TALK_HZ) for side in sides]
    whole = tone_frames(customer, SECRET_HZ)
    flags = whole | np.concatenate(secret)[: whole.size]
    requests = [e for e in entries if e.direction == "received" and e.is_request]
    return PauseReport(
        paused_at=float(closed["wall_time"]) - ack,
        resumed_at=float(opened["wall_time"]) - ack,
        recorded_frames=int(flags.size),
        secret_frames=int(np.count_nonzero(flags)),
        secret_positions_s=[float(i * FRAME_S) for i in np.flatnonzero(flags)],
        before=int(secret[0].size),
        after=int(secret[1].size),
        talk_before=int(np.count_nonzero(talk[0])),
        talk_after=int(np.count_nonzero(talk[1])),
        agent_frames=int(np.count_nonzero(tone_frames(audio[:, 0], AGENT_HZ))),
        secret_before_pause=int(np.count_nonzero(secret[0][-10:])),
        secret_after_resume=int(np.count_nonzero(secret[1][:10])),
        invites=sum(e.method == "INVITE" for e in requests),
        updates=sum(e.method == "UPDATE" for e in requests),
    )


def heard_s(path: Path, hz: float) -> float:
    """Seconds of the tone `hz` in a WAV, in 20 ms frames (what the agent's speaker got, say)."""
    mono, rate = read_mono(path)
    if rate != RATE:
        raise ValueError(f"unexpected rate {rate} Hz in {path}")
    return float(np.count_nonzero(tone_frames(mono, hz))) * FRAME / RATE
