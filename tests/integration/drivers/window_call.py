"""Child process: the real window on the real phone plays the demo call to URI by its buttons.

Arguments: the policy file, the customer's URI, a folder for the window's state and screenshots.
The window (offscreen) dials, waits for the disclosure, talks, holds, resumes and hangs up
(`ui/tour.py`), with the agent's microphone a 1000 Hz tone. Prints one JSON object: the tour's
failure (None), its screenshots, the Unix times of the Hold and Resume clicks, the recording's
metadata file and the loop's exit code.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

from softphone.app.root import Audio, PhoneConfig, Softphone, recording_setup
from softphone.config.policy import load_policy
from softphone.config.preferences import Preferences
from softphone.config.resolve import resolve
from softphone.media.sinks import NullSink
from softphone.media.sources import ToneSource

AGENT_HZ = 1000.0


def main(policy_path: str, uri: str, folder: str) -> int:
    """Run the tour; every wait is bounded by the tour's step timeout."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from ui.app import WindowPhone, run_window  # noqa: PLC0415 - Qt after the platform is set
    from ui.mainwindow import MainWindow  # noqa: PLC0415
    from ui.tour import DemoTour, Timing  # noqa: PLC0415

    settings = resolve(load_policy(Path(policy_path)), Preferences({}))
    agent = getpass.getuser()
    recordings = settings.policy.recording.directory
    setup = recording_setup(settings, recordings, agent)
    audio = Audio(ToneSource(AGENT_HZ), NullSink())
    phone = WindowPhone(PhoneConfig(), setup, audio, agent, recordings, Path(folder) / "w.ini")
    tours: list[DemoTour] = []

    def ready(window: MainWindow, _softphone: Softphone) -> None:
        timing = Timing(talk_s=1.5, hold_s=2.0, shot_at=0.3, step_timeout_s=15.0)
        tour = DemoTour(window, uri, Path(folder) / "shots", timing)
        tours.append(tour)
        tour.start()

    code = run_window(phone, ready)
    report = tours[0].report
    print(
        json.dumps(
            {
                "code": code,
                "failure": report.failure,
                "screenshots": {k: str(v) for k, v in report.screenshots.items()},
                "held_at": report.held_at,
                "resumed_at": report.resumed_at,
                "metadata": report.ended.metadata if report.ended else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
