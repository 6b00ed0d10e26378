"""The bundle's entry point: `softphone ARGS`, and `softphone -m softphone.MODULE ARGS`.

A PyInstaller bundle has no Python interpreter to start, yet the softphone runs parts of itself
as child processes with `sys.executable -m MODULE` (the self-test's customer peer, the device
probe). In the bundle `sys.executable` is this program, so it answers `-m` the way `python -m`
does, for the softphone's own modules only.
"""

from __future__ import annotations

import runpy
import sys


def run(argv: list[str]) -> int:
    """Run the command line, or the softphone module that `-m` names."""
    if len(argv) >= 2 and argv[0] == "-m":
        module = argv[1]
        if module.partition(".")[0] != "softphone":
            print(
                f"softphone: -m runs the softphone's own modules only, not {module!r}",
                file=sys.stderr,
            )
            return 2
        sys.argv = [module, *argv[2:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    # Imported here, not above: a module run with -m must not be imported before runpy runs it.
    from softphone.cli.main import main  # noqa: PLC0415

    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
