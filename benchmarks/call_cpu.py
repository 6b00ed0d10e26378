"""CPU of one recorded softphone call as a share of a core, beside baresip placing the same call."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from benchmarks._support import (
    Policy,
    child_env,
    machine,
    short_disclosure_policy,
    softphone_command,
)
from softphone.app.peerproc import CustomerPeer, PeerError
from softphone.media.analysis import dominant_frequency, read_channels
from softphone.media.errors import AudioFileError
from tests.integration.sipp import SippPeer

TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.1
TALK_S = 20.0
AGENT_HZ, PEER_HZ = 1000, 440


# --- CPU accounting from /proc ----------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, utime+stime ticks) of every process readable now."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def tree_ticks(table: dict[int, tuple[int, int]], root: int) -> int | None:
    """CPU ticks of `root` and its live descendants (threads included); None once it is gone."""
    if root not in table:
        return None
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += table[pid][1]
        todo.extend(child for child, (ppid, _) in table.items() if ppid == pid)
    return total


class Sampler:
    """Samples the CPU time of named process trees every SAMPLE_S on a thread of its own."""

    def __init__(self) -> None:
        self.roots: dict[str, int] = {}
        self.samples: dict[str, list[tuple[float, float]]] = {}
        self.threads: dict[str, list[tuple[float, dict[str, float]]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def watch(self, name: str, pid: int) -> None:
        """Follow the process tree rooted at `pid` under `name` from now on."""
        self.samples.setdefault(name, [])
        self.threads.setdefault(name, [])
        self.roots[name] = pid

    def start(self) -> Sampler:
        """Begin sampling."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        """Runs on the sampler thread: read /proc, note (wall time, CPU seconds) per tree."""
        while not self._stop.is_set():
            table = _proc_table()
            now = time.time()
            for name, pid in list(self.roots.items()):
                ticks = tree_ticks(table, pid)
                if ticks is not None:
                    self.samples[name].append((now, ticks * TICK_S))
                    self.threads[name].append((now, thread_cpu(pid)))
            self._stop.wait(SAMPLE_S)

    def cpu_between(self, name: str, start: float, end: float) -> float | None:
        """CPU seconds the tree used between two wall times (linear between samples)."""
        points = self.samples.get(name, [])
        if len(points) < 2 or points[0][0] > start or points[-1][0] < end:
            return None
        return _at(points, end) - _at(points, start)

    def threads_between(self, name: str, start: float, end: float) -> dict[str, float]:
        """CPU seconds per thread name of the root process between the samples nearest to two
        wall times (threads of the same name summed; the main thread is called "main").

        A thread born in between counts from zero; one that ended in between (the bridge clock
        stops after a call) keeps what its last sample saw.
        """
        points = self.threads.get(name, [])
        if len(points) < 2:
            return {}
        first_at = min(points, key=lambda p: abs(p[0] - start))[0]
        last_at = min(points, key=lambda p: abs(p[0] - end))[0]
        first = next(cpu for at, cpu in points if at == first_at)
        seen: dict[str, float] = {}
        for at, sample in points:
            if first_at <= at <= last_at:
                seen.update(sample)
        used: dict[str, float] = {}
        for key, cpu in seen.items():
            label = key.split("/", 1)[0]
            used[label] = used.get(label, 0.0) + cpu - first.get(key, 0.0)
        return used


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of each live thread of `pid`, keyed "name/tid" ("main/tid" for the first)."""
    found: dict[str, float] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        comm = "main" if tid == str(pid) else text[text.find("(") + 1 : text.rfind(")")]
        fields = text[text.rfind(")") + 2 :].split()
        found[f"{comm}/{tid}"] = (int(fields[11]) + int(fields[12])) * TICK_S
    return found


def _at(points: list[tuple[float, float]], t: float) -> float:
    for (t0, c0), (t1, c1) in itertools.pairwise(points):
        if t0 <= t <= t1:
            return c0 if t1 == t0 else c0 + (c1 - c0) * (t - t0) / (t1 - t0)
    return points[-1][1]


def describe_audio(path: Path) -> str:
    """`N.N s, dominant F Hz` per channel of a WAV, to show that a call carried audio."""
    try:
        data, rate = read_channels(path)
    except AudioFileError as exc:
        return f"nothing readable ({exc})"
    parts = []
    for channel in range(data.shape[1]):
        try:
            parts.append(f"{dominant_frequency(data[:, channel], rate):.0f} Hz")
        except ValueError:
            parts.append("silence")
    return f"{data.shape[0] / rate:.1f} s of audio, dominant {' / '.join(parts)}"


def children_cpu() -> float:
    """User+system CPU seconds of every child this process has waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_pid(fragment: str) -> int | None:
    """The pid of a direct child of this process whose command line contains `fragment`."""
    me = os.getpid()
    for pid, (ppid, _) in _proc_table().items():
        if ppid != me:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fragment in cmdline:
            return pid
    return None


# --- one measured call ------------------------------------------------------------------------


@dataclass
class Measured:
    """The figures of one call by one client to one peer."""

    client: str
    peer: str
    codec: str = "?"
    window_s: float = 0.0
    client_share: float | None = None
    thread_shares: dict[str, float] = field(default_factory=dict)
    peer_share: float | None = None
    client_total_cpu_s: float | None = None
    client_lifetime_s: float = 0.0
    failure: str = ""
    notes: list[str] = field(default_factory=list)


class LineReader:
    """Collects a child's output lines with the wall time each was read, on a thread."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream: IO[str]) -> None:
        """Runs on the reader thread."""
        for line in stream:
            self.lines.append((time.time(), line.rstrip("\n")))

    def join(self) -> None:
        """Wait for the stream to end."""
        self._thread.join(10)

    def first(self, pattern: str) -> tuple[float, str] | None:
        """The first line matching `pattern`, with when it was read."""
        compiled = re.compile(pattern)
        return next(((t, line) for t, line in self.lines if compiled.search(line)), None)


def _finish_window(
    result: Measured, sampler: Sampler, start: float | None, window_s: float
) -> None:
    if start is None:
        result.failure = result.failure or "the call was never answered"
        return
    end = start + window_s
    result.window_s = window_s
    client = sampler.cpu_between("client", start, end)
    peer = sampler.cpu_between("peer", start, end)
    result.client_share = None if client is None else client / window_s
    used = sampler.threads_between("client", start, end)
    result.thread_shares = {k: v / window_s for k, v in used.items() if v > 0}
    result.peer_share = None if peer is None else peer / window_s
    if client is None:
        result.failure = result.failure or "the client ended before the measuring window did"


def sampled_run(
    command: list[str], env: dict[str, str], sampler: Sampler, timeout_s: float, result: Measured
) -> tuple[subprocess.Popen[str], str, str]:
    """Run a client to its end with `sampler` reading its CPU; its lifetime and codec into
    `result`. Returns the process (for its exit code), its stdout and its stderr."""
    started = time.monotonic()
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip
    sampler.watch("client", proc.pid)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    finally:
        sampler.stop()
    result.client_lifetime_s = time.monotonic() - started
    codec = re.search(r"#0 audio (\S+) @(\d+)kHz", err)
    result.codec = f"{codec.group(1)}/{codec.group(2)} kHz" if codec else "?"
    return proc, out, err


def softphone_call(
    uri: str, peer_pid: int, peer_name: str, *, policy: Policy, work: Path, window_s: float
) -> Measured:
    """One recorded `softphone call`, `window_s` seconds from answer to hang-up."""
    result = Measured("softphone", peer_name)
    args = ["-v", "call", uri, "--bind", "127.0.0.1:0", "--json", "--sip-log-level", "3"]
    args += ["--mic", f"tone:{AGENT_HZ}", "--speaker", str(work / "softphone-heard.wav")]
    args += [*policy.args, "--hangup-after", f"{window_s:g}"]
    sampler = Sampler()
    sampler.watch("peer", peer_pid)
    before = children_cpu()
    proc, out, err = sampled_run(
        softphone_command(*args), child_env(work / "home"), sampler, window_s + 60, result
    )
    result.client_total_cpu_s = children_cpu() - before
    report = _last_json(out)
    if proc.returncode != 0 or report is None:
        result.failure = " | ".join(err.strip().splitlines()[-2:]) or f"exit {proc.returncode}"
        return result
    result.notes.append("heard " + describe_audio(work / "softphone-heard.wav"))
    if report.get("recording"):
        result.notes.append("recorded " + describe_audio(Path(str(report["recording"]))))
    else:
        result.notes.append("the call left no recording")
    answered = report.get("answered_at")
    _finish_window(result, sampler, None if answered is None else float(answered), window_s)
    return result


def _last_json(out: str) -> dict[str, Any] | None:
    lines = out.strip().splitlines()
    try:
        value = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


BARESIP_CONFIG = """\
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:0
call_local_timeout\t120
call_max_calls\t\t1
audio_player\t\taubridge,echo
audio_source\t\taubridge,echo
audio_alert\t\taubridge,alert
audio_level\t\tno
ausrc_format\t\ts16
auplay_format\t\ts16
auenc_format\t\ts16
audec_format\t\ts16
audio_buffer\t\t20-160
rtcp_mux\t\tno
jitter_buffer_delay\t5-10
rtp_stats\t\tno
statmode_default\toff
module_path\t\t{modules}
module\t\t\tg711.so
module\t\t\taubridge.so
module\t\t\tsndfile.so
module_tmp\t\taccount.so
module_app\t\tmenu.so
snd_path\t\t{dumps}
"""


def baresip_config(folder: Path) -> Path:
    """A private, headless baresip config: G.711 only, no sound card, both directions dumped.

    `aubridge` with the same device as player and source is a loopback: what baresip receives
    is played into the bridge and sent back, so it decodes, encodes and paces 50 frames a second
    both ways like any call; the `sndfile` filter writes both directions to WAV files, the
    counterpart of the softphone's recording.
    """
    folder.mkdir(parents=True, exist_ok=True)
    dumps = folder / "dumps"
    dumps.mkdir(exist_ok=True)
    modules = "/usr/lib/baresip/modules"
    (folder / "config").write_text(BARESIP_CONFIG.format(modules=modules, dumps=dumps))
    (folder / "accounts").write_text("<sip:agent@127.0.0.1>;regint=0;audio_codecs=pcmu\n")
    return folder


def baresip_call(
    uri: str, peer_pid: int, peer_name: str, folder: Path, window_s: float
) -> Measured:
    """baresip dialling `uri` and quitting after the same call length."""
    result = Measured("baresip", peer_name)
    binary = shutil.which("baresip")
    if binary is None:
        result.failure = "baresip is not installed (Debian package baresip; scripts/setup.sh)"
        return result
    quit_after = int(window_s + 3)
    sampler = Sampler()
    sampler.watch("peer", peer_pid)
    before, started = children_cpu(), time.monotonic()
    proc = subprocess.Popen(
        [binary, "-f", str(folder), "-e", f"/dial {uri}", "-t", str(quit_after)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sampler.watch("client", proc.pid)
    sampler.start()
    assert proc.stdout is not None
    reader = LineReader(proc.stdout)
    try:
        proc.wait(timeout=quit_after + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        result.notes.append("baresip did not quit by itself and was killed")
    reader.join()
    sampler.stop()
    result.client_lifetime_s = time.monotonic() - started
    result.client_total_cpu_s = children_cpu() - before
    codec = reader.first(r"Set audio encoder: (\S+) (\d+)Hz")
    if codec is not None:
        found = re.search(r"encoder: (\S+) (\d+)Hz", codec[1])
        result.codec = f"{found.group(1)}/{int(found.group(2)) // 1000} kHz" if found else "?"
    dumps = sorted((folder / "dumps").glob("*-dec.wav"), key=lambda p: p.stat().st_mtime)
    if dumps:
        result.notes.append("heard (its sndfile dump) " + describe_audio(dumps[-1]))
    established = reader.first(r"Call established")
    if established is None:
        tail = " | ".join(line for _, line in reader.lines[-4:])
        result.failure = f"baresip did not establish the call: {tail}"
        return result
    _finish_window(result, sampler, established[0], window_s)
    return result


Runner = Callable[[str, int, str], Measured]
"""Places one call: (peer URI, peer pid, peer description) -> figures."""


# --- the peers --------------------------------------------------------------------------------


SIPP_PEER = "SIPp uas_ignore_hold (PCMU only)"
PJSUA2_PEER = "pjsua2 peer (softphone.sip.testpeer)"


def with_sipp(client: str, run: Runner, work: Path, window_s: float) -> Measured:
    """Run one call against a fresh SIPp peer that answers and streams PCMU (1200 Hz)."""
    folder = work / f"sipp-{client}"
    with SippPeer("uas_ignore_hold", workdir=folder, timeout_s=window_s + 60) as peer:
        pid = child_pid(f"-p {peer.port} ")
        if pid is None:
            return Measured(client, SIPP_PEER, failure="could not find the SIPp process")
        result = run(peer.uri("customer"), pid, SIPP_PEER)
        try:
            peer.wait(15)
        except TimeoutError:
            result.notes.append("SIPp did not see the call end")
    return result


def with_pjsua2_peer(client: str, run: Runner, work: Path) -> Measured:
    """Run one call against a fresh pjsua2 customer peer playing a tone."""
    try:
        peer = CustomerPeer(
            ["--listen", "127.0.0.1:0", "--play", f"tone:{PEER_HZ}", "--max-seconds", "90"], work
        )
    except PeerError as exc:
        return Measured(client, PJSUA2_PEER, failure=str(exc))
    try:
        return run(peer.uri_for(), peer.proc.pid, PJSUA2_PEER)
    finally:
        peer.stop()


# --- output -----------------------------------------------------------------------------------


def _pct(share: float | None) -> str:
    return "   n/a" if share is None else f"{share * 100:5.2f}%"


def show(results: Sequence[Measured]) -> None:
    """Print every call, then the ratios per peer."""
    print(
        f"\n{'client':10s} {'peer':48s} {'codec':16s} {'client':>7s} {'peer':>7s} "
        f"{'client CPU s, whole run':>24s}"
    )
    for r in results:
        total = "n/a" if r.client_total_cpu_s is None else f"{r.client_total_cpu_s:.2f}"
        life = f"{total} in {r.client_lifetime_s:.1f} s"
        print(
            f"{r.client:10s} {r.peer:48s} {r.codec:16s} {_pct(r.client_share):>7s} "
            f"{_pct(r.peer_share):>7s} {life:>24s}"
        )
        if r.thread_shares:
            busiest = sorted(r.thread_shares.items(), key=lambda kv: -kv[1])[:6]
            print("   threads: " + ", ".join(f"{k} {v * 100:.2f}%" for k, v in busiest))
        if r.failure:
            print(f"   FAILED: {r.failure}")
        for note in r.notes:
            print(f"   note: {note}")
    print("\n(client/peer: CPU time of the process tree over the call, from answer to hang-up,")
    print(" as a share of one core; 'whole run' adds start-up and shut-down, via getrusage;")
    print(" threads: 'python' is every thread without a native name, in the softphone its")
    print(" recording writer and WAV speaker writer; 'clock' runs the bridge and the Python ports)")
    for peer in dict.fromkeys(r.peer for r in results):
        pair = {r.client: r for r in results if r.peer == peer}
        ours, theirs = pair.get("softphone"), pair.get("baresip")
        if ours is None or theirs is None:
            continue
        if ours.client_share is None or not theirs.client_share:
            print(f"\n{peer}: no ratio (one of the calls was not measured)")
            continue
        ratio = ours.client_share / theirs.client_share
        verdict = "meets" if ratio <= 1.0 else "MISSES"
        print(
            f"\n{peer}: softphone/baresip = {ratio:.2f}  [{verdict} target <= 1.00]; "
            f"softphone {ours.client_share * 100:.2f}% ({ours.codec}), "
            f"baresip {theirs.client_share * 100:.2f}% ({theirs.codec}) of one core"
        )
        if ours.codec != theirs.codec:
            print("   (different codecs: not a like-for-like pair)")
        if peer == PJSUA2_PEER and theirs.peer_share:
            print(
                "   reference: the pjsua2 peer itself (pjsua2's own tone player, no Python ports) "
                f"used {theirs.peer_share * 100:.2f}% on baresip's call, "
                f"{theirs.peer_share / theirs.client_share:.2f}x baresip"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Place the calls and print the figures; exit 1 only if the softphone was not measured."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.call_cpu", description=__doc__)
    parser.add_argument(
        "--talk", type=float, default=TALK_S, help="seconds after the disclosure (default 20)"
    )
    parser.add_argument(
        "--peers",
        choices=("sipp", "pjsua2", "both"),
        default="both",
        help="which customer peer to call (default both)",
    )
    args = parser.parse_args(argv)
    repo = str(Path(__file__).resolve().parents[1])
    os.environ["PYTHONPATH"] = repo + os.pathsep + os.environ.get("PYTHONPATH", "")
    print("call_cpu: the same call placed by the softphone (recorded, after its disclosure) and")
    print("by baresip (headless: an aubridge loopback as its sound card, sndfile dumping both")
    print("directions), one after the other, each to a fresh peer of the same kind; CPU time of")
    print("each process tree read from /proc every 100 ms.")
    print(machine())
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp:
        work = Path(tmp)
        policy = short_disclosure_policy(work / "policy")
        window = policy.disclosure_s + max(1.0, args.talk)
        print(
            f"each call: {window:.1f} s from answer to hang-up ({policy.disclosure_s:g} s "
            f"disclosure + {window - policy.disclosure_s:g} s talking for the softphone)"
        )
        bare = baresip_config(work / "baresip")

        def ours(uri: str, pid: int, name: str) -> Measured:
            return softphone_call(uri, pid, name, policy=policy, work=work, window_s=window)

        def theirs(uri: str, pid: int, name: str) -> Measured:
            return baresip_call(uri, pid, name, bare, window)

        if args.peers in ("sipp", "both"):
            results.append(with_sipp("softphone", ours, work, window))
            results.append(with_sipp("baresip", theirs, work, window))
        if args.peers in ("pjsua2", "both"):
            results.append(with_pjsua2_peer("softphone", ours, work))
            results.append(with_pjsua2_peer("baresip", theirs, work))
        dumps = sorted(p.name for p in (bare / "dumps").glob("*.wav"))
        print(f"baresip wrote {len(dumps)} WAV dump(s) of its calls")
    show(results)
    measured = [r for r in results if r.client == "softphone" and r.client_share is not None]
    return 0 if measured else 1


if __name__ == "__main__":
    sys.exit(main())
