"""The Debian packages a bundle needs at run time: the owners of the system libraries it links.

Usage: python packaging/depends.py BUNDLE_DIR. Prints one comma-separated list for the control
file's Depends. Every ELF file in the bundle is read by `ldd` with the bundle's own library
folders searched first; each library it links directly (objdump's NEEDED) that is found outside
the bundle is mapped to its package with `dpkg -S` (what those libraries need in turn, their
packages' own Depends bring). A library that is found nowhere fails the build: the bundle
would not start.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

LDD_LINE = re.compile(r"^\s*(\S+) => (.+?) \(0x[0-9a-f]+\)$|^\s*(\S+) => not found$")


def elf_files(bundle: Path) -> list[Path]:
    """Every regular ELF file below `bundle`."""
    found = []
    for path in sorted(bundle.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def direct_needs(path: Path) -> set[str]:
    """The sonames `path` names in its dynamic section (NEEDED)."""
    done = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=False)
    return {line.split()[1] for line in done.stdout.splitlines() if line.split()[:1] == ["NEEDED"]}


def system_libraries(bundle: Path) -> tuple[set[str], set[str]]:
    """The libraries outside `bundle` that its ELF files load, and those found nowhere."""
    folders = sorted({str(p.parent) for p in bundle.rglob("*.so*")})
    env = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(folders))
    outside: set[str] = set()
    missing: set[str] = set()
    inside = str(bundle.resolve()) + os.sep
    for path in elf_files(bundle):
        needed = direct_needs(path)
        done = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env=env, check=False
        )
        for line in done.stdout.splitlines():
            match = LDD_LINE.match(line)
            if match is None or (match.group(1) or match.group(3)) not in needed:
                continue
            if match.group(3):
                missing.add(f"{match.group(3)} (needed by {path.relative_to(bundle)})")
            elif not os.path.realpath(match.group(2)).startswith(inside):
                outside.add(match.group(2))
    return outside, missing


def owner(library: str) -> str:
    """The Debian package that installed `library` (also under the merged /usr spelling)."""
    real = os.path.realpath(library)
    candidates = {library, real}
    for path in list(candidates):
        if path.startswith("/usr/lib/"):
            candidates.add(path.removeprefix("/usr"))
        elif path.startswith("/lib/"):
            candidates.add("/usr" + path)
    for path in sorted(candidates):
        done = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return done.stdout.split(":", 1)[0].strip()
    raise SystemExit(f"depends: no Debian package owns {library}; install it from a package")


def main(argv: list[str]) -> int:
    """Print the Depends list of the bundle named in `argv`."""
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python packaging/depends.py BUNDLE_DIR", file=sys.stderr)
        return 2
    bundle = Path(argv[0])
    outside, missing = system_libraries(bundle)
    if missing:
        print("depends: libraries found neither in the bundle nor on this system:", file=sys.stderr)
        for line in sorted(missing):
            print(f"  {line}", file=sys.stderr)
        return 1
    print(", ".join(sorted({owner(library) for library in outside})))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
