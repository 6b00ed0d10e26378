"""Fixtures for integration tests: the customer peer on a free port, a short-disclosure policy."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import soundfile as sf

from softphone.app.peerproc import CustomerPeer
from tests.integration.archivedata import CREDENTIAL_ENV
from tests.integration.policies import (
    BUILTIN_ENGLISH_DISCLOSURE,
    Compliance,
    tone_policy,
    write_policy,
)
from tests.integration.rtpcapture import RtpCapture
from tests.integration.seaweed import SeaweedServer

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


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """One SeaweedFS S3 server for the whole run (it takes seconds to start and to stop).

    Tests that pause, kill or restart it leave it running again; each uses its own bucket.
    """
    server = SeaweedServer(tmp_path_factory.mktemp("seaweed"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bucket(seaweed: SeaweedServer, request: pytest.FixtureRequest) -> str:
    """A new, empty bucket on the shared server, named after the test."""
    name = "t-" + "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40]
    name = f"{name.rstrip('-')}-{abs(hash(request.node.nodeid)) % 10**6}"
    seaweed.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test server's credentials in AWS's standard environment variables."""
    for name, value in CREDENTIAL_ENV.items():
        monkeypatch.setenv(name, value)
