"""`softphone register`: register once with a registrar (digest auth) and unregister again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from softphone.app.accountsession import (
    ACCOUNT_NAME,
    AccountUsageError,
    choose_account,
    registration_failure,
)
from softphone.app.root import PhoneConfig, open_stack
from softphone.config.resolve import Settings
from softphone.sip.engine import SipEngine
from softphone.sip.phone import AccountSpec, Phone
from softphone.vocabulary.events import Event, RegistrationChanged


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
    failure: str = field(default="", repr=False)  # one line for people when not registered
    account: str | None = None
    transport: str = "udp"

    def as_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {k: v for k, v in self.__dict__.items() if k != "failure"}


def check_registration(
    registrar: str, aor: str, username: str, password: str, *, bind: str, timeout: float
) -> RegistrationReport:
    """Register `aor` at `registrar`, then remove the binding; never keeps the password."""
    report = RegistrationReport(registrar, aor)
    with open_stack(PhoneConfig(listen=bind, identity_user="register-check")) as stack:
        engine, phone = stack.engine, stack.phone
        phone.add_account(
            AccountSpec("registrar", aor, registrar=registrar, username=username, password=password)
        )
        del password
        _round(engine, phone, "registrar", report, timeout)
    if not report.registered:
        cause = f"SIP {report.status_code} {report.reason}" if report.status_code else "no answer"
        report.failure = f"registration at {registrar} failed: {cause}"
    return report


def explicit_registrar_problem(registrar: str) -> str | None:
    """Why `registrar` cannot be used without a policy account (it asks for TLS or TCP)."""
    lowered = registrar.lower()
    if lowered.startswith("sips:") or ";transport=tls" in lowered or ";transport=tcp" in lowered:
        return (
            f"{registrar} asks for TLS or TCP: register a policy account with --account NAME, "
            "which brings its transport and the policy's TLS settings"
        )
    return None


def register_policy_account(
    settings: Settings, name: str, *, bind: str, timeout: float, log_level: int = 1
) -> RegistrationReport:
    """Register the policy's account `name` with its password from the OS keyring."""
    account = choose_account(settings, name)
    assert account is not None  # choose_account raises for an unknown name
    if account.registrar is None:
        raise AccountUsageError(f"account {name} has no registrar: it makes direct IP calls")
    config = PhoneConfig(
        listen=bind,
        account=account,
        security=settings.policy.security,
        log_level=log_level,
        register_timeout=None,  # the round below follows the registration itself
    )
    return check_account_registration(config, timeout=timeout)


def check_account_registration(config: PhoneConfig, *, timeout: float) -> RegistrationReport:
    """Register a policy account (password from the OS keyring), then remove the binding."""
    account = config.account
    assert account is not None and account.registrar is not None
    report = RegistrationReport(
        account.registrar,
        account.address_of_record or "",
        account=account.name,
        transport=account.transport,
    )
    with open_stack(config) as stack:
        engine, phone, plan = stack.engine, stack.phone, stack.plan
        assert plan is not None
        report.aor = phone.account_uri(ACCOUNT_NAME)
        first = _round(engine, phone, ACCOUNT_NAME, report, timeout)
        if not report.registered:
            report.failure = registration_failure(engine, plan, first, timeout)
    return report


def _round(
    engine: SipEngine, phone: Phone, account: str, report: RegistrationReport, timeout: float
) -> RegistrationChanged | None:
    """Wait for the first registration outcome, unregister after a success; fill `report`."""
    seen: list[RegistrationChanged] = []

    def on_event(event: Event) -> None:
        if isinstance(event, RegistrationChanged) and event.account == account:
            seen.append(event)
            report.attempts.append(
                {
                    "registered": event.registered,
                    "status_code": event.status_code,
                    "reason": event.reason,
                }
            )

    engine.subscribe(on_event)
    engine.run_until(lambda: bool(seen), timeout)
    if not seen:
        return None
    first = seen[0]
    report.registered = first.registered
    report.status_code = first.status_code
    report.reason = first.reason
    if report.registered:
        phone.unregister(account)
        engine.run_until(lambda: len(seen) > 1, timeout)
        report.unregistered = len(seen) > 1 and not seen[-1].registered
    return first
