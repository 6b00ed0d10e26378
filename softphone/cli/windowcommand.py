"""`softphone window`, `demo` and `qa`: the agent's window, the demo, and the QA view.

The one module of the core that reaches up into `ui/`, and only inside its command functions:
importing the CLI loads no Qt widgets, so the headless commands run where PySide6's widget
libraries cannot load (tests/unit/test_layering.py holds it to that).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from softphone.app.accountsession import RegistrationFailedError, choose_account
from softphone.app.peerproc import PeerError
from softphone.app.recovery import recover_for_readers
from softphone.app.root import PhoneConfig, open_audio, recording_setup
from softphone.cli.callcommand import recordings_dir
from softphone.cli.cliout import resolve_path, say
from softphone.config.policy import builtin_policy, resources_dir
from softphone.config.preferences import load_preferences
from softphone.config.qakey import load_identities
from softphone.config.resolve import Settings, resolve
from softphone.config.schema import DisclosurePolicy
from softphone.media.replayout import SoundDeviceOutput
from softphone.recordings.access import make_folders
from softphone.recordings.index import LibraryIndex
from softphone.recordings.timeline import reference_hashes
from softphone.vocabulary import exitcodes

COMMANDS = ("window", "demo")
DEMO_VOICES = resources_dir() / "demo"
DEMO_LANGUAGE = "en"  # the demo customer speaks English; so does its disclosure
DEMO_AGENT = "demo"  # who the demo's recordings say took the call

SettingsFor = Callable[[argparse.Namespace], Settings]


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add `window` and `demo`; the window's parser, for the account options main.py adds."""
    window = sub.add_parser("window", help="open the agent's window")
    window.add_argument(
        "--listen",
        default="0.0.0.0:0",
        metavar="HOST:PORT",
        help="local SIP address (default: any interface, a free port)",
    )
    _audio_options(window, "device", "device")
    window.add_argument("--recordings", metavar="DIR", help="directory for recordings")
    window.add_argument("--policy", metavar="FILE", help="admin policy file (TOML)")
    window.add_argument("--sip-log-level", type=int, default=1, choices=range(7), metavar="0-6")

    demo = sub.add_parser(
        "demo",
        help="the window and a demo customer to call, no PBX needed",
        description="Opens the window beside a demo customer on 127.0.0.1 who talks, and keeps "
        "talking while held. Without a display (or with --offscreen) the demo call plays by "
        "itself, saves screenshots and prints its report.",
    )
    demo.add_argument(
        "--offscreen",
        action="store_true",
        help="show no window (the default without DISPLAY or WAYLAND_DISPLAY); implies --auto",
    )
    demo.add_argument(
        "--auto",
        action="store_true",
        help="play the demo call by itself: dial, disclosure, talk, hold, resume, hang up",
    )
    demo.add_argument(
        "--folder",
        metavar="DIR",
        help="keep the demo's recordings, screenshots and logs here (default: a new folder in "
        "the temporary directory, kept after the demo)",
    )
    demo.add_argument(
        "--policy",
        metavar="FILE",
        help="admin policy file (TOML); default: the built-in policy, English disclosure",
    )
    _audio_options(demo, None, None)
    return window


def _audio_options(p: argparse.ArgumentParser, mic: str | None, speaker: str | None) -> None:
    shown = " (default: device; playing by itself: the demo agent's voice)" if mic is None else ""
    p.add_argument(
        "--mic",
        default=mic,
        metavar="SOURCE",
        help=f"what the agent sends: device, silence, tone:HZ or a WAV file{shown}",
    )
    shown = " (default: device; playing by itself: null)" if speaker is None else ""
    p.add_argument(
        "--speaker",
        default=speaker,
        metavar="SINK",
        help=f"where the customer's audio goes: device, null or a WAV file{shown}",
    )


def run(args: argparse.Namespace, settings_for: SettingsFor) -> int:
    """Run `window` or `demo`; the exit code."""
    try:
        if args.command == "demo":
            return _demo(args, settings_for)
        return _window(args, settings_for(args))
    except RegistrationFailedError as exc:
        say(str(exc))
        return exitcodes.FAILED
    except PeerError as exc:
        say(f"the demo customer did not start: {exc}")
        return exitcodes.FAILED


def _window(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import WindowPhone, run_window  # noqa: PLC0415 - Qt widgets, on demand
    from ui.uistate import default_state_path  # noqa: PLC0415

    account = choose_account(settings, args.account)
    recordings = recordings_dir(args.recordings, settings)
    agent = getpass.getuser()
    setup = recording_setup(settings, recordings, agent)  # recovers interrupted ones first
    config = PhoneConfig(
        listen=args.listen,
        account=account,
        security=settings.policy.security,
        log_level=args.sip_log_level,
        cert=resolve_path(args.tls_cert),
        key=resolve_path(args.tls_key),
        answering=True,
        register_timeout=None,  # the window shows the registration as it comes
        allow_incoming_transfers=settings.policy.calls.allow_incoming_transfer,
        rtp_timeout_s=settings.policy.media.rtp_timeout_s,
    )
    audio = open_audio(args.mic, args.speaker, settings)
    phone = WindowPhone(
        config, setup, audio, agent, recordings, default_state_path(), settings=settings
    )
    return run_window(phone)


def _demo(args: argparse.Namespace, settings_for: SettingsFor) -> int:
    offscreen = args.offscreen or not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if offscreen or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt starts
        offscreen = True
    auto = args.auto or offscreen
    from ui.app import WindowPhone  # noqa: PLC0415 - Qt widgets, on demand
    from ui.demo import DemoPlan, run_demo  # noqa: PLC0415

    folder = _folder(args.folder)
    if args.policy:
        settings = settings_for(args)
        recordings = recordings_dir(None, settings)
    else:
        recordings = folder / "recordings"
        settings = _demo_settings(recordings)
        make_folders(recordings)
    agent = DEMO_AGENT
    setup = recording_setup(settings, recordings, agent)
    mic = args.mic or (str(DEMO_VOICES / "agent.wav") if auto else "device")
    speaker = args.speaker or ("null" if auto else "device")
    audio = open_audio(mic, speaker, settings)
    phone = WindowPhone(
        PhoneConfig(listen="127.0.0.1:0", identity_user=agent, register_timeout=None),
        setup,
        audio,
        agent,
        recordings,
        folder / "window.ini",
        settings=settings,
        preferences_path=folder / "preferences.toml",  # the demo leaves the agent's own alone
    )
    customer = (
        "--play",
        str(DEMO_VOICES / "customer.wav"),
        "--hold-tone",
        str(DEMO_VOICES / "held.wav"),
    )
    print(f"softphone demo: files in {folder}", flush=True)
    return run_demo(DemoPlan(phone, customer, folder, auto))


def run_qa(args: argparse.Namespace, settings_for: SettingsFor) -> int:
    """`softphone qa`: the QA view on the recordings directory; the exit code."""
    from ui.app import run_qa  # noqa: PLC0415 - Qt widgets, on demand
    from ui.qawindow import QaSetup  # noqa: PLC0415

    settings = settings_for(args)
    if args.recordings:
        root = Path(args.recordings).expanduser().absolute()
    else:
        root = settings.recording.directory
    if not root.is_dir():
        say(f"the recordings directory '{root}' does not exist; give --recordings DIR")
        return exitcodes.BAD_INPUT
    recover_for_readers(root)  # before the library is first listed
    setup = QaSetup(
        root,
        LibraryIndex(root),
        SoundDeviceOutput(),
        load_identities,
        reference_hashes(settings.policy.disclosure),
    )
    return run_qa(setup, settings.ui.language)


def _folder(option: str | None) -> Path:
    if option is None:
        return Path(tempfile.mkdtemp(prefix="softphone-demo-"))
    folder = Path(option).expanduser().absolute()
    make_folders(folder)
    return folder


def _demo_settings(recordings: Path) -> Settings:
    """The built-in policy with its English disclosure first, recording into `recordings`."""
    policy = builtin_policy(default_recordings=recordings)
    disclosure = DisclosurePolicy(DEMO_LANGUAGE, policy.disclosure.languages)
    demo = dataclasses.replace(policy, disclosure=disclosure)
    settings = resolve(demo, load_preferences())
    return dataclasses.replace(
        settings, disclosure=dataclasses.replace(settings.disclosure, language=DEMO_LANGUAGE)
    )
