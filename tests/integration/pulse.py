"""Private PulseAudio daemons with null sinks: real audio devices for tests on a machine with none.

A `SoundRig` owns a scratch HOME with an ALSA configuration naming the test devices, and starts
PulseAudio daemons in it: "system" (the machine's own sound: null sinks `vspk`, the speaker, and
`vmicsrc`, whose monitor is the microphone) and optionally "headset" (a USB headset that can be
unplugged). PortAudio sees them through ALSA as `default`, `pulse` and `Agent Headset`.

Audio goes in with `pacat` (into `vmicsrc`: the agent speaks) and comes out with `parec` (from
`vspk.monitor`: what the agent hears). Every daemon is stopped, by its own process id, at teardown.
A missing program is an error naming the Debian packages to install, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

HEADSET = "Agent Headset"
"""The ALSA/PortAudio name of the unpluggable headset."""
RATE = 16000
PACKAGES = "pulseaudio pulseaudio-utils libasound2-plugins libportaudio2"
_TOOLS = ("pulseaudio", "pactl", "pacat", "parec")


class PulseError(RuntimeError):
    """The sound rig could not be set up; the message says what to install or look at."""


def require_tools() -> None:
    """Raise PulseError naming the Debian packages when a PulseAudio program is missing."""
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        raise PulseError(
            f"{', '.join(missing)} not found: install the Debian packages {PACKAGES} "
            "(bash scripts/setup.sh does)"
        )


class PulseDaemon:
    """One `pulseaudio` process with its own runtime folder and null sinks."""

    def __init__(self, root: Path, name: str, sinks: Sequence[str]) -> None:
        self.name = name
        self.runtime = root / f"run-{name}"
        self.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.socket = self.runtime / "pulse" / "native"
        self.server = f"unix:{self.socket}"
        self._log = (root / f"pulse-{name}.log").open("wb")
        self.log_path = Path(self._log.name)
        args = [
            "pulseaudio",
            "--daemonize=no",
            "-n",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--disallow-module-loading=no",
            "--log-target=stderr",
            "--load=module-native-protocol-unix auth-anonymous=1",
        ]
        args += [f"--load=module-null-sink sink_name={s} rate={RATE} channels=1" for s in sinks]
        env = dict(os.environ)
        env.update(
            HOME=str(root / "home"),
            XDG_RUNTIME_DIR=str(self.runtime),
            PULSE_RUNTIME_PATH=str(self.runtime / "pulse"),
        )
        env.pop("PULSE_SERVER", None)
        # Off the session bus: the tests share one, and each daemon would claim the same name.
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        self.proc = subprocess.Popen(
            args, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PulseError(f"pulseaudio '{self.name}' exited: {self.log()}")
            if self.socket.exists() and self.pactl("info", check=False).returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise PulseError(f"pulseaudio '{self.name}' not ready within {timeout:g} s: {self.log()}")

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `pactl` against this daemon."""
        done = subprocess.run(
            ["pactl", "--server", self.server, *args],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
        if check and done.returncode != 0:
            raise PulseError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    def module_of(self, sink: str) -> str:
        """The module id that created the null sink `sink`."""
        for line in self.pactl("list", "short", "modules").stdout.splitlines():
            fields = line.split("\t")
            if len(fields) > 2 and f"sink_name={sink} " in fields[2] + " ":
                return fields[0]
        raise PulseError(f"no module created sink {sink!r} on '{self.name}'")

    def unplug(self, *sinks: str) -> None:
        """Remove null sinks, as when their device is unplugged."""
        for sink in sinks:
            self.pactl("unload-module", self.module_of(sink))

    def plug(self, sink: str) -> None:
        """Add a null sink."""
        self.pactl(
            "load-module", "module-null-sink", f"sink_name={sink}", f"rate={RATE}", "channels=1"
        )

    def log(self) -> str:
        """The daemon's log so far, for error messages."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        """Stop the daemon (by its own pid); idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if not self._log.closed:
            self._log.close()


class SoundRig:
    """A scratch HOME with an ALSA configuration and the daemons it names; see the module doc."""

    def __init__(self, root: Path, *, headset: bool = False) -> None:
        require_tools()
        self.root = root
        self.home = root / "home"
        (self.home / ".config" / "pulse").mkdir(parents=True, exist_ok=True)
        # Never let a client start a daemon of its own in this HOME.
        (self.home / ".config" / "pulse" / "client.conf").write_text("autospawn = no\n")
        self.daemons: list[PulseDaemon] = []
        self.procs: list[subprocess.Popen[bytes]] = []
        try:
            self.system = self._start("system", ("vspk", "vmicsrc"))
            self.system.pactl("set-default-sink", "vspk")
            self.system.pactl("set-default-source", "vmicsrc.monitor")
            self.headset = self._start("headset", ("hs_spk", "hs_mic")) if headset else None
        except BaseException:
            self.stop()
            raise
        self.write_alsa_config()

    def _start(self, name: str, sinks: Sequence[str]) -> PulseDaemon:
        daemon = PulseDaemon(self.root, name, sinks)
        self.daemons.append(daemon)
        return daemon

    def write_alsa_config(self, extra: str = "") -> None:
        """Name the devices for ALSA (and so PortAudio); `extra` adds more pcm definitions."""
        text = ""
        if self.headset is not None:
            server = self.headset.server
            text += (
                f'pcm."{HEADSET}" {{\n    type asym\n'
                f'    playback.pcm {{ type pulse; server "{server}"; device "hs_spk" }}\n'
                f'    capture.pcm {{ type pulse; server "{server}"; device "hs_mic.monitor" }}\n'
                "}\n"
            )
        (self.home / ".asoundrc").write_text(text + extra)

    def env(self) -> dict[str, str]:
        """Environment for a process (or this one) to use the rig's devices."""
        return {
            "HOME": str(self.home),
            "PULSE_SERVER": self.system.server,
            "PULSE_CLIENTCONFIG": str(self.home / ".config" / "pulse" / "client.conf"),
        }

    def child_env(self, **extra: str) -> dict[str, str]:
        """`os.environ` with the rig's variables and `extra`, for a child process."""
        env = dict(os.environ)
        env.update(self.env())
        env.update(extra)
        return env

    # --- audio in and out ----------------------------------------------------------------------

    def speak(
        self, samples: npt.NDArray[np.int16], daemon: PulseDaemon | None = None
    ) -> subprocess.Popen[bytes]:
        """Play 16 kHz mono samples into the microphone (`vmicsrc` or `hs_mic`), in background."""
        daemon = daemon or self.system
        sink = "vmicsrc" if daemon is self.system else "hs_mic"
        path = self.root / f"speak-{len(self.procs)}.raw"
        path.write_bytes(samples.astype("<i2").tobytes())
        proc = subprocess.Popen(
            [
                "pacat",
                "--server",
                daemon.server,
                "--playback",
                f"--device={sink}",
                *_RAW,
                str(path),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        return proc

    def listen(self, path: Path, daemon: PulseDaemon | None = None) -> subprocess.Popen[bytes]:
        """Record what the speaker (`vspk` or `hs_spk`) plays, as raw 16 kHz mono, until stopped."""
        daemon = daemon or self.system
        sink = "vspk" if daemon is self.system else "hs_spk"
        out = path.open("wb")
        proc = subprocess.Popen(
            ["parec", "--server", daemon.server, f"--device={sink}.monitor", *_RAW],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        out.close()
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        """Stop every pacat/parec and daemon started here; idempotent."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        for daemon in reversed(self.daemons):
            daemon.stop()


_RAW = ("--raw", "--format=s16le", f"--rate={RATE}", "--channels=1", "--latency-msec=20")


def read_raw(path: Path) -> npt.NDArray[np.float64]:
    """A raw s16le recording as floats in [-1, 1]."""
    data = np.frombuffer(path.read_bytes(), dtype="<i2")
    return data.astype(np.float64) / 32768.0


def tone(hz: float, seconds: float, amplitude: float = 0.3) -> npt.NDArray[np.int16]:
    """A 16 kHz sine as int16 samples."""
    t = np.arange(round(seconds * RATE)) / RATE
    return np.rint(amplitude * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
