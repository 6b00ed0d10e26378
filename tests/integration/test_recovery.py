"""No loss: a softphone killed mid-call, and a file size limit reached mid-call."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from softphone.media.analysis import read_channels, tone_duration_s
from softphone.recordings.audit import AuditLog
from softphone.recordings.store import PARTIAL_SUFFIX
from softphone.recordings.writer import file_sha256
from tests.integration.policies import Compliance
from tests.integration.softphone_cli import REPO, StartPeer, child_env, run_softphone

CUSTOMER_HZ = 440.0


def _call_args(peer_uri: str, compliance: Compliance, hangup_after: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "softphone.cli",
        "call",
        peer_uri,
        "--bind",
        "127.0.0.1:0",
        "--mic",
        "tone:1000",
        "--speaker",
        "null",
        "--hangup-after",
        hangup_after,
        "--json",
        *compliance.args,
    ]


def test_a_killed_call_is_recovered_playable_and_marked_interrupted(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    child = subprocess.Popen(
        _call_args(peer.uri_for(), compliance, "30"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env=child_env(),
    )
    deadline = time.monotonic() + 20
    partials: list[Path] = []
    while not partials and time.monotonic() < deadline:
        time.sleep(0.1)
        partials = list(compliance.recordings.rglob(f"*{PARTIAL_SUFFIX}"))
    assert partials, "the call never started recording"
    time.sleep(3.0)  # three seconds of recorded conversation
    child.send_signal(signal.SIGKILL)
    child.wait()
    killed_at = time.time()
    # The next start (any call, even one that finds nobody) recovers what was left behind.
    run_softphone(["answer", "--listen", "127.0.0.1:0", "--wait", "0.1", *compliance.args])
    wavs = list(compliance.recordings.rglob("*.wav"))
    assert len(wavs) == 1 and not list(compliance.recordings.rglob(f"*{PARTIAL_SUFFIX}"))
    audio, rate = read_channels(wavs[0])
    metadata = json.loads(wavs[0].with_suffix(".json").read_text(encoding="utf-8"))
    assert metadata["status"] == "interrupted"
    assert metadata["interruption"]["last_write_at"] <= killed_at
    assert metadata["audio"]["sha256"] == file_sha256(wavs[0])
    assert metadata["disclosure"]["completed"] is True  # evidence written before the kill
    # At most the last second is lost: 3 s were recorded before the kill.
    assert audio.shape[0] / rate >= 2.0
    assert tone_duration_s(audio[:, 1], rate, CUSTOMER_HZ) >= 1.9
    # The audit trail saw it begin and be recovered, and holds it to the recovered files.
    events = [e.event for e in AuditLog.of(compliance.recordings).entries()]
    assert events == ["created", "recovered"]
    checked = run_softphone(["recordings", "verify", "--recordings", str(compliance.recordings)])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _limit_file_size() -> None:
    # Runs in the child before exec: files may not grow past 150 kB (about 2.3 s of stereo
    # audio); the write then fails instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))


def test_a_file_size_limit_mid_call_stops_recording_not_the_call(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    proc = subprocess.run(
        _call_args(peer.uri_for(), compliance, "6"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=child_env(),
        preexec_fn=_limit_file_size,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    # The call went on to its planned end, recorded only in part: the exit code says so, and
    # standard error says why, once.
    assert proc.returncode == 4, proc.stderr
    told = [line for line in proc.stderr.splitlines() if "file size limit" in line]
    assert len(told) == 1, proc.stderr
    assert told[0].startswith("softphone: not recorded: recording stopped: the recording stopped")
    assert "System error" not in proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 5.5 < report["ended_at"] - report["answered_at"] < 7.5
    assert any("file size limit" in p for p in report["recording_problems"])
    meta_path = Path(report["metadata"])
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    assert metadata["status"] == "failed"
    assert any(g["reason"] == "writer-failed" and g["state"] == "closed" for g in metadata["gate"])
    stopped = metadata["stopped"]
    assert stopped["reason"] == "file-size-limit" and stopped["audio_kept"] is True
    assert 1.5 < stopped["media_time"] < 3.0  # 150 kB is about 2.3 s of stereo audio
    assert sum("file size limit" in e for e in metadata["errors"]) == 1
    # The WAV needs the limit's size again: the audio stays a partial file, let go of, and no
    # half copy is left beside it.
    assert not list(compliance.recordings.rglob("*.tmp"))
    assert len(list(compliance.recordings.rglob(f"*{PARTIAL_SUFFIX}"))) == 1
    # The next reader makes it playable, and keeps saying why it is short.
    checked = run_softphone(["recordings", "verify", "--recordings", str(compliance.recordings)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    wav = meta_path.with_suffix(".wav")
    audio, rate = read_channels(wav)
    assert tone_duration_s(audio[:, 1], rate, CUSTOMER_HZ) >= 1.5
    recovered = json.loads(meta_path.read_text(encoding="utf-8"))
    assert recovered["status"] == "failed" and recovered["stopped"] == stopped
    assert "stopped mid-call (file-size-limit)" in recovered["interruption"]["reason"]
    assert recovered["audio"]["sha256"] == file_sha256(wav)
    events = [e.event for e in AuditLog.of(compliance.recordings).entries()]
    assert events == ["created", "finalised", "recovered"]
