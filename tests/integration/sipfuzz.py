"""A seeded, bounded corpus of malformed INVITEs: every header and SDP line of a valid one mutated.

Plain functions, no pytest. `corpus()` first yields every single mutation of every line (values
that overflow, format strings, integer extremes, bad encodings, removed and doubled lines, the
message truncated at and inside every line), then seeded random stacks of two to four of them,
until `limit` cases. The same seed gives the same bytes. Every case is one UDP datagram (at most
65,000 bytes: a "64 KiB" header is as long as a datagram can carry it) addressed to `user`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

MAX_DATAGRAM = 65_000
"""The largest case: UDP over IPv4 carries 65,507 bytes at most."""


@dataclass(frozen=True)
class Target:
    """Where the cases go and where their responses come back (the top Via has rport)."""

    port: int
    src_port: int
    user: str = "support"
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class Message:
    """An INVITE as lines; `length` overrides the computed Content-Length value (None: computed).

    `cut` (line number, inside) ends the message after that line, or halfway through it;
    `eol` ends every line.
    """

    request: bytes
    headers: tuple[bytes, ...]
    sdp: tuple[bytes, ...]
    length: bytes | None = None
    cut: tuple[int, bool] | None = None
    eol: bytes = b"\r\n"

    def assemble(self) -> bytes:
        """The datagram: request line, headers, Content-Length, blank line, SDP."""
        body = b"".join(line + self.eol for line in self.sdp)
        length = str(len(body)).encode() if self.length is None else self.length
        head = [self.request, *self.headers]
        if self.length != b"<omitted>":
            head.append(b"Content-Length: " + length)
        lines = [*head, b"", *self.sdp]
        if self.cut is None:
            return b"".join(line + self.eol for line in head) + self.eol + body
        number, inside = self.cut
        kept = b"".join(line + self.eol for line in lines[:number])
        line = lines[number] if number < len(lines) else b""
        return kept + (line[: len(line) // 2] if inside else line + self.eol)


@dataclass(frozen=True)
class Case:
    """One datagram of the corpus; `call_id` is what its responses carry, if it kept its Call-ID."""

    index: int
    name: str
    call_id: str
    data: bytes


Mutation = tuple[str, Callable[[Message], Message]]


def valid_invite(target: Target, call_id: str) -> Message:
    """A well-formed INVITE with a PCMU offer, from target.src_port to target.user."""
    t, src = target, target.src_port
    branch = "z9hG4bK-" + call_id.split("@", maxsplit=1)[0]
    headers = (
        f"Via: SIP/2.0/UDP {t.host}:{src};rport;branch={branch}",
        "Max-Forwards: 70",
        f"From: <sip:fuzzer@{t.host}:{src}>;tag={call_id.split('@', maxsplit=1)[0]}",
        f"To: <sip:{t.user}@{t.host}:{t.port}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 INVITE",
        f"Contact: <sip:fuzzer@{t.host}:{src}>",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS",
        "Supported: replaces, timer",
        "User-Agent: sipfuzz/1",
        "Content-Type: application/sdp",
    )
    sdp = (
        "v=0",
        f"o=fuzzer 1 1 IN IP4 {t.host}",
        "s=-",
        f"c=IN IP4 {t.host}",
        "t=0 0",
        f"m=audio {src + 2} RTP/AVP 0 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=sendrecv",
    )
    return Message(
        f"INVITE sip:{t.user}@{t.host}:{t.port} SIP/2.0".encode(),
        tuple(h.encode() for h in headers),
        tuple(s.encode() for s in sdp),
    )


_OVERFLOWS = {"256": 256, "4k": 4096, "8k": 8192, "63k": 63 * 1024}
_GENERIC: dict[str, bytes] = {
    **{f"overflow-{k}": b"A" * n for k, n in _OVERFLOWS.items()},
    "fmt-s": b"%s%s%s%s%s%s%s%s",
    "fmt-n": b"%n%n%n%n%x%x%x%x",
    "fmt-width": b"%999999999s%.999999999d",
    "int-neg1": b"-1",
    "int-zero": b"0",
    "int-2^32-1": b"4294967295",
    "int-2^32": b"4294967296",
    "int-2^64": b"18446744073709551616",
    "int-huge": b"9" * 400,
    "utf8-invalid": b"\xff\xfe\xfd\xc3\x28\xa0\xa1",
    "utf8-surrogate": b"\xed\xa0\x80\xed\xbf\xbf",
    "utf8-overlong": b"\xc0\xaf\xe0\x80\xaf",
    "nul-inside": b"ab\x00cd",
    "nul-run": b"\x00" * 64,
    "cr-no-lf": b"value\rInjected: yes",
    "lf-only": b"value\nInjected: yes",
    "empty": b"",
    "whitespace": b" \t \t ",
    "angles": b"<" * 512,
    "semicolons": b";" * 512,
    "quote-open": b'"unterminated <sip:x@y>',
    "bare-scheme": b"sip:@:;=;=",
    "control": bytes(range(1, 32)),
}


def _set_header(index: int, value: bytes) -> Callable[[Message], Message]:
    def apply(m: Message) -> Message:
        if index >= len(m.headers):
            return m
        name = m.headers[index].split(b":", 1)[0]
        headers = list(m.headers)
        headers[index] = name + b": " + value
        return replace(m, headers=tuple(headers))

    return apply


def _set_sdp(index: int, value: bytes) -> Callable[[Message], Message]:
    def apply(m: Message) -> Message:
        if index >= len(m.sdp):
            return m
        sdp = list(m.sdp)
        sdp[index] = sdp[index].split(b"=", 1)[0] + b"=" + value
        return replace(m, sdp=tuple(sdp))

    return apply


def _edit(m: Message, field: str, lines: tuple[bytes, ...]) -> Message:
    return replace(m, headers=lines) if field == "headers" else replace(m, sdp=lines)


def _drop(field: str, index: int) -> Callable[[Message], Message]:
    def apply(m: Message) -> Message:
        lines: tuple[bytes, ...] = getattr(m, field)
        return _edit(m, field, lines[:index] + lines[index + 1 :])

    return apply


def _double(field: str, index: int) -> Callable[[Message], Message]:
    def apply(m: Message) -> Message:
        lines: tuple[bytes, ...] = getattr(m, field)
        return _edit(m, field, lines[: index + 1] + lines[index:])

    return apply


def _length(value: bytes) -> Callable[[Message], Message]:
    return lambda m: replace(m, length=value)


def _cut(number: int, inside: bool) -> Callable[[Message], Message]:
    return lambda m: replace(m, cut=(number, inside))


def _field_values(base: Message, target: Target) -> list[Mutation]:
    """Values that mean something for one header or SDP line: its own extremes."""
    t, src = target, target.src_port
    header = {h.split(b":", 1)[0].decode(): i for i, h in enumerate(base.headers)}
    sdp = {s.split(b"=", 1)[0].decode(): i for i, s in enumerate(base.sdp)}
    out: list[Mutation] = []

    def h(name: str, label: str, value: str) -> None:
        out.append((f"{name}:{label}", _set_header(header[name], value.encode())))

    def s(key: str, label: str, value: str) -> None:
        out.append((f"sdp-{key}:{label}", _set_sdp(sdp[key], value.encode())))

    for cseq in ("4294967296", "4294967295", "-1", "0", "99999999999999999999", "1.5", "0x10"):
        h("CSeq", f"number-{cseq}", f"{cseq} INVITE")
    h("CSeq", "method-mismatch", "1 BYE")
    h("CSeq", "no-method", "1")
    h("CSeq", "no-number", "INVITE")
    for hops in ("0", "255", "256", "4294967296", "-1", "abc"):
        h("Max-Forwards", f"value-{hops}", hops)
    for port in ("0", "65535", "65536", "99999", "-1", "4294967297"):
        h("Via", f"port-{port}", f"SIP/2.0/UDP {t.host}:{port};rport;branch=z9hG4bK-p{port}")
        h("Contact", f"port-{port}", f"<sip:fuzzer@{t.host}:{port}>")
        h("To", f"port-{port}", f"<sip:{t.user}@{t.host}:{port}>")
        s("m", f"port-{port}", f"audio {port} RTP/AVP 0")
    h("Via", "version-3", f"SIP/3.0/UDP {t.host}:{src};rport;branch=z9hG4bK-v3")
    h("Via", "transport-unknown", f"SIP/2.0/FOO {t.host}:{src};rport;branch=z9hG4bK-foo")
    h("Via", "no-branch", f"SIP/2.0/UDP {t.host}:{src};rport")
    h("Via", "host-invalid", f"SIP/2.0/UDP 999.999.999.999:{src};rport;branch=z9hG4bK-h")
    h("Contact", "star", "*")
    h("Contact", "no-angles-params", f"sip:fuzzer@{t.host}:{src};expires=-1;q=99")
    h("From", "no-tag", f"<sip:fuzzer@{t.host}:{src}>")
    h("To", "tag-early", f"<sip:{t.user}@{t.host}:{t.port}>;tag=unknown-dialog")
    h("Content-Type", "long-params", "application/sdp" + ";x=y" * 2000)
    h("Content-Type", "not-sdp", "application/x-unknown")
    h("Content-Type", "multipart-no-boundary", "multipart/mixed")
    h("Supported", "timer-required", "timer, 100rel, " + "x, " * 500)
    h("Call-ID", "empty-host", "@")
    for payload in ("128", "255", "999999", "-1", "96"):
        s("m", f"payload-{payload}", f"audio {src + 2} RTP/AVP {payload}")
    s("m", "no-payload", f"audio {src + 2} RTP/AVP")
    s("m", "payloads-1000", f"audio {src + 2} RTP/AVP " + " ".join(["0"] * 1000))
    s("m", "proto-savp", f"audio {src + 2} RTP/SAVP 0")
    s("m", "proto-unknown", f"audio {src + 2} FOO/BAR 0")
    s("m", "media-video", f"video {src + 2} RTP/AVP 31")
    s("m", "port-count", f"audio {src + 2}/65536 RTP/AVP 0")
    for label, conn in (
        ("ip-invalid", "IN IP4 999.1.1.1"),
        ("ip6", "IN IP6 ::1"),
        ("no-address", "IN IP4"),
        ("net-unknown", "XX IP4 127.0.0.1"),
        ("multicast-ttl", "IN IP4 224.2.1.1/127/99999"),
    ):
        s("c", label, conn)
    s("o", "numbers-huge", f"fuzzer {'9' * 300} {'9' * 300} IN IP4 {t.host}")
    s("o", "fields-missing", "fuzzer")
    s("v", "version-1", "1")
    s("t", "times-huge", f"{'9' * 100} -1")
    s("a", "rtpmap-rate-0", "rtpmap:0 PCMU/0")
    s("a", "rtpmap-rate-2^32", "rtpmap:0 PCMU/4294967296/99")
    s("a", "rtpmap-payload-huge", "rtpmap:4294967296 PCMU/8000")
    s("a", "fmtp-long", "fmtp:101 " + "0-15," * 4000)
    out.append(("request:port-99999", lambda m: replace(m, request=_request(t, "99999"))))
    out.append(("request:port-0", lambda m: replace(m, request=_request(t, "0"))))
    out.append(("request:version-2.1", lambda m: replace(m, request=m.request[:-1] + b"1")))
    out.append(("request:no-version", lambda m: replace(m, request=m.request.rsplit(b" ", 1)[0])))
    out.append(("request:lowercase", lambda m: replace(m, request=b"invite" + m.request[6:])))
    out.append(("request:spaces", lambda m: replace(m, request=m.request.replace(b" ", b"   "))))
    out.append(("request:method-long", lambda m: replace(m, request=b"I" * 4096 + m.request[6:])))
    out.append(("request:uri-long", lambda m: replace(m, request=_request(t, "5060", 8000))))
    return out


def _request(t: Target, port: str, user_len: int = 0) -> bytes:
    user = t.user + "x" * user_len
    return f"INVITE sip:{user}@{t.host}:{port} SIP/2.0".encode()


def _length_values(body: int) -> list[Mutation]:
    values = {
        "too-big": str(body + 1000),
        "too-small": str(max(body - 10, 0)),
        "one": "1",
        "negative": "-1",
        "2^32": "4294967296",
        "2^64": "18446744073709551616",
        "not-a-number": "abc",
        "empty": "",
    }
    out: list[Mutation] = [(f"Content-Length:{k}", _length(v.encode())) for k, v in values.items()]
    out.append(("Content-Length:omitted", lambda m: replace(m, length=b"<omitted>")))
    out.append(
        (
            "Content-Length:twice",
            lambda m: replace(m, headers=(*m.headers, f"Content-Length: {body + 7}".encode())),
        )
    )
    return out


def _structure(base: Message) -> list[Mutation]:
    """Lines removed or doubled, the message truncated at and inside every line, line endings."""
    out: list[Mutation] = []
    for i, line in enumerate(base.headers):
        name = line.split(b":", 1)[0].decode()
        out.append((f"{name}:removed", _drop("headers", i)))
        out.append((f"{name}:doubled", _double("headers", i)))
    for i, line in enumerate(base.sdp):
        key = line.split(b"=", 1)[0].decode()
        out.append((f"sdp-{key}{i}:removed", _drop("sdp", i)))
        out.append((f"sdp-{key}{i}:doubled", _double("sdp", i)))
    for number in range(len(base.headers) + len(base.sdp) + 2):
        for inside in (False, True):
            where = "inside" if inside else "after"
            out.append((f"truncated:{where}-line-{number}", _cut(number, inside)))
    out.append(("eol:lf-only", lambda m: replace(m, eol=b"\n")))
    out.append(("eol:cr-only", lambda m: replace(m, eol=b"\r")))
    out.append(("eol:lfcr", lambda m: replace(m, eol=b"\n\r")))
    return out


def mutations(target: Target) -> list[Mutation]:
    """Every single mutation, in a fixed order: each line with each generic value, then the rest."""
    base = valid_invite(target, "base@x")
    out: list[Mutation] = []
    for i, line in enumerate(base.headers):
        name = line.split(b":", 1)[0].decode()
        out += [(f"{name}:{k}", _set_header(i, v)) for k, v in _GENERIC.items()]
    for i, line in enumerate(base.sdp):
        key = line.split(b"=", 1)[0].decode()
        out += [(f"sdp-{key}{i}:{k}", _set_sdp(i, v)) for k, v in _GENERIC.items()]
    out += _field_values(base, target)
    out += _length_values(len(base.assemble().split(b"\r\n\r\n", 1)[1]))
    out += _structure(base)
    return out


def corpus(target: Target, *, seed: int, limit: int) -> Iterator[Case]:
    """`limit` cases: each single mutation once, then random stacks of 2-4 (seeded)."""
    singles = mutations(target)
    rng = random.Random(seed)
    for index in range(limit):
        call_id = f"fuzz-{seed}-{index}@{target.host}"
        if index < len(singles):
            chosen = [singles[index]]
        else:
            chosen = rng.sample(singles, rng.randint(2, 4))
        message = valid_invite(target, call_id)
        for _name, apply in chosen:
            message = apply(message)
        data = message.assemble()[:MAX_DATAGRAM]
        yield Case(index, "+".join(name for name, _ in chosen), call_id, data)
