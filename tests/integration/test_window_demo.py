"""The real window on the real desk and a real peer: a held customer is never in the recording.

The window (offscreen, its own process) dials a customer peer that sends one tone while the call
is live and another while the agent holds it, refusing the hold so that its held tone keeps
coming; the window's own buttons hold, resume and hang up. The recording is then judged by its
audio and its metadata. `softphone demo --offscreen` is run as a newcomer would run it, the
screenshot script runs the real X11 window on Xvfb, and stop signals end it all in order.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from softphone.media.analysis import read_channels, tone_duration_s, tone_timeline
from softphone.recordings.metadata import read_metadata
from tests.integration.policies import Compliance
from tests.integration.softphone_cli import REPO, StartPeer, child_env, run_driver
from ui.app import READY_LINE
from ui.demo import DemoCustomer

pytestmark = pytest.mark.integration

TALK_HZ, HELD_HZ, AGENT_HZ = 1200.0, 1800.0, 1000.0


def test_the_window_holds_by_its_button_and_the_recording_has_a_gap_without_the_held_tone(
    start_peer: StartPeer, compliance: Compliance, tmp_path: Path
) -> None:
    peer = start_peer(
        "--play", f"tone:{TALK_HZ:g}", "--hold-tone", f"tone:{HELD_HZ:g}", "--on-hold", "refuse"
    )
    done = run_driver("window_call", str(compliance.policy), peer.uri_for(), str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failure"] is None, done.stderr[-3000:]
    assert set(result["screenshots"]) == {"disclosure", "on-hold", "after-call"}
    peer.wait_for("reinvite", 10, holding=True)  # the peer was asked to hold and sent HELD_HZ
    peer.wait_for("state", 10, state="disconnected")

    metadata = Path(result["metadata"])
    meta = read_metadata(metadata)
    assert meta.status == "complete" and meta.disclosure.completed
    [hold] = meta.holds
    assert hold.end is not None
    assert result["held_at"] <= hold.start + 0.5 and hold.end >= result["resumed_at"] - 0.5
    held_s = hold.end - hold.start
    assert held_s >= 1.5  # the tour held for 2 s

    # The gate's transitions: closed at the Hold click, open again only after the Resume click,
    # and the recording's timeline does not move in between (no samples stand for the hold).
    closing = next(g for g in meta.gate if g.state == "closed" and g.wall_time >= hold.start - 0.1)
    reopening = next(g for g in meta.gate if g.state == "open" and g.wall_time > closing.wall_time)
    assert reopening.wall_time >= result["resumed_at"]
    assert reopening.media_time - closing.media_time < 0.1 < reopening.wall_time - closing.wall_time

    # By analysis: the customer's live tone on both sides of the gap, its held tone nowhere.
    channels, rate = read_channels(metadata.with_name(meta.audio.file))
    agent, customer = channels[:, 0], channels[:, 1]
    assert tone_duration_s(customer, rate, HELD_HZ) == 0.0
    assert tone_duration_s(agent, rate, HELD_HZ) == 0.0
    gap = int(closing.media_time * rate)
    before, after = customer[max(0, gap - rate) : gap], customer[gap : gap + rate]
    for side in (before, after):
        segments = tone_timeline(side, rate, [TALK_HZ, HELD_HZ])
        talk = sum(s.end_s - s.start_s for s in segments if s.hz == TALK_HZ)
        assert talk >= 0.7, segments
    assert tone_duration_s(agent, rate, AGENT_HZ) >= 0.5 * meta.audio.duration_s
    # The file is shorter than the time the gate stood open by the hold: the hold is a gap.
    first_open = next(g for g in meta.gate if g.state == "open")
    assert meta.call.ended_at is not None
    wall_s = meta.call.ended_at - first_open.wall_time
    assert meta.audio.duration_s == pytest.approx(wall_s - held_s, abs=0.6)
    assert np.max(np.abs(customer)) > 0.05


def test_softphone_demo_offscreen_plays_the_call_saves_screenshots_and_reports(
    qtbot: QtBot, tmp_path: Path
) -> None:
    env = child_env()
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"))
    done = subprocess.run(
        [sys.executable, "-m", "softphone.cli", "demo", "--offscreen", "--folder", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert done.stdout.strip().endswith("result: PASS"), done.stdout
    recording = re.search(r"recording: (\S+\.wav) ", done.stdout)
    assert recording is not None and Path(recording.group(1)).is_file(), done.stdout
    assert Path(recording.group(1)).is_relative_to(tmp_path)
    assert re.search(r"on hold \d+\.\d s, from .* not recorded, a gap at", done.stdout)
    shots = dict(re.findall(r"^  ([a-z-]+): (\S+\.png)$", done.stdout, re.MULTILINE))
    assert set(shots) == {"disclosure", "on-hold", "after-call"}, done.stdout
    for path in shots.values():
        image = QImage(path)
        assert (image.width(), image.height()) == (980, 680), path
        colours = {image.pixel(x, y) for x in range(0, 980, 7) for y in range(0, 680, 7)}
        assert len(colours) > 20, path  # a drawn window, not a blank one


def test_the_demo_customer_answers_again_on_the_same_address_after_a_call(
    qtbot: QtBot, tmp_path: Path
) -> None:
    customer = DemoCustomer(("--play", "tone:440"), tmp_path)
    try:
        first = customer.peer
        customer.replace_if_ended()
        assert customer.peer is first  # still waiting for its call: kept
        first.proc.terminate()  # as when its call has ended
        first.proc.wait(10)
        customer.replace_if_ended()
        assert customer.peer is not first and customer.peer.port == first.port
        assert customer.peer.proc.poll() is None
    finally:
        customer.stop()
    assert customer.peer.proc.poll() is not None


def test_sigterm_during_the_demo_call_hangs_up_finishes_the_recording_and_stops_the_customer(
    tmp_path: Path,
) -> None:
    env = child_env()
    env.pop("DISPLAY", None)
    command = [sys.executable, "-m", "softphone.cli", "demo", "--offscreen", "--folder"]
    with subprocess.Popen(
        [*command, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=REPO, env=env, stdin=subprocess.DEVNULL,
    ) as proc:  # fmt: skip
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                if "the call is recorded" in line:
                    break
            proc.terminate()
            out, _ = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1, out  # the demo call was cut short
    assert "problem: the demo was stopped before its call was over" in out
    [metadata] = tmp_path.rglob("*.json")
    assert read_metadata(metadata).status == "complete"  # hung up, the recording finished
    port = re.search(r"answers at sip:customer@127\.0\.0\.1:(\d+)", out)
    assert port is not None, out
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", int(port.group(1))))  # the customer's process let go of it


def test_softphone_window_rings_for_a_call_and_sigterm_ends_it_cleanly(
    start_peer: StartPeer, compliance: Compliance
) -> None:
    env = child_env()
    env["QT_QPA_PLATFORM"] = "offscreen"
    command = [sys.executable, "-m", "softphone.cli", "-v", "window", *compliance.args]
    options = ["--mic", "silence", "--speaker", "null", "--listen", "127.0.0.1:0"]
    with subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=REPO, env=env, stdin=subprocess.DEVNULL,
    ) as proc:  # fmt: skip
        try:
            assert proc.stderr is not None
            port = None
            for line in proc.stderr:
                if found := re.search(r"SIP engine listening on 127\.0\.0\.1:(\d+)/udp", line):
                    port = int(found.group(1))
                    break
            assert port is not None
            peer = start_peer("--call", f"sip:agent@127.0.0.1:{port}")
            peer.wait_for("state", 15, state="early")  # the window rings
            proc.terminate()
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    peer.wait_for("state", 10, state="disconnected")  # the ringing call was ended, not left


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb: bash scripts/setup.sh --test")
def test_the_screenshot_script_shows_the_real_window_on_xvfb(qtbot: QtBot, tmp_path: Path) -> None:
    env = child_env()
    env.update(PYTHON=sys.executable, SCREENSHOTS_DIR=str(tmp_path))
    env.pop("QT_QPA_PLATFORM", None)  # the script asks for the X11 platform itself
    done = subprocess.run(
        ["bash", "scripts/screenshots.sh"], capture_output=True, text=True, timeout=120,
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "result: PASS" in done.stdout, done.stdout
    for name in ("disclosure", "on-hold", "after-call"):
        image = QImage(str(tmp_path / f"window-{name}.png"))
        assert (image.width(), image.height()) == (980, 680), name


def test_softphone_window_says_at_info_when_it_is_shown_and_its_loop_runs(
    compliance: Compliance, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = child_env() | {"QT_QPA_PLATFORM": "offscreen", "HOME": str(home)}
    env |= {f"XDG_{k}_HOME": str(home / k.lower()) for k in ("CONFIG", "DATA", "STATE", "CACHE")}
    command = [sys.executable, "-m", "softphone.cli", "-v", "window", *compliance.args]
    options = ["--mic", "silence", "--speaker", "null", "--listen", "127.0.0.1:0"]
    with subprocess.Popen(
        [*command, *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        cwd=REPO, env=env, stdin=subprocess.DEVNULL,
    ) as proc:  # fmt: skip
        try:
            assert proc.stderr is not None
            seen = []
            for line in proc.stderr:
                seen.append(line)
                if READY_LINE in line:
                    break
            proc.terminate()
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert any(READY_LINE in line for line in seen), "".join(seen) + err[-3000:]
    assert any("SIP engine listening" in line for line in seen)  # the phone came first
    assert proc.returncode == 0, err[-3000:]
