"""How a call's other party is shown: a name if the address brings one, and the address."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAMED = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<uri>[^>]*)>')
_SCHEME = re.compile(r"^(sips?|tel):", re.IGNORECASE)


@dataclass(frozen=True)
class Party:
    """A name to show first (the display name, else the user part) and the plain address."""

    name: str
    address: str

    @property
    def label(self) -> str:
        """Name and address on one line, without repeating a name that is the address."""
        return self.name if self.name == self.address else f"{self.name} ({self.address})"


def party(uri: str) -> Party:
    """`"Alice" <sip:alice@example.com;transport=tcp>` becomes Alice, alice@example.com."""
    name = ""
    named = _NAMED.match(uri)
    if named:
        name, uri = named.group("name").strip(), named.group("uri")
    address = _SCHEME.sub("", uri.strip()).split(";", 1)[0]
    user = address.split("@", 1)[0] if "@" in address else address
    return Party(name or user or address, address)
