"""Finding the policy: the order, and the fail-closed rules for named and machine-wide files."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from softphone.config.locations import (
    default_recordings_dir,
    find_policy,
    machine_policy_location,
    user_preferences_path,
)
from softphone.config.policy import load_effective_policy
from softphone.config.problems import PolicyError
from tests.unit.test_config_support import MINIMAL, Files, make_files, write_policy


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return make_files(tmp_path)


def hermetic(files: Files) -> dict[str, Path]:
    """Keep the default recordings folder and the resources inside the test's directory."""
    return {"resources": files.resources, "default_recordings": files.recordings}


def only_problem(excinfo: pytest.ExceptionInfo[PolicyError]) -> str:
    [problem] = excinfo.value.problems
    return str(problem)


def test_machine_wide_paths_per_platform() -> None:
    assert machine_policy_location("linux", {}) == PurePosixPath("/etc/softphone/policy.toml")
    assert machine_policy_location("darwin", {}) == PurePosixPath(
        "/Library/Application Support/Softphone/policy.toml"
    )
    assert machine_policy_location("win32", {"ProgramData": r"D:\ProgramData"}) == PureWindowsPath(
        r"D:\ProgramData\Softphone\policy.toml"
    )
    assert machine_policy_location("win32", {}) == PureWindowsPath(
        r"C:\ProgramData\Softphone\policy.toml"
    )


def test_user_paths_follow_the_platform_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert user_preferences_path() == tmp_path / "config" / "softphone" / "preferences.toml"
    assert default_recordings_dir() == tmp_path / "data" / "softphone" / "recordings"


def test_the_option_wins_over_the_variable_and_the_machine_file(files: Files) -> None:
    option = write_policy(files, MINIMAL, "option.toml")
    variable = write_policy(files, MINIMAL, "variable.toml")
    files.machine.parent.mkdir()
    write_policy(files, MINIMAL, "etc/policy.toml")
    environ = {"SOFTPHONE_POLICY": str(variable)}
    assert find_policy(option, environ=environ, machine_path=files.machine) == (
        option,
        "--policy",
    )
    assert find_policy(None, environ=environ, machine_path=files.machine) == (
        variable,
        "SOFTPHONE_POLICY",
    )
    assert find_policy(None, environ={}, machine_path=files.machine) == (files.machine, "machine")


def test_no_machine_file_at_all_means_the_builtin_policy(files: Files) -> None:
    assert find_policy(None, environ={}, machine_path=files.machine) == (None, "built-in")


def test_a_named_policy_that_is_missing_is_an_error_not_a_fallback(files: Files) -> None:
    missing = files.root / "missing.toml"
    with pytest.raises(PolicyError) as info:
        find_policy(missing, environ={}, machine_path=files.machine)
    assert only_problem(info) == (
        f"{missing}: does not exist (named by --policy); a policy that was named is never "
        "replaced by the built-in policy"
    )
    with pytest.raises(PolicyError) as info:
        find_policy(None, environ={"SOFTPHONE_POLICY": str(missing)}, machine_path=files.machine)
    assert only_problem(info).startswith(f"{missing}: does not exist (named by SOFTPHONE_POLICY)")


def test_a_relative_option_is_taken_from_the_working_directory(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_policy(files, MINIMAL, "here.toml")
    monkeypatch.chdir(files.root)
    assert find_policy(Path("here.toml"), environ={}, machine_path=files.machine) == (
        files.root / "here.toml",
        "--policy",
    )


def test_the_variable_must_be_absolute_and_not_empty(files: Files) -> None:
    with pytest.raises(PolicyError) as info:
        find_policy(None, environ={"SOFTPHONE_POLICY": "policy.toml"}, machine_path=files.machine)
    assert only_problem(info) == (
        "SOFTPHONE_POLICY: expected an absolute path, got the relative path 'policy.toml' "
        "(it would depend on the directory the softphone is started from)"
    )
    with pytest.raises(PolicyError) as info:
        find_policy(None, environ={"SOFTPHONE_POLICY": " "}, machine_path=files.machine)
    assert only_problem(info) == (
        "SOFTPHONE_POLICY: is set but empty: name the policy file, or unset the variable to use "
        f"the machine-wide policy {files.machine}"
    )


def test_a_machine_file_that_exists_but_cannot_be_read_is_an_error(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    files.machine.parent.mkdir()
    write_policy(files, MINIMAL, "etc/policy.toml")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: Path(p) != files.machine and real_access(p, mode)
    )
    with pytest.raises(PolicyError) as info:
        find_policy(None, environ={}, machine_path=files.machine)
    assert only_problem(info).startswith(f"{files.machine}: cannot be read by user ")
    assert only_problem(info).endswith("(the machine-wide policy): permission denied")


def test_a_machine_path_that_is_a_directory_is_an_error(files: Files) -> None:
    files.machine.mkdir(parents=True)
    with pytest.raises(PolicyError) as info:
        find_policy(None, environ={}, machine_path=files.machine)
    assert only_problem(info) == (
        f"{files.machine}: is not a regular file (the machine-wide policy)"
    )


def test_a_machine_path_that_cannot_be_examined_is_an_error(files: Files) -> None:
    (files.root / "etc").write_text("a file where a folder should be")
    with pytest.raises(PolicyError) as info:
        find_policy(None, environ={}, machine_path=files.machine)
    assert only_problem(info) == (
        f"{files.machine}: cannot tell whether the machine-wide policy exists (Not a "
        "directory); the built-in policy is not used in its place"
    )


def test_effective_policy_is_builtin_without_any_file(files: Files) -> None:
    policy = load_effective_policy(
        None,
        environ={},
        machine_path=files.machine,
        resources=files.resources,
        default_recordings=files.recordings,
    )
    assert policy.origin == "built-in" and policy.source is None


def test_an_invalid_machine_policy_is_fatal_not_replaced(files: Files) -> None:
    files.machine.parent.mkdir()
    files.machine.write_text("[disclosure\n")
    with pytest.raises(PolicyError) as info:
        load_effective_policy(None, environ={}, machine_path=files.machine, **hermetic(files))
    assert only_problem(info).startswith(f"{files.machine}:1:12: invalid TOML: ")


def test_another_policy_is_refused_while_the_machine_policy_forbids_it(files: Files) -> None:
    files.machine.parent.mkdir()
    write_policy(files, MINIMAL, "etc/policy.toml")
    mine = write_policy(files, MINIMAL, "mine.toml")
    with pytest.raises(PolicyError) as info:
        load_effective_policy(mine, environ={}, machine_path=files.machine, **hermetic(files))
    assert only_problem(info) == (
        f"{mine}: cannot be used (named by --policy): the machine-wide policy {files.machine} "
        "is in force on this workstation and does not set allow_policy_override = true"
    )
    with pytest.raises(PolicyError):
        load_effective_policy(
            None,
            environ={"SOFTPHONE_POLICY": str(mine)},
            machine_path=files.machine,
            **hermetic(files),
        )
    # Naming the machine-wide file itself is fine, and so is any file once the admin allows it.
    same = load_effective_policy(
        files.machine, environ={}, machine_path=files.machine, **hermetic(files)
    )
    assert same.source == files.machine
    write_policy(files, "allow_policy_override = true\n" + MINIMAL, "etc/policy.toml")
    assert (
        load_effective_policy(
            mine, environ={}, machine_path=files.machine, **hermetic(files)
        ).source
        == mine
    )
