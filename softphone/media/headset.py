"""The agent's headset in the conference bridge: microphone and speaker that survive the device.

    headset mic --PortAudio thread--> DriftFifo --bridge clock--> HeadsetMic.read_frame --> call
    call --> HeadsetSpeaker.write_frame --bridge clock--> DriftFifo --PortAudio thread--> speaker

Whatever the device does (drifts, stalls, vanishes, comes back) the bridge side keeps its
rhythm: one frame in, one frame out, every 20 ms; silence while no device works. A supervisor
thread watches each stream; when one stops (its stream ended, or no callback for 0.5 s) it tells
the agent, switches to the next device in the fallback order or to silence, and keeps retrying
the preferred device, moving back once that delivers audio again.

Recording taps belong on the bridge side (`HeadsetMic.tap`, `HeadsetSpeaker.tap`, or any port
connected in the conference bridge): they see exactly what was sent to and received from the
customer, frame for frame on the bridge clock, so both channels stay sample-aligned. Nothing on the
device side of a FIFO (which drops, repeats and resamples audio) may feed a recording.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from softphone.media.deviceevents import (
    DeviceEvents,
    DeviceLost,
    DeviceRestored,
    DeviceSwitched,
    DeviceUnavailable,
    Role,
)
from softphone.media.devices import AudioDevice, DeviceError, fallback_order
from softphone.media.devicestream import STEADY_CALLBACKS, LiveStream
from softphone.media.fifo import DriftFifo, FifoStats
from softphone.media.headsetports import HeadsetMic, HeadsetSpeaker
from softphone.media.levels import Level, LevelMeter
from softphone.media.portaudio import PortAudio

log = logging.getLogger("softphone.media")

_TICK_S = 0.1  # supervisor period: a lost device is noticed within STALL_TIMEOUT_S + this
_RETRY_S = 3.0  # how often a degraded role tries its better devices again
_PROOF_CALLBACKS = STEADY_CALLBACKS  # blocks a new stream must deliver before carrying the call
_STATE_TIMEOUT_S = 3.0
_REPORT_S = 2.0  # how often the supervisor logs the counters at DEBUG level


@dataclass(frozen=True)
class HeadsetConfig:
    """Which devices to use, by name (None: the system default), and how."""

    input_name: str | None = None
    output_name: str | None = None
    fallbacks: tuple[str, ...] = ()
    block_ms: float = 10.0
    latency: str | float = "low"
    """PortAudio's suggested device latency: "low", "high" or seconds."""
    clock_skew: float = 0.0
    """Open devices this much faster (or slower, if negative) than the bridge believes: a test
    and diagnostic knob that makes a device clock drift by a known amount."""


@dataclass(frozen=True)
class RoleStats:
    """How one role of the headset is doing, for diagnostics and the call report."""

    device: str | None
    rate: int | None
    device_latency_ms: float | None
    fifo: FifoStats | None
    underruns: int
    overruns: int
    dropped: int
    device_xruns: int
    switches: int


@dataclass
class _Channel:
    """One role's state; changed only under `Headset._state`, read by the bridge lock-free."""

    role: Role
    output: bool
    preferred: str | None
    meter: LevelMeter = field(default_factory=LevelMeter)
    fifo: DriftFifo | None = None  # the bridge side's FIFO: the live stream's, or None
    live: LiveStream | None = None
    candidate: LiveStream | None = None
    queue: list[AudioDevice] = field(default_factory=list)
    next_retry: float = 0.0
    silent_announced: bool = False
    closed: bool = False
    switches: int = 0
    retired: list[FifoStats] = field(default_factory=list)
    retired_xruns: int = 0


class Headset:
    """Microphone and/or speaker streams with fallback, mute, levels and a supervisor thread.

    Build with `Headset.open`. The bridge uses `mic` (a FrameSource) and `speaker` (a FrameSink);
    everything else is for the main thread.
    """

    def __init__(
        self, pa: PortAudio | None, config: HeadsetConfig, events: DeviceEvents | None = None
    ) -> None:
        self._pa = pa
        self.config = config
        self.events = events or DeviceEvents()
        self.muted = False  # written by the main thread, read by the bridge clock thread
        self._state = threading.RLock()
        self._channels: dict[Role, _Channel] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.mic: HeadsetMic | None = None
        self.speaker: HeadsetSpeaker | None = None

    @classmethod
    def open(
        cls,
        pa: PortAudio | None,
        config: HeadsetConfig,
        *,
        mic: bool,
        speaker: bool,
        events: DeviceEvents | None = None,
        strict: bool = False,
    ) -> Headset:
        """Open the chosen devices (falling back as needed) and start supervising them.

        With `strict`, a chosen device that cannot be opened raises DeviceError; otherwise the
        headset falls back to another device or to silence, says so in `events`, and retries.
        Main thread.
        """
        headset = cls(pa, config, events)
        roles = [(Role.MICROPHONE, False, config.input_name)] if mic else []
        roles += [(Role.SPEAKER, True, config.output_name)] if speaker else []
        try:
            for role, output, name in roles:
                headset._channels[role] = channel = _Channel(role, output, name)
                headset._start_channel(channel, strict)
        except DeviceError:
            headset.close()
            raise
        if mic:
            headset.mic = HeadsetMic(headset, headset._channels[Role.MICROPHONE])
        if speaker:
            headset.speaker = HeadsetSpeaker(headset, headset._channels[Role.SPEAKER])
        headset._thread = threading.Thread(
            target=headset._supervise, name="headset-supervisor", daemon=True
        )
        headset._thread.start()
        return headset

    # --- main thread ---------------------------------------------------------------------------

    def set_muted(self, muted: bool) -> None:
        """Send silence instead of the microphone (the customer hears nothing). Main thread."""
        self.muted = muted

    def levels(self) -> dict[Role, Level]:
        """Current meter readings of the device audio (the microphone's even while muted)."""
        return {role: ch.meter.read() for role, ch in self._channels.items()}

    def stats(self) -> dict[Role, RoleStats]:
        """Counters of each role: the live FIFO and everything retired before it."""
        result = {}
        for role, ch in self._channels.items():
            live = ch.live
            current = live.fifo.stats() if live is not None else None
            done = [*ch.retired, *([current] if current else [])]
            result[role] = RoleStats(
                device=live.device.name if live else None,
                rate=live.format.rate if live else None,
                device_latency_ms=live.device_latency_ms if live else None,
                fifo=current,
                underruns=sum(s.underruns for s in done),
                overruns=sum(s.overruns for s in done),
                dropped=sum(s.dropped for s in done),
                device_xruns=ch.retired_xruns + (live.xruns if live else 0),
                switches=ch.switches,
            )
        return result

    def device_name(self, role: Role) -> str | None:
        """The device carrying that role now, or None while it is silent."""
        ch = self._channels.get(role)
        live = ch.live if ch else None
        return live.device.name if live else None

    def close_role(self, role: Role) -> None:
        """Stop one role's device; the other keeps running. Main thread; idempotent."""
        ch = self._channels.get(role)
        if ch is None or ch.closed:
            return
        with self._holding("close the " + role.value):
            ch.closed = True
            self._log_summary(ch)
            ch.fifo = None
            for stream in (ch.live, ch.candidate):
                if stream is not None:
                    self._retire(ch, stream)
            ch.live = ch.candidate = None
        if all(c.closed for c in self._channels.values()):
            self._stop.set()

    def close(self) -> None:
        """Stop everything and the supervisor. Main thread; idempotent, never hangs."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_STATE_TIMEOUT_S)
        for role in list(self._channels):
            try:
                self.close_role(role)
            except DeviceError as exc:
                log.warning("%s", exc)

    # --- supervisor thread ---------------------------------------------------------------------

    def _supervise(self) -> None:
        """Check every role each tick. Runs on the headset-supervisor thread; never on Qt's."""
        next_report = time.monotonic() + _REPORT_S
        while not self._stop.wait(_TICK_S):
            if log.isEnabledFor(logging.DEBUG) and time.monotonic() >= next_report:
                next_report += _REPORT_S
                for role, stats in self.stats().items():
                    log.debug("%s: %s", role.value, stats)
            for ch in list(self._channels.values()):
                try:
                    with self._holding("check the " + ch.role.value):
                        if not ch.closed:
                            self._check(ch, time.monotonic())
                except DeviceError as exc:
                    log.warning("%s", exc)

    def _check(self, ch: _Channel, now: float) -> None:
        live = ch.live
        if live is not None:
            reason = live.health(now)
            if reason is not None:
                self._lose(ch, live, reason)
        cand = ch.candidate
        if cand is not None:
            reason = cand.health(now)
            if reason is not None:
                log.info("%s did not work: %s", cand.describe(), reason)
                self._retire(ch, cand)
                ch.candidate = None
                self._try_next(ch, now)
            elif cand.callbacks >= _PROOF_CALLBACKS:
                self._promote(ch, cand)
        if ch.candidate is None and now >= ch.next_retry and not self._on_preferred(ch):
            ch.queue = self._better_devices(ch)
            self._try_next(ch, now)

    def _lose(self, ch: _Channel, live: LiveStream, reason: str) -> None:
        """The live device failed: silence at once, tell the agent, look for another device."""
        ch.fifo = None
        ch.live = None
        ch.meter.silence()
        self._retire(ch, live)
        self.events.publish(DeviceLost(ch.role, live.device.name, reason))
        ch.silent_announced = False
        if ch.candidate is None:
            ch.queue = self._order(ch, exclude=(live.device.name,))
            self._try_next(ch, time.monotonic())

    def _try_next(self, ch: _Channel, now: float) -> None:
        """Open the next queued device as a candidate, or give up until the next retry."""
        while ch.queue:
            device = ch.queue.pop(0)
            try:
                ch.candidate = self._open_stream(ch, device)
                return
            except DeviceError as exc:
                log.info("%s", exc)
        ch.next_retry = now + _RETRY_S
        if ch.live is None and not ch.silent_announced:
            ch.silent_announced = True
            self.events.publish(DeviceSwitched(ch.role, None, None))

    def _promote(self, ch: _Channel, cand: LiveStream) -> None:
        """The candidate delivers audio: it carries the role from now on."""
        old = ch.live
        ch.candidate = None
        cand.live = True
        ch.live = cand
        ch.fifo = cand.fifo  # the bridge side moves to the new FIFO on its next frame
        ch.switches += 1
        ch.silent_announced = False
        if old is not None:
            self._retire(ch, old)
        log.info("%s carries the %s", cand.describe(), ch.role.value)
        if self._on_preferred(ch) and old is not None:
            self.events.publish(DeviceRestored(ch.role, cand.device.name))
        else:
            previous = old.device.name if old else None
            self.events.publish(DeviceSwitched(ch.role, cand.device.name, previous))

    # --- any thread holding the state lock -----------------------------------------------------

    def _start_channel(self, ch: _Channel, strict: bool) -> None:
        """Open the first working device of the role's order and let it carry audio at once."""
        order = self._order(ch)
        if ch.preferred is not None and not any(
            ch.preferred.casefold() in d.name.casefold() for d in order
        ):
            reason = "no such device; check the name or plug it in"
            if strict:
                raise DeviceError(f"{ch.role.value} '{ch.preferred}' unavailable: {reason}")
            self.events.publish(DeviceUnavailable(ch.role, ch.preferred, reason))
        for device in order:
            try:
                stream = self._open_stream(ch, device)
            except DeviceError as exc:
                if strict:
                    raise
                self.events.publish(DeviceUnavailable(ch.role, device.name, str(exc)))
                continue
            stream.live = True
            ch.live, ch.fifo = stream, stream.fifo
            log.info("%s carries the %s", stream.describe(), ch.role.value)
            return
        if strict:
            raise DeviceError(f"no working {ch.role.value}: plug in a headset or choose a device")
        ch.silent_announced = True
        ch.next_retry = time.monotonic() + _RETRY_S
        self.events.publish(DeviceSwitched(ch.role, None, None))

    def _open_stream(self, ch: _Channel, device: AudioDevice) -> LiveStream:
        if self._pa is None:
            raise DeviceError("audio devices are unavailable: PortAudio is not installed")
        config = self.config
        fmt = self._pa.negotiate(device, ch.output, config.block_ms, config.latency)
        nominal = None
        if config.clock_skew:
            nominal = fmt.rate
            fmt = replace(fmt, rate=round(fmt.rate * (1.0 + config.clock_skew)))
        return LiveStream(self._pa, device, ch.output, fmt, ch.meter, nominal_rate=nominal)

    def _order(self, ch: _Channel, exclude: Sequence[str] = ()) -> list[AudioDevice]:
        """Devices to try for this role, best first; rescans PortAudio when nothing is open."""
        if self._pa is None:
            return []
        try:
            if self._pa.open_streams == 0:
                self._pa.rescan()
            devices = self._pa.devices()
        except DeviceError as exc:
            log.warning("%s", exc)
            return []
        return fallback_order(
            devices,
            ch.output,
            preferred=ch.preferred,
            fallbacks=self.config.fallbacks,
            exclude=exclude,
        )

    def _better_devices(self, ch: _Channel) -> list[AudioDevice]:
        """Devices that rank above the live one (all of them while silent)."""
        order = self._order(ch)
        if ch.live is None:
            return order
        names = [d.name for d in order]
        live_name = ch.live.device.name
        return order[: names.index(live_name)] if live_name in names else order

    def _on_preferred(self, ch: _Channel) -> bool:
        """Whether the live device is the best one the role could have."""
        if ch.live is None:
            return False
        order = self._order_cached(ch)
        return not order or order[0].name == ch.live.device.name

    def _order_cached(self, ch: _Channel) -> list[AudioDevice]:
        if self._pa is None:
            return []
        try:
            devices = self._pa.devices()
        except DeviceError:
            return []
        return fallback_order(
            devices, ch.output, preferred=ch.preferred, fallbacks=self.config.fallbacks
        )

    def _retire(self, ch: _Channel, stream: LiveStream) -> None:
        if stream.live or stream is ch.live:
            ch.retired.append(stream.fifo.stats())
            ch.retired_xruns += stream.xruns
        stream.release()

    def _log_summary(self, ch: _Channel) -> None:
        stats = self.stats().get(ch.role)
        if stats is None or stats.fifo is None:
            return
        fifo = stats.fifo
        log.info(
            "%s on '%s': latency %.1f ms (target %.1f, longest wait %.1f), drift correction "
            "%+.0f ppm (learnt %+.0f), %d underruns, %d overruns, %d dropped, %d device xruns, "
            "%d switches",
            ch.role.value,
            stats.device,
            fifo.latency_ms,
            fifo.target_ms,
            fifo.wait_max_ms,
            fifo.correction_ppm,
            fifo.drift_ppm,
            stats.underruns,
            stats.overruns,
            stats.dropped,
            stats.device_xruns,
            stats.switches,
        )

    def _holding(self, what: str) -> _StateHeld:
        return _StateHeld(self._state, what)


class _StateHeld:
    def __init__(self, lock: threading.RLock, what: str) -> None:
        self._lock, self._what = lock, what

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=_STATE_TIMEOUT_S):
            raise DeviceError(f"could not {self._what}: the headset is busy with a hung device")

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
