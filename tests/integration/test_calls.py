"""Real calls between the softphone and the pjsua2 customer peer, each in its own process.

Every call plays the test policy's 1.2 s disclosure first (the agent's microphone reaches the
customer only after it), so agent audio is expected from then on.
"""

from __future__ import annotations

from pathlib import Path

from softphone.media.analysis import read_mono, tone_duration_s
from tests.integration.policies import Compliance
from tests.integration.softphone_cli import Answering, StartPeer, run_softphone

AGENT_HZ, CUSTOMER_HZ = 1000.0, 440.0


def _heard(path: Path, hz: float, start: float = 0.0, end: float | None = None) -> float:
    samples, rate = read_mono(path)
    window = samples[int(start * rate) : None if end is None else int(end * rate)]
    return tone_duration_s(window, rate, hz)


def _call(peer_port: int, compliance: Compliance, *options: str) -> list[str]:
    return [
        "call", f"sip:customer@127.0.0.1:{peer_port}", "--bind", "127.0.0.1:0", "--json",
        *compliance.args, *options,
    ]  # fmt: skip


def _answer(compliance: Compliance, *options: str) -> list[str]:
    return ["--json", "--wait", "30", *compliance.args, *options]


def test_outbound_call_carries_audio_both_ways(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}", "--record", str(tmp_path / "peer.wav"))
    agent_wav = tmp_path / "agent.wav"
    done = run_softphone(
        _call(peer.port, compliance, "--mic", f"tone:{AGENT_HZ:g}", "--speaker", str(agent_wav),
              "--hangup-after", "3.7")
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert peer.finish() == 0
    report = done.report
    assert report["direction"] == "outbound"
    assert report["call_id"]
    assert 3.5 < report["ended_at"] - report["answered_at"] < 5.0
    assert _heard(tmp_path / "peer.wav", AGENT_HZ) >= 2.0
    assert _heard(tmp_path / "peer.wav", CUSTOMER_HZ) == 0.0
    assert _heard(agent_wav, CUSTOMER_HZ) >= 3.0
    assert _heard(agent_wav, AGENT_HZ) == 0.0


def test_inbound_call_rings_then_carries_audio(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    agent_wav = tmp_path / "agent.wav"
    options = ["--mic", f"tone:{AGENT_HZ:g}", "--speaker", str(agent_wav), "--answer-after",
               "0.5", "--hangup-after", "3.2"]  # fmt: skip
    with Answering(_answer(compliance, *options)) as agent:
        peer = start_peer(
            "--call", f"sip:agent@127.0.0.1:{agent.port}", "--play", f"tone:{CUSTOMER_HZ:g}",
            "--record", str(tmp_path / "peer.wav"),
        )  # fmt: skip
        done = agent.finish()
    assert done.returncode == 0, done.stderr
    assert peer.finish() == 0
    states = [e["code"] for e in peer.named("state")]
    assert 180 in states and 200 in states, states  # it rang before it was answered
    assert done.report["direction"] == "inbound"
    assert _heard(tmp_path / "peer.wav", AGENT_HZ) >= 1.5
    assert _heard(agent_wav, CUSTOMER_HZ) >= 2.5


def test_agent_hold_and_resume_reach_the_peer(
    start_peer: StartPeer, tmp_path: Path, compliance: Compliance
) -> None:
    peer = start_peer("--record", str(tmp_path / "peer.wav"))
    done = run_softphone(
        _call(peer.port, compliance, "--mic", f"tone:{AGENT_HZ:g}", "--speaker", "null",
              "--hold", "2.2:1.5", "--hangup-after", "5.7")
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    peer.finish()
    statuses = [e["status"] for e in peer.named("media")]
    assert statuses == [1, 3, 1], statuses  # active, held by the agent, active again
    report = done.report
    assert len(report["holds"]) == 1
    start, end = (t - report["answered_at"] for t in report["holds"][0])
    assert 2.1 < start < 2.7 and 1.4 < end - start < 2.0
    # The agent's microphone is cut while the customer is held.
    assert _heard(tmp_path / "peer.wav", AGENT_HZ, start + 0.2, end - 0.1) == 0.0
    assert _heard(tmp_path / "peer.wav", AGENT_HZ, end + 0.3) >= 1.2


def test_remote_hold_is_reported_as_a_separate_fact(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    with Answering(_answer(compliance, "--mic", "silence", "--speaker", "null")) as agent:
        start_peer(
            "--call", f"sip:agent@127.0.0.1:{agent.port}", "--hold", "0.5:1", "--hangup-after",
            "2.5",
        )  # fmt: skip
        done = agent.finish()
    assert done.returncode == 0, done.stderr
    report = done.report
    assert report["holds"] == []
    assert len(report["remote_holds"]) == 1
    start, end = report["remote_holds"][0]
    assert 0.7 < end - start < 1.5


def test_rejected_call_exits_nonzero_with_the_sip_status(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    peer = start_peer("--reject", "486")
    done = run_softphone(_call(peer.port, compliance, "--mic", "silence", "--speaker", "null"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "softphone: call refused: SIP 486 Busy Here"
    assert "Traceback" not in done.stderr
    assert done.report["answered_at"] is None
    assert done.report["status_code"] == 486


def test_dtmf_both_methods_reach_the_peer(start_peer: StartPeer, compliance: Compliance) -> None:
    peer = start_peer()
    done = run_softphone(
        _call(peer.port, compliance, "--mic", "silence", "--speaker", "null", "--dtmf",
              "0.3:12#", "--dtmf", "1.2:7:sip-info", "--hangup-after", "2")
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    peer.finish()
    digits = [(e["digit"], e["method"]) for e in peer.named("dtmf")]
    assert digits == [("1", "rfc4733"), ("2", "rfc4733"), ("#", "rfc4733"), ("7", "sip-info")]


def test_dtmf_from_the_customer_is_reported(start_peer: StartPeer, compliance: Compliance) -> None:
    with Answering(_answer(compliance, "--mic", "silence", "--speaker", "null")) as agent:
        start_peer(
            "--call", f"sip:agent@127.0.0.1:{agent.port}", "--dtmf", "0.3:4", "--dtmf",
            "0.8:9:sip-info", "--hangup-after", "1.6",
        )  # fmt: skip
        done = agent.finish()
    assert done.returncode == 0, done.stderr
    got = [(d["digit"], d["method"]) for d in done.report["dtmf_received"]]
    assert got == [("4", "rfc4733"), ("9", "sip-info")]
