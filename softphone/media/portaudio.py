"""The process's PortAudio library (through `sounddevice`): device scans and stream bookkeeping.

PortAudio is one global library per process, so this module keeps one `PortAudio` object for it.
Every stream the app opens goes through it, so it knows when none is open: only then may it
re-initialise PortAudio, the only way PortAudio notices a device plugged in after start-up.
Its calls are serialised by a lock held only around PortAudio calls and never by real-time code;
callers on the main thread take it with a timeout, so a wedged audio driver cannot hang the app.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from softphone.media.devices import AudioDevice, DeviceError, query_devices, role_name

log = logging.getLogger("softphone.media")

LOCK_TIMEOUT_S = 2.0
"""The longest any caller waits for another PortAudio call to finish."""
_END_WAIT_S = 0.5  # how long a running stream's callback gets to end itself
CLOSE_TIMEOUT_S = 1.5
"""The longest a caller waits for the driver to close a stream before giving it up."""

_RATES = (16000, 48000, 32000, 44100, 8000)  # tried in this order after the device's default
# PortAudio errors that mean "not this format" rather than "not this device at all".
_FORMAT_ERRORS = (-9998, -9997, -9994)  # invalid channel count, sample rate, sample format


@dataclass(frozen=True)
class StreamFormat:
    """How a stream is opened: the device's real rate and channels, and the block size."""

    rate: int
    channels: int
    blocksize: int
    latency: str | float = "low"
    """PortAudio's suggested latency: "low" gets 10 ms periods from PulseAudio, "high" 20 ms."""


class PortAudio:
    """Scans, opens and closes through one `sounddevice` module; see the module docstring."""

    def __init__(self, sd: Any) -> None:
        self.sd = sd
        self._lock = threading.RLock()
        self._open = 0
        self._devices: list[AudioDevice] | None = None
        self.hung_streams = 0  # streams whose closing never returned (see `release`)

    # --- device list ---------------------------------------------------------------------------

    @property
    def open_streams(self) -> int:
        """How many streams opened here are not yet released."""
        return self._open

    def devices(self) -> list[AudioDevice]:
        """The device list of the current PortAudio scan (cached until the next rescan)."""
        with self._locked("list audio devices"):
            if self._devices is None:
                self._devices = query_devices(self.sd)
            return list(self._devices)

    def rescan(self) -> bool:
        """Re-initialise PortAudio to see new devices; only when no stream is open.

        Returns False (and changes nothing) while a stream is open: re-initialising would close
        it under its owner. Main or supervisor thread.
        """
        with self._locked("rescan audio devices"):
            if self._open:
                return False
            if self.hung_streams:
                return False  # re-initialising would wait for the hung stream forever
            self.sd._terminate()
            self.sd._initialize()
            self._devices = None
            return True

    # --- streams -------------------------------------------------------------------------------

    def open_stream(
        self,
        device: AudioDevice,
        output: bool,
        fmt: StreamFormat,
        callback: Callable[..., None],
        finished: Callable[[], None],
    ) -> Any:
        """Open (not start) a raw 16-bit stream; DeviceError with the driver's words on failure."""
        cls = self.sd.RawOutputStream if output else self.sd.RawInputStream
        with self._locked(f"open the {role_name(output)}"):
            try:
                stream = cls(
                    samplerate=fmt.rate,
                    blocksize=fmt.blocksize,
                    device=device.index,
                    channels=fmt.channels,
                    dtype="int16",
                    latency=fmt.latency,
                    callback=callback,
                    finished_callback=finished,
                )
            except (self.sd.PortAudioError, ValueError) as exc:
                raise DeviceError(
                    f"the {role_name(output)} '{device.name}' could not be opened: {exc}"
                ) from exc
            self._open += 1
            return stream

    def start(self, stream: Any, name: str) -> None:
        """Start an opened stream; DeviceError on failure (the stream is then released)."""
        with self._locked(f"start '{name}'"):
            try:
                stream.start()
            except self.sd.PortAudioError as exc:
                self.release(stream)  # never started: no callback thread to cancel
                raise DeviceError(f"'{name}' could not be started: {exc}") from exc

    def release(self, stream: Any, ended: threading.Event | None = None) -> None:
        """Stop and close a stream; never raises, never waits long. Any thread but its callback.

        PortAudio's ALSA back end aborts a stream by cancelling its callback thread, which is
        fatal if that thread is inside Python (waiting for the GIL, say). So a stream whose
        callback was asked to end (it raises `CallbackAbort`) is given `_END_WAIT_S` to do so
        and `ended` is awaited; then a stop only joins the finished thread. Only a stream that
        did not end (a stalled device: its thread sits in poll(), not in Python) is aborted.

        The closing itself runs on a helper thread: a sound server that died under an open
        stream can deadlock the driver inside it. After `CLOSE_TIMEOUT_S` the stream is given
        up (counted in `hung_streams`) and the caller goes on.
        """
        clean = ended is not None and ended.wait(_END_WAIT_S)
        done = threading.Event()

        def close() -> None:
            try:
                with self._locked("close an audio stream"):
                    self._open -= 1
                    for step in (stream.stop if clean else stream.abort, stream.close):
                        try:
                            step()
                        except (self.sd.PortAudioError, RuntimeError) as exc:
                            log.info("closing an audio stream: %s", exc)
            except DeviceError as exc:
                log.warning("an audio stream was left open: %s", exc)
            finally:
                done.set()

        threading.Thread(target=close, name="audio-close", daemon=True).start()
        if not done.wait(CLOSE_TIMEOUT_S):
            self.hung_streams += 1
            log.error(
                "the audio driver did not close a stream within %g s (did the sound server "
                "stop?); it is abandoned, and audio devices may not work until the app restarts",
                CLOSE_TIMEOUT_S,
            )

    @property
    def end_callback(self) -> type[Exception]:
        """The exception a callback raises to end its stream (`sounddevice.CallbackAbort`)."""
        end: type[Exception] = self.sd.CallbackAbort
        return end

    def negotiate(
        self, device: AudioDevice, output: bool, block_ms: float, latency: str | float = "low"
    ) -> StreamFormat:
        """The first format the device accepts: 16 kHz mono if it can, else its own rate.

        Raises DeviceError naming the device and the formats it refused.
        """
        check = self.sd.check_output_settings if output else self.sd.check_input_settings
        rates = [16000, int(device.default_rate), *_RATES]
        channels = [c for c in (1, 2) if c <= max(device.channels(output), 1)]
        tried: list[str] = []
        last = ""
        with self._locked(f"check the {role_name(output)}"):
            for rate in dict.fromkeys(r for r in rates if r > 0):
                for count in channels:
                    try:
                        check(device=device.index, channels=count, dtype="int16", samplerate=rate)
                    except (self.sd.PortAudioError, ValueError) as exc:
                        code = exc.args[1] if len(exc.args) > 1 else None
                        if isinstance(exc, self.sd.PortAudioError) and code not in _FORMAT_ERRORS:
                            raise DeviceError(
                                f"the {role_name(output)} '{device.name}' could not be opened: "
                                f"{exc}"
                            ) from exc
                        tried.append(f"{rate} Hz x{count}")
                        last = str(exc)
                        continue
                    block = max(1, round(rate * block_ms / 1000))
                    return StreamFormat(rate, count, block, latency)
        raise DeviceError(
            f"the {role_name(output)} '{device.name}' refused every sample format tried "
            f"(16-bit at {', '.join(tried)}): {last}; choose another device"
        )

    def forget_at_exit(self) -> None:
        """With a hung stream, keep `sounddevice` from terminating PortAudio at exit.

        Terminating closes every stream and would wait for the hung one forever; the process's
        exit frees the driver anyway. Main thread, from an exit hook.
        """
        if self.hung_streams:
            atexit.unregister(self.sd._exit_handler)

    def _locked(self, what: str) -> _Held:
        return _Held(self._lock, what)


class _Held:
    """`with` support for the PortAudio lock, with a timeout and a DeviceError when it expires."""

    def __init__(self, lock: threading.RLock, what: str) -> None:
        self._lock = lock
        self._what = what

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=LOCK_TIMEOUT_S):
            raise DeviceError(
                f"could not {self._what}: the audio driver has been busy for "
                f"{LOCK_TIMEOUT_S:g} s (a device may have hung); try again or restart the app"
            )

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


_instance: PortAudio | None = None
_instance_lock = threading.Lock()


def portaudio() -> PortAudio:
    """The process's PortAudio, loaded on first use; DeviceError if the library is missing."""
    global _instance  # noqa: PLW0603 - PortAudio itself is one global library per process
    with _instance_lock:
        if _instance is None:
            try:
                import sounddevice as sd  # noqa: PLC0415 - loading it needs the PortAudio library
            except OSError as exc:
                raise DeviceError(
                    f"audio devices are unavailable ({exc}); install PortAudio (Debian: "
                    "libportaudio2)"
                ) from exc
            _instance = PortAudio(sd)
        return _instance
