"""Issue 14 item 4: a registered account takes calls from its registrar and trusted hosts only.

The agent registers (UDP, digest) at a SIPp registrar on 127.0.0.1; customers call it directly
from other loopback addresses (all of 127.0.0.0/8 is local on Linux). Needs the keyring: run
through scripts/test.sh.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.policies import Compliance
from tests.integration.securepolicy import add_account, delete_password, set_password
from tests.integration.sipp import SippPeer
from tests.integration.softphone_cli import Answering, StartPeer

pytestmark = pytest.mark.integration

PASSWORD = "Udp-Registr4r-Secret"


@pytest.fixture
def office() -> Iterator[str]:
    """The account whose password the test stores; removed from the keyring afterwards."""
    yield "office"
    delete_password("office")


def _reports(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_only_the_registrar_and_trusted_hosts_ring_a_registered_agent(
    tmp_path: Path, compliance: Compliance, start_peer: StartPeer, office: str
) -> None:
    keys = {"user": "agent", "password": PASSWORD}
    with SippPeer("registrar_digest", keys=keys, workdir=tmp_path / "reg", timeout_s=60) as reg:
        add_account(
            compliance.policy, registrar=f"sip:127.0.0.1:{reg.port}", transport="udp", srtp="off"
        )
        with compliance.policy.open("a", encoding="utf-8") as policy:  # inside [security]
            policy.write('trusted_hosts = ["127.0.0.3", "10.20.0.0/16"]\n')
        set_password(compliance.policy, office, PASSWORD)
        answering = ["--account", office, "--calls", "2", "--hangup-after", "2", "--wait", "30",
                     "--mic", "tone:1000", "--speaker", "null", "--json",
                     *compliance.args]  # fmt: skip
        with Answering(answering) as agent:
            uri = f"sip:agent@127.0.0.1:{agent.port}"
            stranger = start_peer("--listen", "127.0.0.2:0", "--call", uri)
            refused = stranger.wait_for("state", 15.0, state="disconnected")
            from_registrar_host = start_peer("--call", uri)
            from_registrar_host.wait_for("state", 15.0, state="confirmed")
            from_registrar_host.wait_for("state", 15.0, state="disconnected")
            trusted = start_peer("--listen", "127.0.0.3:0", "--call", uri)
            trusted.wait_for("state", 15.0, state="confirmed")
            done = agent.finish(timeout=30)
        assert reg.wait(15) == 0, reg.describe()  # registered, then unregistered at the end
    assert refused["code"] == 403, refused
    assert done.returncode == 0, done.stderr
    first, second = _reports(done.stdout)
    assert first["answered_at"] is not None and second["answered_at"] is not None
    assert first["strangers_refused"] == 1, first
    (entry,) = first["refused"]
    assert entry["status_code"] == 403 and entry["source"].startswith("127.0.0.2:"), entry
    assert "not the registrar, the outbound proxy or a trusted host" in entry["reason"]
    assert second["strangers_refused"] == 0
    assert "refused a call from" in done.stderr  # the log says who was refused, and why
