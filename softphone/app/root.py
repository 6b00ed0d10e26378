"""The composition root: engine, account, audio, recordings and desk, built once, ended in order.

Every client (the `call` and `answer` commands, the self-test, the register check, the test
drivers, the window in `ui/app.py`) gets its phone from here and drives it through the desk; no
other module wires pjsua2 objects together. The order of the end is the reverse of the start: the
calls still on the desk are hung up and their recordings finished, the desk lets go of the
engine, the engine stops (its clock thread with it), and only then are the audio devices closed,
so that no thread reads or writes them any more.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from softphone.app.accountsession import (
    AccountPlan,
    AccountUsageError,
    account_spec,
    await_registration,
    parse_hostport,
    password_for,
    plan_account,
)
from softphone.app.admission import admission
from softphone.calls.desk import Desk, Listener, Screen
from softphone.calls.session import SessionSetup
from softphone.calls.setup import prepare_setup
from softphone.config.resolve import Settings
from softphone.config.schema import RTP_TIMEOUT_S, AccountPolicy, SecurityPolicy
from softphone.media.deviceevents import DeviceEvents
from softphone.media.sinks import NullSink, WavFileSink
from softphone.media.sources import open_source, parse_source_spec
from softphone.recordings.retention import RetentionSweeper
from softphone.sip.engine import EngineConfig, SipEngine
from softphone.sip.phone import AccountSpec, Phone
from softphone.vocabulary.frames import FrameSink, FrameSource

log = logging.getLogger("softphone.app")

POLL_MS = 20
"""How long one loop turn may wait in pjsua2 for network events while a call is live; events
end the wait at once, so this only bounds how often the desk's timers are looked at."""

IDLE_POLL_MS = 500
"""The same wait with no call: SIP requests still end it at once, and an idle phone wakes
only to look at its timers (registration refreshes, retention), twice a second."""

SHUTDOWN_GRACE_S = 5.0
"""How long the end waits for hung-up calls to be confirmed, so that their recordings finish."""


@dataclass(frozen=True)
class PhoneConfig:
    """Which phone to build: where it listens and as whom it calls."""

    listen: str = "127.0.0.1:0"  # HOST:PORT the SIP transport binds to
    account: AccountPolicy | None = None  # None: direct IP calls as `identity_user`
    security: SecurityPolicy = field(default_factory=SecurityPolicy)
    identity_user: str = "agent"
    log_level: int = 1
    cert: Path | None = None  # our own TLS certificate, for taking calls over TLS
    key: Path | None = None
    answering: bool = False  # the phone takes calls (TLS without a registrar needs `cert`)
    register_timeout: float | None = 10.0  # None: do not wait for the first registration
    allow_incoming_transfers: bool = False  # the policy's calls.allow_incoming_transfer
    rtp_timeout_s: float = RTP_TIMEOUT_S  # the policy's media.rtp_timeout_s (0: never)


@dataclass
class Audio:
    """Where the agent's outgoing audio comes from and where the customer's audio goes."""

    mic: FrameSource
    speaker: FrameSink
    devices: DeviceEvents = field(default_factory=DeviceEvents)  # what a headset tells

    def close(self) -> None:
        """Close the speaker's file or device, and the microphone's stream if it has one."""
        self.speaker.close()
        close_mic = getattr(self.mic, "close", None)  # a headset microphone has a stream
        if callable(close_mic):
            close_mic()


@dataclass(frozen=True)
class Stack:
    """A started engine and its phone, with the policy account's plan (None for direct IP)."""

    engine: SipEngine
    phone: Phone
    plan: AccountPlan | None


class Softphone:
    """What a client drives: the desk, and the loop turn that runs it on the main thread."""

    def __init__(
        self,
        stack: Stack,
        desk: Desk,
        devices: DeviceEvents,
        retention: RetentionSweeper | None = None,
    ) -> None:
        self.stack = stack
        self.desk = desk
        self._devices = devices
        self._retention = retention

    @property
    def engine(self) -> SipEngine:
        """The SIP engine (for its bound port, TLS failures and timers)."""
        return self.stack.engine

    @property
    def bound_port(self) -> int:
        """The port the SIP transport listens on."""
        return self.stack.engine.bound_port

    def wake_sockets(self) -> tuple[int, ...]:
        """Descriptors that become readable when a SIP request arrives: a loop sleeping while
        idle should turn when one does (see `SipEngine.listening_sockets`)."""
        return self.stack.engine.listening_sockets()

    def dial_uri(self, uri: str) -> str:
        """`uri` as the account dials it (over its transport unless the URI says otherwise)."""
        return self.stack.phone.dial_uri(uri)

    def subscribe(self, listener: Listener) -> None:
        """Receive the desk's events."""
        self.desk.subscribe(listener)

    def turn(self, wait_ms: int | None = None) -> None:
        """One loop turn: network and device events (each passed to the desk), the desk's timers.

        Without `wait_ms`, waits for network events up to POLL_MS during a call, IDLE_POLL_MS
        without one, and never past the engine's next timer. Recordings past retention are
        swept at most once a minute (a few directory reads when nothing is due).
        """
        if wait_ms is None:
            wait_ms = POLL_MS if self.desk.busy else IDLE_POLL_MS
            due = self.stack.engine.next_timer_in()
            if due is not None:
                wait_ms = min(wait_ms, int(due * 1000))
        self.stack.engine.poll(wait_ms)
        for event in self._devices.drain():
            self.desk.device_changed(event)
        self.desk.tick()
        if self._retention is not None:
            self._retention.tick(time.time())

    def run_until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Turn the loop until `done()` or `timeout_s` passes; whether `done()` came true."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() >= deadline:
                return False
            self.turn()
        return True

    def end_calls(self, grace_s: float = SHUTDOWN_GRACE_S) -> bool:
        """Hang up every call on the desk and wait for their ends; whether all ended in time."""
        self.desk.end_all()
        return self.run_until(lambda: not self.desk.calls(), grace_s)


@contextlib.contextmanager
def open_stack(config: PhoneConfig) -> Iterator[Stack]:
    """A started engine with one account: the policy's (registered first), or direct IP."""
    plan: AccountPlan | None = None
    password: str | None = None
    if config.account is None:
        host, port = parse_hostport(config.listen)
        engine_config = EngineConfig(bind_host=host, port=port, log_level=config.log_level)
    else:
        plan = _plan(config, config.account)
        engine_config = plan.engine
        password = password_for(config.account)
    engine = SipEngine(engine_config)
    engine.start()
    try:
        phone = Phone(engine)
        phone.add_account(_account(config, plan, engine, password))
        del password
        registrar = plan is not None and plan.account.registrar is not None
        if plan is not None and registrar and config.register_timeout is not None:
            await_registration(engine, plan, config.register_timeout)
        phone.allow_incoming_transfers(config.allow_incoming_transfers)
        phone.watch_rtp(config.rtp_timeout_s)
        yield Stack(engine, phone, plan)
    except BaseException as exc:
        # Frames of a failed operation hold pjsua2 objects; none may outlive libDestroy.
        traceback.clear_frames(exc.__traceback__)
        raise
    finally:
        engine.stop()


@contextlib.contextmanager
def open_softphone(
    config: PhoneConfig,
    setup: SessionSetup,
    audio: Audio,
    *,
    max_calls: int = 2,
    screen: Screen | None = None,
) -> Iterator[Softphone]:
    """The whole phone: stack, the agent's audio on the bridge, and the desk over them.

    On the way out every call still on the desk is hung up (its recording finished), then the
    engine stops, then `audio` is closed (also when the phone could not be built).
    """
    screen = admission(config.account, config.security, screen)  # strangers get 403
    try:
        with open_stack(config) as stack:
            mic = stack.phone.create_port("mic", source=audio.mic)
            speaker = stack.phone.create_port("speaker", sink=audio.speaker)
            desk = Desk(
                stack.engine, stack.phone, setup, (mic, speaker), max_calls=max_calls, screen=screen
            )
            unsubscribe = stack.engine.subscribe(desk.handle)
            softphone = Softphone(stack, desk, audio.devices, setup.retention)
            try:
                yield softphone
            finally:
                if desk.calls() and not softphone.end_calls():
                    log.warning("calls still open at shutdown: %d", len(desk.calls()))
                unsubscribe()
                for port in (mic, speaker):
                    stack.phone.release_port(port)
    finally:
        audio.close()


def recording_setup(settings: Settings, recordings: Path, agent: str) -> SessionSetup:
    """What every call needs to be recorded, as the policy says; recovers interrupted ones first."""
    policy = settings.policy.recording
    return prepare_setup(
        spec=settings.disclosure_in_force(),
        recordings=recordings,
        agent=agent,
        retention_days=policy.retention_days,
        group=policy.group,
        pause_requires_reason=policy.pause_requires_reason,
        encrypt_to=policy.encrypt_to,
        archived_first=settings.policy.archive is not None,  # retention keeps the only copy
    )


def open_audio(mic: str, speaker: str, settings: Settings) -> Audio:
    """The microphone (`--mic` spec) and speaker (`device`, `null` or a WAV path) to call with."""
    spec = parse_source_spec(mic)
    devices = DeviceEvents()
    mic_dev: FrameSource | None = None
    speaker_dev: FrameSink | None = None
    if spec.kind == "device" or speaker == "device":
        from softphone.media.device import open_device_audio  # noqa: PLC0415 - needs PortAudio

        mic_dev, speaker_dev = open_device_audio(
            spec.kind == "device",
            speaker == "device",
            input_name=settings.audio.input_device or None,
            output_name=settings.audio.output_device or None,
            events=devices,
        )
    source = mic_dev or open_source(spec)
    if speaker_dev is not None:
        sink: FrameSink = speaker_dev
    elif speaker in ("null", "none"):
        sink = NullSink()
    else:
        sink = WavFileSink(speaker)
    return Audio(mic=source, speaker=sink, devices=devices)


def _plan(config: PhoneConfig, account: AccountPolicy) -> AccountPlan:
    plan = plan_account(
        account,
        config.security,
        config.listen,
        log_level=config.log_level,
        cert=config.cert,
        key=config.key,
    )
    tls_without_registrar = plan.transport == "tls" and account.registrar is None
    if config.answering and tls_without_registrar and config.cert is None:
        raise AccountUsageError(
            f"account {account.name} takes calls over TLS without a registrar: callers connect "
            "to this computer, which then needs a certificate; give --tls-cert and --tls-key"
        )
    return plan


def _account(
    config: PhoneConfig, plan: AccountPlan | None, engine: SipEngine, password: str | None
) -> AccountSpec:
    if plan is not None:
        return account_spec(plan, engine.bound_port, password)
    host = parse_hostport(config.listen)[0]
    shown = host if host != "0.0.0.0" else "127.0.0.1"
    return AccountSpec("direct", f"sip:{config.identity_user}@{shown}:{engine.bound_port}")
