"""The one place preferences are resolved: defaults < admin defaults < user < admin (locked).

An admin value that is not locked is the workstation's default: the user may change it. A locked
value wins over anything the user set; the user's value is then ignored with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from softphone.config.checks import show
from softphone.config.preferences import Preferences
from softphone.config.problems import Problem
from softphone.config.schema import (
    SETTINGS,
    THEMES,
    AccountPolicy,
    DisclosureLanguage,
    Policy,
    PreferenceValue,
    Setting,
    Theme,
)

DEFAULT: Final = "default"
USER: Final = "user"
ADMIN: Final = "admin"
LOCKED: Final = "admin (locked)"


@dataclass(frozen=True)
class AudioSettings:
    """Audio devices ("" = the system default)."""

    input_device: str
    output_device: str
    ringer_device: str


@dataclass(frozen=True)
class UiSettings:
    """The window's look and language."""

    theme: Theme
    language: str


@dataclass(frozen=True)
class CallsSettings:
    """How calls are placed and taken."""

    default_account: str
    auto_answer: bool


@dataclass(frozen=True)
class DisclosureSettings:
    """Which of the policy's disclosures this agent plays by default."""

    language: str


@dataclass(frozen=True)
class RecordingSettings:
    """Where recordings are written."""

    directory: Path


@dataclass(frozen=True)
class Settings:
    """Every preference in force, read by attribute (``settings.audio.input_device``).

    `sources` says for each key where its value came from: "default", "admin", "user" or
    "admin (locked)". `policy` is the admin policy the values were resolved against.
    """

    audio: AudioSettings
    ui: UiSettings
    calls: CallsSettings
    disclosure: DisclosureSettings
    recording: RecordingSettings
    policy: Policy
    sources: Mapping[str, str]
    warnings: tuple[Problem, ...] = ()

    def value(self, key: str) -> PreferenceValue:
        """The value of `key` (for listings; code reads attributes)."""
        setting = SETTINGS[key]
        value: PreferenceValue = getattr(getattr(self, setting.group), setting.name)
        return value

    def account(self) -> AccountPolicy | None:
        """The account for outgoing calls: the chosen one, else the first; None for direct IP."""
        chosen = self.calls.default_account
        if chosen:
            return self.policy.account(chosen)
        return self.policy.accounts[0] if self.policy.accounts else None

    def disclosure_in_force(self) -> DisclosureLanguage:
        """The disclosure this agent plays unless they pick another language for a call."""
        return self.policy.disclosure.for_language(self.disclosure.language)


def resolve(policy: Policy, preferences: Preferences) -> Settings:
    """Resolve every preference against the policy; see the module docstring for the order."""
    values: dict[str, PreferenceValue] = {}
    sources: dict[str, str] = {}
    warnings = list(preferences.warnings)
    for key, setting in SETTINGS.items():
        default = _default(setting, policy)
        admin = policy.preferences.get(key)
        user = preferences.values.get(key)
        if key in policy.locked:
            values[key], sources[key] = (default, LOCKED) if admin is None else (admin, LOCKED)
            if user is not None and user != values[key]:
                warnings.append(
                    _warning(
                        preferences,
                        key,
                        f"your value {show(_plain(user))} is ignored: it is locked by your "
                        f"administrator ({policy.describe()})",
                    )
                )
            continue
        rejected = None if user is None else _conflict(key, user, policy)
        if user is not None and rejected is None:
            values[key], sources[key] = user, USER
        else:
            values[key], sources[key] = (default, DEFAULT) if admin is None else (admin, ADMIN)
            if rejected is not None:
                warnings.append(_warning(preferences, key, rejected))
    return _build(values, sources, policy, tuple(warnings))


def _default(setting: Setting, policy: Policy) -> PreferenceValue:
    if setting.default is not None:
        return setting.default
    if setting.key == "recording.directory":
        return policy.recording.directory
    if setting.key == "disclosure.language":
        return policy.disclosure.default_language
    raise AssertionError(f"{setting.key} has no default")  # a test guards every key


def _conflict(key: str, value: PreferenceValue, policy: Policy) -> str | None:
    """Why a user's value cannot apply under this policy, or None."""
    if key == "disclosure.language" and value not in policy.disclosure.languages:
        have = ", ".join(policy.disclosure.languages)
        return f"your value {show(value)} is ignored: {policy.describe()} has disclosures in {have}"
    if key == "calls.default_account" and value and policy.account(str(value)) is None:
        have = ", ".join(a.name for a in policy.accounts) or "none"
        return f"your value {show(value)} is ignored: {policy.describe()} has the accounts {have}"
    return None


def _warning(preferences: Preferences, key: str, message: str) -> Problem:
    return Problem(preferences.path, None, key, message, "warning")


def _plain(value: PreferenceValue) -> str | bool:
    return str(value) if isinstance(value, Path) else value


def _build(
    values: Mapping[str, PreferenceValue],
    sources: dict[str, str],
    policy: Policy,
    warnings: tuple[Problem, ...],
) -> Settings:
    def text(key: str) -> str:
        value = values[key]
        assert isinstance(value, str), key
        return value

    def flag(key: str) -> bool:
        value = values[key]
        assert isinstance(value, bool), key
        return value

    def path(key: str) -> Path:
        value = values[key]
        return value if isinstance(value, Path) else Path(str(value))

    theme = next(t for t in THEMES if t == text("ui.theme"))
    return Settings(
        audio=AudioSettings(
            input_device=text("audio.input_device"),
            output_device=text("audio.output_device"),
            ringer_device=text("audio.ringer_device"),
        ),
        ui=UiSettings(theme=theme, language=text("ui.language")),
        calls=CallsSettings(
            default_account=text("calls.default_account"), auto_answer=flag("calls.auto_answer")
        ),
        disclosure=DisclosureSettings(language=text("disclosure.language")),
        recording=RecordingSettings(directory=path("recording.directory")),
        policy=policy,
        sources=MappingProxyType(sources),
        warnings=warnings,
    )
