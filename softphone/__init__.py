"""Hold-aware contact-centre softphone core: SIP, media, calls, recordings, config."""

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _version() -> str:
    """pyproject.toml's version: as the installed distribution records it (a wheel, or the
    bundle's dist-info that packaging/softphone.spec writes), else read from the checkout."""
    try:
        return version("softphone")
    except PackageNotFoundError:  # a checkout on PYTHONPATH that was never installed
        pass
    try:
        project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8"))
        return str(project["project"]["version"])
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        return "0+unknown"


__version__ = _version()
