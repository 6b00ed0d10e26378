"""Encryption at rest on real calls: only ciphertext on disk, mid-call and after; QA hears it all.

The agent sends 1000 Hz and the pjsua2 customer peer 440 Hz; what QA decrypts is analysed by FFT
beside a plaintext recording of the same call, and a killed call recovers to a sealed recording.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from pyrage import x25519

from softphone.config.agekeys import fingerprint
from softphone.media.analysis import read_channels, tone_duration_s
from softphone.recordings import sealed
from softphone.recordings.audiofile import SealedAudioError, open_audio
from softphone.recordings.audit import AuditLog
from softphone.recordings.store import PARTIAL_SEALED_SUFFIX
from softphone.recordings.writer import file_sha256
from tests.integration.policies import Compliance, tone_policy
from tests.integration.softphone_cli import REPO, StartPeer, child_env, run_softphone, tone_call
from tests.unit.test_recording_sealed import assert_all_ciphertext

pytestmark = pytest.mark.integration

AGENT_HZ, CUSTOMER_HZ = 1000.0, 440.0
QA = x25519.Identity.generate()


def sealed_policy(folder: Path, *keys: str) -> Compliance:
    """The tone policy of the compliance tests, with `recording.encrypt_to = keys`."""
    compliance = tone_policy(folder)
    listed = ", ".join(f'"{k}"' for k in keys)
    with compliance.policy.open("a", encoding="utf-8") as policy:  # [recording] is its last table
        policy.write(f"encrypt_to = [{listed}]\n")
    return compliance


def assert_ciphertext_only(recordings: Path) -> list[Path]:
    """Every file is metadata, the audit trail or the library index (no audio in any), or a
    sealed container made of age ciphertext; returns the containers.
    """
    containers = []
    for path in sorted(p for p in recordings.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert b"RIFF" not in data and b"WAVE" not in data, path
        if path.name.endswith((".sealed", PARTIAL_SEALED_SUFFIX)):
            assert_all_ciphertext(path)
            containers.append(path)
        else:  # metadata (".json.tmp" while it is replaced), the audit trail, the index
            assert path.name.endswith((".json", ".json.tmp", ".jsonl", ".sqlite", ".lock")), path
    return containers


def qa_hears(path: Path, sha256: str) -> tuple[npt.NDArray[np.float64], int]:
    """What QA's key decrypts `path` to, as float channels."""
    opened = open_audio(path, [sha256], keys=lambda: [str(QA)])
    samples, rate = opened.samples()
    return samples.astype(np.float64) / 32768.0, rate


def test_a_sealed_call_leaves_only_ciphertext_and_decrypts_to_the_plain_recording(
    start_peer: StartPeer, tmp_path: Path
) -> None:
    plain = tone_policy(tmp_path / "plain")
    encrypted = sealed_policy(tmp_path / "sealed", str(QA.to_public()))
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    args = tone_call(peer.uri_for(), encrypted.args, "--hangup-after", "4.5", hz=AGENT_HZ)
    child = subprocess.Popen(
        [sys.executable, "-m", "softphone.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=child_env(),
    )
    deadline = time.monotonic() + 20
    while not list(encrypted.recordings.rglob(f"*{PARTIAL_SEALED_SUFFIX}")):
        assert time.monotonic() < deadline and child.poll() is None, "it never started recording"
        time.sleep(0.05)
    time.sleep(1.5)  # a second and a half of conversation: chunks are on disk now
    (partial,) = assert_ciphertext_only(encrypted.recordings)
    assert sealed.layout(partial.read_bytes()).frames > 0
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    (audio_path,) = assert_ciphertext_only(encrypted.recordings)
    assert report["recording"] == str(audio_path)
    metadata = json.loads(Path(report["metadata"]).read_text(encoding="utf-8"))
    assert metadata["audio"]["encryption"]["recipients"] == [fingerprint(str(QA.to_public()))]
    assert metadata["audio"]["sha256"] == file_sha256(audio_path)
    # The agent's side holds no key, so it cannot hear the call; verify works all the same.
    with pytest.raises(SealedAudioError, match="sealed: this recording is encrypted"):
        open_audio(audio_path, [metadata["audio"]["sha256"]], keys=list).samples()
    checked = run_softphone(["recordings", "verify", "--recordings", str(encrypted.recordings)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    heard, rate = qa_hears(audio_path, metadata["audio"]["sha256"])
    assert heard.shape[0] == metadata["audio"]["frames"]

    second = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")  # a peer takes one call
    done = run_softphone(tone_call(second.uri_for(), plain.args, "--hangup-after", "4.5"))
    assert done.returncode == 0, done.stderr
    reference, _ = read_channels(done.report["recording"])
    for channel, hz in ((0, AGENT_HZ), (1, CUSTOMER_HZ)):
        qa, ref = (
            tone_duration_s(heard[:, channel], rate, hz),
            tone_duration_s(reference[:, channel], rate, hz),
        )
        assert qa >= 2.5 and abs(qa - ref) <= 0.3, (channel, qa, ref)
    assert abs(heard.shape[0] - reference.shape[0]) / rate <= 0.3


def test_a_killed_sealed_call_recovers_still_sealed_missing_at_most_a_second(
    start_peer: StartPeer, tmp_path: Path
) -> None:
    compliance = sealed_policy(tmp_path, str(QA.to_public()))
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    args = tone_call(peer.uri_for(), compliance.args, "--hangup-after", "30", hz=AGENT_HZ)
    child = subprocess.Popen(
        [sys.executable, "-m", "softphone.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env=child_env(),
    )
    deadline = time.monotonic() + 20
    while not list(compliance.recordings.rglob(f"*{PARTIAL_SEALED_SUFFIX}")):
        assert time.monotonic() < deadline, "the call never started recording"
        time.sleep(0.05)
    time.sleep(3.0)  # three seconds of recorded conversation
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert_ciphertext_only(compliance.recordings)
    run_softphone(["answer", "--listen", "127.0.0.1:0", "--wait", "0.1", *compliance.args])
    (audio_path,) = assert_ciphertext_only(compliance.recordings)
    assert audio_path.suffix == ".sealed"
    metadata = json.loads(audio_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert metadata["status"] == "interrupted" and metadata["audio"]["encryption"]
    assert metadata["audio"]["sha256"] == file_sha256(audio_path)
    heard, rate = qa_hears(audio_path, metadata["audio"]["sha256"])
    assert heard.shape[0] == metadata["audio"]["frames"] and heard.shape[0] / rate >= 2.0
    assert tone_duration_s(heard[:, 1], rate, CUSTOMER_HZ) >= 1.9
    assert [e.event for e in AuditLog.of(compliance.recordings).entries()] == [
        "created",
        "recovered",
    ]
    checked = run_softphone(["recordings", "verify", "--recordings", str(compliance.recordings)])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_malformed_qa_key_records_nothing_and_says_why(
    start_peer: StartPeer, tmp_path: Path
) -> None:
    bad = str(QA.to_public())[:-4] + "xxxx"
    compliance = sealed_policy(tmp_path, bad)
    peer = start_peer("--play", f"tone:{CUSTOMER_HZ:g}")
    done = run_softphone(tone_call(peer.uri_for(), compliance.args, "--hangup-after", "2"))
    assert done.returncode != 0
    assert "recording.encrypt_to" in done.stderr and f'"{bad}"' in done.stderr, done.stderr
    assert compliance.recordings_made() == []
