"""packaging/build.sh on bad input: it names what to install, and leaves nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.packaging.conftest import BUILD


def _build(out: Path, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(BUILD)],
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
        env={**os.environ, "PATH": path, "OUT": str(out), "PYTHON": sys.executable, **env},
    )  # fmt: skip


def test_a_missing_build_tool_names_the_debian_package(tmp_path: Path) -> None:
    # A PATH with every command of this host but patchelf.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in ("/usr/sbin", "/usr/bin"):
        for tool in Path(folder).iterdir():
            if tool.name != "patchelf" and not (bin_dir / tool.name).exists():
                (bin_dir / tool.name).symlink_to(tool)
    out = tmp_path / "out"
    done = _build(out, str(bin_dir))
    assert done.returncode != 0
    assert "build.sh: error: patchelf not found: apt-get install patchelf" in done.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_a_failed_build_leaves_no_package_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    earlier = out / "softphone_0.0.1-1_amd64.deb"
    earlier.write_bytes(b"the last good build")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "softphone").write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 1\n")
    (broken / "softphone").chmod(0o755)
    done = _build(out, os.environ["PATH"], BUNDLE=str(broken))
    assert done.returncode != 0
    assert "build.sh: error: the bundle does not start" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == [earlier.name]  # no temp folder, no .deb
    assert earlier.read_bytes() == b"the last good build"
