"""The window as an application: the real phone from the composition root, and the window on it.

`run_window` builds the QApplication, opens the phone with `open_softphone`, puts the window on
its desk (the bridge turns the loop from a QTimer, never waiting) and runs the event loop; once
the loop has turned, it logs `READY_LINE` at INFO (`softphone -v window` prints it, and
`benchmarks/window.py` times a start by it). The end is in order: the window closes (asking
first during a call), then `open_softphone` ends what it built (calls still up are hung up and
their recordings finished, the engine, the audio).
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QMessageLogContext,
    Qt,
    QTimer,
    QtMsgType,
    QUrl,
    qInstallMessageHandler,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QListWidgetItem

from softphone.app.accountsession import parse_hostport
from softphone.app.archiving import archive_state, background_uploads
from softphone.app.headless import calls_for
from softphone.app.root import SHUTDOWN_GRACE_S, Audio, PhoneConfig, Softphone, open_softphone
from softphone.calls.session import SessionSetup
from softphone.calls.snapshot import DeskError
from softphone.config.locations import user_preferences_path
from softphone.config.qakey import load_identities
from softphone.config.resolve import Settings
from softphone.config.schema import AccountPolicy
from softphone.media.devices import AudioDevice, DeviceError
from softphone.media.portaudio import portaudio
from softphone.media.replayout import SoundDeviceOutput
from softphone.media.ringer import Ringer
from softphone.recordings.index import LibraryIndex
from softphone.recordings.metadata import MetadataError, read_metadata
from softphone.recordings.timeline import reference_hashes
from softphone.vocabulary.events import CallDirection
from ui.archivelabel import ArchiveLabel
from ui.bridge import DeskBridge
from ui.history import PastCall
from ui.mainwindow import HistorySource, MainWindow
from ui.qawindow import QaSetup, QaWindow
from ui.settingsdialog import SettingsAccess
from ui.translations import Translations

log = logging.getLogger("softphone.ui")
qt_log = logging.getLogger("softphone.qt")
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_PLATFORM_EXCUSE = "This plugin does not support"  # offscreen: no raising, no size hints

READY_LINE = "the window is shown and its event loop runs"
"""Logged at INFO once the window is usable: what `benchmarks/window.py` times a start by."""

HISTORY_LIMIT = 200
"""The history shows at most this many of the agent's newest recordings."""


@dataclass(frozen=True)
class WindowPhone:
    """What the window's phone is built from; the command reads it from the policy and options."""

    config: PhoneConfig
    setup: SessionSetup
    audio: Audio
    agent: str
    recordings: Path  # the folder the history is read from
    state_path: Path  # the window's geometry
    max_calls: int = 2
    settings: Settings | None = None  # the policy and preferences: language, ringer, settings
    preferences_path: Path | None = None  # where the settings dialog saves (default: the user's)


Ready = Callable[[MainWindow, Softphone], None]
"""Called once the window is shown, before the event loop runs (the demo starts its tour)."""


def number_rule(
    account: AccountPolicy | None, dial_uri: Callable[[str], str]
) -> Callable[[str], str]:
    """How what the agent typed becomes the URI to call, as `dial_uri` (the account's transport)
    has it: a SIP address as it is, a number as `sip:NUMBER@domain`.

    Without a domain (direct IP calls) a number cannot be dialled: the refusal tells the agent
    to type a SIP address.
    """
    domain = _domain(account)

    def to_uri(typed: str) -> str:
        if typed.lower().startswith(("sip:", "sips:")):
            return dial_uri(typed)
        if domain is None:
            raise DeskError(
                None,
                "this softphone calls by IP address and has no SIP domain for numbers: type a SIP "
                "address such as sip:customer@203.0.113.7:5060",
            )
        return dial_uri(f"sip:{typed}@{domain}")

    return to_uri


def _domain(account: AccountPolicy | None) -> str | None:
    if account is None:
        return None
    if account.domain:
        return account.domain
    if account.registrar is None:
        return None
    host = account.registrar.split(":", 1)[-1].split(";", 1)[0]
    return parse_hostport(host)[0] if ":" in host else host


def store_history(recordings: Path, agent: str, limit: int = HISTORY_LIMIT) -> HistorySource:
    """The agent's recorded calls, newest first, from the metadata files in `recordings`."""

    def calls() -> Sequence[PastCall]:
        found: list[PastCall] = []
        # The store's paths start with the call's date (YYYY/MM/DD/...T...Z): newest last.
        for path in sorted(recordings.rglob("*.json"), reverse=True):
            if len(found) >= limit:
                break
            try:
                meta = read_metadata(path)
            except MetadataError as exc:
                log.warning("history: %s", exc)
                continue
            if meta.call.agent != agent:
                continue
            facts = meta.call
            started = facts.answered_at or facts.ended_at or path.stat().st_mtime
            ended = facts.ended_at or started
            found.append(
                PastCall(
                    started_at=started,
                    direction=CallDirection(facts.direction),
                    remote_uri=facts.remote_uri,
                    duration_s=max(0.0, ended - started),
                    recording=str(path.with_name(meta.audio.file)),
                )
            )
        return found

    return calls


def recording_opener(window: MainWindow) -> Callable[[QListWidgetItem], None]:
    """Opens a history row's recording in the desktop's player; says why not when it cannot."""

    def open_row(item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)  # the row's recording file (ui/history.py)
        if not isinstance(path, str):
            window.status.say(window.tr("That call was not recorded."))
        elif not Path(path).is_file():
            text = window.tr("The recording %1 is not there any more.").replace("%1", path)
            window.status.say(text, problem=True)
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
            text = window.tr("No program here opens recordings; it is %1").replace("%1", path)
            window.status.say(text, problem=True)

    return open_row


def _qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Qt's own messages, into the app's log (the offscreen platform's excuses at debug)."""
    level = _QT_LEVELS.get(kind, logging.WARNING)
    if message.startswith(_PLATFORM_EXCUSE):
        level = logging.DEBUG
    qt_log.log(level, "%s", message)


def application() -> QApplication:
    """The process's QApplication (created on first use, with Qt's messages in the log)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    qInstallMessageHandler(_qt_message)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("softphone")
    app.setDesktopFileName("softphone")
    return app


def run_window(phone: WindowPhone, ready: Ready | None = None) -> int:
    """Show the window on the real phone until it is closed; the event loop's exit code."""
    app = application()
    translations = Translations(app)
    translations.use(phone.settings.ui.language if phone.settings else "")
    account = phone.config.account
    screen = calls_for(account.user if account else None)
    archive = phone.settings.policy.archive if phone.settings else None
    with (
        background_uploads(phone.recordings, archive),
        open_softphone(
            phone.config, phone.setup, phone.audio, max_calls=phone.max_calls, screen=screen
        ) as softphone,
    ):
        bridge = DeskBridge(softphone.desk, softphone.turn, wake=softphone.wake_sockets())
        window = MainWindow(
            bridge,
            to_uri=number_rule(account, softphone.dial_uri),
            state_path=phone.state_path,
            agent=phone.agent,
            history=store_history(phone.recordings, phone.agent),
            ringer=_ringer(phone.settings, phone.audio),
            settings=_settings_access(phone, translations),
            review=_review(phone),
        )
        window.history.itemActivated.connect(recording_opener(window))
        if archive is not None:
            label = ArchiveLabel(lambda: archive_state(phone.recordings), window)
            window.statusBar().addPermanentWidget(label)
        if account is None or account.registrar is None:  # no registration will be reported
            address = softphone.stack.phone.account_uri()
            text = window.tr("Agent %1 · direct IP calls, reachable at %2")
            window.account.setText(text.replace("%1", phone.agent).replace("%2", address))
        window.show()
        QTimer.singleShot(0, window, _say_ready)  # runs once the event loop has turned
        if ready is not None:
            ready(window, softphone)
        with _stop_signals(window, softphone):
            code = app.exec()
        window.deleteLater()
    return code


def _say_ready() -> None:
    """Log that the window is usable: shown, and its event loop turning (`-v` prints it)."""
    log.info("%s", READY_LINE)


def run_qa(setup: QaSetup, language: str = "") -> int:
    """Show the QA view until it is closed; the event loop's exit code."""
    app = application()
    Translations(app).use(language)
    window = QaWindow(setup)
    window.refresh()
    window.show()
    code = app.exec()
    window.deleteLater()
    return code


def _review(phone: WindowPhone) -> Callable[[], None] | None:
    """How a reviewer opens the QA view (one window, raised again later); None for others."""
    if phone.settings is None or phone.agent not in phone.settings.policy.qa.reviewers:
        return None
    policy, root = phone.settings.policy, phone.recordings
    opened: list[QaWindow] = []

    def open_qa() -> None:
        if not opened:
            setup = QaSetup(
                root,
                LibraryIndex(root),
                SoundDeviceOutput(),
                load_identities,
                reference_hashes(policy.disclosure),
            )
            opened.append(QaWindow(setup))
            opened[0].refresh()
        opened[0].show()
        opened[0].raise_()
        opened[0].activateWindow()

    return open_qa


def _ringer(settings: Settings | None, audio: Audio) -> Ringer | None:
    """The ringer on the preferred ringer device; PortAudio is loaded at the first ring (a
    missing sound system is said then, as the ringer device being unavailable)."""
    if settings is None:
        return None
    return Ringer(portaudio, settings.audio.ringer_device or None, events=audio.devices)


def _settings_access(phone: WindowPhone, translations: Translations) -> SettingsAccess | None:
    """What the settings dialog reads and changes: the policy, the preferences, the devices."""
    if phone.settings is None:
        return None

    def devices() -> list[AudioDevice]:
        try:
            return portaudio().devices()
        except DeviceError as exc:
            log.warning("no audio devices to list: %s", exc)
            return []

    return SettingsAccess(
        policy=phone.settings.policy,
        preferences_path=phone.preferences_path or user_preferences_path(),
        devices=devices,
        device_events=phone.audio.devices,
        use_language=translations.use,
    )


@contextmanager
def _stop_signals(window: MainWindow, softphone: Softphone) -> Iterator[None]:
    """Ctrl-C and SIGTERM hang up every call, close the window once they ended, and quit.

    A call that arrives meanwhile is hung up too. Calls still up when the grace time is over
    are left to `open_softphone`'s end: the window is not closed then, as closing it would ask.
    Python runs a signal handler between two bytecodes, which the bridge's timer provides.
    """
    deadline: list[float] = []
    asked: set[int] = set()  # the calls hung up so far
    poll = QTimer(window)
    poll.setInterval(50)

    def end_new_calls() -> None:
        calls = {c.call_id for c in softphone.desk.calls() if c.live}
        if calls - asked:
            asked.update(calls)
            softphone.desk.end_all()

    def check() -> None:
        end_new_calls()
        live = any(c.live for c in softphone.desk.calls())
        if live and time.monotonic() < deadline[0]:
            return
        poll.stop()
        if not live:
            window.close()
        QApplication.quit()

    def stop(_signum: int, _frame: object) -> None:
        if not deadline:
            deadline.append(time.monotonic() + SHUTDOWN_GRACE_S)
            poll.start()

    poll.timeout.connect(check)
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
