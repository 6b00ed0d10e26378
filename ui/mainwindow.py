"""The agent's window: a client of the desk through the bridge; keyboard-first, recording in view.

Every desk command goes through `_run`, which shows a refusal (`DeskError`) calmly on the status
line. Buttons are enabled from the snapshots (ui/availability.py), but a refusal can still come
(a call that ended a moment ago), so the status line is the one answer to every refusal. The
focused call is the one the agent is in; with several calls, the list chooses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSystemTrayIcon,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.calls.pause import PauseError, PauseRefusal
from softphone.calls.snapshot import (
    CallChanged,
    CallEnded,
    CallSnapshot,
    DeskError,
    DigitReceived,
    ProblemRaised,
    RegistrationChanged,
    TransferFinished,
)
from softphone.config.policy import resources_dir
from softphone.config.resolve import Settings
from ui.about import about_box
from ui.availability import Command, available, ringing, switch_target, transfer_pair
from ui.bridge import DeskBridge
from ui.buttons import action_button
from ui.callactions import CallActions
from ui.calllist import CallList
from ui.callpanel import CallPanel
from ui.dialpad import DialField, Keypad
from ui.dialtext import DialText, dial_target, read_dial_text
from ui.feedback import StatusLine
from ui.helpoverlay import HelpOverlay
from ui.history import HistoryPanel, PastCall, past_call
from ui.party import party
from ui.recent import RecentNumbers
from ui.ringbanner import RingBanner
from ui.ringing import RingerControl, RingFollower
from ui.settingsdialog import SettingsAccess, SettingsDialog
from ui.tray import CallTray
from ui.uistate import WindowState
from ui.windowtext import call_refused, reinvite_refused, sentence, transfer_finished

HistorySource = Callable[[], Sequence[PastCall]]
STYLE_SHEET = resources_dir() / "ui" / "window.qss"


class MainWindow(QMainWindow):
    """Built by the app with its bridge (desk and loop), how a number becomes a URI, where the
    window's state lives, who the agent is, and optionally where past calls come from, the
    ringer, what the settings dialog reads and writes, whether to show a tray icon (by
    default when the desktop has a system tray), and for a QA reviewer how to open the QA view
    (`review`). `settings_saved` tells the app what the agent saved (devices to reopen, say)."""

    settings_saved = Signal(Settings)

    def __init__(
        self,
        bridge: DeskBridge,
        *,
        to_uri: Callable[[str], str],
        state_path: Path,
        agent: str,
        history: HistorySource | None = None,
        ringer: RingerControl | None = None,
        settings: SettingsAccess | None = None,
        tray: bool | None = None,
        review: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Softphone"))
        self.bridge, self.desk = bridge, bridge.desk
        self._to_uri, self._agent = to_uri, agent
        self._state = WindowState(state_path)
        self._calls = {c.call_id: c for c in self.desk.calls()}
        self._focus: int | None = next(iter(self._calls), None)
        self._consults: dict[int, int] = {}  # consult call -> the customer's call
        self._ended: list[PastCall] = []  # this session's, when no history source is given
        self._history_source: HistorySource = history or (lambda: self._ended)
        self.commands = CallActions(self)
        self._review = review
        self.commands.review.setEnabled(review is not None)
        self.addActions(self.shown_actions())
        self._ring = RingFollower(ringer)
        self._settings = settings
        self.settings_dialog: SettingsDialog | None = None
        self._registered: RegistrationChanged | None = None
        self._build()
        if tray is None:
            tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray = CallTray(self, self.commands.hold) if tray else None
        if self.tray is not None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.icon.show()
        self._connect()
        if STYLE_SHEET.is_file():
            self.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))
        self.resize(980, 680)
        self._state.restore(self)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(lambda: self.panel.tick(time.time()))
        self._clock.start()
        self.history.show_calls(self._history_source())
        self._refresh()
        bridge.start()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        a = self.commands
        central = QWidget(self)
        self.setCentralWidget(central)
        self.account = QLabel(central)
        self.account.setObjectName("accountState")
        header = QHBoxLayout()
        header.addWidget(self.account, 1)
        if self._review is not None:
            header.addWidget(action_button(a.review, central, "reviewButton"))
        header.addWidget(action_button(a.settings, central, "settingsButton"))
        header.addWidget(action_button(a.help, central, "helpButton"))
        self.banner = RingBanner(a.answer, a.reject, central)
        self.status = StatusLine(central)
        self.dial = DialField(central)
        dial_row = QHBoxLayout()
        dial_row.addWidget(self.dial, 1)
        dial_row.addWidget(
            action_button(a.dial, central, "dialButton"), 0, Qt.AlignmentFlag.AlignTop
        )
        self.keypad = Keypad(central)
        self.recent = RecentNumbers(central)
        self.history = HistoryPanel(central)
        self.tabs = QTabWidget(central)
        self.tabs.addTab(self.recent, "")
        self.tabs.addTab(self.history, "")
        left = QVBoxLayout()
        left.setSpacing(10)
        left.addLayout(dial_row)
        left.addWidget(self.keypad)
        left.addWidget(self.tabs, 1)
        self.panel = CallPanel(a, central)
        self.call_list = CallList(central)
        right = QVBoxLayout()
        right.setSpacing(10)
        right.addWidget(self.panel, 1)
        right.addWidget(self.call_list)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        columns.addLayout(left, 2)
        columns.addLayout(right, 3)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.banner)
        layout.addWidget(self.status)
        layout.addLayout(columns, 1)
        self.help_overlay = HelpOverlay(central)
        self.help_menu = self.menuBar().addMenu("")
        self.about_action = self.help_menu.addAction("")
        self.about_action.triggered.connect(self.show_about)
        self.about_box: QMessageBox | None = None
        self._retranslate()

    def _retranslate(self) -> None:
        """The window's own words, in the language now installed (its parts redo theirs)."""
        self.setWindowTitle(self.tr("Softphone"))
        self.account.setAccessibleName(self.tr("Account"))
        self.tabs.setTabText(self.tabs.indexOf(self.recent), self.tr("Recent"))
        self.tabs.setTabText(self.tabs.indexOf(self.history), self.tr("History"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.about_action.setText(self.tr("&About Softphone"))
        if self._registered is None:
            self.account.setText(
                self.tr("Agent %1 · no registration reported").replace("%1", self._agent)
            )
        else:
            self._registration(self._registered)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """A new language: re-read every text (the call's from its snapshot)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
            self.history.show_calls(self._history_source())
            self._refresh()

    def _connect(self) -> None:
        b, a = self.bridge, self.commands
        b.call_changed.connect(self._call_changed)
        b.call_ended.connect(self._call_ended)
        b.call_refused.connect(lambda e: self._say(call_refused(e, party(e.remote_uri).label)))
        b.registration_changed.connect(self._registration)
        b.problem_raised.connect(self._problem)
        b.device_changed.connect(lambda e: self._say(sentence(e.message)))
        b.transfer_finished.connect(self._transfer_finished)
        b.digit_received.connect(self._digit)
        b.reinvite_refused.connect(lambda e: self._say(reinvite_refused(e), problem=True))
        self.dial.dial_requested.connect(self._dial)
        self.dial.refused.connect(self._not_dialled)
        self.dial.line.textChanged.connect(lambda _: self._refresh())
        self.keypad.key_pressed.connect(self._key)
        self.recent.chosen.connect(self.dial.set_text)
        self.call_list.focus_requested.connect(self._choose)
        a.dial.triggered.connect(self.dial.request)
        a.answer.triggered.connect(self._answer)
        a.reject.triggered.connect(self._reject)
        a.hold.triggered.connect(self._hold)
        a.switch.triggered.connect(self._switch)
        a.pause.triggered.connect(self._pause)
        a.pause_with_reason.triggered.connect(self._ask_pause_reason)
        a.mute.triggered.connect(self._mute)
        a.hang_up.triggered.connect(self._hang_up)
        a.transfer.triggered.connect(self._ask_transfer)
        a.consult.triggered.connect(self._ask_consult)
        a.complete.triggered.connect(self._complete)
        a.focus_dial.triggered.connect(lambda _=False: self.dial.line.setFocus())
        a.focus_calls.triggered.connect(lambda _=False: self.call_list.setFocus())
        a.focus_recent.triggered.connect(lambda: self._tab(self.recent))
        a.focus_history.triggered.connect(lambda: self._tab(self.history))
        a.help.triggered.connect(self._toggle_help)
        a.settings.triggered.connect(self.open_settings)
        if self._review is not None:
            a.review.triggered.connect(self._review)

    # --- what the desk says -----------------------------------------------------------------

    def _call_changed(self, event: CallChanged) -> None:
        call = event.call
        new = call.call_id not in self._calls
        self._calls[call.call_id] = call
        if new and ringing([call]) is not None:
            self.recent.add(party(call.remote_uri).address, dialled=False)
            self._come_forward()
            if self.tray is not None:
                self.tray.ringing(call)
        if call.talking or self._focus not in self._calls:
            self._focus = call.call_id
        self._refresh()

    def _call_ended(self, event: CallEnded) -> None:
        call = event.call
        self._calls.pop(call.call_id, None)
        self._consults = {k: v for k, v in self._consults.items() if call.call_id not in (k, v)}
        self._ended.append(past_call(event))
        if self._focus == call.call_id:
            talking = [c.call_id for c in self._calls.values() if c.talking]
            self._focus = next(iter(talking or list(self._calls)), None)
        self._say(self.tr("The call with %1 ended.").replace("%1", party(call.remote_uri).label))
        self.history.show_calls(self._history_source())
        self._refresh()

    def _registration(self, event: RegistrationChanged) -> None:
        self._registered = event
        r = event.registration
        if r.registered:
            text = self.tr("Agent %1 · registered (%2)")
        else:
            text = self.tr("Agent %1 · not registered (%2): calls may not reach you")
        detail = f"{r.account}, {r.status_code} {r.reason}".strip()
        self.account.setText(text.replace("%1", self._agent).replace("%2", detail))
        self.account.setProperty("registered", "yes" if r.registered else "no")
        self.account.style().unpolish(self.account)
        self.account.style().polish(self.account)

    def _problem(self, event: ProblemRaised) -> None:
        self._say(sentence(event.text), problem=True)

    def _transfer_finished(self, event: TransferFinished) -> None:
        self._say(transfer_finished(event), problem=event.result != "transferred")

    def _digit(self, event: DigitReceived) -> None:
        self._say(self.tr("The other side pressed %1.").replace("%1", event.digit))

    # --- the agent's commands ---------------------------------------------------------------

    def _run(
        self, command: Callable[[], object], refused: Callable[[DeskError], bool] | None = None
    ) -> bool:
        """Carry out a desk command; a refusal is said on the status line. Whether it was done."""
        try:
            command()
        except DeskError as exc:
            if refused is None or not refused(exc):
                self._say(sentence(exc.cause), problem=True)
            self._calls = {c.call_id: c for c in self.desk.calls()}  # the desk knows best
            if self._focus not in self._calls:
                self._focus = next(iter(self._calls), None)
            self._refresh()
            return False
        self._refresh()
        return True

    def _dial(self, entry: DialText) -> None:
        placed: list[int] = []  # the number rule (`to_uri`) may refuse too, with a DeskError
        if self._run(lambda: placed.append(self.desk.dial(dial_target(entry, self._to_uri)))):
            self.recent.add(entry.target, dialled=True)
            self.dial.line.clear()
            self._focus = placed[0]
            self._refresh()

    def _not_dialled(self, entry: DialText) -> None:
        why = entry.problem or self.tr("Type a number or a SIP address first.")
        self._say(self.tr("Not dialled: %1").replace("%1", why), problem=True)

    def _answer(self) -> None:
        call_id = self.banner.call_id
        if call_id is not None and self._run(lambda: self.desk.answer(call_id)):
            self._focus = call_id
            self._refresh()

    def _reject(self) -> None:
        call_id = self.banner.call_id
        if call_id is not None:
            self._run(lambda: self.desk.reject(call_id))

    def _hold(self) -> None:
        if (call := self._focused()) is not None:
            command = self.desk.resume if call.local_hold else self.desk.hold
            self._run(lambda: command(call.call_id))

    def _switch(self) -> None:
        if self._focus is None:
            return
        target = switch_target(self._focus, list(self._calls.values()))
        if target is not None and self._run(lambda: self.desk.resume(target)):
            self._focus = target
            self._refresh()

    def _pause(self) -> None:
        if (call := self._focused()) is None:
            return
        call_id, agent = call.call_id, self._agent
        if call.privacy_paused:
            self._run(lambda: self.desk.resume_recording(call_id, agent))
            return

        def reason_needed(exc: DeskError) -> bool:
            cause = exc.__cause__
            if isinstance(cause, PauseError) and cause.cause is PauseRefusal.REASON_REQUIRED:
                self._ask_pause_reason(required=True)
                return True
            return False

        self._run(lambda: self.desk.pause_recording(call_id, "", agent), reason_needed)

    def _ask_pause_reason(self, *, required: bool = False) -> None:
        if (call := self._focused()) is None:
            return
        call_id, agent = call.call_id, self._agent
        question = (
            self.tr("The policy asks why you pause (say what, never the number):")
            if required
            else self.tr("Why do you pause the recording? (optional)")
        )
        self.panel.prompt.ask(
            question,
            lambda reason: self._run(lambda: self.desk.pause_recording(call_id, reason, agent)),
            placeholder=self.tr("card number, health detail, …"),
        )

    def _mute(self) -> None:
        if (call := self._focused()) is not None:
            self._run(lambda: self.desk.mute(call.call_id, not call.muted))

    def _hang_up(self) -> None:
        if (call := self._focused()) is not None:
            self._run(lambda: self.desk.hang_up(call.call_id))

    def _ask_transfer(self) -> None:
        if (call := self._focused()) is not None:
            call_id = call.call_id
            self.panel.prompt.ask(
                self.tr("Transfer to:"),
                lambda text: self._to_target(text, lambda uri: self.desk.transfer(call_id, uri)),
                placeholder=self.tr("number or SIP address"),
            )

    def _ask_consult(self) -> None:
        if (call := self._focused()) is None:
            return
        call_id = call.call_id

        def consult(uri: str) -> None:
            consult_id = self.desk.consult(call_id, uri)
            self._consults[consult_id] = call_id
            self._focus = consult_id

        self.panel.prompt.ask(
            self.tr("Consult (the call is held meanwhile):"),
            lambda text: self._to_target(text, consult),
            placeholder=self.tr("number or SIP address"),
        )

    def _to_target(self, text: str, command: Callable[[str], object]) -> bool:
        """Run `command` with the URI for what the agent typed into a prompt, if dialable."""
        entry = read_dial_text(text)
        if not entry.dialable:
            self._say(entry.problem or self.tr("Type a number or a SIP address."), problem=True)
            return False
        return self._run(lambda: command(dial_target(entry, self._to_uri)))

    def _complete(self) -> None:
        if self._focus is None:
            return
        pair = transfer_pair(self._focus, list(self._calls.values()), self._consults)
        if pair is not None:
            self._run(lambda: self.desk.complete_transfer(*pair))

    def _key(self, key: str) -> None:
        call = self._focused()
        if Command.DTMF in self._available(call) and call is not None:
            self._run(lambda: self.desk.send_dtmf(call.call_id, key))
        else:
            self.dial.type_key(key)

    # --- showing ----------------------------------------------------------------------------

    def _focused(self) -> CallSnapshot | None:
        return None if self._focus is None else self._calls.get(self._focus)

    def _available(self, call: CallSnapshot | None) -> frozenset[Command]:
        calls = list(self._calls.values())
        return available(call, calls, max_calls=self.desk.max_calls, consults=self._consults)

    def _choose(self, call_id: int) -> None:
        self._focus = call_id
        self._refresh()

    def _refresh(self) -> None:
        """Bring every part of the window in line with the snapshots."""
        a, call = self.commands, self._focused()
        can = self._available(call)
        held = call is not None and call.local_hold
        paused = call is not None and call.privacy_paused
        muted = call is not None and call.muted
        a.hold.setText(self.tr("Resume") if held else self.tr("Hold"))
        a.pause.setText(self.tr("Resume recording") if paused else self.tr("Pause recording"))
        a.mute.setText(self.tr("Unmute") if muted else self.tr("Mute"))
        a.mute.setChecked(muted)
        for action, command in (
            (a.hold, Command.HOLD),
            (a.pause, Command.PAUSE_RECORDING),
            (a.mute, Command.MUTE),
            (a.transfer, Command.TRANSFER),
            (a.consult, Command.CONSULT),
            (a.complete, Command.COMPLETE_TRANSFER),
            (a.switch, Command.SWITCH),
            (a.hang_up, Command.HANG_UP),
        ):
            action.setEnabled(command in can)
        a.pause_with_reason.setEnabled(Command.PAUSE_RECORDING in can and not paused)
        a.dial.setEnabled(self.dial.entry.dialable)
        a.settings.setEnabled(self._settings is not None)
        calls = list(self._calls.values())
        ring = ringing(calls)
        self.banner.show_ringing(ring)
        self._ring.follow(ring is not None)
        if self.tray is not None:
            self.tray.show_call(call)
        a.answer.setEnabled(ring is not None)
        a.reject.setEnabled(ring is not None)
        self.panel.show_call(call)
        self.call_list.show_calls(calls, self._focus)
        tones = Command.DTMF in can
        self.keypad.setAccessibleDescription(
            self.tr("Sends tones to the call") if tones else self.tr("Types into the dial field")
        )

    def _say(self, text: str, *, problem: bool = False) -> None:
        self.status.say(text, problem=problem)

    def _come_forward(self) -> None:
        """A call rings: bring the window to the front (or flash it where that is not allowed)."""
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()
        QApplication.alert(self)

    def _tab(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)
        widget.setFocus()

    def _toggle_help(self) -> None:
        if self.help_overlay.isVisible():
            self.help_overlay.hide()
            return
        keys = self.tr("Ctrl+0 … Ctrl+9, Ctrl+*, Ctrl+#")
        what = self.tr("Keypad: a tone during a call, else a digit in the dial field")
        enter = (self.tr("Enter"), self.tr("In the dial field: call what is typed"))
        self.help_overlay.show_actions(self.shown_actions(), [(keys, what), enter])

    def shown_actions(self) -> list[QAction]:
        """The window's actions; the way to the QA view only for a reviewer."""
        return [a for a in self.commands.all() if a is not self.commands.review or self._review]

    def show_about(self) -> None:
        """Help > About: the version, as `softphone --version` prints it."""
        if self.about_box is not None:
            self.about_box.deleteLater()
        self.about_box = about_box(self)
        self.about_box.open()

    def open_settings(self) -> None:
        """Open the settings (a new dialog each time, so it shows what is in force now)."""
        if self._settings is None:
            return
        if self.settings_dialog is not None:
            if self.settings_dialog.isVisible():
                self.settings_dialog.raise_()
                self.settings_dialog.activateWindow()
                return
            self.settings_dialog.deleteLater()
        self.settings_dialog = SettingsDialog(self._settings, self)
        self.settings_dialog.saved.connect(self.settings_saved)
        self.settings_dialog.open()

    # --- closing ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Ask before closing on live calls (they are hung up); remember the geometry."""
        live = [c for c in self.desk.calls() if c.live]
        if live:
            answer = QMessageBox.question(
                self,
                self.tr("Calls in progress"),
                self.tr("%n call(s) in progress. Hang up and close the softphone?", "", len(live)),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.desk.end_all()
        self._ring.follow(False)
        if self.tray is not None:
            self.tray.icon.hide()
        self._state.save(self)
        self.bridge.stop()
        event.accept()
