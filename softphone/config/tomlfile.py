"""Read a TOML file as UTF-8, with errors that name the file, line and column."""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from softphone.config.problems import ConfigError, Problem
from softphone.config.toml_lines import KeyLines, key_lines

_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_END = re.compile(r"\s*\(at end of document\)$")
_UTF16_32_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32 (little-endian)",
    b"\x00\x00\xfe\xff": "UTF-32 (big-endian)",
    b"\xff\xfe": "UTF-16 (little-endian)",
    b"\xfe\xff": "UTF-16 (big-endian)",
}
MAX_BYTES = 1024 * 1024  # a policy or preferences file is a few kilobytes


@dataclass(frozen=True)
class TomlDocument:
    """A parsed TOML file with the line of each key."""

    path: Path
    data: dict[str, Any]
    lines: KeyLines


def current_user() -> str:
    """The account name this process runs as, for messages about permissions."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "the current user"


def read_toml(path: Path, error: type[ConfigError]) -> TomlDocument:
    """Read and parse `path`; raise `error` with one precise problem when that fails."""
    raw = read_bytes(path, error)
    text = decode_utf8(path, raw, error)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error([_syntax_problem(path, text, str(exc))]) from None
    return TomlDocument(path, data, key_lines(text))


def read_bytes(path: Path, error: type[ConfigError]) -> bytes:
    """The bytes of `path`, or `error` saying plainly why they cannot be read."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise error([Problem(path, None, None, "does not exist")]) from None
    except IsADirectoryError:
        raise error([Problem(path, None, None, "is a directory, not a file")]) from None
    except PermissionError:
        message = f"cannot be read by user {current_user()}: permission denied"
        raise error([Problem(path, None, None, message)]) from None
    except OSError as exc:
        message = f"cannot be read: {exc.strerror or exc}"
        raise error([Problem(path, None, None, message)]) from None
    if len(raw) > MAX_BYTES:
        message = f"is larger than {MAX_BYTES // 1024} KiB: that is not a settings file"
        raise error([Problem(path, None, None, message)])
    return raw


def decode_utf8(path: Path, raw: bytes, error: type[ConfigError]) -> str:
    """Decode UTF-8 (a leading byte-order mark is allowed); name the first bad byte if not."""
    for bom, name in _UTF16_32_BOMS.items():
        if raw.startswith(bom):
            message = (
                f"is encoded as {name}, not UTF-8: save it as UTF-8 "
                "(in PowerShell: Set-Content -Encoding utf8; in Notepad: Save as, Encoding UTF-8)"
            )
            raise error([Problem(path, 1, None, message)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        message = (
            f"is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded "
            "(was it saved as Latin-1 or Windows-1252?); save the file as UTF-8"
        )
        raise error([Problem(path, line, None, message, column=column)]) from None


def _syntax_problem(path: Path, text: str, message: str) -> Problem:
    match = _POSITION.search(message)
    if match:
        detail = message[: match.start()]
        line, column = int(match.group(1)), int(match.group(2))
    else:
        detail = _END.sub("", message)
        line, column = max(1, text.count("\n") + (not text.endswith("\n"))), None
    return Problem(path, line, None, f"invalid TOML: {detail}", column=column)
