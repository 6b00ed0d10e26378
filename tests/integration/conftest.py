"""Fixtures for integration tests: the customer peer on a free port, a short-disclosure policy."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import soundfile as sf

from softphone.app.peerproc import CustomerPeer
from tests.integration.policies import (
    BUILTIN_ENGLISH_DISCLOSURE,
    Compliance,
    tone_policy,
    write_policy,
)
from tests.integration.rtpcapture import RtpCapture

# A run started in the background (`cmd &` in a script) inherits SIGINT ignored and hands that on
# to every child, so the Ctrl-C tests' softphone would never see it. A handled signal is reset to
# its default in a child, an ignored one is not: handle it here.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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


@pytest.fixture
def compliance(tmp_path: Path) -> Compliance:
    """A policy with a 1.2 s disclosure tone and an empty recordings directory."""
    return tone_policy(tmp_path)


@pytest.fixture
def english_compliance(tmp_path: Path) -> Compliance:
    """A policy whose disclosure is the built-in English speech, and an empty recordings folder."""
    folder = tmp_path / "english-policy"
    folder.mkdir()
    recordings = tmp_path / "english-recordings"
    recordings.mkdir()
    info = sf.info(str(BUILTIN_ENGLISH_DISCLOSURE))
    policy = write_policy(folder, BUILTIN_ENGLISH_DISCLOSURE, recordings)
    return Compliance(policy, recordings, info.frames / info.samplerate)


@pytest.fixture
def rtp_capture() -> Iterator[RtpCapture]:
    """An RTP endpoint on a free loopback port pair, recording what is sent to it; closed after."""
    with RtpCapture("127.0.0.1") as capture:
        yield capture
