"""`softphone register`: register once with a registrar (digest auth) and unregister again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from softphone.calls.events import Event, RegistrationChanged
from softphone.headless import engine_session
from softphone.sip.phone import AccountSpec


@dataclass
class RegistrationReport:
    """Outcome of a register-and-unregister round."""

    registrar: str
    aor: str
    registered: bool = False
    status_code: int = 0
    reason: str = ""
    unregistered: bool = False
    attempts: list[dict[str, Any]] = field(default_factory=list)


def check_registration(
    registrar: str, aor: str, username: str, password: str, *, bind: str, timeout: float
) -> RegistrationReport:
    """Register `aor` at `registrar`, then remove the binding; never keeps the password."""
    report = RegistrationReport(registrar, aor)
    seen: list[RegistrationChanged] = []

    def on_event(event: Event) -> None:
        if isinstance(event, RegistrationChanged):
            seen.append(event)
            report.attempts.append(
                {
                    "registered": event.registered,
                    "status_code": event.status_code,
                    "reason": event.reason,
                }
            )

    with engine_session(bind, "register-check") as (engine, phone):
        engine.subscribe(on_event)
        phone.add_account(
            AccountSpec("registrar", aor, registrar=registrar, username=username, password=password)
        )
        engine.run_until(lambda: bool(seen), timeout)
        if seen:
            first = seen[0]
            report.registered = first.registered
            report.status_code = first.status_code
            report.reason = first.reason
        if report.registered:
            phone.unregister("registrar")
            engine.run_until(lambda: len(seen) > 1, timeout)
            report.unregistered = len(seen) > 1 and not seen[-1].registered
    return report
