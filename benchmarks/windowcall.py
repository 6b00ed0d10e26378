"""Child of the window benchmark: the real window dials a URI by its buttons and hangs up later.

    python -m benchmarks.windowcall POLICY URI SECONDS FOLDER

The window (`ui.app.run_window`, as `softphone window` runs it, offscreen) sends a 1000 Hz tone
as the agent's microphone and writes what it hears to FOLDER/window-heard.wav, like
`softphone call --mic tone:1000 --speaker FILE`. Once the call is answered it clicks Hang up
SECONDS later, and closes the window when the call has ended. Prints one JSON object: the
answer's Unix time, the recording, and why it failed (None).
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication

from softphone.app.root import PhoneConfig, Softphone, open_audio, recording_setup
from softphone.calls.snapshot import CallChanged, CallEnded
from softphone.cli.cliout import configure_logging
from softphone.config.policy import load_policy
from softphone.config.preferences import load_preferences
from softphone.config.resolve import resolve
from ui.app import WindowPhone, run_window
from ui.mainwindow import MainWindow

AGENT_HZ = 1000
SETUP_BOUND_S = 30.0  # the call must be answered within this, or the window gives up


class HangUpLater:
    """Dials when the window is ready, hangs up `seconds` after the answer, closes at the end."""

    def __init__(self, uri: str, seconds: float) -> None:
        self.uri, self.seconds = uri, seconds
        self.answered_at: float | None = None
        self.recording: str | None = None
        self.failure: str | None = None
        self._window: MainWindow | None = None

    def ready(self, window: MainWindow, _softphone: Softphone) -> None:
        """Type the URI into the dial field and click Call, as an agent would."""
        self._window = window
        window.bridge.call_changed.connect(self._changed)
        window.bridge.call_ended.connect(self._ended)
        window.dial.set_text(self.uri)
        self._click("dialButton")
        QTimer.singleShot(int((SETUP_BOUND_S + self.seconds) * 1000), window, self._give_up)

    def _changed(self, event: CallChanged) -> None:
        if self.answered_at is None and event.call.answered_at is not None:
            self.answered_at = event.call.answered_at
            assert self._window is not None
            QTimer.singleShot(int(self.seconds * 1000), self._window, self._hang_up)

    def _hang_up(self) -> None:
        self._click("hangUpButton")

    def _ended(self, event: CallEnded) -> None:
        self.recording = event.call.recording
        assert self._window is not None
        self._window.close()

    def _give_up(self) -> None:
        self.failure = self.failure or "the call did not end in time"
        QApplication.quit()  # the phone's end hangs up what is still up

    def _click(self, name: str) -> None:
        assert self._window is not None
        button = self._window.findChild(QAbstractButton, name)
        if button is None or not button.isEnabled():
            self.failure = f"the window's {name} is missing or disabled"
            QApplication.quit()
            return
        button.click()


def main(policy_path: str, uri: str, seconds: str, folder: str) -> int:
    """Run the window for one call; the exit code of its event loop."""
    configure_logging(1)  # as `softphone -v`: the codec line for the benchmark
    settings = resolve(load_policy(Path(policy_path)), load_preferences())
    agent = getpass.getuser()
    recordings = settings.policy.recording.directory
    setup = recording_setup(settings, recordings, agent)
    audio = open_audio(f"tone:{AGENT_HZ}", str(Path(folder) / "window-heard.wav"), settings)
    config = PhoneConfig(log_level=3, answering=True, register_timeout=None)
    phone = WindowPhone(
        config,
        setup,
        audio,
        agent,
        recordings,
        Path(folder) / "window.ini",
        settings=settings,
        preferences_path=Path(folder) / "preferences.toml",
    )
    plan = HangUpLater(uri, float(seconds))
    code = run_window(phone, plan.ready)
    report = {"answered_at": plan.answered_at, "recording": plan.recording, "failure": plan.failure}
    print(json.dumps(report), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
