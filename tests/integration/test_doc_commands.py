"""Every command shown in a code block of README.md, docs/admin.md and docs/qa.md, run for real.

A command the docs show must have a runner here (the first test fails otherwise), and each
runner runs it, word for word where it can, and checks the outcome the docs promise. What a test
machine cannot have is substituted, and only that: the machine's own folders (/etc/softphone,
/usr/share/softphone, /var/lib/softphone, /srv) live under a throwaway root; addresses such as
203.0.113.7, pbx.example.com or 0.0.0.0:5060 are peers on 127.0.0.1; the policy in force is
named by SOFTPHONE_POLICY (a test may not write /etc/softphone/policy.toml); a call's times are
shortened and its audio, the headset by default, is a tone. The example policy's accounts
point at servers that do not exist, so `account` and `register --account` use a second policy
whose account `office` registers with a local SIPp registrar.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pty
import re
import select
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring.errors
import numpy as np
import pytest
import soundfile as sf
from pyrage import x25519

from softphone.app.peerproc import CustomerPeer
from softphone.config.archivesecret import SERVICE as ARCHIVE_SERVICE
from softphone.config.credentials import secure_backend
from softphone.config.qakey import ENTRY as QA_ENTRY
from softphone.config.qakey import SERVICE as QA_SERVICE
from softphone.recordings.metadata import HoldInterval, read_metadata, write_metadata
from softphone.recordings.retention import set_hold
from softphone.vocabulary.frames import RATE
from tests.doccheck import REPO, _example_root, doc_commands
from tests.integration.archivedata import CREDENTIAL_ENV, archive_toml
from tests.integration.policies import DISCLOSURE_HZ, DISCLOSURE_S, write_policy
from tests.integration.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer
from tests.integration.sipp import SippPeer
from tests.unit.test_recordings_catalog import _record

PASSWORD = "correct horse battery staple"
FAST = "--mic tone:1000 --speaker null --bind 127.0.0.1:0"


@dataclass
class Sandbox:
    """A throwaway machine: its root, an agent's home, the policies, the environment."""

    root: Path
    home: Path
    lab_policy: Path  # the policy in force: a short disclosure, `office` at a local registrar
    env: dict[str, str]
    archive: SeaweedServer | None = None  # the S3 server, for the archive's commands

    def path(self, text: str) -> str:
        """The command with the machine's folders moved under the sandbox root."""
        for folder in ("/etc/softphone", "/usr/share/softphone", "/var/lib/softphone", "/srv"):
            text = text.replace(f" {folder}", f" {self.root}{folder}")
        return text

    def bash(
        self,
        command: str,
        *,
        stdin: str | None = None,
        timeout: float = 120,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a shell command line in which `softphone` is this checkout's command."""
        script = f'softphone() {{ "{sys.executable}" -m softphone.cli "$@"; }}\n{command}\n'
        return subprocess.run(
            ["bash", "-c", script],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd or self.root,
            env=self.env,
            check=False,
        )

    def ok(self, command: str, **options: object) -> subprocess.CompletedProcess[str]:
        """Run it; it must exit 0 without a traceback."""
        done = self.bash(command, **options)  # type: ignore[arg-type]
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        return done


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    root = tmp_path / "machine"
    root.mkdir()
    _example_root(root)  # /etc/softphone/policy.toml and the files it names, under root
    home = root / "home" / "agent7"
    folder = root / "lab"
    folder.mkdir()
    t = np.arange(int(DISCLOSURE_S * RATE)) / RATE
    tone = 0.3 * np.sin(2 * np.pi * DISCLOSURE_HZ * t)
    sf.write(folder / "disclosure.wav", tone, RATE, subtype="PCM_16")
    lab = write_policy(folder, folder / "disclosure.wav", root / "var/lib/softphone/recordings")
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(REPO),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        SOFTPHONE_POLICY=str(lab),
        PW=PASSWORD,
    )
    (root / "srv/recordings").mkdir(parents=True)
    yield Sandbox(root, home, lab, env)
    subprocess.run(
        [sys.executable, "-m", "softphone.cli", "account", "delete-password", "office"],
        env=env, capture_output=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _with_office(sb: Sandbox, registrar_port: int) -> None:
    """Give the policy in force the account `office`, registering at 127.0.0.1:PORT."""
    with sb.lab_policy.open("a", encoding="utf-8") as out:
        out.write(
            f'\n[[accounts]]\nname = "office"\nregistrar = "sip:127.0.0.1:{registrar_port}"\n'
            'user = "agent042"\ntransport = "udp"\nsrtp = "off"\n'
        )


# --- set-up (README) --------------------------------------------------------------------------


def _runtime_setup(sb: Sandbox, command: str) -> None:
    venv = REPO / ".venv" / "bin" / "python"
    probe = (
        "import importlib.util as u, sys; "
        "sys.exit(any(u.find_spec(m) for m in ('pytest', 'keyrings')))"
    )
    if not venv.exists() or subprocess.run([venv, "-c", probe], check=False).returncode != 0:
        pytest.skip(".venv here is not the runtime install of `setup.sh` (CI's fresh clone has it)")
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        sb.env.pop(name, None)  # the demo on a machine without a display plays by itself
    done = sb.ok(command, cwd=REPO, timeout=900)
    assert "result: PASS" in done.stdout, done.stdout
    shots = re.findall(r"^  [a-z-]+: (\S+\.png)$", done.stdout, re.MULTILINE)
    assert len(shots) == 3 and all(Path(s).is_file() for s in shots), done.stdout
    # The runtime install has none of the test tools.
    assert subprocess.run([venv, "-c", probe], check=False).returncode == 0


def _ci_runs_it(sb: Sandbox, command: str) -> None:
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert lines[-1] == command  # CI runs exactly this line, so it is run on every change


# --- calls (README) ---------------------------------------------------------------------------


def _peer(tmp: Path, *args: str) -> CustomerPeer:
    return CustomerPeer(["--listen", "127.0.0.1:0", "--max-seconds", "40", *args], tmp)


def _call(sb: Sandbox, command: str) -> None:
    with _peer(sb.root, "--play", "tone:440") as peer:
        line = command.replace("203.0.113.7", f"127.0.0.1:{peer.port}")
        line = line.replace("--hold 5:3 --hangup-after 20", "--hold 2:1 --hangup-after 4")
        done = sb.ok(f"{line} {FAST}")
        peer.finish()
    report = done.stdout.strip().splitlines()[-1]
    assert '"recording": "' in report and '"holds": [[' in report, report


def _answer(sb: Sandbox, command: str) -> None:
    line = sb.path(command).replace("0.0.0.0:5060", "127.0.0.1:0")
    line += " --mic silence --speaker null --hangup-after 2 --wait 30"
    script = f'softphone() {{ "{sys.executable}" -m softphone.cli "$@"; }}\n{line}\n'
    with subprocess.Popen(
        ["bash", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=sb.env, cwd=sb.root,
    ) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert first.startswith("listening on 127.0.0.1:"), first
            port = int(first.strip().rsplit(":", 1)[1])
            with _peer(sb.root, "--call", f"sip:anyone@127.0.0.1:{port}") as peer:
                out, err = proc.communicate(timeout=60)
                peer.finish()
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert list((sb.root / "srv/recordings").rglob("*.wav")), out + err


def _register_explicit(sb: Sandbox, command: str) -> None:
    keys = {"user": "1001", "password": PASSWORD}
    with SippPeer("registrar_digest", keys=keys, workdir=sb.root / "sipp", timeout_s=30) as reg:
        line = command.replace("sip:pbx.example.com", f"sip:127.0.0.1:{reg.port}")
        done = sb.ok(f"{line} --bind 127.0.0.1:0", stdin=PASSWORD + "\n")
        reg.wait(15)
    assert done.stdout.startswith(f"registered sip:1001@127.0.0.1:{reg.port} at "), done.stdout


def _register_account(sb: Sandbox, command: str) -> None:
    keys = {"user": "agent042", "password": PASSWORD}
    with SippPeer("registrar_digest", keys=keys, workdir=sb.root / "sipp", timeout_s=30) as reg:
        _with_office(sb, reg.port)
        sb.ok("printf '%s\\n' \"$PW\" | softphone account set-password office --stdin")
        done = sb.ok(f"{command} --bind 127.0.0.1:0")
        reg.wait(15)
    last = done.stdout.strip().splitlines()[-1]
    if command.endswith("--json"):
        assert '"registered": true' in last, last
    else:
        assert done.stdout.startswith("account office: registered sip:agent042@"), done.stdout


def _selftest(sb: Sandbox, command: str) -> None:
    shown = command.replace(" [--json]", " --json")
    done = sb.ok(shown)
    assert "result: PASS" in done.stdout, done.stdout
    if "--json" in shown:
        assert done.stdout.strip().splitlines()[-1].startswith('{"checks": ')


# --- configuration and passwords (admin.md) ---------------------------------------------------


def _config(sb: Sandbox, command: str) -> None:
    line = sb.path(command)
    example = str(sb.root / "etc/softphone/policy.toml")
    line = line.replace("FILE", example).replace("/path/to/policy.toml", example)
    done = sb.ok(line)
    assert done.stdout.strip(), done.stderr


def _version(sb: Sandbox, command: str) -> None:
    done = sb.ok(command)
    assert re.fullmatch(r"softphone \S+\n", done.stdout), done.stdout


def _set_password_at_a_terminal(sb: Sandbox, command: str) -> None:
    _with_office(sb, 5060)
    argv = [sys.executable, "-m", "softphone.cli", *command.split()[1:]]
    pid, fd = pty.fork()
    if pid == 0:  # the child: the softphone at a terminal, asking twice without echo
        os.execve(sys.executable, argv, sb.env)
    seen = b""
    try:
        for _ in range(2):
            seen += _read(fd, until=b": ")
            os.write(fd, PASSWORD.encode() + b"\n")
        seen += _read(fd)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert PASSWORD.encode() not in seen  # it never echoed
    assert b"stored the SIP password of account office in the OS keyring" in seen, seen


def _read(fd: int, until: bytes | None = None) -> bytes:
    """What the terminal shows, up to `until` (or until the program exits)."""
    data = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (until and data.endswith(until)):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the program exited and closed the terminal
            chunk = b""
        if not chunk:
            break
        data += chunk
    return data


def _set_password_from_stdin(sb: Sandbox, command: str) -> None:
    _with_office(sb, 5060)
    done = sb.ok(command)
    assert "stored the SIP password of account office in the OS keyring" in done.stdout


def _delete_password(sb: Sandbox, command: str) -> None:
    _set_password_from_stdin(
        sb, "printf '%s\\n' \"$PW\" | softphone account set-password office --stdin"
    )
    done = sb.ok(command)
    assert done.stdout.startswith("removed the SIP password of account office")


# --- deployment (admin.md) --------------------------------------------------------------------


def _install(sb: Sandbox, command: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("the deployment commands run as root, as admin.md says")
    for name in ("nl.wav", "en.wav"):
        shutil.copy(REPO / "resources" / "disclosure" / name, sb.root / name)
    (sb.root / "company-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    shutil.copy(sb.root / "etc/softphone/policy.toml", sb.root / "policy.toml")
    group = grp.getgrgid(os.getegid()).gr_name  # a workstation has "agents"; this one may not
    words = sb.path(command).replace("-g agents", f"-g {group}").split()
    sb.ok(" ".join(words))
    mode = int(words[words.index("-m") + 1], 8)
    operands, value = [], False
    for word in words[1:]:
        if value or word.startswith("-"):
            value = word in OPTIONS  # the next word is this option's value
            continue
        operands.append(word)
    target = Path(operands[-1])
    if "-d" in words:
        placed = [target]
    elif target.is_dir():
        placed = [target / Path(source).name for source in operands[:-1]]
    else:
        placed = [target]
    for path in placed:
        assert stat.S_IMODE(path.stat().st_mode) == mode, (command, path)


OPTIONS = ("-m", "-o", "-g")


# --- recordings (qa.md) -----------------------------------------------------------------------


def _recordings(sb: Sandbox, command: str) -> None:
    _record(sb.root / "var/lib/softphone/recordings", "c1")
    done = sb.ok(command)
    if command.endswith("verify"):
        assert done.stderr.strip() == "softphone: all recordings verified", done.stderr
    else:
        assert "complete" in done.stdout, done.stdout
        assert ('"disclosure": "d"' if "--json" in command else "disclosure d") in done.stdout


DOC_ID = "agent7/2026/11/24/20261124T093112Z-inbound-2ec3815d0c"  # the docs' example id
DOC_START = 1_795_512_672.0  # 2026-11-24T09:31:12Z


def _library(sb: Sandbox, command: str) -> None:
    """A recording like the docs' example (a customer's number, a hold) under the docs' id."""
    root = sb.root / "var/lib/softphone/recordings"
    old = "purge" in command
    meta = _record(root, "c1", started=1_700_000_000.0 if old else DOC_START)
    data = read_metadata(meta)
    data.call.remote_uri = "sip:+31201234567@carrier.example"
    data.call.answered_at = 1_700_000_000.0 if old else DOC_START
    data.call.ended_at = data.call.answered_at + 60
    data.holds = [HoldInterval("local", DOC_START + 5, DOC_START + 8, 0.4)]
    write_metadata(meta, data)
    rid = meta.relative_to(root).with_suffix("").as_posix()
    if command.endswith("--lift"):
        set_hold(root, meta, "complaint 2026-117")
    (sb.root / "tmp").mkdir(exist_ok=True)
    line = command.replace(DOC_ID, rid).replace(" /tmp/", f" {sb.root}/tmp/")
    line = line.replace("--from 12.5 --to-s 30", "--from 0.2 --to-s 0.6")  # 1 s of audio
    done = sb.ok(line.replace("--from 60 --to 90", "--from 0.2 --to 0.8"))
    expected = {
        "list": rid,
        "show": "audit trail (",
        "export": "exported ",
        "play": "wrote ",
        "--reason": "on legal hold (complaint 2026-117)",
        "--lift": "legal hold lifted",
        "--dry-run": f"would delete {rid}",
        "purge": f"deleted {rid}",
        "verify": "the chain is intact",
    }
    word = next((w for w in reversed(command.split()) if w in expected), "")
    if word == "" and command.endswith("head"):
        assert len(done.stdout.strip()) == 64, done.stdout
    else:
        assert expected[word.strip('"')] in done.stdout, (line, done.stdout)


# --- the archive (admin.md, qa.md) -------------------------------------------------------------


def _archive(sb: Sandbox, command: str) -> None:
    """Desk desk-07's recording like the docs' example, uploaded to a bucket of the test's S3."""
    assert sb.archive is not None
    root = sb.root / "var/lib/softphone/recordings"
    meta = _record(root, "c1", started=DOC_START)
    data = read_metadata(meta)
    data.call.agent, data.call.answered_at, data.call.ended_at = "agent7", DOC_START, DOC_START + 60
    write_metadata(meta, data)
    rid = meta.relative_to(root).with_suffix("").as_posix()
    bucket = f"docs-{abs(hash(command)) % 10**8}"
    sb.archive.client().create_bucket(Bucket=bucket)
    with sb.lab_policy.open("a", encoding="utf-8") as out:
        out.write(archive_toml(sb.archive, bucket))
    sb.env.update(SOFTPHONE_WORKSTATION="desk-07", XDG_CACHE_HOME=str(sb.home / ".cache"))
    if "set-secret" in command:
        try:
            sb.env["SECRET"] = SECRET_KEY
            stored = sb.ok(command)
            assert "stored the archive secret key of" in stored.stdout
            done = sb.ok("softphone archive upload")  # the keyring's secret, no AWS variables
            assert "1 recording(s) uploaded" in done.stdout, done.stdout
        finally:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                secure_backend().delete_password(ARCHIVE_SERVICE, ACCESS_KEY)
        return
    sb.env.update(CREDENTIAL_ENV)
    if not command.endswith("archive upload"):
        sb.ok("softphone archive upload")
    (sb.root / "tmp").mkdir(exist_ok=True)
    line = command.replace(DOC_ID, rid).replace(" /tmp/", f" {sb.root}/tmp/")
    done = sb.ok(line)
    if "status" in command:
        assert '"waiting": 0' in done.stdout, done.stdout
    elif "upload" in command:
        assert "1 recording(s) uploaded" in done.stdout, done.stdout
    elif "audit verify" in command:
        assert "match the copy in the archive" in done.stdout, done.stdout
    elif "list" in command:
        assert f"desk-07/{rid}" in done.stdout, done.stdout
    else:
        assert "wrote " in done.stdout, done.stdout


# --- QA keys (qa.md) ----------------------------------------------------------------------------


def _qa_key(sb: Sandbox, command: str) -> None:
    """The key file as `age-keygen -o qa-2026.key` writes it; the keyring's QA entry emptied."""
    identity = x25519.Identity.generate()
    public = str(identity.to_public())
    key_file = f"# created: 2026-12-02T03:00:00Z\n# public key: {public}\n{identity}\n"
    (sb.root / "qa-2026.key").write_text(key_file, encoding="utf-8")
    backend = secure_backend()
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        backend.delete_password(QA_SERVICE, QA_ENTRY)
    try:
        if command.endswith("key-status"):
            sb.ok("softphone qa import-key qa-2026.key")
        done = sb.ok(command, stdin=str(identity) if "--stdin" in command else None)
        assert public in done.stdout and str(identity) not in done.stdout + done.stderr
    finally:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            backend.delete_password(QA_SERVICE, QA_ENTRY)


RUNNERS: dict[str, Callable[[Sandbox, str], None]] = {
    "bash scripts/setup.sh && .venv/bin/softphone demo": _runtime_setup,
    "bash scripts/setup.sh --test && bash scripts/test.sh": _ci_runs_it,
    "softphone call sip:customer@203.0.113.7 --hold 5:3 --hangup-after 20 --json": _call,
    "softphone answer --listen 0.0.0.0:5060 --recordings /srv/recordings": _answer,
    "softphone register sip:pbx.example.com --user 1001 --password-stdin": _register_explicit,
    "softphone selftest --json": _selftest,
    "softphone selftest": _selftest,
    "softphone selftest [--json]": _selftest,
    "softphone config check /etc/softphone/policy.toml": _config,
    "softphone config check": _config,
    "softphone config check --strict FILE": _config,
    "softphone config check --strict /path/to/policy.toml": _config,
    "softphone config show": _config,
    "softphone --version": _version,
    "softphone account set-password office": _set_password_at_a_terminal,
    "printf '%s\\n' \"$PW\" | softphone account set-password office --stdin": (
        _set_password_from_stdin
    ),
    "softphone account delete-password office": _delete_password,
    "softphone register --account office": _register_account,
    "softphone register --account office --json": _register_account,
    "install -d -m 0755 /usr/share/softphone/disclosure": _install,
    "install -m 0644 nl.wav en.wav /usr/share/softphone/disclosure/": _install,
    "install -m 0644 company-ca.pem /etc/softphone/company-ca.pem": _install,
    "install -d -m 0770 -g agents /var/lib/softphone/recordings": _install,
    "install -d -m 0755 -o root -g root /etc/softphone": _install,
    "install -m 0644 -o root -g root policy.toml /etc/softphone/policy.toml": _install,
    "softphone recordings list": _recordings,
    "printf '%s' \"$SECRET\" | softphone archive set-secret --stdin": _archive,
    "softphone archive status --json": _archive,
    "softphone archive upload": _archive,
    "softphone audit verify --archive": _archive,
    "softphone recordings list --archive --agent agent7 --since 2026-11-01": _archive,
    (
        "softphone recordings play desk-07/agent7/2026/11/24/20261124T093112Z-inbound-2ec3815d0c"
        " --archive --to-file /tmp/call.wav"
    ): _archive,
    "softphone recordings list --json": _recordings,
    "softphone recordings verify": _recordings,
    "softphone recordings list --since 2026-11-01 --remote 31201234567 --had-hold": _library,
    f"softphone recordings show {DOC_ID}": _library,
    f"softphone recordings export {DOC_ID} --to /tmp/call.wav": _library,
    f"softphone recordings export {DOC_ID} --to /tmp/part.wav --from 12.5 --to-s 30": _library,
    f"softphone recordings play {DOC_ID} --channel customer --speed 1.5 --from 60 --to 90 "
    "--to-file /tmp/customer.wav": _library,
    f'softphone recordings hold {DOC_ID} --reason "complaint 2026-117"': _library,
    f"softphone recordings hold {DOC_ID} --lift": _library,
    "softphone recordings purge --dry-run": _library,
    "softphone recordings purge": _library,
    "softphone audit verify": _library,
    "softphone audit head": _library,
    "softphone qa import-key qa-2026.key": _qa_key,
    "softphone qa import-key --stdin": _qa_key,
    "softphone qa key-status": _qa_key,
}


def test_every_command_shown_in_the_docs_has_a_runner() -> None:
    shown = doc_commands()
    missing = {c: where for c, where in shown.items() if c not in RUNNERS}
    assert missing == {}, "add a runner for each command the docs show"
    assert set(RUNNERS) <= set(shown), "a runner for a command the docs no longer show"


@pytest.mark.parametrize("command", sorted(RUNNERS))
def test_the_command_runs_as_the_docs_say(
    sandbox: Sandbox, command: str, request: pytest.FixtureRequest
) -> None:
    if RUNNERS[command] is _archive:
        sandbox.archive = request.getfixturevalue("seaweed")
    RUNNERS[command](sandbox, command)
