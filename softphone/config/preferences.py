"""The user's preferences file: load (invalid parts are ignored with a warning), set and save.

An invalid preference is not a compliance risk (the admin's locks and the policy still apply),
so a bad value, an unknown key or even an unreadable file only produces warnings and the value
from the policy or the default applies. Changing a locked preference is refused.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from softphone.config.checks import InvalidValueError, did_you_mean, show
from softphone.config.filechecks import writable_directory_problem
from softphone.config.locations import user_preferences_path
from softphone.config.problems import (
    Collector,
    PreferenceError,
    PreferenceLockedError,
    Problem,
)
from softphone.config.reader import SECRET_HINT, TableReader
from softphone.config.schema import SETTINGS, Policy, PreferenceValue, Setting, lookup_setting
from softphone.config.tomlfile import read_toml

_GROUPS = tuple(dict.fromkeys(s.group for s in SETTINGS.values()))


@dataclass(frozen=True)
class Preferences:
    """The user's valid preference values by key, where they came from, and what was ignored."""

    values: Mapping[str, PreferenceValue]
    path: Path | None = None
    warnings: tuple[Problem, ...] = ()
    file_ignored: bool = False  # the file could not be read or parsed at all


def load_preferences(path: Path | None = None) -> Preferences:
    """Read the preferences file (default: the user's); a missing file means no preferences."""
    path = user_preferences_path() if path is None else path
    if not path.exists():
        return Preferences(MappingProxyType({}), path)
    try:
        doc = read_toml(path, PreferenceError)
    except PreferenceError as exc:
        ignored = [
            replace(p, message=f"{p.message}; the whole file is ignored", severity="warning")
            for p in exc.problems
        ]
        return Preferences(MappingProxyType({}), path, tuple(ignored), file_ignored=True)
    out = Collector(path, doc.lines)
    values: dict[str, PreferenceValue] = {}
    for group, table in doc.data.items():
        if group not in _GROUPS:
            hint = (
                SECRET_HINT
                if "pass" in group.lower()
                else f"unknown table{did_you_mean(group, _GROUPS)}"
            )
            out.warning((group,), f"{hint}; ignored")
        elif not isinstance(table, dict):
            out.warning((group,), f"expected a table [{group}], got {show(table)}; ignored")
        else:
            _read_group(TableReader(table, (group,), out, set()), values)
    return Preferences(MappingProxyType(values), path, tuple(out.warnings))


def _read_group(table: TableReader, values: dict[str, PreferenceValue]) -> None:
    group = str(table.path[0])
    names = [s.name for s in SETTINGS.values() if s.group == group]
    for name, raw in table.table.items():
        setting = SETTINGS.get(f"{group}.{name}")
        if setting is None:
            hint = (
                SECRET_HINT
                if "pass" in name.lower()
                else f"unknown preference{did_you_mean(name, names)}"
            )
            table.out.warning(table.at(name), f"{hint}; ignored")
            continue
        try:
            value = check_preference(setting, raw)
        except InvalidValueError as exc:
            table.out.warning(table.at(name), f"{exc}; ignored")
            continue
        values[setting.key] = value


def check_preference(setting: Setting, raw: object) -> PreferenceValue:
    """A checked preference value, including what only the file system can tell."""
    value: PreferenceValue = setting.type.check(raw)
    if setting.key == "recording.directory":
        assert isinstance(value, Path)
        problem = writable_directory_problem(value, may_create=False)
        if problem is not None:
            raise InvalidValueError(problem)
    return value


def set_preference(
    key: str, value: object, *, policy: Policy, path: Path | None = None
) -> Preferences:
    """Store the user's `value` for `key` (text is parsed, as typed on a command line).

    Refuses a key the policy locks (`PreferenceLockedError`), an unknown key or an invalid value
    (`PreferenceError`), and a value the policy rules out, such as a disclosure language it
    does not have. Returns the preferences as saved.
    """
    path = user_preferences_path() if path is None else path
    try:
        setting = lookup_setting(key)
    except InvalidValueError as exc:
        raise PreferenceError([Problem(None, None, None, str(exc))]) from None
    if key in policy.locked:
        message = f"{key} is locked by your administrator ({policy.describe()})"
        raise PreferenceLockedError([Problem(None, None, key, "is locked")], message)
    try:
        checked = _parse(setting, value)
        _check_against_policy(setting, checked, policy)
    except InvalidValueError as exc:
        raise PreferenceError([Problem(None, None, key, str(exc))]) from None
    current = _values_for_update(path)
    current[key] = checked
    save_preferences(current, path)
    return Preferences(MappingProxyType(current), path)


def reset_preference(key: str, *, path: Path | None = None) -> Preferences:
    """Remove the user's value for `key`, so the admin's or the default value applies."""
    path = user_preferences_path() if path is None else path
    try:
        lookup_setting(key)
    except InvalidValueError as exc:
        raise PreferenceError([Problem(None, None, None, str(exc))]) from None
    current = _values_for_update(path)
    if current.pop(key, None) is not None:
        save_preferences(current, path)
    return Preferences(MappingProxyType(current), path)


def _parse(setting: Setting, value: object) -> PreferenceValue:
    if isinstance(value, Path):
        value = str(value)
    checked: PreferenceValue = (
        setting.type.parse(value) if isinstance(value, str) else setting.type.check(value)
    )
    return check_preference(setting, str(checked) if isinstance(checked, Path) else checked)


def _check_against_policy(setting: Setting, value: PreferenceValue, policy: Policy) -> None:
    allowed: list[str] | None = None
    if setting.key == "disclosure.language":
        allowed = list(policy.disclosure.languages)
    elif setting.key == "calls.default_account" and value != "":
        allowed = [a.name for a in policy.accounts]
    if allowed is not None and value not in allowed:
        raise InvalidValueError(
            f"expected one of {', '.join(allowed) or '(none)'} ({policy.describe()}), "
            f"got {show(value)}"
        )


def _values_for_update(path: Path) -> dict[str, PreferenceValue]:
    """The saved values, refusing to overwrite a file that cannot be read as TOML."""
    loaded = load_preferences(path)
    if loaded.file_ignored:
        problems = [
            replace(
                w, message=w.message.removesuffix("; the whole file is ignored"), severity="error"
            )
            for w in loaded.warnings
        ]
        raise PreferenceError(
            problems,
            f"{problems[0]}\nThe preferences file is not changed: fix it or delete it first.",
        )
    return dict(loaded.values)


def save_preferences(values: Mapping[str, PreferenceValue], path: Path) -> None:
    """Write `values` as TOML, atomically (a crash leaves the old or the new file, whole)."""
    lines = ["# Softphone user preferences; see `softphone config show` for what is in force."]
    for group in _GROUPS:
        keys = [k for k in SETTINGS if SETTINGS[k].group == group and k in values]
        if keys:
            lines.append(f"\n[{group}]")
            lines += [f"{SETTINGS[k].name} = {SETTINGS[k].type.to_toml(values[k])}" for k in keys]
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".preferences.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
