"""A second call answered while the first is live closes the first call's gate first."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from softphone.media.analysis import read_channels, tone_duration_s, tone_timeline
from tests.integration.conftest import Compliance
from tests.integration.softphone_cli import REPO, StartPeer, child_env

A_HZ, A_HELD_HZ, B_HZ = 440.0, 1200.0, 600.0


def test_answering_a_second_call_holds_the_first_without_recording_it(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    port_file = tmp_path / "port"
    agent = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.drivers.second_call",
            str(compliance.policy),
            str(port_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=child_env(),
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not port_file.exists() or not port_file.read_text():
        assert time.monotonic() < deadline and agent.poll() is None, agent.stderr
        time.sleep(0.05)
    uri = f"sip:agent@127.0.0.1:{port_file.read_text()}"
    # A keeps sending (it refuses the hold) a distinct tone while it is held.
    start_peer(
        "--call",
        uri,
        "--play",
        f"tone:{A_HZ:g}",
        "--hold-tone",
        f"tone:{A_HELD_HZ:g}",
        "--on-hold",
        "refuse",
    )
    time.sleep(3.0)  # A is answered and past its 1.2 s disclosure
    start_peer("--call", uri, "--play", f"tone:{B_HZ:g}", "--hangup-after", "3.5")
    out, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    outcome = json.loads(out.strip().splitlines()[-1])
    recordings = [v for v in outcome if v["recording"]]
    assert len(recordings) == 2, outcome  # A and B were each recorded, separately
    by_tone = {}
    for item in recordings:
        audio, rate = read_channels(item["recording"])
        customer = audio[:, 1]
        if tone_duration_s(customer, rate, A_HZ) > 0.5:
            by_tone["A"] = (customer, rate, item)
        else:
            by_tone["B"] = (customer, rate, item)
    customer_a, rate, item_a = by_tone["A"]
    frames = tone_timeline(customer_a, rate, [A_HZ, A_HELD_HZ, B_HZ], window_s=0.02)
    assert [s for s in frames if s.hz == A_HELD_HZ] == []  # nothing of A while the agent was on B
    assert [s for s in frames if s.hz == B_HZ] == []  # and nothing of B in A's recording
    metadata = json.loads(Path(item_a["metadata"]).read_text(encoding="utf-8"))
    reasons = [(g["reason"], g["state"]) for g in metadata["gate"]]
    assert ("other-call-answered", "closed") in reasons
    assert reasons[-1] == ("call-ended", "closed")
    assert {"other-call", "local"} <= {h["kind"] for h in metadata["holds"]}
    customer_b, rate, _ = by_tone["B"]
    assert tone_duration_s(customer_b, rate, B_HZ) >= 1.5
