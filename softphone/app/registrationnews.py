"""What to tell the agent when the account's registration is lost, and when it is back."""

from __future__ import annotations

from softphone.calls.snapshot import DeskEvent, RegistrationChanged


class RegistrationNews:
    """Follows one account's registration outcomes and words only the changes.

    It starts registered (the phone waited for the first registration). A refusal or no answer
    is a loss; a later success says it is back. Un-registering (the phone stopping) is neither.
    """

    def __init__(self, account: str, registrar: str, retry_s: int) -> None:
        self._account, self._registrar, self._retry_s = account, registrar, retry_s
        self._registered = True

    def line(self, event: DeskEvent) -> str | None:
        """One line for the agent if `event` changed whether the account is registered."""
        if not isinstance(event, RegistrationChanged):
            return None
        outcome = event.registration
        unregistered = not outcome.registered and 200 <= outcome.status_code < 300
        if unregistered or outcome.registered == self._registered:
            return None
        self._registered = outcome.registered
        where = f"account {self._account} is"
        if outcome.registered:
            return f"{where} registered again at {self._registrar}; calls through it reach you"
        cause = (
            f"SIP {outcome.status_code} {outcome.reason}".strip()
            if outcome.status_code
            else (outcome.reason or "no answer")
        )
        return (
            f"{where} not registered at {self._registrar} ({cause}): calls through it cannot "
            f"reach you; calls in progress go on; trying again every {self._retry_s} s"
        )
