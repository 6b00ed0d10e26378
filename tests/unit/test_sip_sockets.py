"""Finding our own SIP sockets by port: UDP and listening TCP, not connected TCP."""

from __future__ import annotations

import socket
from pathlib import Path

from softphone.sip.sockets import bound_socket_fds


def test_udp_and_listening_tcp_sockets_are_found_by_their_port() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other,
    ):
        udp.bind(("127.0.0.1", 0))
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        other.bind(("127.0.0.1", 0))
        ports = {udp.getsockname()[1], listener.getsockname()[1]}
        assert bound_socket_fds(ports) == tuple(sorted((udp.fileno(), listener.fileno())))


def test_a_connected_tcp_socket_is_left_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            with accepted:
                assert bound_socket_fds({port}) == (server.fileno(),)
                assert bound_socket_fds({client.getsockname()[1]}) == ()


def test_without_proc_nothing_is_found(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        assert bound_socket_fds({udp.getsockname()[1]}, proc=tmp_path) == ()
