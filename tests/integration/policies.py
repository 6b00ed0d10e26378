"""Admin policies for integration tests and benchmarks: a short tone disclosure, or the real one.

Plain functions, no pytest: the benchmarks use them too, from the runtime environment.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from softphone.vocabulary.frames import RATE


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


def tone_policy(folder: Path) -> Compliance:
    """A policy in `folder` with a DISCLOSURE_S tone disclosure and an empty recordings folder."""
    folder.mkdir(parents=True, exist_ok=True)
    audio = folder / "disclosure.wav"
    t = np.arange(int(DISCLOSURE_S * RATE)) / RATE
    sf.write(audio, 0.3 * np.sin(2 * np.pi * DISCLOSURE_HZ * t), RATE, subtype="PCM_16")
    recordings = folder / "recordings"
    recordings.mkdir(exist_ok=True)
    return Compliance(write_policy(folder, audio, recordings), recordings, DISCLOSURE_S)


BUILTIN_ENGLISH_DISCLOSURE = (
    Path(__file__).resolve().parents[2] / "resources" / "disclosure" / "en.wav"
)
"""The built-in English disclosure: 11.9 s of speech (espeak-ng), 16 kHz mono."""
