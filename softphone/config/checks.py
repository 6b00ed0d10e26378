"""Typed value checks for configuration keys: each says what it expects and what it got."""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Generic, TypeVar

T = TypeVar("T")

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SIP_URI = re.compile(
    r"(sips?):([^\s@;?]+@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?([;?]\S*)?"
)


class InvalidValueError(ValueError):
    """A value does not fit its key; the message completes 'key: ...'."""


def show(value: object) -> str:
    """A value as TOML would write it, for 'got ...' in messages (long text is cut)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 80 else text[:76] + '..."'
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return f"the date/time {value.isoformat()}"
    return type(value).__name__


class ValueType(ABC, Generic[T]):
    """The type of one key: checks a TOML value and parses text typed on the command line."""

    expected: str  # completes "expected ...", e.g. "one of udp, tcp, tls"

    def fail(self, value: object) -> InvalidValueError:
        """The error for `value`."""
        return InvalidValueError(f"expected {self.expected}, got {show(value)}")

    @abstractmethod
    def check(self, value: object) -> T:
        """Return the value as its Python type, or raise `InvalidValueError`."""

    def parse(self, text: str) -> T:
        """Parse a value typed on the command line (most types take the text as is)."""
        return self.check(text)

    def to_toml(self, value: T) -> str:
        """The value written as TOML."""
        return toml_string(str(value))


class Text(ValueType[str]):
    """A string, optionally non-empty and matching a pattern."""

    def __init__(
        self,
        expected: str = "a string",
        *,
        empty: bool = True,
        pattern: re.Pattern[str] | None = None,
    ) -> None:
        self.expected = expected
        self.empty = empty
        self.pattern = pattern

    def check(self, value: object) -> str:
        if not isinstance(value, str):
            raise self.fail(value)
        if not value and self.empty:
            return value
        if not value.strip():
            raise InvalidValueError(
                f"expected {self.expected}, got {'an empty' if not value else 'a blank'} string"
            )
        if any(not c.isprintable() for c in value) or (
            self.pattern is not None and not self.pattern.fullmatch(value)
        ):
            raise self.fail(value)
        return value


class Prose(ValueType[str]):
    """Free text for people: not empty, line breaks allowed."""

    def __init__(self, expected: str) -> None:
        self.expected = expected

    def check(self, value: object) -> str:
        if not isinstance(value, str):
            raise self.fail(value)
        if not value.strip():
            raise InvalidValueError(f"expected {self.expected}, got an empty string")
        return value.strip()


class Choice(ValueType[str]):
    """One of a fixed set of strings."""

    def __init__(self, values: Sequence[str]) -> None:
        self.values = tuple(values)
        self.expected = f"one of {', '.join(self.values)}"

    def check(self, value: object) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise self.fail(value)
        return value


class Flag(ValueType[bool]):
    """true or false."""

    expected = "true or false"

    def check(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(value)
        return value

    def parse(self, text: str) -> bool:
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise self.fail(text)

    def to_toml(self, value: bool) -> str:
        return "true" if value else "false"


class Integer(ValueType[int]):
    """A whole number within bounds."""

    def __init__(self, minimum: int, maximum: int, unit: str = "") -> None:
        self.minimum, self.maximum = minimum, maximum
        self.expected = f"a whole number{unit} from {minimum} to {maximum}"

    def check(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(value)
        if not self.minimum <= value <= self.maximum:
            raise self.fail(value)
        return value

    def parse(self, text: str) -> int:
        try:
            return self.check(int(text.strip()))
        except ValueError:
            raise self.fail(text) from None

    def to_toml(self, value: int) -> str:
        return str(value)


class AbsolutePath(ValueType[Path]):
    """An absolute path: relative ones would depend on the directory the app starts in."""

    expected = "an absolute path"

    def check(self, value: object) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(value)
        if not is_absolute(value):
            raise InvalidValueError(
                f"expected an absolute path, got the relative path {show(value)} "
                "(it would depend on the directory the softphone is started from)"
            )
        return Path(value)


def sip_uri_parts(uri: str) -> tuple[str, str, str]:
    """The scheme, host and parameters (';transport=tls...') of a URI that passed `SIP_URI`."""
    match = _SIP_URI.fullmatch(uri)
    if match is None:
        raise InvalidValueError(f"expected {SIP_URI.expected}, got {show(uri)}")
    return match.group(1), match.group(3), match.group(5) or ""


def is_absolute(text: str) -> bool:
    """Absolute on this platform's rules (a drive and a root on Windows, a leading / elsewhere)."""
    return Path(text).is_absolute() or (
        PureWindowsPath(text).is_absolute() and not PurePosixPath(text).is_absolute()
    )


def toml_string(text: str) -> str:
    """A TOML basic string; every character TOML does not allow raw is escaped."""
    out = ['"']
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


# Shared instances, so every file spells an expectation the same way.
ACCOUNT_NAME = Text(
    "a name of letters, digits, '.', '_' or '-', starting with a letter or digit",
    empty=False,
    pattern=_NAME,
)
LANGUAGE_TAG = Text("a language tag such as nl, en or pt-BR", empty=False, pattern=_LANGUAGE_TAG)
OPTIONAL_LANGUAGE_TAG = Text(
    'a language tag such as nl or en, or "" for the system language', pattern=_LANGUAGE_TAG
)
SIP_URI = Text(
    "a SIP URI such as sip:pbx.example.com or sips:pbx.example.com:5061",
    empty=False,
    pattern=_SIP_URI,
)
SIP_USER = Text(
    "a SIP user name without spaces or '@'", empty=False, pattern=re.compile(r"[^\s@]+")
)
HOST = Text(
    "a host name or IP address such as example.com",
    empty=False,
    pattern=re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]"),
)
NON_EMPTY = Text("a non-empty string", empty=False)
GROUP_NAME = Text(
    "the name of a local group, such as qa-reviewers",
    empty=False,
    pattern=re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\$?"),
)
DEVICE = Text('an audio device name, or "" for the system default')


class Logins(ValueType[tuple[str, ...]]):
    """An array of login names (qa.reviewers), in order, without repeats."""

    expected = 'an array of logins such as ["anna", "bram"]'

    def check(self, value: object) -> tuple[str, ...]:
        """The logins; InvalidValueError naming the first that is not one."""
        if not isinstance(value, list):
            raise self.fail(value)
        for item in value:
            if not isinstance(item, str) or not LOGIN.fullmatch(item):
                raise InvalidValueError(f"expected {self.expected}, got {show(item)} in it")
        return tuple(dict.fromkeys(value))

    def to_toml(self, value: tuple[str, ...]) -> str:
        """The logins as a TOML array."""
        return "[" + ", ".join(toml_string(v) for v in value) + "]"


LOGIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\$?")


class HostsOrNetworks(ValueType[tuple[str, ...]]):
    """An array of host names, IP addresses or CIDR networks (security.trusted_hosts)."""

    expected = 'an array of hosts or networks such as ["pbx.example.com", "10.1.0.0/16"]'

    def check(self, value: object) -> tuple[str, ...]:
        """The entries, in order, without repeats; InvalidValueError naming the first bad one."""
        if not isinstance(value, list):
            raise self.fail(value)
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise InvalidValueError(f"expected {self.expected}, got {show(item)} in it")
            if not _host_or_network(item):
                raise InvalidValueError(
                    f"expected {self.expected}, got {show(item)} in it: not a host name, an IP "
                    "address or a network (a CIDR network needs a prefix length that fits its "
                    "address, such as /8 to /32 for IPv4)"
                )
        return tuple(dict.fromkeys(value))

    def to_toml(self, value: tuple[str, ...]) -> str:
        """The entries as a TOML array."""
        return "[" + ", ".join(toml_string(v) for v in value) + "]"


def _host_or_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    else:
        return True
    if "/" in text or text.replace(".", "").isdigit():
        return False  # a network or an address that does not parse is not a host name
    return HOST.pattern is not None and HOST.pattern.fullmatch(text) is not None


def did_you_mean(name: str, candidates: Sequence[str]) -> str:
    """' (did you mean "x"?)' for a close candidate, else the list of what is known."""
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        return f' (did you mean "{close[0]}"?)'
    if not candidates:
        return " (nothing may be set here)"
    return f" (expected one of: {', '.join(sorted(candidates))})"
