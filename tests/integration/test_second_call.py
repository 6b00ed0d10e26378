"""Leaving a live call for another (answering a second call, or a consult) closes its gate first.

Customer A keeps sending while held (it refuses the hold) and switches to a distinct tone then;
nothing of that, and nothing of the other call, may reach A's recording.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from softphone.media.analysis import read_channels, tone_timeline
from tests.integration.policies import Compliance
from tests.integration.softphone_cli import (
    StartPeer,
    background_driver,
    driver_output,
    driver_uri,
)

A_HZ, A_HELD_HZ, B_HZ = 440.0, 1200.0, 600.0
A_PEER = ("--play", f"tone:{A_HZ:g}", "--hold-tone", f"tone:{A_HELD_HZ:g}", "--on-hold", "refuse")


def _outcomes(agent: subprocess.Popen[str]) -> list[dict[str, Any]]:
    outcomes = driver_output(agent)
    assert isinstance(outcomes, list)
    return outcomes


def _customer(item: dict[str, Any]) -> npt.NDArray[np.float64]:
    audio, rate = read_channels(item["recording"])
    assert rate == 16000
    return audio[:, 1]


def _mostly(samples: npt.NDArray[np.float64], hz: float) -> bool:
    """Whether `hz` is the dominant tone of more than half of the 20 ms frames."""
    frames = tone_timeline(samples, 16000, [A_HZ, A_HELD_HZ, B_HZ], window_s=0.02)
    return sum(s.duration_s for s in frames if s.hz == hz) > len(samples) / 16000 / 2


def _call_a(outcomes: list[dict[str, Any]]) -> tuple[npt.NDArray[np.float64], dict[str, Any]]:
    """Call A's customer channel and metadata: the recording whose customer sent A's tone."""
    for item in outcomes:
        if item["recording"] and _mostly(_customer(item), A_HZ):
            metadata = json.loads(Path(item["metadata"]).read_text(encoding="utf-8"))
            return _customer(item), metadata
    raise AssertionError(f"no recording of call A in {outcomes}")


def _strangers(customer_a: npt.NDArray[np.float64]) -> list[float]:
    """Frames (20 ms) of A's recording that hold A's on-hold tone or the other call's tone."""
    frames = tone_timeline(customer_a, 16000, [A_HZ, A_HELD_HZ, B_HZ], window_s=0.02)
    return [s.start_s for s in frames if s.hz in (A_HELD_HZ, B_HZ)]


def test_answering_a_second_call_holds_the_first_without_recording_it(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    port = tmp_path / "port"
    with background_driver("second_call", str(compliance.policy), str(port), "answer") as agent:
        uri = driver_uri(agent, port)
        start_peer("--call", uri, *A_PEER)
        time.sleep(3.0)  # A is answered and past its 1.2 s disclosure
        start_peer("--call", uri, "--play", f"tone:{B_HZ:g}", "--hangup-after", "3.5")
        outcomes = _outcomes(agent)
    assert len([o for o in outcomes if o["recording"]]) == 2, outcomes  # each one on its own
    customer_a, metadata = _call_a(outcomes)
    assert _strangers(customer_a) == []
    reasons = [(g["reason"], g["state"]) for g in metadata["gate"]]
    assert ("other-call-answered", "closed") in reasons
    assert reasons[-1] == ("call-ended", "closed")
    assert {"other-call", "local"} <= {h["kind"] for h in metadata["holds"]}
    call_b = next(o for o in outcomes if o["recording"] and o["metadata"] != metadata)
    assert _mostly(_customer(call_b), B_HZ)


def test_consulting_before_a_transfer_closes_the_first_calls_gate(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    colleague = start_peer("--play", f"tone:{B_HZ:g}", "--hangup-after", "3")
    port = tmp_path / "port"
    args = (str(compliance.policy), str(port), "consult", colleague.uri_for("colleague"))
    with background_driver("second_call", *args) as agent:
        start_peer("--call", driver_uri(agent, port), *A_PEER)
        customer_a, metadata = _call_a(_outcomes(agent))
    assert _strangers(customer_a) == []
    reasons = [(g["reason"], g["state"]) for g in metadata["gate"]]
    assert ("consult-started", "closed") in reasons
    assert "consult" in {h["kind"] for h in metadata["holds"]}
