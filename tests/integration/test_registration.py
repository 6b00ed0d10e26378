"""`softphone register` against a registrar that challenges with 401 digest authentication."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.sipp import SippPeer
from tests.integration.softphone_cli import REPO, child_env


def _register(port: int, password: str) -> subprocess.CompletedProcess[str]:
    command = ["register", f"sip:127.0.0.1:{port}", "--user", "alice", "--password-stdin"]
    return subprocess.run(
        [sys.executable, "-m", "softphone.cli", *command, "--bind", "127.0.0.1:0", "--json"],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=child_env(),
        check=False,
    )


def test_registers_with_digest_and_unregisters(tmp_path: Path) -> None:
    keys = {"user": "alice", "password": "s3cret"}
    with SippPeer("registrar_digest", keys=keys, workdir=tmp_path, timeout_s=30) as registrar:
        done = _register(registrar.port, "s3cret")
        assert registrar.wait(15) == 0, registrar.describe()
        log = registrar.log_entries()
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["registered"] is True and report["status_code"] == 200
    assert report["unregistered"] is True
    sent = [e.status for e in log if e.direction == "sent"]
    assert sent[:2] == [401, 200], sent  # challenged first, then accepted
    authorizations = [e.header("Authorization") for e in log if e.direction == "received"]
    assert any(a and a.startswith("Digest") and 'username="alice"' in a for a in authorizations)
    assert "s3cret" not in done.stdout + done.stderr


def test_a_wrong_password_fails_with_the_status(tmp_path: Path) -> None:
    keys = {"user": "alice", "password": "s3cret"}
    with SippPeer("registrar_digest", keys=keys, workdir=tmp_path, timeout_s=30) as registrar:
        done = _register(registrar.port, "wrong")
        registrar.wait(15)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"softphone: registration at sip:127.0.0.1:{registrar.port} failed: SIP 403 Forbidden"
    )
