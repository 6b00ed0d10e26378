"""The desk's reject and mute against a real peer: what the other side sees and hears.

A refused call is never answered: the caller gets the desk's status and nothing is recorded.
A muted agent reaches nobody: the customer hears no agent tone while muted, and hears it again
once unmuted. (The desk's other commands meet real peers in test_second_call.py, test_transfer.py
and the scripted calls.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from softphone.media.analysis import read_mono, tone_timeline
from tests.integration.policies import DISCLOSURE_HZ, Compliance
from tests.integration.softphone_cli import (
    StartPeer,
    background_driver,
    driver_output,
    driver_uri,
    run_driver,
)

pytestmark = pytest.mark.integration

AGENT_HZ = 1000.0  # the driver's microphone
MUTE_S = 1.5  # the driver's mute


def test_a_call_the_agent_rejects_is_refused_with_that_status_and_never_recorded(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    port = tmp_path / "port"
    with background_driver("desk_commands", str(compliance.policy), "reject", str(port), "603"
                           ) as agent:  # fmt: skip
        caller = start_peer("--call", driver_uri(agent, port))
        result = driver_output(agent, timeout=20)
    assert caller.finish() == 0
    states = caller.named("state")
    assert states and states[-1]["code"] == 603, states  # what the caller was answered
    assert not any(s["code"] == 200 for s in states), states
    assert (result["status_code"], result["answered"], result["recording"]) == (603, False, None)
    assert compliance.recordings_made() == []


def test_a_muted_agent_is_not_heard_until_unmuted(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    heard = tmp_path / "heard.wav"
    customer = start_peer("--record", str(heard))
    done = run_driver("desk_commands", str(compliance.policy), "mute", customer.uri_for(),
                      timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert customer.finish() == 0
    muted_s = json.loads(done.stdout.strip().splitlines()[-1])["muted_s"]
    samples, rate = read_mono(heard)
    timeline = tone_timeline(samples, rate, [DISCLOSURE_HZ, AGENT_HZ], window_s=0.05)
    disclosed = max(s.end_s for s in timeline if s.hz == DISCLOSURE_HZ)
    talk = [s.start_s for s in timeline if s.hz == AGENT_HZ and s.start_s >= disclosed]
    assert talk, timeline
    # From the agent's first sound after the disclosure to the last: one silent gap, the mute.
    spoken = [s for s in timeline if talk[0] <= s.start_s <= talk[-1]]
    gaps = [s for s in spoken if s.hz != AGENT_HZ]
    assert len(gaps) == 1 and gaps[0].hz is None, timeline
    assert gaps[0].duration_s == pytest.approx(muted_s, abs=0.2), (gaps, muted_s)
    before = gaps[0].start_s - talk[0]
    again = max(s.end_s for s in spoken) - gaps[0].end_s
    assert before >= 0.7 and again >= 0.7, timeline  # heard before the mute and after it
