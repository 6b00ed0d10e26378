"""Policies and passwords for TLS and SRTP tests: one account added to the test policy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.softphone_cli import REPO, child_env


def add_account(
    policy: Path,
    *,
    name: str = "office",
    user: str = "agent",
    registrar: str | None = None,
    transport: str = "tls",
    srtp: str = "mandatory",
    outbound_proxy: str | None = None,
    ca_file: Path | None = None,
    register_retry_s: str | None = None,
) -> Path:
    """Append one [[accounts]] table and a [security] section to the policy file.

    `register_retry_s` is the TOML text of that key (a whole number of seconds).
    """
    lines = ["", "[[accounts]]", f'name = "{name}"', f'user = "{user}"']
    if registrar is not None:
        lines.append(f'registrar = "{registrar}"')
    lines += [f'transport = "{transport}"', f'srtp = "{srtp}"']
    if outbound_proxy is not None:
        lines.append(f'outbound_proxy = "{outbound_proxy}"')
    if register_retry_s is not None:
        lines.append(f"register_retry_s = {register_retry_s}")
    lines += ["", "[security]", "tls_verify_server = true"]
    if ca_file is not None:
        lines.append(f'ca_file = "{ca_file}"')
    with policy.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return policy


def set_password(policy: Path, account: str, password: str) -> None:
    """Store the account's password in the real Secret Service, as an admin would."""
    done = subprocess.run(
        [sys.executable, "-m", "softphone.cli", "account", "set-password", account, "--stdin",
         "--policy", str(policy)],
        input=password + "\n", capture_output=True, text=True, timeout=60, cwd=REPO,
        env=child_env(), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def delete_password(account: str) -> None:
    """Remove the account's password from the keyring again (ignoring a missing one)."""
    subprocess.run(
        [sys.executable, "-m", "softphone.cli", "account", "delete-password", account],
        capture_output=True, text=True, timeout=60, cwd=REPO, env=child_env(), check=False,
    )  # fmt: skip
