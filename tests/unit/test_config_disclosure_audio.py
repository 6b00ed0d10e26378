"""`config check` decodes every disclosure file: format, rate, length and level, as a call would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from softphone.config.audiocheck import disclosure_audio_problem
from softphone.config.commands import EXIT_INVALID
from softphone.config.policy import builtin_policy
from softphone.config.problems import PolicyError
from tests.unit.test_config_commands import run
from tests.unit.test_config_support import MINIMAL, Files, make_files, write_policy


def tone(path: Path, seconds: float, rate: int = 16000, channels: int = 1) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 440 * t)
    sf.write(path, np.tile(wave[:, None], (1, channels)), rate, subtype="PCM_16")
    return path


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return make_files(tmp_path)


def test_a_playable_disclosure_passes(tmp_path: Path) -> None:
    assert disclosure_audio_problem(tone(tmp_path / "ok.wav", 1.5)) is None
    assert disclosure_audio_problem(tone(tmp_path / "stereo.wav", 1.5, 48000, 2)) is None


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda p: p.write_text("Dit gesprek wordt opgenomen."),
            "is not audio that can be decoded",
        ),
        (lambda p: tone(p, 0.5), "lasts 0.50 s, less than the 1 s"),
        (lambda p: tone(p, 2.0, rate=6000), "sample rate of 6000 Hz, below the 8000 Hz"),
        (lambda p: tone(p, 2.0, channels=4), "has 4 channels, at most 2"),
        (
            lambda p: sf.write(p, np.zeros(32000), 16000, subtype="PCM_16"),
            "is silent (digital silence)",
        ),
        (
            lambda p: sf.write(p, np.full(32000, 1e-4), 16000, subtype="PCM_16"),
            "is silent (78 dB below full scale)",
        ),
        (lambda p: p.write_bytes(b""), "is empty"),
    ],
)
def test_an_unplayable_disclosure_is_named_with_the_fix(
    tmp_path: Path, make: object, expected: str
) -> None:
    path = tmp_path / "nl.wav"
    make(path)  # type: ignore[operator]
    problem = disclosure_audio_problem(path)
    assert problem is not None and problem.startswith(str(path)), problem
    assert expected in problem, problem


def test_a_text_file_as_disclosure_makes_the_policy_invalid(files: Files) -> None:
    files.nl.write_text("Dit gesprek wordt opgenomen voor kwaliteitsbewaking.\n")
    path = write_policy(files, MINIMAL)
    code, out, _ = run(files, "config", "check", "--strict", str(path))
    assert code == EXIT_INVALID
    lines = out.splitlines()
    assert lines[0].startswith(
        f"{path}:6: disclosure.languages.nl.audio: {files.nl} is not audio that can be decoded"
    )
    assert lines[0].endswith(
        "record or export it again as a WAV file (16-bit PCM, mono, 16 kHz is best)"
    )
    assert lines[-1].startswith("1 error, 0 warnings: the policy is invalid")


def test_the_built_in_disclosures_are_decoded_too(files: Files) -> None:
    (files.resources / "disclosure" / "en.wav").write_bytes(b"RIFF....WAVEfmt broken")
    with pytest.raises(PolicyError) as info:
        builtin_policy(files.resources, files.root / "data" / "recordings")
    [problem] = info.value.problems
    assert "is not audio that can be decoded" in str(problem)
    assert str(problem).endswith("reinstall the softphone")


def test_the_shipped_disclosures_are_playable() -> None:
    shipped = Path(__file__).resolve().parents[2] / "resources" / "disclosure"
    for language in ("nl", "en"):
        assert disclosure_audio_problem(shipped / f"{language}.wav") is None
