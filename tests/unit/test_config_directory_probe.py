"""Recording folders are checked by doing what a recording does: create, write, fsync, remove."""

from __future__ import annotations

from pathlib import Path

from softphone.config.filechecks import probe_directory, writable_directory_problem


def test_a_writable_folder_passes_and_keeps_no_trace(tmp_path: Path) -> None:
    assert writable_directory_problem(tmp_path, may_create=False) is None
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_refuses_files_fails_even_for_root() -> None:
    # /proc/self is a directory whose permission bits say "writable" to root; files still fail.
    problem = writable_directory_problem(Path("/proc/self"), may_create=False)
    assert problem is not None
    assert problem.startswith("/proc/self is not writable by user ")
    assert "(the account running the check)" in problem


def test_a_missing_default_folder_is_created_for_the_probe_and_removed(tmp_path: Path) -> None:
    target = tmp_path / "data" / "softphone" / "recordings"
    assert writable_directory_problem(target, may_create=True) is None
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_that_cannot_be_created_is_named() -> None:
    problem = writable_directory_problem(Path("/proc/self/recordings"), may_create=True)
    assert problem is not None
    assert problem.startswith("/proc/self/recordings does not exist and cannot be created by ")
    assert problem.endswith("in /proc/self")


def test_a_missing_folder_is_an_error_where_it_must_exist(tmp_path: Path) -> None:
    problem = writable_directory_problem(tmp_path / "gone", may_create=False)
    assert problem == (
        f"{tmp_path / 'gone'} does not exist; create it, writable by the agents' accounts, "
        "or name a directory that exists"
    )


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "recordings"
    file.write_text("x")
    assert writable_directory_problem(file, may_create=False) == f"{file} is not a directory"


def test_the_runtime_probe_does_not_speak_of_a_check() -> None:
    problem = probe_directory(Path("/proc/self"), checking=False)
    assert problem is not None and "the account running the check" not in problem
