"""A registrar outage, against Kamailio: it restarts, goes away for a while, or answers 503.

What is proven, for a long-running `softphone answer` registered over TCP with a 5 s retry
interval (policy `register_retry_s`): the agent is told on stderr when the registration is lost
and again when it is back; the registrar holds the agent's binding again within the retry interval
+ 10 s of its return; and a call in progress with a peer called directly is not dropped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.kamailio import Kamailio
from tests.integration.policies import Compliance
from tests.integration.securepolicy import add_account, delete_password, set_password
from tests.integration.softphone_cli import StartPeer, child_env

pytestmark = pytest.mark.integration

PASSWORD = "Kamailio-Outage-Secret"
RETRY_S = 5
OUTAGE_S = 15.0
AOR = "agent@127.0.0.1"
LOST = "account office is not registered"
BACK = "account office is registered again"


@pytest.fixture
def registrar(tmp_path: Path) -> Iterator[Kamailio]:
    with Kamailio(tmp_path / "kamailio", user="agent", password=PASSWORD) as kamailio:
        yield kamailio


class Agent:
    """`softphone answer --calls 0 --account office`, its stderr in a file read as it grows."""

    def __init__(self, compliance: Compliance, folder: Path) -> None:
        self.stderr = folder / "answer.stderr"
        with self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "softphone.cli", "answer", "--listen", "127.0.0.1:0",
                 "--account", "office", "--calls", "0", "--mic", "silence", "--speaker", "null",
                 "--json", *compliance.args],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True,
                env=child_env(),
            )  # fmt: skip
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        assert first.startswith("listening on "), (first, self.said())
        self.port = int(first.strip().rsplit(":", 1)[1])

    def said(self) -> str:
        """Everything the answerer said on stderr so far."""
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> list[dict[str, object]]:
        """SIGTERM, then the call reports it printed."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=10)
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def agent(compliance: Compliance, registrar: Kamailio, tmp_path: Path) -> Iterator[Agent]:
    add_account(
        compliance.policy,
        registrar=registrar.uri("tcp"),
        transport="tcp",
        srtp="off",
        register_retry_s=str(RETRY_S),
    )
    set_password(compliance.policy, "office", PASSWORD)
    answerer = Agent(compliance, tmp_path)
    try:
        yield answerer
    finally:
        answerer.stop()
        delete_password("office")


def _until(
    condition: Callable[[], bool], timeout: float, what: str, explain: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout:g} s\n{explain()}")


def _outage(registrar: Kamailio, scenario: str) -> None:
    """Take the registrar down the scenario's way and bring it back."""
    if scenario == "restart":
        registrar.restart()
    elif scenario == "away":
        registrar.stop()
        time.sleep(OUTAGE_S)
        registrar.start()
    else:  # 503: it comes back refusing every REGISTER for a while, then serves again
        registrar.restart(busy=True)
        time.sleep(OUTAGE_S)
        registrar.set_busy(False)


@pytest.mark.parametrize("scenario", ["restart", "away", "503"])
def test_registration_recovers_and_the_call_in_progress_stays(
    scenario: str, registrar: Kamailio, agent: Agent, start_peer: StartPeer
) -> None:
    def explain() -> str:
        return f"answerer said:\n{agent.said()}\nkamailio:\n{registrar.log_tail()}"

    _until(lambda: bool(registrar.contacts(AOR)), 15, "the first registration", explain)
    hangup_after = OUTAGE_S + RETRY_S + 15.0
    peer = start_peer(
        "--call", f"sip:agent@127.0.0.1:{agent.port};transport=tcp", "--transport", "tcp",
        "--hangup-after", str(hangup_after), "--max-seconds", str(hangup_after + 20),
        "--play", "tone:440",  # a customer who talks: a silent one is ended by the RTP timeout
    )  # fmt: skip
    peer.wait_for("state", 15, state="confirmed")

    _outage(registrar, scenario)
    if scenario == "restart":  # the registrar forgot the binding: a real outage, if a short one
        assert not registrar.contacts(AOR)
    # Away for OUTAGE_S, the phone's next retry can land in the moment the registrar is back, so
    # the proof that it was a real outage there is that the phone noticed it:
    if scenario != "restart":  # a restart can be over before the phone even notices
        _until(lambda: LOST in agent.said(), RETRY_S + 10, "the agent being told", explain)
    _until(lambda: bool(registrar.contacts(AOR)), RETRY_S + 10, "registered again", explain)
    if LOST in agent.said():
        _until(lambda: BACK in agent.said(), 5, "the agent being told it is back", explain)

    assert peer.finish(timeout=hangup_after + 20) == 0, peer.log()
    reports = agent.stop()
    ended = f"peer: {json.dumps(peer.events)}\nreports: {reports}\n{explain()}"
    assert [e["name"] for e in peer.named("action")] == ["hangup"], ended  # its own BYE
    assert len(reports) == 1, reports
    assert reports[0]["answered_at"] is not None and not reports[0].get("error"), reports
