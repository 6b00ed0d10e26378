"""User preferences: bad parts are ignored with a warning; locked keys cannot be set."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softphone.config.policy import load_policy
from softphone.config.preferences import (
    load_preferences,
    reset_preference,
    save_preferences,
    set_preference,
)
from softphone.config.problems import PreferenceError, PreferenceLockedError
from softphone.config.schema import Policy, PreferenceValue
from tests.unit.test_config_support import HEAD, MINIMAL, Files, make_files, write_policy


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return make_files(tmp_path)


@pytest.fixture
def policy(files: Files) -> Policy:
    text = (
        'locked = ["recording.directory"]\n'
        + HEAD
        + MINIMAL
        + '\n[disclosure.languages.en]\nid = "test-en"\naudio = "@EN@"\npurpose = "Recorded."\n'
        + '\n[recording]\ndirectory = "@REC@"\n'
    )
    return load_policy(write_policy(files, text), default_recordings=files.recordings)


def write_prefs(files: Files, text: str) -> Path:
    files.preferences.parent.mkdir(parents=True, exist_ok=True)
    files.preferences.write_text(text, encoding="utf-8")
    return files.preferences


def warnings_of(files: Files) -> list[str]:
    loaded = load_preferences(files.preferences)
    return [str(w).replace(str(files.preferences), "preferences.toml") for w in loaded.warnings]


def test_no_file_means_no_preferences(files: Files) -> None:
    loaded = load_preferences(files.preferences)
    assert dict(loaded.values) == {} and loaded.warnings == ()


def test_a_valid_file_is_read(files: Files) -> None:
    write_prefs(
        files,
        '[audio]\ninput_device = "Jabra Evolve"\n[ui]\ntheme = "dark"\n'
        f'[calls]\nauto_answer = true\n[recording]\ndirectory = "{files.recordings}"\n',
    )
    loaded = load_preferences(files.preferences)
    assert dict(loaded.values) == {
        "audio.input_device": "Jabra Evolve",
        "ui.theme": "dark",
        "calls.auto_answer": True,
        "recording.directory": files.recordings,
    }
    assert loaded.warnings == ()


def test_bad_parts_are_ignored_with_precise_warnings(files: Files) -> None:
    write_prefs(
        files,
        '[ui]\ntheme = "blue"\nlanguage = "nl"\nthem = "dark"\n'
        '[calls]\nauto_answer = "yes"\n'
        '[recording]\ndirectory = "relative/rec"\n'
        "[colours]\nx = 1\n",
    )
    assert warnings_of(files) == [
        'preferences.toml:2: ui.theme: warning: expected one of system, light, dark, got "blue"; '
        "ignored",
        'preferences.toml:4: ui.them: warning: unknown preference (did you mean "theme"?); ignored',
        'preferences.toml:6: calls.auto_answer: warning: expected true or false, got "yes"; '
        "ignored",
        "preferences.toml:8: recording.directory: warning: expected an absolute path, got the "
        'relative path "relative/rec" (it would depend on the directory the softphone is started '
        "from); ignored",
        "preferences.toml:9: colours: warning: unknown table (expected one of: audio, calls, "
        "disclosure, recording, ui); ignored",
    ]
    assert dict(load_preferences(files.preferences).values) == {"ui.language": "nl"}


def test_a_recording_directory_that_does_not_exist_is_ignored(files: Files) -> None:
    gone = files.root / "gone"
    write_prefs(files, f'[recording]\ndirectory = "{gone}"\n')
    assert warnings_of(files) == [
        f"preferences.toml:2: recording.directory: warning: {gone} does not exist; create it, "
        "writable by the agents' accounts, or name a directory that exists; ignored"
    ]


def test_a_password_in_preferences_is_ignored_and_not_echoed(files: Files) -> None:
    write_prefs(files, '[calls]\nsip_password = "Hunter-22"\n')
    [warning] = warnings_of(files)
    assert warning.startswith(
        "preferences.toml:2: calls.sip_password: warning: passwords are never stored in "
        "configuration files"
    )
    assert "Hunter-22" not in warning


def test_a_broken_file_is_ignored_whole(files: Files) -> None:
    write_prefs(files, "[ui\n")
    loaded = load_preferences(files.preferences)
    assert loaded.file_ignored and dict(loaded.values) == {}
    assert [str(w) for w in loaded.warnings] == [
        f"{files.preferences}:1:4: warning: invalid TOML: Expected ']' at the end of a table "
        "declaration; the whole file is ignored"
    ]


def test_setting_a_locked_preference_is_refused_and_says_by_whom(
    files: Files, policy: Policy
) -> None:
    with pytest.raises(PreferenceLockedError) as info:
        set_preference(
            "recording.directory", str(files.root), policy=policy, path=files.preferences
        )
    assert str(info.value) == (
        f"recording.directory is locked by your administrator (policy {policy.source})"
    )
    assert not files.preferences.exists()


def test_set_parses_checks_and_saves(files: Files, policy: Policy) -> None:
    set_preference("ui.theme", "dark", policy=policy, path=files.preferences)
    set_preference("calls.auto_answer", "true", policy=policy, path=files.preferences)
    set_preference("disclosure.language", "en", policy=policy, path=files.preferences)
    saved = set_preference("calls.default_account", "office", policy=policy, path=files.preferences)
    assert dict(saved.values) == {
        "ui.theme": "dark",
        "calls.auto_answer": True,
        "disclosure.language": "en",
        "calls.default_account": "office",
    }
    assert dict(load_preferences(files.preferences).values) == dict(saved.values)
    assert [p.name for p in files.preferences.parent.iterdir()] == ["preferences.toml"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ui.theme", "blue", 'ui.theme: expected one of system, light, dark, got "blue"'),
        (
            "calls.auto_answer",
            "perhaps",
            'calls.auto_answer: expected true or false, got "perhaps"',
        ),
        ("ui.them", "dark", 'ui.them: unknown preference (did you mean "ui.theme"?)'),
        (
            "disclosure.language",
            "de",
            'disclosure.language: expected one of nl, en (policy {policy}), got "de"',
        ),
        (
            "calls.default_account",
            "home",
            'calls.default_account: expected one of office (policy {policy}), got "home"',
        ),
    ],
)
def test_set_refuses_invalid_values(
    files: Files, policy: Policy, key: str, value: str, message: str
) -> None:
    with pytest.raises(PreferenceError) as info:
        set_preference(key, value, policy=policy, path=files.preferences)
    assert str(info.value) == message.replace("{policy}", str(policy.source))


def test_set_refuses_to_overwrite_a_file_it_cannot_read(files: Files, policy: Policy) -> None:
    write_prefs(files, "[ui\n# my notes\n")
    with pytest.raises(PreferenceError) as info:
        set_preference("ui.theme", "dark", policy=policy, path=files.preferences)
    assert str(info.value).endswith("fix it or delete it first.")
    assert files.preferences.read_text() == "[ui\n# my notes\n"


def test_reset_removes_the_user_value(files: Files, policy: Policy) -> None:
    set_preference("ui.theme", "dark", policy=policy, path=files.preferences)
    assert dict(reset_preference("ui.theme", path=files.preferences).values) == {}
    assert dict(load_preferences(files.preferences).values) == {}


def _valid_name(name: str) -> bool:
    """Printable, and not blank: a blank device name is refused on load."""
    return name.isprintable() and (name == "" or name.strip() != "")


_device_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40
).filter(_valid_name) | st.sampled_from(['a "quoted" name', "back\\slash", "ümlaut 🎧"])


@settings(max_examples=100, deadline=None)
@given(name=_device_names, auto=st.booleans())
def test_saved_preferences_read_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, name: str, auto: bool
) -> None:
    path = tmp_path_factory.mktemp("prefs") / "preferences.toml"
    values: dict[str, PreferenceValue] = {"audio.output_device": name, "calls.auto_answer": auto}
    save_preferences(values, path)
    tomllib.loads(path.read_text(encoding="utf-8"))
    assert dict(load_preferences(path).values) == values
