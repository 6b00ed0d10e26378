"""Which keyring backends are refused, and why, without touching any real keyring."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService
from keyring.backends.chainer import ChainerBackend
from keyring.core import load_keyring

from softphone.config.credentials import (
    ACCEPTED,
    CredentialError,
    KeyringUnavailableError,
    install_hint,
    secure_backend,
    store_password,
)

FAIL, NULL = "keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"


@pytest.fixture
def use_backend() -> Iterator[None]:
    """Restore the process's keyring backend after the test changes it."""
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def refusal(backend: KeyringBackend) -> str:
    keyring.set_keyring(backend)
    with pytest.raises(KeyringUnavailableError) as info:
        secure_backend()
    return str(info.value)


def test_the_fail_backend_is_refused_with_what_to_install(use_backend: None) -> None:
    message = refusal(load_keyring(FAIL))
    assert message.startswith(
        "no secure OS keyring to store SIP passwords in: the keyring backend found is "
        "keyring.backends.fail.Keyring (keyring found no usable OS keyring), which the softphone "
        "refuses (passwords must never be stored in plaintext)."
    )
    assert "install gnome-keyring (apt-get install gnome-keyring)" in message
    assert "KWallet" in message


def test_the_null_backend_is_refused(use_backend: None) -> None:
    assert "keyring.backends.null.Keyring (it stores nothing)" in refusal(load_keyring(NULL))


def test_a_chain_without_an_os_keyring_is_refused(
    use_backend: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ChainerBackend, "backends", [load_keyring(NULL), load_keyring(FAIL)])
    message = refusal(load_keyring("keyring.backends.chainer.ChainerBackend"))
    assert "the keyring backend found is a chain of keyring.backends.null.Keyring (it stores " in (
        message
    )
    assert "keyring.backends.fail.Keyring (keyring found no usable OS keyring)" in message


def test_an_os_keyring_that_cannot_work_here_is_refused_with_its_reason(
    use_backend: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    message = refusal(SecretService.Keyring())  # type: ignore[no-untyped-call]
    assert (
        "keyring.backends.SecretService.Keyring is not usable: Unable to initialize "
        "SecretService: Environment variable DBUS_SESSION_BUS_ADDRESS is unset" in message
    )
    assert "there is no D-Bus session bus here (DBUS_SESSION_BUS_ADDRESS is not set)" in message


def test_install_hints_per_platform() -> None:
    assert "Credential Manager" in install_hint("win32")
    assert "Keychain" in install_hint("darwin")
    assert "gnome-keyring" in install_hint("linux")
    for platform in ("win32", "darwin", "linux"):
        assert "keyrings.alt" in install_hint(platform)


def test_the_allow_list_names_only_os_keyrings() -> None:
    assert all(name.startswith("keyring.backends.") for name in ACCEPTED)
    assert not any(part in name for name in ACCEPTED for part in ("fail", "null", "chainer"))


def test_an_empty_password_is_refused_before_any_keyring_is_asked(use_backend: None) -> None:
    keyring.set_keyring(load_keyring(NULL))
    with pytest.raises(CredentialError, match="refusing to store an empty password for account x"):
        store_password("x", "")


def test_a_backend_keyring_cannot_load_is_reported_not_raised(
    use_backend: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_load() -> KeyringBackend:
        raise RuntimeError("pycryptodome/x required")

    monkeypatch.setattr(keyring, "get_keyring", cannot_load)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.EncryptedKeyring")
    with pytest.raises(KeyringUnavailableError) as info:
        secure_backend()
    assert str(info.value).startswith(
        "no secure OS keyring to store SIP passwords in: keyring cannot load "
        "keyrings.alt.file.EncryptedKeyring, the backend PYTHON_KEYRING_BACKEND selects "
        "(RuntimeError: pycryptodome/x required); the softphone would refuse it anyway: it "
        "stores passwords in a file, not in the OS keyring"
    )
