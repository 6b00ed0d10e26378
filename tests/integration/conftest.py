"""Fixtures for integration tests: the customer peer on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from softphone.peerproc import CustomerPeer


@pytest.fixture
def start_peer(tmp_path: Path) -> Iterator[Callable[..., CustomerPeer]]:
    """Start customer peers with extra arguments; every one is stopped after the test."""
    peers: list[CustomerPeer] = []

    def start(*args: str) -> CustomerPeer:
        peer = CustomerPeer(["--listen", "127.0.0.1:0", "--max-seconds", "40", *args], tmp_path)
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.stop()
