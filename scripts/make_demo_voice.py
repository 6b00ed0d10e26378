"""Speak the demo's lines into resources/demo/ (8 kHz mono 16-bit WAVs) with espeak-ng.

The WAVs are committed, so users and CI need no espeak-ng; regenerate them after changing a
line below (Debian: `apt-get install -y espeak-ng`):

    .venv/bin/python scripts/make_demo_voice.py

customer.wav is what the demo customer says while the call is live, held.wav what it keeps
saying while the agent holds the call (none of it may reach the recording), agent.wav what the
agent's microphone says when the demo runs without a headset (offscreen). Each file has a
pause at its end, so that the peer's and the agent's loops leave room for the other side.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from softphone.media.sources import resample  # noqa: E402 - the checkout must be on the path

RATE = 8000  # telephone speech; the bridge resamples it
GAP_S = 1.5  # silence after each line, before the loop starts again

LINES = {
    "customer.wav": (
        "en-gb",
        "Hello, this is the demo customer. I am calling about my order from last week. "
        "Can you tell me when it will arrive?",
    ),
    "held.wav": (
        "en-us",
        "I am on hold now, and I keep on talking. None of this may end up in the recording.",
    ),
    "agent.wav": (
        "en-gb+f3",
        "Good morning, you are speaking with the demo agent. Let me look that up for you.",
    ),
}


def speak(voice: str, text: str) -> np.ndarray:
    """The line as float samples at RATE, with GAP_S of silence after it."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "155", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    data, rate = sf.read(io.BytesIO(wav), dtype="float64", always_2d=True)
    mono = resample(data.mean(axis=1), rate, RATE)
    peak = float(np.max(np.abs(mono))) or 1.0
    return np.concatenate([0.7 * mono / peak, np.zeros(int(GAP_S * RATE))])


def main() -> int:
    """Write every line's WAV; exit 0."""
    folder = REPO / "resources" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (voice, text) in LINES.items():
        samples = speak(voice, text)
        sf.write(folder / name, samples, RATE, subtype="PCM_16")
        print(f"{folder / name}: {samples.size / RATE:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
