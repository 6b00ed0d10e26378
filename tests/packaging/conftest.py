"""One PyInstaller build per test run: a session fixture builds the bundle and two .debs from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.softphone_cli import REPO

BUILD = REPO / "packaging" / "build.sh"


@dataclass(frozen=True)
class Packages:
    """What `packaging/build.sh` made: the bundle, its .deb, and a newer build of it."""

    bundle: Path
    first: Path  # DEB_REVISION 1
    newer: Path  # the same bundle as DEB_REVISION 2: an upgrade for dpkg


def build(out: Path, **env: str) -> Path:
    """Run build.sh into `out`; the path of the .deb it made."""
    done = subprocess.run(
        ["bash", str(BUILD)],
        capture_output=True, text=True, timeout=900, check=False, stdin=subprocess.DEVNULL,
        env={**os.environ, "OUT": str(out), "PYTHON": sys.executable, "DEB_COMPRESSION": "gzip",
             **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    for tool in ("dpkg-deb", "patchelf", "objdump", "lintian", "chroot"):
        assert shutil.which(tool) or Path("/usr/sbin", tool).exists(), (
            f"{tool} is missing: bash scripts/setup.sh --test"
        )
    assert os.geteuid() == 0, "dpkg --root and chroot need root"
    out = tmp_path_factory.mktemp("packages")
    first = build(out)
    kept = out / "first.deb"
    first.rename(kept)
    newer = build(out, BUNDLE=str(out / "softphone"), DEB_REVISION="2")
    return Packages(bundle=out / "softphone", first=kept, newer=newer)
