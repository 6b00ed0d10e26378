"""A SIP registrar over TLS on 127.0.0.1 with digest authentication, run in a test's own threads.

SIPp 3.6.1 as Debian builds it has no TLS (`sipp -h` lists only UDP, TCP and SCTP), so this
registrar is written with Python's `ssl` module, which uses the system's OpenSSL 3: an
independent TLS implementation on the other side of pjsip's. It records what a test needs to
judge the connection: every handshake's protocol version and cipher (or why it failed) and
every SIP request as received (decrypted).

REGISTER without credentials gets 401 with a Digest challenge (realm "test", MD5, no qop);
with valid credentials 200 OK (or, with Expires 0, the binding is removed); with wrong ones
403 Forbidden. Any other request gets 405.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import socket
import ssl
import threading
import warnings
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from tests.integration.tlsca import Issued

REALM = "test"
_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
}
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')


@dataclass(frozen=True)
class Handshake:
    """One TLS connection attempt as the server saw it."""

    ok: bool
    version: str = ""
    cipher: str = ""
    error: str = ""


@dataclass(frozen=True)
class Request:
    """A SIP request as received: request line, headers (lower-case names) and raw text."""

    line: str
    headers: tuple[tuple[str, str], ...]
    raw: str

    @property
    def method(self) -> str:
        """REGISTER, OPTIONS, ..."""
        return self.line.split(" ", 1)[0]

    def header(self, name: str) -> str | None:
        """The first header called `name` (full lower-case name), or None."""
        return next((v for k, v in self.headers if k == name), None)

    def all(self, name: str) -> list[str]:
        """Every header called `name`, in order."""
        return [v for k, v in self.headers if k == name]


@dataclass
class Bindings:
    """What the registrar did: registrations accepted, removed and refused."""

    registered: int = 0
    unregistered: int = 0
    refused: int = 0
    challenged: int = 0
    seen: list[str] = field(default_factory=list)


def server_context(
    cert: Issued, *, max_version: ssl.TLSVersion | None = None, ciphers: str | None = None
) -> ssl.SSLContext:
    """A server-side TLS context; `max_version` and `ciphers` make a server that is too weak."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert.cert, cert.key)
    if max_version is not None:
        with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = max_version
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if ciphers is not None:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(ciphers)
    return ctx


class TlsRegistrar:
    """The registrar; use as a context manager. `uri` is its sips: address on 127.0.0.1."""

    def __init__(
        self, context: ssl.SSLContext, *, user: str, password: str, host: str = "127.0.0.1"
    ) -> None:
        self._context = context
        self._user = user
        self._password = password
        self.host = host
        self.handshakes: list[Handshake] = []
        self.requests: list[Request] = []
        self.bindings = Bindings()
        self.received = bytearray()  # every decrypted byte, to search for secrets
        self._nonce = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])

    def uri(self, scheme: str = "sips") -> str:
        """The registrar's URI (sips:127.0.0.1:PORT, or sip:...;transport=tls)."""
        suffix = ";transport=tls" if scheme == "sip" else ""
        return f"{scheme}:{self.host}:{self.port}{suffix}"

    def __enter__(self) -> Self:
        self._spawn(self._accept_loop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(5.0)
        self._listener.close()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            with self._lock:
                self.handshakes.append(Handshake(False, error=str(exc)))
            conn.close()
            return
        cipher = tls.cipher()
        with self._lock:
            self.handshakes.append(
                Handshake(True, tls.version() or "", cipher[0] if cipher else "")
            )
        tls.settimeout(0.1)
        with contextlib.closing(tls):
            self._read_loop(tls)

    def _read_loop(self, tls: ssl.SSLSocket) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                data = tls.recv(65536)
            except TimeoutError:
                continue
            except (ssl.SSLError, OSError):
                return
            if not data:
                return
            with self._lock:
                self.received += data
            buffer += data
            while (request := _take_request(buffer)) is not None:
                parsed, buffer = request
                with self._lock:
                    self.requests.append(parsed)
                    response = self._respond(parsed)
                with contextlib.suppress(ssl.SSLError, OSError):
                    tls.sendall(response.encode())

    def _respond(self, request: Request) -> str:
        if request.method != "REGISTER":
            return _response(request, "405 Method Not Allowed", [])
        auth = request.header("authorization")
        if auth is None:
            self.bindings.challenged += 1
            challenge = f'Digest realm="{REALM}", nonce="{self._nonce}", algorithm=MD5'
            return _response(request, "401 Unauthorized", [f"WWW-Authenticate: {challenge}"])
        if not self._valid(auth):
            self.bindings.refused += 1
            return _response(request, "403 Forbidden", [])
        expires = _expires(request)
        contact = request.header("contact") or ""
        self.bindings.seen.append(contact)
        if expires == 0:
            self.bindings.unregistered += 1
            return _response(request, "200 OK", ["Expires: 0"])
        self.bindings.registered += 1
        return _response(request, "200 OK", [f"Contact: {contact};expires={expires}"])

    def _valid(self, authorization: str) -> bool:
        if not authorization.startswith("Digest "):
            return False
        params = {m[0].lower(): m[1] or m[2] for m in _PARAM.findall(authorization)}
        if params.get("username") != self._user or params.get("nonce") != self._nonce:
            return False
        ha1 = _md5(f"{self._user}:{REALM}:{self._password}")
        ha2 = _md5(f"REGISTER:{params.get('uri', '')}")
        return params.get("response") == _md5(f"{ha1}:{self._nonce}:{ha2}")

    def received_text(self) -> str:
        """Everything the registrar received, decrypted, as text."""
        with self._lock:
            return self.received.decode("utf-8", errors="replace")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _expires(request: Request) -> int:
    contact = request.header("contact") or ""
    found = re.search(r";\s*expires=(\d+)", contact)
    if found:
        return int(found.group(1))
    header = request.header("expires")
    return int(header) if header and header.strip().isdigit() else 3600


def _take_request(buffer: bytes) -> tuple[Request, bytes] | None:
    """The first complete SIP message in `buffer` and what follows it; keep-alive CRLFs skipped."""
    buffer = buffer.lstrip(b"\r\n")
    head, sep, rest = buffer.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("utf-8", errors="replace").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers.append((_COMPACT.get(key, key), value.strip()))
    length = int(next((v for k, v in headers if k == "content-length"), "0") or 0)
    if len(rest) < length:
        return None
    raw = (head + sep + rest[:length]).decode("utf-8", errors="replace")
    return Request(lines[0], tuple(headers), raw), rest[length:]


def _response(request: Request, status: str, extra: list[str]) -> str:
    to = request.header("to") or ""
    if ";tag=" not in to:
        to += ";tag=tlsreg1"
    lines = [f"SIP/2.0 {status}"]
    lines += [f"Via: {via}" for via in request.all("via")]
    lines += [
        f"From: {request.header('from')}",
        f"To: {to}",
        f"Call-ID: {request.header('call-id')}",
        f"CSeq: {request.header('cseq')}",
        *extra,
        "Content-Length: 0",
    ]
    return "\r\n".join(lines) + "\r\n\r\n"
