"""A TCP relay between the softphone and the S3 server that tests can slow, hold or falsify.

Real sockets on 127.0.0.1: `hold_puts` lets the first half of a PUT through and then holds the
rest (the upload is under way and cannot finish: a test may kill the uploader then), `delay_s`
slows every chunk, and `false_checksums` rewrites the x-amz-checksum-sha256 the server answers
with (an object that comes back with another checksum).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time

_CHECKSUM = re.compile(rb"(?i)(x-amz-checksum-sha256: )([A-Za-z0-9+/=]{44})")
_FALSE = b"A" * 43 + b"="


class S3Proxy:
    """Relays 127.0.0.1:`port` to `upstream` (host, port) until `close`."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.hold_puts = False
        self.delay_s = 0.0
        self.false_checksums = False
        self.holding = threading.Event()  # set once a PUT is held
        self.release = threading.Event()
        self._closed = False
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        """The URL to give the softphone instead of the server's."""
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.delay_s:
                    time.sleep(self.delay_s)
                if upstream and self.hold_puts and data.startswith(b"PUT "):
                    sink.sendall(data[: len(data) // 2])
                    self.holding.set()
                    self.release.wait()
                    data = data[len(data) // 2 :]
                if not upstream and self.false_checksums:
                    data = _CHECKSUM.sub(lambda m: m.group(1) + _FALSE, data)
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop relaying and close every connection."""
        self._closed = True
        self.release.set()
        self.listener.close()
        for end in self._sockets:
            with contextlib.suppress(OSError):
                end.close()
