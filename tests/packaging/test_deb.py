"""The .deb as an admin rolls it out: lintian, a clean install, the self-test, upgrades."""

from __future__ import annotations

import json
import secrets
import subprocess
import tomllib
from pathlib import Path

from softphone.config.credentials import SERVICE, secure_backend
from tests.integration.softphone_cli import REPO
from tests.packaging.cleanroot import dpkg, in_root, make_root, session_bus_in, status
from tests.packaging.conftest import Packages

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
POLICY = Path("etc/softphone/policy.toml")


def _installed(tmp_path: Path, deb: Path) -> Path:
    root = make_root(tmp_path / "root")
    done = dpkg(root, "-i", str(deb))
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_the_package_is_lintian_clean(packages: Packages) -> None:
    # Every tag lintian still finds is overridden with its reason (packaging/README.md).
    done = subprocess.run(
        ["lintian", "--fail-on", "error,warning", str(packages.first)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line for line in done.stdout.splitlines() if line[:2] in ("E:", "W:")] == []


def test_a_clean_install_runs_the_version_and_the_selftest(
    packages: Packages, tmp_path: Path
) -> None:
    root = _installed(tmp_path, packages.first)
    assert status(root) == ("install ok installed", f"{VERSION}-1")
    assert (root / "usr/bin/softphone").readlink() == Path("/opt/softphone/softphone")
    assert (root / "usr/share/applications/softphone.desktop").is_file()
    assert (root / "usr/share/icons/hicolor/scalable/apps/softphone.svg").is_file()
    conffiles = (root / "var/lib/dpkg/info/softphone.conffiles").read_text(encoding="utf-8")
    assert conffiles.split() == ["/etc/softphone/policy.toml"]

    version = in_root(root, ["softphone", "--version"])
    assert (version.returncode, version.stdout) == (0, f"softphone {VERSION}\n"), version.stderr
    check = in_root(root, ["softphone", "config", "check", "--strict"])
    assert check.returncode == 0, check.stdout + check.stderr
    assert "(the machine-wide policy): valid" in check.stdout

    # The app's child processes run as `sys.executable -m MODULE`: the bundle answers that.
    probe = in_root(root, ["softphone", "-m", "softphone.media.devices", "--json"])
    assert (probe.returncode, probe.stderr) == (0, ""), probe.stderr
    assert isinstance(json.loads(probe.stdout), list)
    other = in_root(root, ["softphone", "-m", "os"])
    assert other.returncode == 2 and "the softphone's own modules only" in other.stderr

    selftest = in_root(root, ["softphone", "selftest", "--json"], timeout=180)
    assert selftest.returncode == 0, selftest.stdout + selftest.stderr
    report = json.loads(selftest.stdout.splitlines()[-1])
    assert report["passed"] is True
    assert report["disclosure"] == "softphone-default-nl"  # the package's policy, not built in
    assert all(c["passed"] for c in report["checks"]) and len(report["checks"]) == 12


def test_the_installed_softphone_keeps_a_password_in_the_secret_service(
    packages: Packages, tmp_path: Path
) -> None:
    # The bundle's keyring backend (SecretStorage over jeepney) against this session's
    # gnome-keyring: the hidden imports and entry points made it into the bundle.
    root = _installed(tmp_path, packages.first)
    name = f"pkgtest-{secrets.token_hex(4)}"
    account = f'\n[[accounts]]\nname = "{name}"\nregistrar = "sip:pbx.example.com"\nuser = "a1"\n'
    policy = root / POLICY
    policy.write_text(policy.read_text(encoding="utf-8") + account, encoding="utf-8")
    bus = session_bus_in(root)
    password = secrets.token_hex(8)
    stored = in_root(
        root, ["softphone", "account", "set-password", name, "--stdin"], env=bus,
        stdin=password + "\n",
    )  # fmt: skip
    assert stored.returncode == 0, stored.stdout + stored.stderr
    assert "keyring.backends.SecretService.Keyring" in stored.stdout + stored.stderr
    backend = secure_backend()
    try:
        assert backend.get_password(SERVICE, name) == password
    finally:
        removed = in_root(root, ["softphone", "account", "delete-password", name], env=bus)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert backend.get_password(SERVICE, name) is None


def test_the_installed_window_plays_the_demo_and_its_recording_names_the_version(
    packages: Packages, tmp_path: Path
) -> None:
    # Qt (offscreen), the style sheet, the demo voices and the bundle's dist-info, installed.
    root = _installed(tmp_path, packages.first)
    demo = in_root(
        root, ["softphone", "demo", "--offscreen", "--folder", "/tmp/demo", "--speaker", "null"],
        timeout=180,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stdout.splitlines()[-1] == "result: PASS", demo.stdout
    shots = sorted(p.name for p in (root / "tmp/demo/screenshots").iterdir())
    assert shots == ["window-after-call.png", "window-disclosure.png", "window-on-hold.png"]
    (metadata,) = (root / "tmp/demo/recordings").rglob("*.json")
    assert json.loads(metadata.read_text(encoding="utf-8"))["softphone_version"] == VERSION


def test_an_upgrade_keeps_the_edited_policy(packages: Packages, tmp_path: Path) -> None:
    root = _installed(tmp_path, packages.first)
    policy = root / POLICY
    edited = policy.read_text(encoding="utf-8").replace(
        "retention_days = 90", "retention_days = 30"
    )
    assert edited != policy.read_text(encoding="utf-8")
    policy.write_text(edited, encoding="utf-8")

    done = dpkg(root, "-i", str(packages.newer))
    assert done.returncode == 0, done.stdout + done.stderr
    assert status(root) == ("install ok installed", f"{VERSION}-2")
    assert policy.read_text(encoding="utf-8") == edited
    check = in_root(root, ["softphone", "config", "check"])
    assert check.returncode == 0 and "kept 30 days" in check.stdout, check.stdout + check.stderr


def test_an_upgrade_over_a_policy_it_cannot_use_keeps_it_and_says_what_to_fix(
    packages: Packages, tmp_path: Path
) -> None:
    root = _installed(tmp_path, packages.first)
    policy = root / POLICY
    # A key this version does not know, as a policy written for a later version would have.
    unusable = policy.read_text(encoding="utf-8") + 'watermark = "on"\n'
    policy.write_text(unusable, encoding="utf-8")

    done = dpkg(root, "-i", str(packages.newer))
    assert done.returncode != 0
    assert "recording.watermark: unknown key" in done.stderr, done.stderr
    assert f"/{POLICY} was kept as it was, but softphone {VERSION}-2 cannot use it" in done.stderr
    assert "dpkg --configure softphone" in done.stderr
    assert policy.read_text(encoding="utf-8") == unusable  # kept, not replaced
    assert status(root) == ("install ok half-configured", f"{VERSION}-2")

    # What the message says to do works: fix the policy, finish the installation.
    policy.write_text(unusable.replace('watermark = "on"\n', ""), encoding="utf-8")
    finished = dpkg(root, "--configure", "softphone")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert status(root) == ("install ok installed", f"{VERSION}-2")
