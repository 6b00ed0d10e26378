"""Which direct IP calls `softphone answer` takes, and how a refused one is said on both sides."""

from __future__ import annotations

from tests.integration.policies import Compliance
from tests.integration.securepolicy import add_account
from tests.integration.softphone_cli import Answering, StartPeer, run_softphone

QUIET = ("--mic", "silence", "--speaker", "null")


def test_without_accounts_a_call_to_any_user_is_taken(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    with Answering(
        [*compliance.args, *QUIET, "--hangup-after", "2", "--json", "--wait", "30"]
    ) as a:
        peer = start_peer("--call", f"sip:frontdesk@127.0.0.1:{a.port}")
        done = a.finish()
    assert done.returncode == 0, done.stderr
    assert peer.finish() == 0
    assert done.report["answered_at"] is not None
    assert done.report["refused"] == []


def test_a_call_for_another_user_of_a_policy_account_is_refused_on_both_sides(
    compliance: Compliance,
) -> None:
    add_account(compliance.policy, user="agent042", transport="udp", srtp="off")
    with Answering([*compliance.args, *QUIET, "--wait", "4"]) as agent:
        caller = run_softphone(
            ["call", f"sip:bob@127.0.0.1:{agent.port}", "--bind", "127.0.0.1:0", *QUIET,
             "--policy", str(compliance.policy)]
        )  # fmt: skip
        done = agent.finish()
    # The caller hears why: the other side refused the call.
    assert caller.returncode == 1, caller.stderr
    assert caller.stderr.splitlines()[-1] == "softphone: call refused: SIP 404 Not Found"
    # The answering side says which call it refused and why, as it happens and at the end.
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    refused = [line for line in lines if line.startswith("softphone: refused a call from ")]
    assert len(refused) == 1, done.stderr
    assert " to <sip:bob@127.0.0.1" in refused[0], refused[0]
    assert refused[0].endswith("with SIP 404: this phone takes calls for agent042 only")
    assert lines[-1].startswith(
        "softphone: no call was answered within 4 s: 1 call came, 1 refused"
    )
    assert "no call arrived" not in done.stderr


def test_a_wait_without_any_call_says_so(compliance: Compliance) -> None:
    with Answering([*compliance.args, *QUIET, "--wait", "1"]) as agent:
        done = agent.finish()
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["softphone: no call arrived within 1 s"]
