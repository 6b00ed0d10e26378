"""Run a SIPp scenario from tests/sipp as a foreground subprocess on free loopback ports."""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from tests.integration.ports import free_udp_port, udp_port_in_use

__all__ = [
    "EXIT_BIND_FAILED",
    "EXIT_CALLS_FAILED",
    "EXIT_OK",
    "HELD_ALAW_FILE",
    "HELD_AUDIO_FILE",
    "PEER_ALAW_FILE",
    "PEER_AUDIO_FILE",
    "SCENARIO_DIR",
    "SippError",
    "SippLogEntry",
    "SippNotFoundError",
    "SippPeer",
    "parse_message_log",
    "scenario_path",
    "sipp_binary",
    "write_alaw_tone",
    "write_ulaw_tone",
]

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "sipp"
"""Where the scenario files live (tests/sipp)."""

PEER_AUDIO_FILE = "peer.ulaw"
HELD_AUDIO_FILE = "held.ulaw"  # what the uas_*_hold scenarios send while an offer holds them
"""Raw 8 kHz mu-law file the scenarios stream with rtp_stream, relative to SIPp's cwd."""
PEER_ALAW_FILE = "peer.alaw"
HELD_ALAW_FILE = "held.alaw"
"""The same two tones in A-law, for scenarios that switch to PCMA (payload type 8)."""

EXIT_OK = 0
"""SIPp exit code: every call succeeded."""
EXIT_CALLS_FAILED = 1
"""SIPp exit code: at least one call failed."""
EXIT_BIND_FAILED = 254
"""SIPp exit code: a socket could not be bound (-2)."""

_START_ATTEMPTS = 3
_READY_TIMEOUT_S = 5.0


class SippError(RuntimeError):
    """SIPp could not be started, or did not behave as a test peer must."""


class SippNotFoundError(SippError):
    """The sipp executable is missing: a missing tool is an error, never a reason to skip."""


def sipp_binary() -> str:
    """Return the path of ``sipp``; raise SippNotFoundError if it is not on PATH."""
    found = shutil.which("sipp")
    if found is None:
        raise SippNotFoundError(
            "sipp not found on PATH: install the Debian package sip-tester (run scripts/setup.sh)"
        )
    return found


def scenario_path(scenario: str | os.PathLike[str]) -> Path:
    """Resolve a scenario given as a path, or as a name in tests/sipp (with or without .xml)."""
    candidate = Path(scenario)
    if candidate.is_file():
        return candidate.resolve()
    name = candidate.name if candidate.suffix == ".xml" else f"{candidate.name}.xml"
    in_dir = SCENARIO_DIR / name
    if in_dir.is_file():
        return in_dir
    raise FileNotFoundError(f"no SIPp scenario {scenario!s} (looked in {SCENARIO_DIR})")


def _linear_to_ulaw(sample: int) -> int:
    """Encode one 16-bit linear sample as G.711 mu-law (ITU-T G.711, 14-bit magnitude)."""
    pcm = sample >> 2
    mask = 0xFF
    if pcm < 0:
        pcm, mask = -pcm, 0x7F
    pcm = min(pcm, 8159) + 0x21
    segment = max(0, pcm.bit_length() - 6)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((pcm >> (segment + 1)) & 0x0F)) ^ mask


def _tone_samples(freq_hz: float, seconds: float, amplitude: float) -> list[int]:
    """A sine tone as 16-bit linear samples at 8 kHz."""
    if not 0.0 < amplitude <= 1.0:
        raise ValueError(f"amplitude must be in (0, 1], not {amplitude}")
    rate = 8000
    peak = amplitude * 32767.0
    return [
        round(peak * math.sin(2.0 * math.pi * freq_hz * n / rate))
        for n in range(round(seconds * rate))
    ]


def write_ulaw_tone(
    path: Path, freq_hz: float = 1200.0, seconds: float = 1.0, amplitude: float = 0.5
) -> Path:
    """Write a raw (headerless) 8 kHz mono mu-law sine tone, the format SIPp's rtp_stream plays.

    Keep ``freq_hz * seconds`` a whole number so the file loops without a click.
    """
    path.write_bytes(bytes(_linear_to_ulaw(s) for s in _tone_samples(freq_hz, seconds, amplitude)))
    return path


def _linear_to_alaw(sample: int) -> int:
    """Encode one 16-bit linear sample as G.711 A-law (ITU-T G.711, 13-bit magnitude)."""
    pcm = sample >> 3
    mask = 0xD5
    if pcm < 0:
        pcm, mask = -pcm - 1, 0x55
    segment = max(0, pcm.bit_length() - 5)
    if segment >= 8:
        return 0x7F ^ mask
    quant = pcm >> 1 if segment < 2 else pcm >> segment
    return ((segment << 4) | (quant & 0x0F)) ^ mask


def write_alaw_tone(
    path: Path, freq_hz: float = 1200.0, seconds: float = 1.0, amplitude: float = 0.5
) -> Path:
    """Write a raw 8 kHz mono A-law sine tone, what rtp_stream plays with payload type 8.

    Keep ``freq_hz * seconds`` a whole number so the file loops without a click.
    """
    path.write_bytes(bytes(_linear_to_alaw(s) for s in _tone_samples(freq_hz, seconds, amplitude)))
    return path


@dataclass(frozen=True)
class SippLogEntry:
    """One SIP message from a SIPp -trace_msg log."""

    time: datetime
    direction: Literal["sent", "received"]
    text: str

    @property
    def first_line(self) -> str:
        """The request or status line."""
        return self.text.split("\n", 1)[0].strip()

    @property
    def is_request(self) -> bool:
        """True for a request, False for a response."""
        return not self.first_line.startswith("SIP/2.0")

    @property
    def method(self) -> str:
        """The method of a request, or the CSeq method of a response."""
        if self.is_request:
            return self.first_line.split(" ", 1)[0]
        cseq = self.header("CSeq")
        return cseq.split()[-1] if cseq else ""

    @property
    def status(self) -> int | None:
        """The status code of a response, None for a request."""
        if self.is_request:
            return None
        return int(self.first_line.split()[1])

    @property
    def body(self) -> str:
        """The message body (for example SDP), or an empty string."""
        parts = re.split(r"\r?\n\r?\n", self.text, maxsplit=1)
        return parts[1] if len(parts) == 2 else ""

    def header(self, name: str) -> str | None:
        """The value of the first header called ``name`` (case-insensitive), or None."""
        head = re.split(r"\r?\n\r?\n", self.text, maxsplit=1)[0]
        for line in head.splitlines()[1:]:
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() == name.lower():
                return value.strip()
        return None

    @property
    def cseq(self) -> int | None:
        """The CSeq number, or None if the header is missing."""
        value = self.header("CSeq")
        return int(value.split()[0]) if value else None


_ENTRY_START = re.compile(r"^-{10,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$", re.MULTILINE)
_DIRECTION = re.compile(r"^\w+ message (sent|received)[^\n]*\n", re.IGNORECASE)


def parse_message_log(text: str) -> list[SippLogEntry]:
    """Split a SIPp -trace_msg log into its messages, in order."""
    entries: list[SippLogEntry] = []
    starts = list(_ENTRY_START.finditer(text))
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        chunk = text[match.end() : end].lstrip("\n")
        found = _DIRECTION.match(chunk)
        if found is None:
            continue
        direction: Literal["sent", "received"] = (
            "sent" if found.group(1).lower() == "sent" else "received"
        )
        message = chunk[found.end() :].strip("\r\n ")
        stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S.%f")
        entries.append(SippLogEntry(stamp, direction, message.replace("\r\n", "\n")))
    return entries


class SippPeer:
    """A SIPp scenario running in the foreground as a child process, on free loopback ports.

    Use as a context manager: it starts on enter (waiting until SIPp holds its SIP port) and is
    stopped on exit. ``remote`` ("host:port") makes it a client (UAC) calling that address;
    without it the scenario is a server (UAS) on ``port``. The working directory holds the
    message log, the error log, SIPp's screen output and ``peer.ulaw``, a tone of ``tone_hz``
    that the scenarios stream as RTP (and ``held.ulaw``, ``held_tone_hz``, which the hold
    scenarios stream instead while an offer holds them; ``peer.alaw`` and ``held.alaw`` are the
    same tones in A-law, for a scenario that switches to PCMA). A SIPp exit code of 0 means
    every call of the scenario completed as scripted; 1 means at least one failed. Without
    ``workdir`` a temporary one is used and deleted on exit: read ``messages()`` inside the
    ``with`` block, or pass ``tmp_path``.
    """

    def __init__(
        self,
        scenario: str | os.PathLike[str],
        *,
        remote: str | None = None,
        service: str | None = None,
        keys: Mapping[str, str] | None = None,
        calls: int = 1,
        timeout_s: float = 60.0,
        tone_hz: float = 1200.0,
        held_tone_hz: float = 1800.0,
        extra_args: Sequence[str] = (),
        workdir: Path | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.scenario = scenario_path(scenario)
        self.binary = sipp_binary()
        self.remote = remote
        self.service = service
        self.keys = dict(keys or {})
        self.calls = calls
        self.timeout_s = timeout_s
        self.tone_hz = tone_hz
        self.held_tone_hz = held_tone_hz
        self.extra_args = list(extra_args)
        self.host = host
        self._own_workdir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="sipp-")) if workdir is None else workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.media_port = 0
        self.control_port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._returncode: int | None = None

    # -- files -------------------------------------------------------------------------------

    @property
    def messages_path(self) -> Path:
        """The -trace_msg log."""
        return self.workdir / "messages.log"

    @property
    def errors_path(self) -> Path:
        """The -trace_err log (only written when something unexpected happened)."""
        return self.workdir / "errors.log"

    @property
    def screen_path(self) -> Path:
        """SIPp's standard output and error (its statistics screens)."""
        return self.workdir / "screen.log"

    def messages(self) -> str:
        """The SIP messages sent and received so far (the -trace_msg log)."""
        return _read(self.messages_path)

    def log_entries(self) -> list[SippLogEntry]:
        """The SIP messages sent and received so far, parsed."""
        return parse_message_log(self.messages())

    def errors(self) -> str:
        """The -trace_err log: unexpected messages, timeouts, aborted calls."""
        return _read(self.errors_path)

    def output(self) -> str:
        """SIPp's screen output, for assertion messages."""
        return _read(self.screen_path)

    def describe(self) -> str:
        """A report for a failed assertion: command, exit code, errors and screen tail."""
        screen = self.output()
        return (
            f"sipp {self.scenario.name} port={self.port} exit={self._returncode}\n"
            f"--- errors.log ---\n{self.errors()[-4000:]}\n"
            f"--- screen (tail) ---\n{screen[-3000:]}"
        )

    # -- process -----------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The sipp command line for the current ports."""
        cmd = [self.binary]
        if self.remote is not None:
            cmd.append(self.remote)
        cmd += ["-sf", str(self.scenario)]
        cmd += ["-i", self.host, "-p", str(self.port)]
        cmd += ["-mp", str(self.media_port), "-cp", str(self.control_port)]
        cmd += ["-m", str(self.calls), "-nostdin", "-aa"]
        cmd += ["-timeout", f"{math.ceil(self.timeout_s)}s", "-timeout_error"]
        cmd += ["-trace_msg", "-message_file", str(self.messages_path)]
        cmd += ["-trace_err", "-error_file", str(self.errors_path)]
        if self.service is not None:
            cmd += ["-s", self.service]
        for key, value in self.keys.items():
            cmd += ["-key", key, value]
        cmd += self.extra_args
        return cmd

    def start(self) -> Self:
        """Start SIPp and wait until it holds its SIP port; retry on a port taken meanwhile."""
        if self._proc is not None:
            raise SippError("this SippPeer was already started")
        write_ulaw_tone(self.workdir / PEER_AUDIO_FILE, self.tone_hz)
        write_ulaw_tone(self.workdir / HELD_AUDIO_FILE, self.held_tone_hz)
        write_alaw_tone(self.workdir / PEER_ALAW_FILE, self.tone_hz)
        write_alaw_tone(self.workdir / HELD_ALAW_FILE, self.held_tone_hz)
        for _attempt in range(_START_ATTEMPTS):
            self.port = free_udp_port(self.host)
            self.media_port = free_udp_port(self.host, span=4)
            self.control_port = free_udp_port("0.0.0.0")
            with self.screen_path.open("wb") as screen:
                self._proc = subprocess.Popen(
                    self.command(),
                    cwd=self.workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=screen,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_ready():
                return self
            code = self._proc.wait()
            self._returncode = code
            self._proc = None
            if code != EXIT_BIND_FAILED:
                break
        raise SippError(f"sipp did not start:\n{self.describe()}")

    def _wait_ready(self) -> bool:
        """True once SIPp holds its SIP port; False if it exited first."""
        assert self._proc is not None
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            if udp_port_in_use(self.port, self.host):
                return True
            time.sleep(0.02)
        self._proc.kill()
        self._proc.wait()
        raise SippError(f"sipp did not bind {self.host}:{self.port} in {_READY_TIMEOUT_S} s")

    @property
    def running(self) -> bool:
        """True while the SIPp process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """SIPp's exit code once it has ended, else None."""
        if self._proc is not None and self._returncode is None:
            self._returncode = self._proc.poll()
        return self._returncode

    def uri(self, user: str = "peer") -> str:
        """A SIP URI that reaches this peer."""
        return f"sip:{user}@{self.host}:{self.port}"

    def wait(self, timeout: float) -> int:
        """Wait for SIPp to finish its calls; return its exit code (0: all calls succeeded).

        Raises TimeoutError (SIPp is left running; ``stop()`` or the context exit ends it).
        """
        if self._proc is None:
            raise SippError("sipp was not started")
        try:
            self._returncode = self._proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(
                f"sipp {self.scenario.name} still running after {timeout} s\n{self.describe()}"
            ) from exc
        return self._returncode

    def stop(self, grace_s: float = 3.0) -> int | None:
        """End SIPp if it is still running (SIGTERM, then SIGKILL); return its exit code.

        The exit code of a SIPp that had to be stopped says nothing about its calls.
        """
        if self._proc is None:
            return self._returncode
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._returncode = self._proc.returncode
        return self._returncode

    def close(self) -> None:
        """Stop SIPp and delete the working directory if this object created it."""
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
