"""Calls as one of the policy's accounts: its transport, TLS, SRTP, proxy, registration, password.

The password comes from the OS keyring and goes straight into the SIP account; it is never
logged, printed or kept in a settings object.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from softphone.app.reporttext import final_status
from softphone.config.credentials import load_password
from softphone.config.resolve import Settings
from softphone.config.schema import AccountPolicy, SecurityPolicy
from softphone.sip.engine import EngineConfig, SipEngine
from softphone.sip.phone import AccountSpec
from softphone.sip.security import TlsSettings
from softphone.sip.securityerrors import explain_failure
from softphone.vocabulary.events import Event, RegistrationChanged, SipError

log = logging.getLogger("softphone.sip")

ACCOUNT_NAME = "policy"  # the account's name inside the phone (the policy name is in messages)


class AccountUsageError(ValueError):
    """The account cannot be used as asked (unknown name, TLS listening without a certificate)."""


class RegistrationFailedError(SipError):
    """The account did not register; the message is one line naming the cause."""


@dataclass(frozen=True)
class AccountPlan:
    """What the engine and the SIP account need for one policy account (never the password)."""

    account: AccountPolicy
    engine: EngineConfig
    tls: TlsSettings | None

    @property
    def transport(self) -> str:
        """udp, tcp or tls."""
        return self.account.transport


def choose_account(settings: Settings, name: str | None) -> AccountPolicy | None:
    """The account named `name`, else the policy's account for calls; None for direct IP."""
    if name is None:
        return settings.account()
    account = settings.policy.account(name)
    if account is None:
        names = ", ".join(a.name for a in settings.policy.accounts)
        have = f"its accounts are: {names}" if names else "it has no [[accounts]]"
        raise AccountUsageError(f"account {name} is not in {settings.policy.describe()}; {have}")
    return account


def tls_settings(
    security: SecurityPolicy, cert: Path | None = None, key: Path | None = None
) -> TlsSettings:
    """The TLS settings the policy's [security] section asks for, with an own certificate."""
    return TlsSettings(
        ca_file=security.ca_file,
        verify_server=security.tls_verify_server,
        cert_file=cert,
        key_file=key,
    )


def plan_account(
    account: AccountPolicy,
    security: SecurityPolicy,
    listen: str,
    *,
    log_level: int = 1,
    cert: Path | None = None,
    key: Path | None = None,
) -> AccountPlan:
    """How to start the engine for `account`, listening on `listen` (HOST:PORT)."""
    host, port = parse_hostport(listen)
    tls = tls_settings(security, cert, key) if account.transport == "tls" else None
    engine = EngineConfig(
        bind_host=host,
        port=port,
        transport=account.transport,
        log_level=log_level,
        tls=tls or TlsSettings(),
    )
    return AccountPlan(account, engine, tls)


def password_for(account: AccountPolicy) -> str | None:
    """The account's SIP password from the OS keyring; None for a direct-IP account."""
    return None if account.registrar is None else load_password(account.name)


def account_spec(plan: AccountPlan, bound_port: int, password: str | None) -> AccountSpec:
    """The phone's account for the plan; direct-IP accounts are addressed at the bound port."""
    account = plan.account
    uri = account.address_of_record
    if uri is None or account.registrar is None:
        host = plan.engine.bind_host if plan.engine.bind_host != "0.0.0.0" else "127.0.0.1"
        uri = f"sip:{account.user}@{host}:{bound_port}"
    return AccountSpec(
        ACCOUNT_NAME,
        uri,
        registrar=account.registrar,
        username=account.auth_user,
        password=password,
        transport=plan.transport,
        srtp=account.srtp,
        outbound_proxy=account.outbound_proxy,
        register_retry_s=account.register_retry_s,
    )


def explain(engine: SipEngine, plan: AccountPlan, status_code: int, reason: str) -> str | None:
    """Why a registration or call of this account failed, when TLS or SRTP is the cause."""
    return explain_failure(
        status_code,
        reason,
        tls_failure=engine.last_tls_failure(),
        tls=plan.tls,
        srtp=plan.account.srtp,
    )


def registration_failure(
    engine: SipEngine, plan: AccountPlan, event: RegistrationChanged | None, timeout: float
) -> str:
    """One line: the account did not register, and why."""
    where = f"registration of account {plan.account.name} at {plan.account.registrar} failed"
    if event is None:
        tls = engine.last_tls_failure()
        cause = explain(engine, plan, 0, "") if tls is not None else None
        return f"{where}: {cause or f'no answer within {timeout:g} s'}"
    cause = explain(engine, plan, event.status_code, event.reason)
    if cause is not None:
        return f"{where}: {cause}"
    return f"{where}: SIP {event.status_code} {event.reason}".rstrip()


def call_failure(engine: SipEngine, plan: AccountPlan, status_code: int, reason: str) -> str:
    """One line for a failed call: its SIP status, and the TLS or SRTP cause if that was it."""
    cause = explain(engine, plan, status_code, reason)
    if cause is None:
        return final_status(status_code, reason)
    if status_code == 488:
        return f"{final_status(status_code, reason)}: {cause}"
    return f"call failed: {cause}"


def await_registration(engine: SipEngine, plan: AccountPlan, timeout: float) -> RegistrationChanged:
    """Poll until the account's first registration outcome; raise unless it registered."""
    seen: list[RegistrationChanged] = []

    def on_event(event: Event) -> None:
        if isinstance(event, RegistrationChanged) and event.account == ACCOUNT_NAME:
            seen.append(event)

    unsubscribe = engine.subscribe(on_event)
    try:
        engine.run_until(lambda: bool(seen), timeout)
    finally:
        unsubscribe()
    if not seen or not seen[0].registered:
        raise RegistrationFailedError(
            registration_failure(engine, plan, seen[0] if seen else None, timeout)
        )
    log.info("account %s registered at %s", plan.account.name, plan.account.registrar)
    return seen[0]


def parse_hostport(text: str) -> tuple[str, int]:
    """Split HOST:PORT, with a clear error for anything else."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SipError(f"expected HOST:PORT such as 127.0.0.1:5062, not {text!r}")
    return host, int(port)
