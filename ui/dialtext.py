"""What the agent typed or pasted into the dial field: cleaned, and whether it can be dialled."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

MAX_DIGITS = 32
"""E.164 numbers have at most 15 digits; prefixes, feature codes and extensions stay well under."""

_SEPARATORS = re.compile(r"[\s\-./()\u00a0\u2010-\u2015]")  # what people put between digits
_NUMBER = re.compile(r"^\+?[0-9*#]+$")
_ANGLED = re.compile(r"<([^<>]*)>")  # "Name <sip:user@host>", as mail and SIP clients copy it
_SCHEME = re.compile(r"^(sips?|tel):", re.IGNORECASE)
_URI = re.compile(
    r"^sips?:(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+@)?"  # user (RFC 3261's unreserved, escaped)
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"  # host or [IPv6]
    r"(?::[0-9]{1,5})?(?:;[A-Za-z0-9\-_.=~]+)*$"  # port, parameters
)


class DialKind(enum.Enum):
    """What the text turned out to be."""

    EMPTY = "empty"  # nothing typed yet: not an error
    NUMBER = "number"  # digits (with a leading + or * and #), dialled through the account
    URI = "uri"  # a SIP address, dialled as it is
    INVALID = "invalid"


@dataclass(frozen=True)
class DialText:
    """The cleaned text and, when it cannot be dialled, why not (in words for the agent)."""

    kind: DialKind
    target: str  # the number or URI to dial; "" unless dialable
    problem: str  # "" when dialable (or empty)

    @property
    def dialable(self) -> bool:
        """Whether pressing Enter would place a call."""
        return self.kind in (DialKind.NUMBER, DialKind.URI)


def read_dial_text(text: str) -> DialText:
    """Clean what was typed or pasted and say whether it is dialable, and why not."""
    text = text.strip()
    angled = _ANGLED.search(text)
    if angled:
        text = angled.group(1).strip()
    if not text:
        return DialText(DialKind.EMPTY, "", "")
    scheme = _SCHEME.match(text)
    if scheme and scheme.group(1).lower() == "tel":
        return _number(text[scheme.end() :].split(";", 1)[0])
    if scheme:
        return _uri(scheme.group(1).lower() + ":" + text[scheme.end() :])
    if "@" in text:
        return _uri("sip:" + text)
    return _number(text)


def dial_target(entry: DialText, to_uri: Callable[[str], str]) -> str:
    """The SIP URI to call for a dialable entry: a number or an address, as the account's
    `to_uri` dials it (a number at the account's domain, both over its transport)."""
    if entry.kind in (DialKind.URI, DialKind.NUMBER):
        return to_uri(entry.target)
    raise ValueError(f"not dialable: {entry.problem or 'nothing typed'}")


def _number(text: str) -> DialText:
    if text.startswith("+"):
        text = text.replace("(0)", "")  # "+31 (0)20 ...": the trunk 0 is not dialled from abroad
    number = _SEPARATORS.sub("", text)
    if not number:
        return DialText(
            DialKind.INVALID,
            "",
            QCoreApplication.translate("DialText", "There is no number in it."),
        )
    if _NUMBER.match(number):
        digits = sum(c.isdigit() or c in "*#" for c in number)
        if digits > MAX_DIGITS:
            return DialText(
                DialKind.INVALID,
                "",
                QCoreApplication.translate("DialText", "That is too long for a phone number."),
            )
        return DialText(DialKind.NUMBER, number, "")
    if "+" in number[1:]:
        return DialText(
            DialKind.INVALID,
            "",
            QCoreApplication.translate("DialText", "A + may only stand at the start."),
        )
    bad = next(c for c in number if not (c.isdigit() or c in "+*#"))
    why = QCoreApplication.translate(
        "DialText", "“%1” cannot be dialled: use digits, +, * and #, or a SIP address."
    )
    return DialText(DialKind.INVALID, "", why.replace("%1", bad))


def _uri(uri: str) -> DialText:
    if any(c.isspace() for c in uri):
        return DialText(
            DialKind.INVALID,
            "",
            QCoreApplication.translate("DialText", "A SIP address has no spaces in it."),
        )
    if _URI.match(uri):
        return DialText(DialKind.URI, uri, "")
    return DialText(
        DialKind.INVALID,
        "",
        QCoreApplication.translate(
            "DialText", "That is not a SIP address such as sip:name@example.com."
        ),
    )
