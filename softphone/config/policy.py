"""Load and validate the admin policy, or build the built-in one; never fail open."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from softphone.config.archive_section import read_archive
from softphone.config.audiocheck import disclosure_audio_problem
from softphone.config.checks import Flag, did_you_mean, show
from softphone.config.filechecks import (
    loose_permission_problems,
    readable_file_problem,
    writable_directory_problem,
)
from softphone.config.locations import (
    BUILT_IN,
    FROM_ENV,
    FROM_OPTION,
    default_recordings_dir,
    find_policy,
    machine_policy_path,
)
from softphone.config.policy_sections import (
    CALLS_POLICY_KEYS,
    read_accounts,
    read_calls,
    read_disclosure,
    read_media,
    read_qa,
    read_recording,
    read_security,
)
from softphone.config.problems import Collector, PolicyError, Problem
from softphone.config.reader import TableReader
from softphone.config.schema import (
    SETTINGS,
    AccountPolicy,
    DisclosureLanguage,
    DisclosurePolicy,
    Policy,
    PreferenceValue,
    RecordingPolicy,
)
from softphone.config.tomlfile import read_toml

# Preference tables an admin may fill in the policy; recording.directory and the disclosure
# language are set in the policy's own [recording] and [disclosure] sections.
PREFERENCE_GROUPS = ("audio", "ui", "calls")
BUILT_IN_LANGUAGES = ("nl", "en")  # the first is the default


def load_policy(
    path: Path, *, origin: str = FROM_OPTION, default_recordings: Path | None = None
) -> Policy:
    """Load the policy file at `path`; `PolicyError` lists every problem when it is invalid."""
    path = path.expanduser().absolute()
    doc = read_toml(path, PolicyError)
    out = Collector(path, doc.lines)
    seen: set[str] = set()
    root = TableReader(doc.data, (), out, seen)
    allow_override = root.value("allow_policy_override", Flag())
    locked = _read_locked(root)
    accounts = read_accounts(root)
    disclosure = read_disclosure(root)
    recording, directory_set = read_recording(root, default_recordings or default_recordings_dir())
    security = read_security(root)
    calls = read_calls(root)
    media = read_media(root)
    qa = read_qa(root)
    archive = read_archive(root)
    preferences = _read_admin_preferences(root, accounts)
    root.report_unknown(
        {
            "account": 'unknown key (did you mean "accounts"? each account is an [[accounts]] '
            "table)",
            "preferences": "unknown key: admin values for preferences go in their own tables, "
            'such as [ui] theme = "dark" (see docs/admin.md)',
        }
    )
    for message in loose_permission_problems(path):
        out.warning((), message)
    if out.errors or disclosure is None:
        raise PolicyError(sorted(out.errors + out.warnings, key=lambda p: p.line or 0))
    if directory_set:
        preferences["recording.directory"] = recording.directory
    preferences["disclosure.language"] = disclosure.default_language
    seen.add("disclosure.language")
    return Policy(
        accounts=accounts,
        disclosure=disclosure,
        recording=recording,
        security=security,
        calls=calls,
        media=media,
        qa=qa,
        archive=archive,
        preferences=MappingProxyType(preferences),
        locked=locked,
        allow_policy_override=bool(allow_override),
        source=path,
        origin=origin,
        explicit=frozenset(seen),
        warnings=tuple(out.warnings),
    )


def _read_locked(root: TableReader) -> frozenset[str]:
    root.skip("locked")
    raw = root.table.get("locked")
    if raw is None:
        return frozenset()
    expected = 'an array of preference names such as ["recording.directory"]'
    if not isinstance(raw, list):
        root.out.error(root.at("locked"), f"expected {expected}, got {show(raw)}")
        return frozenset()
    root.seen.add("locked")
    locked: set[str] = set()
    for index, item in enumerate(raw):
        where = (*root.at("locked"), index)
        if not isinstance(item, str):
            root.out.error(where, f"expected a preference name, got {show(item)}")
        elif item not in SETTINGS:
            root.out.error(
                where, f'unknown preference "{item}"{did_you_mean(item, list(SETTINGS))}'
            )
        elif not SETTINGS[item].lockable:
            root.out.error(
                where,
                f'"{item}" cannot be locked: it differs per workstation; you may still set its '
                f"default under [{SETTINGS[item].group}]",
            )
        elif item in locked:
            root.out.warning(where, f'"{item}" is listed twice')
        else:
            locked.add(item)
    return frozenset(locked)


def _read_admin_preferences(
    root: TableReader, accounts: tuple[AccountPolicy, ...]
) -> dict[str, PreferenceValue]:
    values: dict[str, PreferenceValue] = {}
    for group in PREFERENCE_GROUPS:
        table = root.table_at(group)
        if table is None:
            continue
        for setting in SETTINGS.values():
            if setting.group == group:
                value = table.value(setting.name, setting.type)
                if value is not None:
                    values[setting.key] = value
        if group == "calls":
            for name in CALLS_POLICY_KEYS:
                table.skip(name)  # read by read_calls: the admin's, not a preference
        table.report_unknown()
    account = values.get("calls.default_account")
    if account and all(a.name != account for a in accounts):
        names = ", ".join(a.name for a in accounts) or "none: the policy has no [[accounts]]"
        root.out.error(
            ("calls", "default_account"),
            f'expected the name of one of the policy\'s accounts ({names}), got "{account}"',
        )
    return values


def resources_dir() -> Path:
    """The softphone's resources/ folder (disclosure audio and texts, icons).

    A source checkout or editable install keeps it next to the package; an installed package
    carries it inside. The first that exists wins; if none does, the first is returned so that
    messages name where it was expected.
    """
    package = Path(__file__).resolve().parents[1]
    candidates = (package.parent / "resources", package / "resources")
    return next((c for c in candidates if c.is_dir()), candidates[0])


def builtin_policy(resources: Path | None = None, default_recordings: Path | None = None) -> Policy:
    """The policy used when no policy file exists: Dutch (default) and English disclosures,
    recordings in the user's data directory kept 90 days, no accounts (direct IP calls only).

    Raises `PolicyError` when the installation lacks a disclosure: calls are refused then.
    """
    folder = (resources or resources_dir()) / "disclosure"
    out = Collector("built-in policy")
    languages: dict[str, DisclosureLanguage] = {}
    incomplete = "the installation is incomplete: reinstall the softphone"
    for language in BUILT_IN_LANGUAGES:
        key = ("disclosure", "languages", language)
        audio, text = folder / f"{language}.wav", folder / f"{language}.txt"
        problem = disclosure_audio_problem(audio)
        if problem is not None:
            out.error((*key, "audio"), f"{problem}; {incomplete}")
        purpose = _read_text(text, out, (*key, "purpose"), incomplete)
        if problem is None and purpose is not None:
            languages[language] = DisclosureLanguage(
                id=f"builtin-{language}", language=language, audio=audio, purpose=purpose
            )
    directory = default_recordings or default_recordings_dir()
    problem = writable_directory_problem(directory, may_create=True)
    if problem is not None:
        out.error(("recording", "directory"), problem)
    if out.errors:
        raise PolicyError(out.errors)
    return Policy(
        accounts=(),
        disclosure=DisclosurePolicy(BUILT_IN_LANGUAGES[0], MappingProxyType(languages)),
        recording=RecordingPolicy(directory=directory, retention_days=90),
        origin=BUILT_IN,
    )


def _read_text(path: Path, out: Collector, key: tuple[str, ...], incomplete: str) -> str | None:
    problem = readable_file_problem(path)
    if problem is None:
        try:
            text = path.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            problem = f"{path} is not UTF-8 text"
        else:
            if text:
                return text
            problem = f"{path} holds only white space"
    out.error(key, f"{problem}; {incomplete}")
    return None


def load_effective_policy(
    cli_path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    machine_path: Path | None = None,
    resources: Path | None = None,
    default_recordings: Path | None = None,
) -> Policy:
    """The policy in force: found as `find_policy` says, loaded and validated, or built in.

    When a machine-wide policy exists, another one named by --policy or SOFTPHONE_POLICY is
    refused unless the machine-wide policy sets allow_policy_override = true: an agent must not
    be able to step around the admin's policy by pointing at a file of their own.
    """
    machine = machine_path or machine_policy_path()
    path, origin = find_policy(cli_path, environ=environ, machine_path=machine)
    if path is None:
        return builtin_policy(resources, default_recordings)
    policy = load_policy(path, origin=origin, default_recordings=default_recordings)
    if origin in (FROM_OPTION, FROM_ENV) and _is_other_file(path, machine):
        machine_policy = load_policy(
            machine, origin="machine", default_recordings=default_recordings
        )
        if not machine_policy.allow_policy_override:
            named_by = "--policy" if origin == FROM_OPTION else FROM_ENV
            message = (
                f"cannot be used (named by {named_by}): the machine-wide policy {machine} is in "
                "force on this workstation and does not set allow_policy_override = true"
            )
            raise PolicyError([Problem(path, None, None, message)])
    return policy


def _is_other_file(path: Path, machine: Path) -> bool:
    """True when `machine` exists and is not the same file as `path`."""
    try:
        return not machine.samefile(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        message = f"cannot tell whether the machine-wide policy exists ({exc.strerror or exc})"
        raise PolicyError([Problem(machine, None, None, message)]) from None
