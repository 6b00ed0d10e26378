"""A call between two workstations: both sides record it privately, under names that match."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import soundfile as sf

from softphone.vocabulary.frames import RATE
from tests.integration.policies import Compliance, write_policy
from tests.integration.softphone_cli import Answering, Finished, run_softphone

QUIET = ("--mic", "tone:1000", "--speaker", "null")


def _two_workstations(tmp_path: Path, compliance: Compliance) -> tuple[Finished, Finished]:
    """The agent of `compliance` calls a second workstation whose disclosure is 2 s longer."""
    other = tmp_path / "second"
    other.mkdir()
    audio = other / "disclosure.wav"
    t = np.arange(int(3.2 * RATE)) / RATE
    sf.write(audio, 0.3 * np.sin(2 * np.pi * 500 * t), RATE, subtype="PCM_16")
    (other / "recordings").mkdir()
    policy = write_policy(other, audio, other / "recordings")
    with Answering(["--policy", str(policy), *QUIET, "--json", "--wait", "30"]) as second:
        first = run_softphone(
            ["call", f"sip:agent@127.0.0.1:{second.port}", "--bind", "127.0.0.1:0", "--json",
             *compliance.args, *QUIET, "--hangup-after", "5"]
        )  # fmt: skip
        answered = second.finish()
    assert first.returncode == 0, first.stderr
    assert answered.returncode == 0, answered.stderr
    return first, answered


def test_both_sides_record_privately(tmp_path: Path, compliance: Compliance) -> None:
    first, second = _two_workstations(tmp_path, compliance)
    for done in (first, second):
        audio, metadata = Path(done.report["recording"]), Path(done.report["metadata"])
        for path in (audio, metadata):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        folder = audio.parent
        while folder.name != "recordings":
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            folder = folder.parent


def test_both_sides_name_the_call_alike(tmp_path: Path, compliance: Compliance) -> None:
    first, second = _two_workstations(tmp_path, compliance)
    outbound = Path(first.report["recording"]).name
    inbound = Path(second.report["recording"]).name
    assert "-outbound-" in outbound and "-inbound-" in inbound
    # The call's id is the same; the names carry each side's moment of answer, in UTC, to the
    # second. The two sides answer within milliseconds of each other (the recordings started
    # 2 s apart: the second side's disclosure is longer), so the stamps are equal or, when the
    # answer straddles a second, one second apart.
    (out_stamp, _, out_id), (in_stamp, _, in_id) = (
        name.removesuffix(".wav").split("-") for name in (outbound, inbound)
    )
    assert out_id == in_id, (outbound, inbound)
    gap = abs(
        datetime.strptime(out_stamp, "%Y%m%dT%H%M%SZ")
        - datetime.strptime(in_stamp, "%Y%m%dT%H%M%SZ")
    )
    assert gap <= timedelta(seconds=1), (outbound, inbound)
