"""The window as an application: how numbers become URIs, and the history read from the store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from softphone.calls.snapshot import DeskError
from softphone.config.schema import AccountPolicy
from softphone.recordings.metadata import (
    AudioFacts,
    CallFacts,
    DisclosureEvidence,
    RecordingMetadata,
    write_metadata,
)
from softphone.recordings.store import RecordingStore
from softphone.vocabulary.events import CallDirection
from tests.ui.conftest import Agent, close_quietly
from tests.ui.rig import Rig
from ui.app import number_rule, recording_opener, store_history
from ui.bridge import DeskBridge
from ui.mainwindow import MainWindow


def _account(registrar: str | None, domain: str | None) -> AccountPolicy:
    return AccountPolicy("office", registrar, "1001", "1001", domain)


def _over_tls(uri: str) -> str:
    return uri + ";transport=tls"


def test_a_number_is_dialled_at_the_account_domain_over_its_transport() -> None:
    rule = number_rule(_account("sip:pbx.example.com:5061", "example.org"), _over_tls)
    assert rule("0201234") == "sip:0201234@example.org;transport=tls"


def test_a_typed_sip_address_goes_over_the_accounts_transport_too() -> None:
    rule = number_rule(_account("sip:pbx.example.com:5061", "example.org"), _over_tls)
    assert rule("sip:bob@example.org") == "sip:bob@example.org;transport=tls"
    assert number_rule(None, str)("sip:bob@203.0.113.7") == "sip:bob@203.0.113.7"


def test_without_a_domain_the_registrar_host_is_the_domain() -> None:
    rule = number_rule(_account("sip:pbx.example.com:5061;transport=tls", None), str)
    assert rule("+31201234") == "sip:+31201234@pbx.example.com"
    assert number_rule(_account("sip:pbx.example.com", None), str)("7") == "sip:7@pbx.example.com"


@pytest.mark.parametrize("account", [None, _account(None, None)])
def test_a_direct_ip_phone_refuses_numbers_and_asks_for_a_sip_address(
    account: AccountPolicy | None,
) -> None:
    with pytest.raises(DeskError, match="type a SIP address"):
        number_rule(account, str)("0201234")


def test_the_window_of_a_direct_ip_phone_says_so_when_a_number_is_dialled(
    qtbot: QtBot, rig: Rig, tmp_path: Path
) -> None:
    window = MainWindow(
        DeskBridge(rig.desk, rig.turn),
        to_uri=number_rule(None, str),
        state_path=tmp_path / "w.ini",
        agent="agent7",
    )
    agent = Agent(rig, window, qtbot, [])
    try:
        window.bridge.stop()
        window.dial.set_text("020 123 4567")
        window.commands.dial.trigger()
        tone, text = agent.status
        assert tone == "problem" and "type a SIP address such as sip:" in text
        assert not rig.desk.calls() and not rig.phone.sent
        assert window.dial.line.text() == "020 123 4567"  # kept, to be corrected
    finally:
        close_quietly(agent)


def _metadata(root: Path, agent: str, call_id: str, answered: float, direction: str) -> Path:
    paths = RecordingStore(root, agent=agent).new_recording(call_id, direction, answered)
    paths.audio.write_bytes(b"RIFF")  # the history only needs the file to be there
    write_metadata(
        paths.metadata,
        RecordingMetadata(
            call=CallFacts(call_id, direction, "sip:me@x", f"sip:{call_id}@y", agent),
            audio=AudioFacts(paths.audio.name, 16000),
            disclosure=DisclosureEvidence("d", "en", "quality", "ab", 1.0),
            status="complete",
        ),
    )
    meta = paths.metadata.read_text().replace('"answered_at": null', f'"answered_at": {answered}')
    paths.metadata.write_text(meta.replace('"ended_at": null', f'"ended_at": {answered + 65}'))
    return paths.metadata


def test_the_history_is_the_agents_own_recordings_newest_first(tmp_path: Path) -> None:
    day = 86400.0
    now = time.time()
    old = _metadata(tmp_path, "agent7", "anna", now - 2 * day, "inbound")
    new = _metadata(tmp_path, "agent7", "bob", now - day, "outbound")
    _metadata(tmp_path, "someone", "carl", now, "outbound")
    (tmp_path / "agent7" / "broken.json").write_text("{")
    calls = store_history(tmp_path, "agent7")()
    assert [c.remote_uri for c in calls] == ["sip:bob@y", "sip:anna@y"]
    assert calls[0].direction is CallDirection.OUTBOUND
    assert calls[1].direction is CallDirection.INBOUND
    assert calls[1].started_at == pytest.approx(now - 2 * day)
    assert calls[1].duration_s == pytest.approx(65.0)
    assert [c.recording for c in calls] == [
        str(new.with_suffix(".wav")),
        str(old.with_suffix(".wav")),
    ]
    assert [c.remote_uri for c in store_history(tmp_path, "agent7", limit=1)()] == ["sip:bob@y"]


def test_a_history_row_opens_its_recording_or_says_why_not(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    works = [True]

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return works[0]

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    agent.rig.recording()
    agent.turn()
    agent.rig.close()
    agent.turn()
    history = agent.window.history
    history.itemActivated.connect(recording_opener(agent.window))
    history.itemActivated.emit(history.item(0))
    [url] = opened
    recording = Path(url.toLocalFile())
    assert recording.suffix == ".wav" and recording.is_file()
    works[0] = False  # a desktop without a player
    history.itemActivated.emit(history.item(0))
    assert agent.status == ("problem", f"No program here opens recordings; it is {recording}")
    recording.unlink()
    history.itemActivated.emit(history.item(0))
    assert agent.status == ("problem", f"The recording {recording} is not there any more.")
