"""Helpers for the config tests: real files for a policy to point at, and policy text builders."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from softphone.config.commands import Context
from softphone.config.policy import load_policy

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "resources" / "policy.example.toml"
FAKE_PEM = b"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


@dataclass(frozen=True)
class Files:
    """Files and folders a test policy refers to, all under one temporary directory."""

    root: Path
    nl: Path
    en: Path
    ca: Path
    recordings: Path
    resources: Path
    preferences: Path
    machine: Path  # where the machine-wide policy would be; absent unless a test writes it

    def context(self, **changes: object) -> Context:
        """A command context that touches nothing outside `root`."""
        fields: dict[str, object] = {
            "environ": {},
            "machine_policy": self.machine,
            "preferences": self.preferences,
            "resources": self.resources,
            "default_recordings": self.root / "data" / "recordings",
        }
        fields.update(changes)
        return Context(**fields)  # type: ignore[arg-type]


def write_wav(path: Path, seconds: float = 1.2) -> None:
    """A playable disclosure stand-in: an 8 kHz mono WAV of a 440 Hz tone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = 0.3 * 32767 * np.sin(2 * np.pi * 440 * np.arange(int(8000 * seconds)) / 8000)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(samples.astype("<i2").tobytes())


def make_files(root: Path) -> Files:
    """Create disclosure audio, a CA file, a recordings folder and built-in resources."""
    resources = root / "resources"
    for language, text in (
        ("nl", "Dit gesprek wordt opgenomen."),
        ("en", "This call is recorded."),
    ):
        write_wav(resources / "disclosure" / f"{language}.wav")
        (resources / "disclosure" / f"{language}.txt").write_text(text + "\n", encoding="utf-8")
    write_wav(root / "audio" / "nl.wav")
    write_wav(root / "audio" / "en.wav")
    (root / "ca.pem").write_bytes(FAKE_PEM)
    (root / "recordings").mkdir()
    return Files(
        root=root,
        nl=root / "audio" / "nl.wav",
        en=root / "audio" / "en.wav",
        ca=root / "ca.pem",
        recordings=root / "recordings",
        resources=resources,
        preferences=root / "config" / "preferences.toml",
        machine=root / "etc" / "policy.toml",
    )


MINIMAL = """\
[disclosure]
default_language = "nl"

[disclosure.languages.nl]
id = "test-nl"
audio = "@NL@"
purpose = "Dit gesprek wordt opgenomen voor kwaliteitsbewaking."
"""

HEAD = """\
[[accounts]]
name = "office"
registrar = "sip:pbx.example.com"
user = "agent042"
"""


def fill(text: str, files: Files) -> str:
    """Replace @NL@, @EN@, @CA@ and @REC@ with the test's real paths."""
    return (
        text.replace("@NL@", str(files.nl))
        .replace("@EN@", str(files.en))
        .replace("@CA@", str(files.ca))
        .replace("@REC@", str(files.recordings))
    )


def write_policy(files: Files, text: str, name: str = "policy.toml") -> Path:
    """Write policy `text` (placeholders filled in) and return its path."""
    path = files.root / name
    path.write_text(fill(text, files), encoding="utf-8")
    return path


def example_policy(files: Files) -> Path:
    """resources/policy.example.toml with its paths pointed at this test's files."""
    text = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("/usr/share/softphone/disclosure/nl.wav", str(files.nl))
        .replace("/usr/share/softphone/disclosure/en.wav", str(files.en))
        .replace("/etc/softphone/example-ca.pem", str(files.ca))
        .replace("/var/lib/softphone/recordings", str(files.recordings))
    )
    path = files.root / "example.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_minimal_policy_of_these_helpers_is_valid(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    policy = load_policy(write_policy(files, MINIMAL), default_recordings=files.recordings)
    assert policy.disclosure.default_language == "nl"
    assert policy.warnings == ()
