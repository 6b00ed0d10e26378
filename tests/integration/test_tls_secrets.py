"""With trace logging on, a registration and a call over TLS leave the password in no file.

The password lives in the real Secret Service (scripts/test.sh runs gnome-keyring on a private
D-Bus). pjsip's trace logs every SIP message, Authorization headers included: those carry a
digest response (a hash), never the password. Every file the app wrote is searched: its logs
(stderr and stdout captured into files), the recordings and their metadata, the preferences,
the policy, and everything else under HOME and the XDG folders.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.policies import Compliance
from tests.integration.securepolicy import add_account, delete_password, set_password
from tests.integration.softphone_cli import REPO, StartPeer, child_env, run_softphone
from tests.integration.tlsca import Pki, make_pki
from tests.integration.tlsserver import TlsRegistrar, server_context

pytestmark = pytest.mark.integration

TRACE = ["-v", "-v"]
SIP_TRACE = ["--sip-log-level", "6"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _traced(args: list[str], logs: Path, name: str) -> int:
    """Run `softphone ARGS` with its stdout and stderr written into files under `logs`."""
    with (logs / f"{name}.out").open("wb") as out, (logs / f"{name}.log").open("wb") as err:
        return subprocess.run(
            [sys.executable, "-m", "softphone.cli", *args],
            stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=90, cwd=REPO,
            env=child_env(), check=False,
        ).returncode  # fmt: skip


def _files_holding(secret: str, roots: list[Path]) -> list[Path]:
    """Every regular file under `roots` whose bytes hold `secret` (UTF-8 or UTF-16)."""
    needles = [secret.encode(), secret.encode("utf-16-le")]
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")]:
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(n in data for n in needles):
                    found.append(path)
    return found


def _searched(tmp_path: Path) -> list[Path]:
    names = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
    dirs = [Path.home(), tmp_path, *(Path(os.environ[n]) for n in names if n in os.environ)]
    return sorted({d for d in dirs if d.exists()})


def test_traced_registration_and_call_write_the_password_nowhere(
    compliance: Compliance, pki: Pki, start_peer: StartPeer, tmp_path: Path
) -> None:
    password = f"Pw-{secrets.token_hex(12)}"
    logs = tmp_path / "logs"
    logs.mkdir()
    context = server_context(pki.server)
    try:
        with TlsRegistrar(context, user="agent", password=password) as registrar:
            add_account(compliance.policy, registrar=registrar.uri(), ca_file=pki.ca)
            set_password(compliance.policy, "office", password)
            chosen = run_softphone(
                ["config", "set", "calls.default_account", "office", *compliance.args]
            )
            assert chosen.returncode == 0, chosen.stderr
            registered = _traced(
                [*TRACE, "register", "--account", "office", "--bind", "127.0.0.1:0",
                 *SIP_TRACE, *compliance.args],
                logs, "register",
            )  # fmt: skip
            peer = start_peer("--transport", "tls", "--cert", str(pki.server.cert), "--key",
                              str(pki.server.key), "--srtp", "mandatory")  # fmt: skip
            called = _traced(
                [*TRACE, "call", f"sip:customer@127.0.0.1:{peer.port}", "--bind",
                 "127.0.0.1:0", "--mic", "tone:1000", "--speaker", str(tmp_path / "agent.wav"),
                 "--hangup-after", "2.5", "--json", *SIP_TRACE, *compliance.args],
                logs, "call",
            )  # fmt: skip
            assert peer.finish() == 0
            received = registrar.received_text()
    finally:
        delete_password("office")
        # HOME is shared by the whole run: leave the preference as it was.
        unset = run_softphone(["config", "unset", "calls.default_account"])
        assert unset.returncode == 0, unset.stderr
    register_log = (logs / "register.log").read_text(errors="replace")
    call_log = (logs / "call.log").read_text(errors="replace")
    assert registered == 0, register_log[-3000:]
    assert called == 0, call_log[-3000:]
    # The trace really was on: both runs logged the authenticated REGISTER in full, and the call
    # registered first (the preference chose the account), then sent its INVITE over TLS.
    for log in (register_log, call_log):
        assert "Authorization: Digest" in log and 'username="agent"' in log
    assert "INVITE sip:customer@127.0.0.1" in call_log and "RTP/SAVP" in call_log
    assert "Authorization: Digest" in received
    assert compliance.recordings_made(), "the call made no recording"
    assert (Path(os.environ["XDG_CONFIG_HOME"]) / "softphone" / "preferences.toml").is_file()
    assert password not in received
    # The search reads those logs: it finds what they do hold.
    assert logs / "register.log" in _files_holding('username="agent"', [logs])
    assert _files_holding(password, _searched(tmp_path)) == []
