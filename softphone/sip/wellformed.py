"""What makes an INVITE the SIP stack accepted malformed all the same (RFC 4475 3.1.2.2, 3.3.8).

pjsip is liberal in two ways RFC 3261 is not: over UDP it takes a Content-Length larger than the
datagram (7.5, 18.3: such a message must be refused with 400), and it keeps the first of several
values of a single-value header field such as To or Call-ID (7.3.1, 20: only the fields that
allow a list may repeat). Such an INVITE reaches the call layer; the desk refuses it with 400.
"""

from __future__ import annotations

import re

_COMPACT = {"t": "to", "f": "from", "i": "call-id", "l": "content-length", "c": "content-type"}
_SINGLE = ("to", "from", "call-id", "cseq", "max-forwards", "content-length", "content-type")
_HEADER = re.compile(r"([!-9;-~]+)[ \t]*:")


def malformation(message: str) -> str:
    """Why the whole `message` is malformed in these two ways, or '' when it is not.

    A body shorter than its Content-Length can only have come in a datagram: over a stream the
    stack waits for the rest.
    """
    head, sep, body = message.partition("\r\n\r\n")
    if not sep:
        head, sep, body = message.partition("\n\n")
    counts: dict[str, int] = {}
    length = ""
    for line in head.splitlines()[1:]:
        match = _HEADER.match(line)
        if match is None or line[:1] in " \t":
            continue  # a folded continuation line
        name = match.group(1).lower()
        name = _COMPACT.get(name, name)
        counts[name] = counts.get(name, 0) + 1
        if name == "content-length":
            length = line[match.end() :].strip()
    repeated = [name for name in _SINGLE if counts.get(name, 0) > 1]
    if repeated:
        return f"the INVITE repeats a header that takes one value: {', '.join(repeated)}"
    size = len(body.encode("utf-8", "surrogateescape"))
    if length.isdigit() and int(length) > size:
        return f"the INVITE's Content-Length ({length}) is larger than its body ({size} bytes)"
    return ""
