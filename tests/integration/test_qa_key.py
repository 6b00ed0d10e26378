"""QA's age key in a real Secret Service: imported, told of, opening sealed recordings only.

Run through scripts/test.sh (a throwaway HOME and an unlocked gnome-keyring-daemon on a private
session bus), like test_credentials.py, whose fixtures fail these tests without one.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import keyring.errors
import pytest
import secretstorage
import soundfile as sf
from keyring.backend import KeyringBackend
from pyrage import x25519

from softphone.config.qakey import ENTRY, SERVICE
from softphone.recordings.store import recording_id
from softphone.vocabulary import exitcodes
from tests.integration.softphone_cli import REPO, child_env
from tests.integration.test_credentials import (
    PLAINTEXT,
    files_holding,
    secret_service,
    throwaway_home,
)
from tests.unit.test_recording_sealed import _frame, _record

pytestmark = pytest.mark.integration
__all__ = ["secret_service", "throwaway_home"]  # the fixtures these tests use


@pytest.fixture
def no_qa_key(secret_service: KeyringBackend, throwaway_home: Path) -> Iterator[None]:
    """Each test starts with no QA key in the keyring, and leaves none behind."""
    with suppress(keyring.errors.PasswordDeleteError):
        secret_service.delete_password(SERVICE, ENTRY)
    yield
    with suppress(keyring.errors.PasswordDeleteError):
        secret_service.delete_password(SERVICE, ENTRY)


def softphone(args: list[str], stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "softphone.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**child_env(), **env},
        timeout=60,
        check=False,
    )


def in_secret_service() -> list[str]:
    """What is stored under the QA entry, read with secretstorage, not through keyring."""
    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        items = collection.search_items({"service": SERVICE, "username": ENTRY})
        return [item.get_secret().decode() for item in items]


def test_a_qa_key_is_stored_only_in_the_keyring_and_never_printed(
    no_qa_key: None, tmp_path: Path
) -> None:
    identity = x25519.Identity.generate()
    secret, public = str(identity), str(identity.to_public())
    status = softphone(["qa", "key-status"])
    assert status.returncode == exitcodes.FAILED and "no QA key" in status.stdout
    key_file = tmp_path / "qa.key"
    key_file.write_text(f"# created: today\n# public key: {public}\n{secret}\n")
    done = softphone(["qa", "import-key", str(key_file)])
    assert done.returncode == exitcodes.OK, done.stderr
    key_file.unlink()
    again = softphone(["qa", "import-key", "--stdin"], stdin=secret + "\n")
    assert again.returncode == exitcodes.OK and "already" in again.stdout
    status = softphone(["qa", "key-status"])
    assert status.returncode == exitcodes.OK and public in status.stdout
    assert in_secret_service() == [secret]
    for run in (done, again, status):
        assert secret not in run.stdout + run.stderr
    assert files_holding(secret, Path.home(), tmp_path) == []


def test_a_plaintext_keyring_is_refused_for_the_qa_key(no_qa_key: None) -> None:
    secret = str(x25519.Identity.generate())
    done = softphone(["qa", "import-key", "--stdin"], secret, PYTHON_KEYRING_BACKEND=PLAINTEXT)
    assert done.returncode == exitcodes.KEYRING, done.stderr
    assert "no secure OS keyring" in done.stderr and secret not in done.stderr
    assert in_secret_service() == [] and files_holding(secret, Path.home()) == []


def test_export_of_a_sealed_recording_needs_the_qa_key(no_qa_key: None, tmp_path: Path) -> None:
    identity = x25519.Identity.generate()
    frames = [_frame(t) for t in range(50)]
    root = tmp_path / "recordings"
    root.mkdir()
    rid = recording_id(root, _record(root, frames, keys=(str(identity.to_public()),)))
    export = ["recordings", "export", rid, "--recordings", str(root)]
    refused = softphone([*export, "--to", str(tmp_path / "a.wav")])
    assert refused.returncode == exitcodes.FAILED
    assert "sealed: this recording is encrypted to QA's key" in refused.stderr
    assert "softphone qa import-key" in refused.stderr and not (tmp_path / "a.wav").exists()
    stranger = str(x25519.Identity.generate())
    assert softphone(["qa", "import-key", "--stdin"], stranger).returncode == exitcodes.OK
    wrong = softphone([*export, "--to", str(tmp_path / "b.wav")])
    assert wrong.returncode == exitcodes.FAILED and "does not open this recording" in wrong.stderr
    assert stranger not in wrong.stderr
    assert softphone(["qa", "import-key", "--stdin"], str(identity)).returncode == exitcodes.OK
    done = softphone([*export, "--to", str(tmp_path / "c.wav")])  # either key held: it opens
    assert done.returncode == exitcodes.OK, done.stderr
    data, rate = sf.read(tmp_path / "c.wav", dtype="int16")
    assert rate == 16000 and data.tobytes() == b"".join(frames)
    verify = softphone(["recordings", "verify", "--recordings", str(root)])
    assert verify.returncode == exitcodes.OK, verify.stdout + verify.stderr
