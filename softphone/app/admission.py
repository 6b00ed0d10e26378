"""Who may ring a registered account: its registrar, its outbound proxy, the policy's trusted hosts.

A registered agent is reached through the PBX; an INVITE straight from anywhere else is a
scanner or a stranger, refused with 403 Forbidden before it rings (the desk refuses it on the next
loop turn, never inside pjsua2's callback, and counts it). Host names are resolved once, when the
phone starts. Direct-IP accounts (no registrar) take calls from anyone, as before.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable

from softphone.calls.desk import Screen
from softphone.config.checks import sip_uri_parts
from softphone.config.schema import AccountPolicy, SecurityPolicy
from softphone.vocabulary.events import IncomingCall

log = logging.getLogger("softphone.app")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_hosts(account: AccountPolicy, security: SecurityPolicy) -> list[str]:
    """The registrar's and outbound proxy's hosts, then the policy's `trusted_hosts`."""
    hosts = [sip_uri_parts(uri)[1] for uri in (account.registrar, account.outbound_proxy) if uri]
    return [h.strip("[]") for h in (*hosts, *security.trusted_hosts)]


def networks_of(hosts: Iterable[str]) -> tuple[Network, ...]:
    """Each entry as networks: a CIDR or address as itself, a host name as its addresses."""
    found: list[Network] = []
    for host in hosts:
        try:
            found.append(ipaddress.ip_network(host, strict=False))
            continue
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
        except OSError as exc:
            log.warning(
                "trusted host %s cannot be resolved (%s): no call is taken from it", host, exc
            )
            continue
        found.extend(ipaddress.ip_network(str(info[4][0])) for info in infos)
    return tuple(dict.fromkeys(found))


def source_address(source: str) -> Address | None:
    """The IP address of "host:port" or "[v6]:port"; None when it is not one."""
    host = source.rsplit(":", 1)[0] if source.count(":") == 1 or "]" in source else source
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def only_trusted(networks: tuple[Network, ...], hosts: list[str]) -> Screen:
    """A desk screen refusing (403) every call whose INVITE did not come from `networks`."""
    named = ", ".join(hosts)

    def screen(event: IncomingCall) -> tuple[int, str] | None:
        address = source_address(event.source)
        if address is not None and any(address in network for network in networks):
            return None
        return 403, (
            f"{event.source or 'an unknown address'} is not the registrar, the outbound proxy or "
            f"a trusted host ({named}): a registered account takes calls through its PBX only"
        )

    return screen


def admission(
    account: AccountPolicy | None, security: SecurityPolicy, then: Screen | None
) -> Screen | None:
    """The screen for `account`: strangers refused first when it registers, then `then`."""
    if account is None or account.registrar is None:
        return then
    hosts = trusted_hosts(account, security)
    first = only_trusted(networks_of(hosts), hosts)
    if then is None:
        return first

    def both(event: IncomingCall) -> tuple[int, str] | None:
        return first(event) or then(event)

    return both
