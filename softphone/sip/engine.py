"""The pjsua2 endpoint's lifecycle, its one thread model, and the event pump the app subscribes to.

Thread model: `threadCnt = 0` and `mainThreadOnly = True`. pjsua2 then runs no worker thread of
its own; SIP and call callbacks arrive on the thread that calls `poll()`, which is the thread that
created the engine (the Qt main thread in the GUI, the only thread in the CLI). We chose this over
a worker thread because callbacks can then never race the app's own calls into pjsua2, and a
callback that arrives synchronously inside `makeCall`/`hangup` is still on the same thread. The
price, timer gaps of tens of milliseconds under load, is harmless for signalling. Every public
method asserts the thread (`WrongThreadError`); every callback checks it and counts violations.
Media frame callbacks still run on the bridge clock thread: they never come through here.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import os
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pjsua2 as pj

from softphone.calls.events import Event
from softphone.sip.logbridge import PjLogWriter

log = logging.getLogger("softphone.sip")

Handler = Callable[[Event], None]


class SipError(RuntimeError):
    """A SIP operation failed; the message says why in words a person can act on."""


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


_TRANSPORTS = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
}


class SipEngine:
    """Owns the single pjsua2 `Endpoint` of this process and delivers its events in order."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._thread = threading.get_ident()
        self._handlers: list[Handler] = []
        self._pending: queue.SimpleQueue[tuple[int, Event]] = queue.SimpleQueue()
        self._seq = itertools.count(1)
        self._dispatching = 0
        self._ep: pj.Endpoint | None = None
        self._log_writer: PjLogWriter | None = None
        self._transport_id = -1
        self.bound_port = 0
        self.thread_violations = 0
        self.handler_errors = 0
        self._last_gc = time.monotonic()
        self._finalizers: list[Callable[[], None]] = []

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Create and start the endpoint, its transport and the null-device bridge clock."""
        self.check_thread()
        if self._ep is not None:
            return
        gc.disable()  # pjsua2 destructors must not run on a foreign thread from the cycle GC
        ep = pj.Endpoint()
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
        cfg.medConfig.hasIoqueue = True
        cfg.medConfig.threadCnt = 1
        self._log_writer = PjLogWriter()
        cfg.logConfig.writer = self._log_writer
        cfg.logConfig.level = self.config.log_level
        cfg.logConfig.consoleLevel = self.config.log_level
        cfg.logConfig.decor = 0
        try:
            ep.libInit(cfg)
            self._transport_id = self._create_transport(ep)
            ep.libStart()
            ep.audDevManager().setNullDev()
        except pj.Error as exc:
            self.stop()
            raise SipError(_describe_start_error(exc, self.config)) from exc
        self.bound_port = int(
            str(ep.transportGetInfo(self._transport_id).localName).rsplit(":")[-1]
        )
        log.info(
            "SIP engine listening on %s:%d/%s",
            self.config.bind_host,
            self.bound_port,
            self.config.transport,
        )

    def _create_transport(self, ep: pj.Endpoint) -> int:
        kind = _TRANSPORTS.get(self.config.transport)
        if kind is None:
            raise SipError(
                f"unknown SIP transport {self.config.transport!r}: use one of {sorted(_TRANSPORTS)}"
            )
        tcfg = pj.TransportConfig()
        tcfg.boundAddress = self.config.bind_host
        tcfg.port = self.config.port
        return int(ep.transportCreate(kind, tcfg))

    def account_config(self, uri: str) -> pj.AccountConfig:
        """A fresh account config for `uri`, with RTP bound like SIP on a random free port."""
        cfg = pj.AccountConfig()
        cfg.idUri = uri
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
        self.poll(0)
        # A traceback kept by pjsua2's error printing would keep a Call alive past libDestroy.
        sys.last_type = sys.last_value = sys.last_traceback = None
        gc.collect()
        try:
            ep.libDestroy()
        except pj.Error as exc:
            log.error("pjsua2 did not shut down cleanly: %s", exc.info())
        self._ep = None
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

    @property
    def dispatch_seq(self) -> int:
        """Sequence number of the event being delivered now (events are numbered as posted).

        A handler compares it with `mark()` taken when it acted, to tell a fact reported after
        its action from one that was already on its way.
        """
        return self._dispatching

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Deliver every event to `handler` on the main thread; returns an unsubscribe function."""
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler) if handler in self._handlers else None

    def poll(self, timeout_ms: int = 0) -> None:
        """Let pjsua2 handle network events, then deliver queued events in order."""
        self.check_thread()
        if self._ep is not None:
            self._ep.libHandleEvents(timeout_ms)
        self._dispatch()
        now = time.monotonic()
        if now - self._last_gc > 5.0:
            self._last_gc = now
            gc.collect()

    def _dispatch(self) -> None:
        while True:
            try:
                self._dispatching, event = self._pending.get_nowait()
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
