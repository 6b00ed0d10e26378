"""Every configuration key with its value in force and where it came from, for `config show`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from softphone.config.resolve import ADMIN, DEFAULT, Settings
from softphone.config.schema import SETTINGS, Policy
from softphone.config.toml_lines import KeyPath, format_path

FIXED = "fixed"

JsonValue = str | int | bool | list[str] | None


@dataclass(frozen=True)
class Entry:
    """One key, its value in force and its source."""

    key: str
    value: JsonValue
    source: str

    def as_text(self) -> str:
        """``key = value  [source]``, the value written as in TOML."""
        return f"{self.key} = {render_value(self.value)}  [{self.source}]"


def render_value(value: JsonValue) -> str:
    """A value as an admin would write it in TOML; unset values are marked as such."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _plain(value: object) -> JsonValue:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, frozenset | list | tuple):
        return sorted(str(v) for v in value)
    raise TypeError(f"cannot show a {type(value).__name__}")  # pragma: no cover - schema guard


def policy_entries(policy: Policy) -> list[Entry]:
    """The admin policy's own keys (preferences are listed by `preference_entries`)."""
    entries: list[Entry] = []

    def add(path: KeyPath, value: object, source: str | None = None) -> None:
        key = format_path(path)
        if source is None:
            source = ADMIN if key in policy.explicit else DEFAULT
        entries.append(Entry(key, _plain(value), source))

    add(("allow_policy_override",), policy.allow_policy_override)
    add(("locked",), policy.locked)
    if not policy.accounts:
        entries.append(Entry("accounts", [], DEFAULT))
    for index, account in enumerate(policy.accounts):
        for name in (
            "name",
            "registrar",
            "user",
            "auth_user",
            "domain",
            "transport",
            "srtp",
            "outbound_proxy",
        ):
            add(("accounts", index, name), getattr(account, name))
    disclosure = policy.disclosure
    add(("disclosure", "default_language"), disclosure.default_language)
    for language, entry in disclosure.languages.items():
        for name in ("id", "audio", "purpose"):
            add(("disclosure", "languages", language, name), getattr(entry, name))
    add(("recording", "retention_days"), policy.recording.retention_days)
    add(("recording", "group"), policy.recording.group)
    add(("recording", "pause_requires_reason"), policy.recording.pause_requires_reason)
    add(("recording", "encrypt_to"), list(policy.recording.encrypt_to))
    security = policy.security
    add(("security", "tls_verify_server"), security.tls_verify_server)
    add(("security", "ca_file"), security.ca_file)
    add(("security", "acknowledge_unverified_tls"), security.acknowledge_unverified_tls)
    add(("security", "tls_min_version"), security.tls_min_version, FIXED)
    add(("security", "trusted_hosts"), list(security.trusted_hosts))
    add(("calls", "allow_incoming_transfer"), policy.calls.allow_incoming_transfer)
    add(("media", "rtp_timeout_s"), policy.media.rtp_timeout_s)
    add(("qa", "reviewers"), list(policy.qa.reviewers))
    return entries


def preference_entries(settings: Settings) -> list[Entry]:
    """Every user preference in force, in the registry's order."""
    return [Entry(key, _plain(settings.value(key)), settings.sources[key]) for key in SETTINGS]


def as_json(settings: Settings, header: dict[str, Any], entries: list[Entry]) -> dict[str, Any]:
    """The `config show --json` document."""
    return {
        **header,
        "warnings": [str(w) for w in (*settings.policy.warnings, *settings.warnings)],
        "keys": {e.key: {"value": e.value, "source": e.source} for e in entries},
    }
