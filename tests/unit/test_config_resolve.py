"""The resolver: defaults < admin defaults < user < admin (locked), in one function."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from softphone.config.preferences import Preferences
from softphone.config.resolve import ADMIN, DEFAULT, LOCKED, USER, Settings, resolve
from softphone.config.schema import (
    SETTINGS,
    AccountPolicy,
    DisclosureLanguage,
    DisclosurePolicy,
    Policy,
    PreferenceValue,
    RecordingPolicy,
)

POLICY_FILE = Path("/etc/softphone/policy.toml")


def make_policy(
    preferences: dict[str, PreferenceValue] | None = None,
    locked: frozenset[str] = frozenset(),
) -> Policy:
    languages = {
        lang: DisclosureLanguage(f"d-{lang}", lang, Path(f"/d/{lang}.wav"), "purpose")
        for lang in ("nl", "en")
    }
    return Policy(
        accounts=(
            AccountPolicy("office", "sip:pbx.example.com", "a", "a", "example.com"),
            AccountPolicy("lab", None, "a", "a", None, "udp", "off"),
        ),
        disclosure=DisclosurePolicy("nl", MappingProxyType(languages)),
        recording=RecordingPolicy(Path("/srv/recordings"), 30),
        preferences=MappingProxyType(preferences or {}),
        locked=locked,
        source=POLICY_FILE,
        origin="machine",
    )


def user(values: dict[str, PreferenceValue]) -> Preferences:
    return Preferences(MappingProxyType(values), Path("/home/a/.config/softphone/preferences.toml"))


def test_defaults_when_nobody_set_anything() -> None:
    settings = resolve(make_policy(), user({}))
    assert settings.audio.input_device == ""
    assert settings.ui.theme == "system"
    assert settings.calls.auto_answer is False
    assert settings.disclosure.language == "nl"  # the policy's default language
    assert settings.recording.directory == Path("/srv/recordings")  # the policy's directory
    assert set(settings.sources.values()) == {DEFAULT}
    assert settings.warnings == ()


def test_admin_values_are_defaults_the_user_may_change() -> None:
    policy = make_policy({"ui.theme": "dark", "calls.default_account": "lab"})
    settings = resolve(policy, user({}))
    assert (settings.ui.theme, settings.sources["ui.theme"]) == ("dark", ADMIN)
    settings = resolve(policy, user({"ui.theme": "light"}))
    assert (settings.ui.theme, settings.sources["ui.theme"]) == ("light", USER)
    assert settings.account() == policy.account("lab")


def test_a_locked_value_wins_and_the_user_value_is_ignored_with_a_warning() -> None:
    policy = make_policy(
        {"recording.directory": Path("/srv/locked")}, frozenset({"recording.directory"})
    )
    settings = resolve(policy, user({"recording.directory": Path("/home/a/rec")}))
    assert settings.recording.directory == Path("/srv/locked")
    assert settings.sources["recording.directory"] == LOCKED
    [warning] = settings.warnings
    assert str(warning) == (
        "/home/a/.config/softphone/preferences.toml: recording.directory: warning: your value "
        '"/home/a/rec" is ignored: it is locked by your administrator (policy '
        "/etc/softphone/policy.toml)"
    )


def test_a_lock_without_an_admin_value_locks_the_default() -> None:
    settings = resolve(
        make_policy(locked=frozenset({"calls.auto_answer"})), user({"calls.auto_answer": True})
    )
    assert settings.calls.auto_answer is False
    assert settings.sources["calls.auto_answer"] == LOCKED


def test_a_user_value_the_policy_rules_out_is_ignored_with_a_warning() -> None:
    settings = resolve(
        make_policy(), user({"disclosure.language": "de", "calls.default_account": "x"})
    )
    assert settings.disclosure.language == "nl"
    assert settings.calls.default_account == ""
    assert [str(w).split(": ", 2)[1] for w in settings.warnings] == [
        "calls.default_account",
        "disclosure.language",
    ]
    assert "has disclosures in nl, en" in str(settings.warnings[1])


def test_settings_helpers_pick_the_account_and_the_disclosure() -> None:
    policy = make_policy()
    settings = resolve(policy, user({"disclosure.language": "en"}))
    assert settings.account() == policy.accounts[0]  # no choice: the first account
    assert settings.disclosure_in_force().id == "d-en"
    no_accounts = dataclasses.replace(policy, accounts=())
    assert resolve(no_accounts, user({})).account() is None


def test_settings_are_frozen() -> None:
    settings = resolve(make_policy(), user({}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.ui.theme = "dark"  # type: ignore[misc]


def test_the_registry_and_the_settings_attributes_match() -> None:
    settings = resolve(make_policy(), user({}))
    attributes = {
        f"{group.name}.{field.name}"
        for group in dataclasses.fields(Settings)
        if dataclasses.is_dataclass(getattr(settings, group.name)) and group.name != "policy"
        for field in dataclasses.fields(getattr(settings, group.name))
    }
    assert attributes == set(SETTINGS)
    for key in SETTINGS:
        assert settings.value(key) is not None


def test_every_setting_is_described_and_its_default_is_valid() -> None:
    for key, setting in SETTINGS.items():
        assert setting.key == key and setting.description.endswith(".")
        if setting.default is not None:
            assert setting.type.check(setting.default) == setting.default
        else:
            assert key in ("recording.directory", "disclosure.language")
    required = {
        "audio.input_device",
        "audio.output_device",
        "audio.ringer_device",
        "ui.theme",
        "ui.language",
        "calls.default_account",
        "calls.auto_answer",
        "disclosure.language",
        "recording.directory",
    }
    assert required <= set(SETTINGS)
    assert SETTINGS["recording.directory"].lockable
    assert not SETTINGS["audio.input_device"].lockable
    assert SETTINGS["ui.language"].restart_needed


_ADMIN_VALUES: dict[str, PreferenceValue] = {
    "ui.theme": "dark",
    "ui.language": "nl",
    "calls.auto_answer": True,
    "calls.default_account": "office",
    "disclosure.language": "en",
    "recording.directory": Path("/srv/admin"),
}
_USER_VALUES: dict[str, PreferenceValue] = {
    "ui.theme": "light",
    "ui.language": "en",
    "calls.auto_answer": False,
    "calls.default_account": "lab",
    "disclosure.language": "nl",
    "recording.directory": Path("/home/a/rec"),
}
_keys = st.sets(st.sampled_from(sorted(_ADMIN_VALUES)))


@given(admin=_keys, locked=_keys, mine=_keys)
def test_the_layering_rule_holds_for_every_combination(
    admin: set[str], locked: set[str], mine: set[str]
) -> None:
    policy = make_policy({k: _ADMIN_VALUES[k] for k in admin}, frozenset(locked))
    settings = resolve(policy, user({k: _USER_VALUES[k] for k in mine}))
    for key, admin_value in _ADMIN_VALUES.items():
        value, source = settings.value(key), settings.sources[key]
        if key in locked:
            assert source == LOCKED
            assert value == (admin_value if key in admin else _default(key, policy))
        elif key in mine:
            assert (value, source) == (_USER_VALUES[key], USER)
        elif key in admin:
            assert (value, source) == (admin_value, ADMIN)
        else:
            assert (value, source) == (_default(key, policy), DEFAULT)
    ignored = {str(w).split(": ")[1] for w in settings.warnings}
    assert ignored == {k for k in locked & mine if _USER_VALUES[k] != settings.value(k)}


def _default(key: str, policy: Policy) -> PreferenceValue:
    if key == "recording.directory":
        return policy.recording.directory
    if key == "disclosure.language":
        return policy.disclosure.default_language
    default = SETTINGS[key].default
    assert default is not None
    return default
