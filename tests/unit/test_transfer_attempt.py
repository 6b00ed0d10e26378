"""A transfer attempt's record: its outcome is told once, and says what happened in words."""

from __future__ import annotations

from softphone.calls.transferattempt import (
    FAILED,
    PENDING,
    TRANSFERRED,
    UNKNOWN,
    TransferAttempt,
)
from softphone.vocabulary.events import TransferKind


def test_progress_is_kept_until_the_outcome_which_is_told_only_once() -> None:
    attempt = TransferAttempt(TransferKind.BLIND, "sip:desk2@pbx", requested_at=10.0)
    assert attempt.pending and attempt.result == PENDING
    attempt.progress(100, "Trying")
    assert (attempt.status, attempt.reason) == (100, "Trying")
    attempt.finish(TRANSFERRED, 200, "OK")
    attempt.finish(UNKNOWN, 0, "the call ended before the outcome was told")
    attempt.progress(180, "Ringing")
    assert (attempt.result, attempt.status, attempt.reason) == (TRANSFERRED, 200, "OK")
    assert attempt.ended_at is not None and attempt.ended_at >= attempt.requested_at


def test_the_record_as_metadata_and_reports_carry_it() -> None:
    attempt = TransferAttempt(
        TransferKind.ATTENDED, "sip:colleague@pbx", consult_call_id="abc", requested_at=10.0
    )
    attempt.finish(FAILED, 486, "Busy Here")
    assert attempt.as_json() == {
        "kind": "attended",
        "to": "sip:colleague@pbx",
        "requested_by": "agent",
        "consult_call_id": "abc",
        "requested_at": 10.0,
        "status": 486,
        "reason": "Busy Here",
        "result": "failed",
        "ended_at": attempt.ended_at,
    }


def test_a_failure_names_the_call_the_target_and_the_cause() -> None:
    attempt = TransferAttempt(TransferKind.BLIND, "sip:desk2@pbx")
    attempt.finish(FAILED, 603, "Decline")
    assert (
        attempt.failure("call 3")
        == "the transfer of call 3 to sip:desk2@pbx failed: Decline (SIP 603)"
    )
    timeless = TransferAttempt(TransferKind.BLIND, "sip:desk2@pbx")
    timeless.finish(FAILED, 0, "the REFER could not be sent: Invalid URI")
    assert timeless.failure("call 3").endswith("failed: the REFER could not be sent: Invalid URI")
