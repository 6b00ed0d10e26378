"""One transfer attempt of a call: what was asked, by whom, and how it ended, for the evidence."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final

from softphone.vocabulary.events import TransferKind

PENDING: Final = "pending"
TRANSFERRED: Final = "transferred"  # the other side now talks to the target; this leg is over
FAILED: Final = "failed"  # the call stayed with the agent
DECLINED: Final = "declined"  # the peer asked, the policy said no (603)
UNKNOWN: Final = "unknown"  # the call ended before the outcome was told


@dataclass
class TransferAttempt:
    """A transfer of one call leg; `to` is who the leg's other party was handed to.

    `requested_by` is "agent" (our REFER) or "peer" (their REFER or Replaces). `status` is the
    last SIP status the transferee told (the REFER's answer, then the NOTIFYs' status lines).
    """

    kind: TransferKind
    to: str
    requested_by: str = "agent"
    consult_call_id: str | None = None  # attended: the SIP Call-ID of the other leg
    requested_at: float = field(default_factory=time.time)
    status: int = 0
    reason: str = ""
    result: str = PENDING
    ended_at: float | None = None

    @property
    def pending(self) -> bool:
        """The outcome is not known yet."""
        return self.result == PENDING

    def progress(self, status: int, reason: str) -> None:
        """The transferee told how far it got (100 Trying, 180 Ringing, ...)."""
        if self.pending:
            self.status, self.reason = status, reason

    def finish(self, result: str, status: int, reason: str) -> None:
        """The outcome is known; later calls change nothing."""
        if self.pending:
            self.result, self.status, self.reason = result, status, reason
            self.ended_at = time.time()

    def failure(self, call: str) -> str:
        """One line for a person: which call, to whom, and why it did not happen."""
        status = f" (SIP {self.status})" if self.status else ""
        return f"the transfer of {call} to {self.to} {self.result}: {self.reason}{status}"

    def as_json(self) -> dict[str, Any]:
        """The attempt as metadata and reports carry it."""
        return {
            "kind": self.kind.value,
            "to": self.to,
            "requested_by": self.requested_by,
            "consult_call_id": self.consult_call_id,
            "requested_at": self.requested_at,
            "status": self.status,
            "reason": self.reason,
            "result": self.result,
            "ended_at": self.ended_at,
        }
