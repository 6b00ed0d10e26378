"""SIP passwords in a real Secret Service (gnome-keyring on a private D-Bus), and nowhere else.

Run through scripts/test.sh, which gives this process a throwaway HOME and an unlocked
gnome-keyring-daemon on a private session bus. Without a real Secret Service these tests fail
with a message saying so; they never skip.
"""

from __future__ import annotations

import importlib.util
import os
import pty
import pwd
import secrets
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import keyring
import keyring.core
import pytest
import secretstorage
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

from softphone.config.credentials import (
    SERVICE,
    KeyringUnavailableError,
    PasswordNotFoundError,
    backend_name,
    delete_password,
    load_password,
    secure_backend,
    store_password,
)
from tests.integration.softphone_cli import REPO, child_env
from tests.unit.test_config_support import Files, example_policy, make_files

pytestmark = pytest.mark.integration

SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"
DRIVER = """\
import logging, sys
logging.basicConfig(level=logging.DEBUG)  # whatever is logged must not hold the password
from softphone.config.commands import main
code = main(sys.argv[1:])
assert "pjsua2" not in sys.modules, "the config commands must not load the SIP engine"
sys.exit(code)
"""


@pytest.fixture(scope="module")
def secret_service() -> KeyringBackend:
    """The real Secret Service of the private D-Bus session; fails the test without it."""
    how = (
        "run the tests with `bash scripts/test.sh`, which starts dbus-run-session and an "
        "unlocked gnome-keyring-daemon (Debian packages dbus and gnome-keyring)"
    )
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.fail(f"no D-Bus session bus, so no real Secret Service: {how}")
    try:
        backend = secure_backend()
    except KeyringUnavailableError as exc:
        pytest.fail(f"no real Secret Service: {exc}\n{how}")
    if backend_name(backend) != SECRET_SERVICE:
        pytest.fail(f"expected the Secret Service, got {backend_name(backend)}: {how}")
    return backend


@pytest.fixture(scope="module")
def throwaway_home() -> Path:
    """HOME, which these tests search for the password: it must not be a real user's."""
    home = Path.home()
    if home.resolve() == Path(pwd.getpwuid(os.getuid()).pw_dir).resolve():
        pytest.fail(f"HOME is the real home {home}; run through `bash scripts/test.sh`")
    return home


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return make_files(tmp_path)


@pytest.fixture
def restore_backend() -> Iterator[None]:
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def new_password() -> str:
    return f"Pw-{secrets.token_urlsafe(18)}-é€"


def run_commands(
    args: list[str], stdin: str, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**child_env(), **env},
        timeout=60,
        check=False,
    )


def files_holding(secret: str, *roots: Path) -> list[Path]:
    """Every regular file under `roots` whose bytes contain `secret` (UTF-8 or UTF-16)."""
    needles = [secret.encode(), secret.encode("utf-16-le")]
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(n in data for n in needles):
                    found.append(path)
    return found


def searched_dirs(files: Files) -> list[Path]:
    names = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
    dirs = [Path.home(), files.root, *(Path(os.environ[n]) for n in names if n in os.environ)]
    return [d for d in dirs if d.exists()]


def in_secret_service(account: str) -> list[str]:
    """The secrets stored for `account`, read with secretstorage, not through keyring."""
    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        items = collection.search_items({"service": SERVICE, "username": account})
        return [item.get_secret().decode() for item in items]


def test_a_password_round_trips_through_the_secret_service(
    secret_service: KeyringBackend, throwaway_home: Path, files: Files
) -> None:
    account, password = f"it-{secrets.token_hex(4)}", new_password()
    store_password(account, password)
    try:
        assert load_password(account) == password
        assert in_secret_service(account) == [password]
        store_password(account, password + "2")  # replaces, never duplicates
        assert in_secret_service(account) == [password + "2"]
    finally:
        delete_password(account)
    assert in_secret_service(account) == []
    with pytest.raises(PasswordNotFoundError, match=f"softphone account set-password {account}"):
        load_password(account)
    with pytest.raises(PasswordNotFoundError):
        delete_password(account)
    assert files_holding(password, *searched_dirs(files)) == []


def test_set_password_from_stdin_stores_it_only_in_the_keyring(
    secret_service: KeyringBackend, throwaway_home: Path, files: Files
) -> None:
    policy = example_policy(files)
    password = new_password()
    done = run_commands(
        ["account", "set-password", "office", "--stdin", "--policy", str(policy)],
        password + "\n",
        files.root,
    )
    try:
        assert done.returncode == 0, done.stderr
        assert done.stdout == (
            f"stored the SIP password of account office in the OS keyring ({SECRET_SERVICE})\n"
        )
        assert load_password("office") == password
        shown = run_commands(["config", "show", "--policy", str(policy), "--json"], "", files.root)
        assert shown.returncode == 0, shown.stderr
        for output in (done.stdout, done.stderr, shown.stdout, shown.stderr):
            assert password not in output
        assert files_holding(password, *searched_dirs(files), policy) == []
    finally:
        delete_password("office")


def test_set_password_from_the_terminal_asks_twice(
    secret_service: KeyringBackend, throwaway_home: Path, files: Files
) -> None:
    policy = example_policy(files)
    password = new_password()
    args = ["account", "set-password", "lab", "--policy", str(policy)]
    transcript, status = _in_a_terminal(args, [password, password], files.root)
    try:
        assert status == 0, transcript
        assert "SIP password for account lab: " in transcript
        assert "Type it again: " in transcript
        assert password not in transcript  # getpass does not echo
        assert load_password("lab") == password
    finally:
        delete_password("lab")
    transcript, status = _in_a_terminal(args, [password, password + "x"], files.root)
    assert status == 2 and "the two passwords differ; nothing was stored" in transcript
    assert in_secret_service("lab") == []


def _in_a_terminal(args: list[str], answers: list[str], cwd: Path) -> tuple[str, int]:
    """Run the commands on a pseudo-terminal, typing each answer after each prompt."""
    env = {**child_env(), "TERM": "dumb"}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-c", DRIVER, *args], env)
    output = b""
    deadline = time.monotonic() + 60
    pending = list(answers)
    prompts = (b"SIP password for account", b"Type it again: ")
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                # Answer a prompt only once it is shown: getpass flushes what was typed earlier.
                while pending and sum(map(output.count, prompts)) > len(answers) - len(pending):
                    os.write(fd, pending.pop(0).encode() + b"\n")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return output.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def test_a_chain_with_plaintext_backends_uses_only_the_secret_service(
    secret_service: KeyringBackend, throwaway_home: Path, files: Files, restore_backend: None
) -> None:
    _require_keyrings_alt()
    chain_backend = keyring.core.load_keyring("keyring.backends.chainer.ChainerBackend")
    assert isinstance(chain_backend, ChainerBackend)
    keyring.set_keyring(chain_backend)
    chain = [backend_name(b) for b in chain_backend.backends]
    assert SECRET_SERVICE in chain and PLAINTEXT in chain, chain
    assert backend_name(secure_backend()) == SECRET_SERVICE
    account, password = f"chain-{secrets.token_hex(4)}", new_password()
    store_password(account, password)
    try:
        assert in_secret_service(account) == [password]
    finally:
        delete_password(account)
    assert files_holding(password, *searched_dirs(files)) == []


def test_a_plaintext_backend_is_refused_in_process(restore_backend: None) -> None:
    _require_keyrings_alt()
    keyring.set_keyring(keyring.core.load_keyring(PLAINTEXT))
    with pytest.raises(KeyringUnavailableError) as info:
        store_password("office", new_password())
    message = str(info.value)
    assert f"{PLAINTEXT} (it stores passwords in a plaintext file)" in message
    assert "apt-get install gnome-keyring" in message


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        (PLAINTEXT, "it stores passwords in a plaintext file"),
        ("keyrings.alt.file.EncryptedKeyring", "it stores passwords in a file, not in the OS"),
        ("keyring.backends.fail.Keyring", "keyring found no usable OS keyring"),
        ("keyring.backends.null.Keyring", "it stores nothing"),
    ],
)
def test_refused_backends_store_nothing_and_say_what_to_install(
    throwaway_home: Path, files: Files, backend: str, why: str
) -> None:
    if backend.startswith("keyrings.alt"):
        _require_keyrings_alt()
    password = new_password()
    done = run_commands(
        ["account", "set-password", "office", "--stdin", "--policy", str(example_policy(files))],
        password + "\n",
        files.root,
        PYTHON_KEYRING_BACKEND=backend,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("softphone: no secure OS keyring to store SIP passwords in: ")
    assert "Traceback" not in done.stderr
    if backend == "keyrings.alt.file.EncryptedKeyring" and "cannot load" in done.stderr:
        # Without pycryptodome keyring cannot even load it; the softphone says so, and why
        # it would refuse it anyway.
        assert f"cannot load {backend}, the backend PYTHON_KEYRING_BACKEND selects" in done.stderr
        assert f"the softphone would refuse it anyway: {why}" in done.stderr
    else:
        assert f"the keyring backend found is {backend} ({why}), which the softphone" in (
            done.stderr
        )
    assert "install gnome-keyring" in done.stderr
    assert password not in done.stdout + done.stderr
    assert files_holding(password, *searched_dirs(files)) == []


def _require_keyrings_alt() -> None:
    if importlib.util.find_spec("keyrings") is None or not _has_keyrings_alt():
        pytest.fail(
            "keyrings.alt is not installed: add it to the test extra; these tests prove that "
            f"its plaintext backend is refused (see {REPO / 'pyproject.toml'})"
        )


def _has_keyrings_alt() -> bool:
    return importlib.util.find_spec("keyrings.alt") is not None
