"""Fixtures for integration tests: the customer peer on a free port, a short-disclosure policy."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from softphone.media.frames import RATE
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


@dataclass(frozen=True)
class Compliance:
    """An admin policy with a short, recognisable disclosure and its recordings directory."""

    policy: Path
    recordings: Path
    disclosure_s: float

    @property
    def args(self) -> list[str]:
        """Command-line options that make `softphone call/answer` use this policy."""
        return ["--policy", str(self.policy)]

    def recordings_made(self) -> list[Path]:
        """Every file in the recordings directory."""
        return sorted(p for p in self.recordings.rglob("*") if p.is_file())


DISCLOSURE_HZ = 700.0  # the test disclosure is this tone, so FFT can find it in what was heard
DISCLOSURE_S = 1.2


def write_policy(folder: Path, audio: Path, recordings: Path) -> Path:
    """A complete admin policy whose disclosure is `audio`."""
    policy = folder / "policy.toml"
    policy.write_text(
        textwrap.dedent(
            f"""\
            [disclosure]
            default_language = "en"

            [disclosure.languages.en]
            id = "test-disclosure-en-1"
            audio = "{audio}"
            purpose = "This call is recorded for quality and training, and to record agreements."

            [recording]
            directory = "{recordings}"
            retention_days = 7
            """
        ),
        encoding="utf-8",
    )
    return policy


@pytest.fixture
def compliance(tmp_path: Path) -> Compliance:
    """A policy with a 1.2 s disclosure tone and an empty recordings directory."""
    audio = tmp_path / "disclosure.wav"
    t = np.arange(int(DISCLOSURE_S * RATE)) / RATE
    sf.write(audio, 0.3 * np.sin(2 * np.pi * DISCLOSURE_HZ * t), RATE, subtype="PCM_16")
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    return Compliance(write_policy(tmp_path, audio, recordings), recordings, DISCLOSURE_S)
