"""Where the policy, the preferences and the recordings live, per platform.

The admin policy is looked for in this order: the `--policy` option, the SOFTPHONE_POLICY
environment variable, the machine-wide file. Fail closed: a policy that was named (by the option
or the variable) but is missing is an error, never a reason to use the built-in policy; so is a
machine-wide path that exists but cannot be read. Only a machine-wide file that does not exist at
all means "no admin policy here", and the built-in policy applies (`config show` says so).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

import platformdirs

from softphone.config.problems import PolicyError, Problem
from softphone.config.tomlfile import current_user

APP = "softphone"
ENV_VAR = "SOFTPHONE_POLICY"
FROM_OPTION, FROM_ENV, FROM_MACHINE, BUILT_IN = "--policy", ENV_VAR, "machine", "built-in"
FROM_FILE = "file"  # a file given to `config check`, not the policy in force
ORIGINS = {
    FROM_OPTION: "named by --policy",
    FROM_ENV: f"named by {ENV_VAR}",
    FROM_MACHINE: "the machine-wide policy",
    BUILT_IN: "built in",
    FROM_FILE: "",
}


def machine_policy_location(
    platform: str | None = None, environ: Mapping[str, str] | None = None
) -> PurePath:
    """The machine-wide policy path on `platform` (default: this one)."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    if platform == "win32":
        base = environ.get("ProgramData") or environ.get("PROGRAMDATA") or r"C:\ProgramData"
        return PureWindowsPath(base, "Softphone", "policy.toml")
    if platform == "darwin":
        return PurePosixPath("/Library/Application Support/Softphone/policy.toml")
    return PurePosixPath("/etc/softphone/policy.toml")


def machine_policy_path() -> Path:
    """The machine-wide policy path on this machine."""
    return Path(machine_policy_location())


def user_preferences_path() -> Path:
    """The user's preferences file, in the platform's per-user config directory."""
    return platformdirs.user_config_path(APP, appauthor=False) / "preferences.toml"


def default_recordings_dir() -> Path:
    """Where recordings go when the policy names no directory: the user's data directory."""
    return platformdirs.user_data_path(APP, appauthor=False) / "recordings"


def find_policy(
    cli_path: Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    machine_path: Path | None = None,
) -> tuple[Path | None, str]:
    """The policy file to load and where its name came from; (None, "built-in") when none.

    Raises `PolicyError` when a named policy is missing, or the machine-wide one exists but
    cannot be read (see the module docstring).
    """
    environ = os.environ if environ is None else environ
    machine = machine_policy_path() if machine_path is None else machine_path
    if cli_path is not None:
        path = cli_path.expanduser().absolute()
        _require_readable(path, "named by --policy")
        return path, FROM_OPTION
    named = environ.get(ENV_VAR)
    if named is not None:
        if not named.strip():
            message = (
                "is set but empty: name the policy file, or unset the variable to use the "
                f"machine-wide policy {machine}"
            )
            raise PolicyError([Problem(None, None, ENV_VAR, message)])
        path = Path(named).expanduser()
        if not path.is_absolute():
            message = (
                f"expected an absolute path, got the relative path {named!r} "
                "(it would depend on the directory the softphone is started from)"
            )
            raise PolicyError([Problem(None, None, ENV_VAR, message)])
        _require_readable(path, f"named by {ENV_VAR}")
        return path, FROM_ENV
    try:
        machine.stat()
    except FileNotFoundError:
        return None, BUILT_IN
    except OSError as exc:
        message = (
            f"cannot tell whether the machine-wide policy exists ({exc.strerror or exc}); "
            "the built-in policy is not used in its place"
        )
        raise PolicyError([Problem(machine, None, None, message)]) from None
    _require_readable(machine, "the machine-wide policy")
    return machine, FROM_MACHINE


def _require_readable(path: Path, named_by: str) -> None:
    """Fail closed on a named policy that is missing, not a file or not readable."""
    try:
        st = path.stat()
    except FileNotFoundError:
        message = (
            f"does not exist ({named_by}); a policy that was named is never replaced by the "
            "built-in policy"
        )
        raise PolicyError([Problem(path, None, None, message)]) from None
    except OSError as exc:
        message = f"cannot be examined ({named_by}): {exc.strerror or exc}"
        raise PolicyError([Problem(path, None, None, message)]) from None
    if not stat.S_ISREG(st.st_mode):
        raise PolicyError([Problem(path, None, None, f"is not a regular file ({named_by})")])
    if not os.access(path, os.R_OK):
        message = f"cannot be read by user {current_user()} ({named_by}): permission denied"
        raise PolicyError([Problem(path, None, None, message)])
