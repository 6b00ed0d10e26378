"""Every SIPp scenario in tests/sipp runs a real call and behaves as its header says."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import pytest

from tests.integration.ports import free_udp_port
from tests.integration.sipp import (
    SCENARIO_DIR,
    SippLogEntry,
    SippNotFoundError,
    SippPeer,
    write_ulaw_tone,
)

pytestmark = pytest.mark.integration

TONE_HZ = 1200.0
HELD_TONE_HZ = 1800.0  # SippPeer's default held_tone_hz

# pjsua2 runs only in child processes: one Endpoint per process, and an abort must not kill pytest.
# Media status values are pjsua_call_media_status: 1 ACTIVE, 2 LOCAL_HOLD, 3 REMOTE_HOLD.
_PJSUA_DRIVER = r"""
import json, sys, time
import pjsua2 as pj

mode, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
T0 = time.monotonic()

def emit(**fields):
    fields["t"] = round(time.monotonic() - T0, 3)
    print(json.dumps(fields), flush=True)

ep = pj.Endpoint()
ep.libCreate()
cfg = pj.EpConfig()
cfg.uaConfig.threadCnt = 0
cfg.uaConfig.mainThreadOnly = True
cfg.logConfig.level = 1
cfg.logConfig.consoleLevel = 1
ep.libInit(cfg)
tcfg = pj.TransportConfig()
tcfg.boundAddress = "127.0.0.1"
tcfg.port = int(target) if mode == "answer" else 0
ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
ep.libStart()
ep.audDevManager().setNullDev()

calls, to_answer = [], []

class Call(pj.Call):
    def onCallState(self, prm):
        ci = self.getInfo()
        emit(event="state", state=ci.stateText, code=ci.lastStatusCode)

    def onCallMediaState(self, prm):
        ci = self.getInfo()
        media = ci.media
        emit(event="media", status=[int(m.status) for m in media])

class Account(pj.Account):
    def onIncomingCall(self, prm):
        call = Call(self, prm.callId)
        calls.append(call)
        to_answer.append(call)

acfg = pj.AccountConfig()
if mode == "register":
    user, password = sys.argv[4], sys.argv[5]
    acfg.idUri = f"sip:{user}@{target}"
    acfg.regConfig.registrarUri = f"sip:{target}"
    acfg.regConfig.timeoutSec = 60
    acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", user, 0, password))
else:
    acfg.idUri = "sip:agent@127.0.0.1"
acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
acfg.mediaConfig.transportConfig.port = 0  # any free port, not the busy default 4000
account = Account()
account.create(acfg)
emit(event="ready")

def pump(until):
    while time.monotonic() - T0 < until:
        ep.libHandleEvents(10)
        while to_answer:
            prm = pj.CallOpParam(True)
            prm.statusCode = 200
            to_answer.pop().answer(prm)

if mode == "register":
    deadline = T0 + seconds
    while time.monotonic() < deadline:
        pump(time.monotonic() - T0 + 0.05)
        info = account.getInfo()
        if info.regStatus >= 200:
            break
    info = account.getInfo()
    emit(event="registered", code=info.regStatus, active=bool(info.regIsActive))
    if info.regIsActive:
        account.setRegistration(False)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and account.getInfo().regIsActive:
            pump(time.monotonic() - T0 + 0.05)
        emit(event="unregistered", active=bool(account.getInfo().regIsActive))
elif mode == "call":
    calls.append(Call(account))
    calls[0].makeCall(target, pj.CallOpParam(True))
    pump(seconds)
    if calls[0].isActive():
        calls[0].hangup(pj.CallOpParam(True))
else:
    pump(seconds)
ep.hangupAllCalls()
pump(time.monotonic() - T0 + 0.5)
to_answer.clear()
calls.clear()
del account
ep.libDestroy()
del ep
emit(event="done")
"""


def run_pjsua(*args: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Run the pjsua2 driver in a child process; return its JSON events (fails on a crash)."""
    done = subprocess.run(
        [sys.executable, "-c", _PJSUA_DRIVER, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, f"pjsua2 driver exit {done.returncode}:\n{done.stderr[-3000:]}"
    assert events and events[-1]["event"] == "done", f"driver did not finish: {events}"
    return events


def start_pjsua(*args: str) -> subprocess.Popen[str]:
    """Start the pjsua2 driver in a child process (for modes that wait for a call)."""
    return subprocess.Popen(
        [sys.executable, "-c", _PJSUA_DRIVER, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ulaw_to_linear(data: bytes) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Decode G.711 mu-law bytes to linear samples (ITU-T G.711)."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    magnitude = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    linear = np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84)
    return linear.astype(np.float64)


def dominant_hz(samples: np.ndarray[Any, np.dtype[np.float64]], rate: int = 8000) -> float:
    """The frequency of the strongest FFT bin (Hann window)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


@dataclass(frozen=True)
class RtpPacket:
    """One RTP packet as it arrived at the sink."""

    arrived: float
    payload_type: int
    seq: int
    payload: bytes


class RtpSink:
    """A UDP socket on a free loopback port that records every RTP packet sent to it."""

    def __init__(self) -> None:
        self.port = free_udp_port()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rtp-sink", daemon=True)
        self.packets: list[RtpPacket] = []

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            if len(data) >= 12 and data[0] >> 6 == 2:
                seq = int.from_bytes(data[2:4], "big")
                self.packets.append(RtpPacket(time.time(), data[1] & 0x7F, seq, data[12:]))

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


def first(
    entries: list[SippLogEntry], direction: str, cseq: int, status: int | None
) -> SippLogEntry:
    """The first logged message with this direction, CSeq number and status (None: request)."""
    for entry in entries:
        if entry.direction == direction and entry.cseq == cseq and entry.status == status:
            return entry
    raise AssertionError(f"no {direction} CSeq {cseq} status {status} in the SIPp log")


def test_all_scenarios_are_covered() -> None:
    scenarios = {path.stem for path in SCENARIO_DIR.glob("*.xml")}
    assert scenarios == {
        "registrar_digest",
        "uac_hold",
        "uac_remote_hold",
        "uas_491_hold",  # the hold matrix (test_hold_matrix.py)
        "uas_accept_hold",
        "uas_bye_on_hold",  # bad input around hold (test_hold_bad_input.py)
        "uas_c0_hold",
        "uas_codec_hold",
        "uas_early_media",  # test_early_media.py
        "uas_ignore_hold",
        "uas_inactive_hold",
        "uas_late_hold",
        "uas_mutual_hold",
        "uas_refuse_hold",
        "uas_refuse_resume",
        "uas_remote_hold",
        "uas_silent_resume",
        "uas_update_hold",
        "uas_secret_window",  # the privacy pause (test_privacy_pause.py)
        "uas_transferee",  # transfers (test_transfer.py)
        "uas_refer_decline",
        "uas_refer_no_notify",
        "uac_refer",
        "uac_replaces",
        "uas_rtp_stops",  # dead peers (test_dead_peers.py)
        "uac_session_timer",
        "uac_flood_invite",  # hostile SIP (test_hostile_sip.py)
        "uac_flood_options",
    }


def test_missing_sipp_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SippNotFoundError, match="sip-tester"):
        SippPeer("uas_ignore_hold", workdir=tmp_path)


def test_tone_file_is_the_tone(tmp_path: Path) -> None:
    data = write_ulaw_tone(tmp_path / "t.ulaw", TONE_HZ, seconds=1.0).read_bytes()
    assert len(data) == 8000
    assert dominant_hz(ulaw_to_linear(data)) == pytest.approx(TONE_HZ, abs=2)


@pytest.mark.parametrize(
    ("scenario", "hold_status", "min_hold_delay_s"),
    [
        ("uas_ignore_hold", 200, 0.0),
        ("uas_late_hold", 200, 1.4),
        ("uas_refuse_hold", 488, 0.0),
    ],
)
def test_uas_keeps_streaming_through_hold(
    scenario: str,
    hold_status: int,
    min_hold_delay_s: float,
    tmp_path: Path,
) -> None:
    uas_dir, uac_dir = tmp_path / "uas", tmp_path / "uac"
    with RtpSink() as sink, SippPeer(scenario, workdir=uas_dir, timeout_s=40) as uas:
        with SippPeer(
            "uac_hold",
            remote=f"127.0.0.1:{uas.port}",
            keys={"sink_port": str(sink.port)},
            workdir=uac_dir,
            timeout_s=30,
        ) as uac:
            assert uac.wait(35) == 0, uac.describe()
            log = uac.log_entries()
        assert uas.wait(10) == 0, uas.describe()
        time.sleep(0.1)
    packets = list(sink.packets)

    # The hold re-INVITE (CSeq 2) got the answer this peer models, as late as it models.
    hold_sent = first(log, "sent", 2, None)
    assert "a=sendonly" in hold_sent.body
    hold_answer = first(log, "received", 2, hold_status)
    delay = (hold_answer.time - hold_sent.time).total_seconds()
    assert delay >= min_hold_delay_s
    if hold_status == 200:
        assert "a=sendrecv" in hold_answer.body
    resume_answer = first(log, "received", 3, 200)
    assert "a=sendrecv" in resume_answer.body

    # RTP (PCMU) flowed from before the hold until after the resume, without a pause.
    assert packets, "no RTP arrived"
    assert {p.payload_type for p in packets} == {0}
    arrivals = [p.arrived for p in packets]
    assert arrivals[0] < hold_sent.time.timestamp()
    assert arrivals[-1] > resume_answer.time.timestamp()
    biggest_gap = max(b - a for a, b in itertools.pairwise(arrivals))
    assert biggest_gap < 0.25, f"RTP paused for {biggest_gap:.3f} s"

    # The peer's tone before the hold and after the resume; its distinct held tone in between.
    hold_at, resume_at = hold_sent.time.timestamp(), resume_answer.time.timestamp()

    def tone(start: float, end: float) -> float:
        chosen = sorted(
            (p for p in packets if start + 0.1 < p.arrived < end - 0.1), key=lambda p: p.seq
        )
        assert len(chosen) >= 10, f"too few packets between {start} and {end}"
        return dominant_hz(ulaw_to_linear(b"".join(p.payload for p in chosen)))

    assert tone(arrivals[0] - 0.1, hold_at) == pytest.approx(TONE_HZ, abs=10)
    assert tone(hold_at + 0.1, resume_at) == pytest.approx(HELD_TONE_HZ, abs=10)
    assert tone(resume_at + 0.1, arrivals[-1] + 0.1) == pytest.approx(TONE_HZ, abs=10)


def test_registrar_digest_accepts_pjsua2_and_unregisters(tmp_path: Path) -> None:
    keys = {"user": "alice", "password": "s3cret"}
    with SippPeer("registrar_digest", keys=keys, workdir=tmp_path, timeout_s=30) as registrar:
        events = run_pjsua("register", f"127.0.0.1:{registrar.port}", "10", "alice", "s3cret")
        assert registrar.wait(10) == 0, registrar.describe()
        log = registrar.log_entries()
    registered = next(e for e in events if e["event"] == "registered")
    assert registered["code"] == 200
    assert registered["active"] is True
    assert next(e for e in events if e["event"] == "unregistered")["active"] is False
    statuses = [e.status for e in log if e.direction == "sent"]
    assert statuses[:2] == [401, 200]
    assert statuses[-1] == 200
    assert any("Authorization: Digest" in e.text for e in log if e.direction == "received")


def test_registrar_digest_refuses_a_wrong_password(tmp_path: Path) -> None:
    keys = {"user": "alice", "password": "s3cret"}
    with SippPeer("registrar_digest", keys=keys, workdir=tmp_path, timeout_s=30) as registrar:
        events = run_pjsua("register", f"127.0.0.1:{registrar.port}", "10", "alice", "wrong")
        assert registrar.wait(10) == 1, registrar.describe()
    registered = next(e for e in events if e["event"] == "registered")
    assert registered["code"] == 403
    assert registered["active"] is False


def test_uas_remote_hold_holds_a_pjsua2_caller(tmp_path: Path) -> None:
    with SippPeer("uas_remote_hold", workdir=tmp_path, timeout_s=30) as uas:
        events = run_pjsua("call", uas.uri("customer"), "4.5")
        assert uas.wait(10) == 0, uas.describe()
    statuses = [e["status"][0] for e in events if e["event"] == "media" and e["status"]]
    assert statuses[:3] == [1, 3, 1], f"expected active, remote hold, active: {events}"


def test_uac_remote_hold_holds_a_pjsua2_callee(tmp_path: Path) -> None:
    agent_port = free_udp_port()
    agent = start_pjsua("answer", str(agent_port), "8")
    try:
        assert agent.stdout is not None
        # pjlib prints a banner on stdout before the log level applies: skip to the first event.
        line = agent.stdout.readline()
        while line and not line.startswith("{"):
            line = agent.stdout.readline()
        assert line and json.loads(line)["event"] == "ready", "the pjsua2 callee did not start"
        with SippPeer(
            "uac_remote_hold", remote=f"127.0.0.1:{agent_port}", service="agent", workdir=tmp_path
        ) as uac:
            assert uac.wait(20) == 0, uac.describe()
        out, err = agent.communicate(timeout=20)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.communicate()
    assert agent.returncode == 0, err[-3000:]
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    statuses = [e["status"][0] for e in events if e["event"] == "media" and e["status"]]
    assert statuses[:3] == [1, 3, 1], f"expected active, remote hold, active: {events}"
    assert events[-1]["event"] == "done"
