"""The pjsua2 endpoint's lifecycle, its one thread model, and the event pump the app subscribes to.

Thread model: `threadCnt = 0` and `mainThreadOnly = True`. pjsua2 then runs no worker thread of
its own; SIP and call callbacks arrive on the thread that calls `poll()`, which is the thread that
created the engine (the Qt main thread in the GUI, the only thread in the CLI). We chose this over
a worker thread because callbacks can then never race the app's own calls into pjsua2, and a
callback that arrives synchronously inside `makeCall`/`hangup` is still on the same thread. The
price, timer gaps of tens of milliseconds under load, is harmless for signalling. Every public
method asserts the thread (`WrongThreadError`); every callback checks it and counts violations.
Media frame callbacks still run on the bridge clock thread: they never come through here.

Idle costs nothing: RTP shares the SIP sockets' ioqueue (no media worker waking every 10 ms),
the bridge clock stops a second after the last connection ends and restarts on the next one
(pjsua's sound auto-close, armed once at start), and Python's cycle collector runs here, on the
main thread, only when enough objects were allocated (what the automatic collector would do),
never on a timer: the objects alive at start are frozen, so a collection only scans newer ones.

Transports: one listens on the configured port (UDP, TCP or TLS); others are opened on first use
(`transport_id`). TLS follows `security.TlsSettings` (verification on by default, TLS 1.2 at
least, forward-secret ciphers only), and why a TLS connection failed is kept (`tls_failures`) so
that a failed registration or call can say so in one line.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import itertools
import logging
import os
import queue
import random
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pjsua2 as pj

from softphone.sip.guard import callback
from softphone.sip.logbridge import PjLogWriter
from softphone.sip.security import TlsSettings, TlsSetupError
from softphone.sip.securityerrors import TlsFailure
from softphone.sip.sockets import bound_socket_fds
from softphone.sip.tlsconfig import tls_config
from softphone.vocabulary.events import Event, SipError

log = logging.getLogger("softphone.sip")

Handler = Callable[[Event], None]


class WrongThreadError(RuntimeError):
    """A pjsua2 API was reached from a thread other than the engine's main thread."""


@dataclass(frozen=True)
class EngineConfig:
    """How the endpoint listens and logs."""

    bind_host: str = "127.0.0.1"
    port: int = 0
    transport: str = "udp"
    log_level: int = 3
    user_agent: str = "softphone/0.1"
    max_calls: int = 4
    # For every TLS transport: server verification on, the system's CAs, no own certificate.
    tls: TlsSettings = field(default_factory=TlsSettings)


_TRANSPORTS = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}
_MAX_TLS_FAILURES = 20
_CLOCK_IDLE_S = 1  # the bridge clock stops this long after its last connection ended
_SYSTEM_ERRORS = (120000, 170000)  # PJ_ERRNO_START_SYS .. PJ_ERRNO_START_USER: socket errors


class _Endpoint(pj.Endpoint):  # type: ignore[misc]
    """The endpoint, with its transport-state callback reporting failed TLS connections."""

    def __init__(self, engine: SipEngine) -> None:
        super().__init__()
        self._engine = weakref.ref(engine)  # no reference cycle through a pjsua2 object
        self._connected: set[int] = set()

    @callback
    def onTransportState(self, prm: pj.OnTransportStateParam) -> None:
        """Runs on the main thread: copy why a TLS connection failed or was refused."""
        engine = self._engine()
        if engine is None or str(prm.type).upper() not in ("TLS", "TLS6"):
            return
        if threading.get_ident() != engine._thread:
            engine.thread_violations += 1
            log.error("pjsua2 transport callback on thread %s", threading.current_thread().name)
        handle, state, info = int(prm.hnd), int(prm.state), prm.tlsInfo
        verify = 0 if info.isEmpty() else int(info.verifyStatus)
        error = int(prm.lastError)
        if state == pj.PJSIP_TP_STATE_DESTROY:
            self._connected.discard(handle)
            return
        if state == pj.PJSIP_TP_STATE_CONNECTED and verify == 0:
            self._connected.add(handle)
            log.info("TLS connection with %s: %s", info.remoteAddr, info.cipherName)
            return
        if verify == 0 and (
            error == 0 or handle in self._connected or state != pj.PJSIP_TP_STATE_DISCONNECTED
        ):
            return  # an established connection closing, or a listener shutting down
        engine.note_tls_failure(
            TlsFailure(
                seq=engine.mark(),
                remote="" if info.isEmpty() else str(info.remoteAddr),
                verify_status=verify,
                verify_messages=() if info.isEmpty() else tuple(map(str, info.verifyMsgs)),
                error=str(self.utilStrError(error)) if error else "",
                connect_error=_SYSTEM_ERRORS[0] <= error < _SYSTEM_ERRORS[1],
            )
        )


class SipEngine:
    """Owns the single pjsua2 `Endpoint` of this process and delivers its events in order."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._thread = threading.get_ident()
        self._handlers: list[Handler] = []
        self._pending: queue.SimpleQueue[tuple[int, Event]] = queue.SimpleQueue()
        self._seq = itertools.count(1)
        self._ep: pj.Endpoint | None = None
        self._log_writer: PjLogWriter | None = None
        self._transport_id = -1
        self._transports: dict[str, int] = {}
        self.tls_failures: list[TlsFailure] = []
        self.bound_port = 0
        self.thread_violations = 0
        self.handler_errors = 0
        self._finalizers: list[Callable[[], None]] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []  # a heap by due time

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Create and start the endpoint, its transport and the null-device bridge clock."""
        self.check_thread()
        if self._ep is not None:
            return
        gc.disable()  # pjsua2 destructors must not run on a foreign thread from the cycle GC
        gc.freeze()  # what the imports made lives as long as the process: never scan it again
        ep = _Endpoint(self)
        with _stdout_silenced():
            ep.libCreate()  # logs to stdout before our log writer can be installed
        self._ep = ep
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = self.config.max_calls
        cfg.uaConfig.userAgent = self.config.user_agent
        cfg.medConfig.clockRate = 16000
        cfg.medConfig.sndClockRate = 16000
        cfg.medConfig.audioFramePtime = 20
        cfg.medConfig.channelCount = 1
        cfg.medConfig.ecTailLen = 0
        cfg.medConfig.noVad = True  # every frame is sent: no clipped speech, exact evidence
        # RTP is read by whoever polls the SIP ioqueue: poll() on the main thread. A media
        # ioqueue of its own would need a worker that wakes every 10 ms, call or no call.
        cfg.medConfig.hasIoqueue = False
        cfg.medConfig.threadCnt = 0
        cfg.medConfig.sndAutoCloseTime = _CLOCK_IDLE_S
        self._log_writer = PjLogWriter()
        cfg.logConfig.writer = self._log_writer
        cfg.logConfig.level = self.config.log_level
        cfg.logConfig.consoleLevel = self.config.log_level
        cfg.logConfig.decor = 0
        try:
            ep.libInit(cfg)
            self._transport_id = self._create_transport(ep, self.config.transport, self.config.port)
            ep.libStart()
            ep.audDevManager().setNullDev()
            _arm_clock_auto_stop(ep)
            _prefer_codecs(ep)
        except pj.Error as exc:
            self.stop()
            raise SipError(_describe_start_error(exc, self.config)) from exc
        except SipError:
            self.stop()
            raise
        self.bound_port = int(
            str(ep.transportGetInfo(self._transport_id).localName).rsplit(":")[-1]
        )
        log.info(
            "SIP engine listening on %s:%d/%s",
            self.config.bind_host,
            self.bound_port,
            self.config.transport,
        )

    def _create_transport(self, ep: pj.Endpoint, name: str, port: int) -> int:
        kind = _TRANSPORTS.get(name)
        if kind is None:
            raise SipError(f"unknown SIP transport {name!r}: use one of {sorted(_TRANSPORTS)}")
        tcfg = pj.TransportConfig()
        tcfg.boundAddress = self.config.bind_host
        tcfg.port = port
        if name == "tls":
            try:
                tcfg.tlsConfig = tls_config(self.config.tls, ep.utilSslGetAvailableCiphers())
            except TlsSetupError as exc:
                raise SipError(f"cannot use TLS: {exc}") from None
        transport_id = int(ep.transportCreate(kind, tcfg))
        self._transports[name] = transport_id
        return transport_id

    def transport_id(self, name: str) -> int:
        """The id of this endpoint's `name` transport (udp, tcp, tls), created on first use.

        The transport given in the config listens on the configured port; others on any port.
        """
        self.check_thread()
        if name not in self._transports:
            try:
                self._create_transport(self.endpoint, name, 0)
            except pj.Error as exc:
                raise SipError(
                    f"cannot open a {name.upper()} transport on {self.config.bind_host}: "
                    f"{exc.reason}"
                ) from None
        return self._transports[name]

    def listening_sockets(self) -> tuple[int, ...]:
        """The descriptors of the sockets SIP requests arrive on (UDP, and TCP/TLS listeners).

        A loop that sleeps while idle watches them to turn at once when a request arrives; RTP
        and connected TCP/TLS sockets are not among them (empty where the OS does not say).
        """
        self.check_thread()
        ports = {
            int(str(self.endpoint.transportGetInfo(tid).localName).rsplit(":", 1)[-1])
            for tid in self._transports.values()
        }
        return bound_socket_fds(ports)

    def note_tls_failure(self, failure: TlsFailure) -> None:
        """Keep a failed TLS connection's cause, for the message of whatever it made fail."""
        log.info(
            "TLS connection %s failed: %s",
            failure.remote or "to the server",
            "; ".join(failure.verify_messages) or failure.error,
        )
        self.tls_failures.append(failure)
        del self.tls_failures[:-_MAX_TLS_FAILURES]

    def last_tls_failure(self, since: int = 0) -> TlsFailure | None:
        """The latest TLS failure noted after the `mark()` `since`, if any."""
        if self.tls_failures and self.tls_failures[-1].seq > since:
            return self.tls_failures[-1]
        return None

    def account_config(self, uri: str, transport: str | None = None) -> pj.AccountConfig:
        """A fresh account config for `uri`, with RTP bound like SIP on a random free port.

        With `transport`, the account sends and receives SIP only over that transport.
        """
        cfg = pj.AccountConfig()
        cfg.idUri = uri
        if transport is not None:
            cfg.sipConfig.transportId = self.transport_id(transport)
        rtp = cfg.mediaConfig.transportConfig
        rtp.boundAddress = self.config.bind_host
        # pjsua tries successive port pairs from here; a random start keeps parallel test
        # processes from all colliding on the default 4000.
        rtp.port = random.randrange(20000, 60000, 2)
        rtp.portRange = 2000
        return cfg

    def add_finalizer(self, finalizer: Callable[[], None]) -> None:
        """Run `finalizer` during `stop()`, before the library is destroyed (newest first)."""
        self._finalizers.append(finalizer)

    def stop(self) -> None:
        """Destroy the library after every registered owner released its pjsua2 objects."""
        self.check_thread()
        ep = self._ep
        if ep is None:
            return
        while self._finalizers:
            finalizer = self._finalizers.pop()
            finalizer()
        self._timers.clear()  # their actions may hold owners of pjsua2 objects
        self.poll(0)
        # A traceback kept by pjsua2's error printing would keep a Call alive past libDestroy.
        sys.last_type = sys.last_value = sys.last_traceback = None
        gc.collect()
        try:
            ep.libDestroy()
        except pj.Error as exc:
            log.error("pjsua2 did not shut down cleanly: %s", exc.info())
        self._ep = None
        self._transports.clear()
        del ep
        self._log_writer = None
        gc.collect()
        gc.enable()

    @property
    def endpoint(self) -> pj.Endpoint:
        """The live endpoint; only for other modules of this package."""
        if self._ep is None:
            raise SipError("the SIP engine is not running")
        return self._ep

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._ep is not None

    # --- threads and events ----------------------------------------------------------------

    def check_thread(self) -> None:
        """Raise unless called on the thread that created the engine."""
        if threading.get_ident() != self._thread:
            raise WrongThreadError(
                f"pjsua2 used from thread {threading.current_thread().name!r}; "
                "all SIP calls must run on the main thread"
            )

    def post(self, event: Event) -> None:
        """Queue an event for delivery on the main thread; safe from any thread."""
        # next() on a count is atomic in CPython: no lock, so the clock thread never waits.
        self._pending.put((next(self._seq), event))

    def post_from_callback(self, event: Event) -> None:
        """Queue an event from a pjsua2 callback, recording a thread-model violation if any."""
        if threading.get_ident() != self._thread:
            self.thread_violations += 1
            log.error("pjsua2 callback on foreign thread %s", threading.current_thread().name)
        self.post(event)

    def mark(self) -> int:
        """A sequence number above every event posted so far and below every later one."""
        return next(self._seq)

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Deliver every event to `handler` on the main thread; returns an unsubscribe function."""
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler) if handler in self._handlers else None

    def next_timer_in(self) -> float | None:
        """Seconds until the earliest `call_later` action is due (0 if overdue); None if none."""
        if not self._timers:
            return None
        return max(0.0, self._timers[0][0] - time.monotonic())

    def call_later(self, delay_s: float, action: Callable[[], None]) -> None:
        """Run `action` on the main thread from the first `poll()` at least `delay_s` later."""
        self.check_thread()
        heapq.heappush(self._timers, (time.monotonic() + delay_s, next(self._seq), action))

    def poll(self, timeout_ms: int = 0) -> None:
        """Let pjsua2 handle network events, then deliver queued events and due timers."""
        self.check_thread()
        if self._ep is not None:
            self._ep.libHandleEvents(timeout_ms)
        self._dispatch()
        while self._timers and self._timers[0][0] <= time.monotonic():
            _, _, action = heapq.heappop(self._timers)
            try:
                action()
            except SipError as exc:
                self.handler_errors += 1
                log.error("a timed SIP operation failed: %s", exc)
            self._dispatch()
        _collect_garbage()

    def _dispatch(self) -> None:
        while True:
            try:
                _, event = self._pending.get_nowait()
            except queue.Empty:
                return
            for handler in list(self._handlers):
                try:
                    handler(event)
                except SipError as exc:
                    # A SIP operation a handler attempted failed (the call vanished, say): the
                    # engine and every other call stay up.
                    self.handler_errors += 1
                    log.error("handling %s failed: %s", type(event).__name__, exc)

    def run_until(self, done: Callable[[], bool], timeout_s: float, step_ms: int = 10) -> bool:
        """Poll until `done()` is true or `timeout_s` passes; returns whether it became true."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() >= deadline:
                return False
            self.poll(step_ms)
        return True


def _collect_garbage() -> None:
    """Collect cycles on this (the main) thread by the thresholds the automatic collector uses."""
    young, middle, old = gc.get_count()
    threshold, middle_threshold, old_threshold = gc.get_threshold()
    if young < threshold:
        return
    generation = 0
    if middle >= middle_threshold:
        generation = 2 if old >= old_threshold else 1
    gc.collect(generation)


def _arm_clock_auto_stop(ep: pj.Endpoint) -> None:
    """Let the bridge clock stop while nothing is connected, from now on.

    Setting the null device cancels pjsua's idle check, and only a disconnection, a removed
    port or a call's end schedules it again; this disconnection of nothing does that once.
    """
    devices = ep.audDevManager()
    with contextlib.suppress(pj.Error):
        devices.getCaptureDevMedia().stopTransmit(devices.getPlaybackDevMedia())


# Wideband G.722 first, then G.711 (what every PBX speaks); the rest only if a peer offers
# nothing else. Speex, pjsua's own first choice, distorts steady tones audibly.
_CODEC_PRIORITY = {"G722/16000/1": 240, "PCMU/8000/1": 230, "PCMA/8000/1": 220}


def _prefer_codecs(ep: pj.Endpoint) -> None:
    codecs = ep.codecEnum2()
    for i in range(len(codecs)):
        codec_id = str(codecs[i].codecId)
        if codecs[i].priority:
            ep.codecSetPriority(codec_id, _CODEC_PRIORITY.get(codec_id, 1))


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Point file descriptor 1 at /dev/null: stdout is reserved for reports and JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _describe_start_error(exc: pj.Error, config: EngineConfig) -> str:
    text = str(exc.info())
    if "in use" in text.lower() or "EADDRINUSE" in text or "98" in text.split():
        return (
            f"cannot listen on {config.bind_host}:{config.port}/{config.transport}: the port is "
            "already in use; choose another port or stop the program using it"
        )
    return f"cannot start the SIP engine on {config.bind_host}:{config.port}: {exc.reason}"
