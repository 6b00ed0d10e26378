"""SIP passwords in the OS keyring, and only there: plaintext or failing backends are refused.

Which backend is acceptable is decided by its class, against an allow-list of the OS keyrings:
the Secret Service (GNOME Keyring, KeePassXC...) directly or through libsecret, KWallet, the
Windows Credential Manager and the macOS Keychain. Everything else is refused, in particular
keyrings.alt's file backends (plaintext or encrypted with a key file next to it), the `fail`
backend (keyring found nothing) and the `null` backend (stores nothing).

keyring's chainer backend, which keyring picks when several backends are installed, is never used
as it is: it would fall through to a plaintext file when the OS keyring does not answer. Instead
the highest-priority acceptable backend in the chain is used directly, and when the chain has
none, it is refused like any other backend.

Passwords are stored under the service name "softphone" with the account's name as user name.
They are never logged, and never written anywhere else.
"""

from __future__ import annotations

import os
import sys
from typing import Final

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

SERVICE: Final = "softphone"

ACCEPTED: Final = frozenset(
    {
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
        "keyring.backends.kwallet.DBusKeyringKWallet4",
        "keyring.backends.Windows.WinVaultKeyring",
        "keyring.backends.macOS.Keyring",
    }
)

_WHY_REFUSED: Final = {
    "keyring.backends.fail.Keyring": "keyring found no usable OS keyring",
    "keyring.backends.null.Keyring": "it stores nothing",
    "keyrings.alt.file.PlaintextKeyring": "it stores passwords in a plaintext file",
    "keyrings.alt.file.EncryptedKeyring": (
        "it stores passwords in a file, not in the OS keyring, and asks for a key at each start"
    ),
}


class CredentialError(Exception):
    """A password cannot be stored, found or removed; the message says what to do."""


class KeyringUnavailableError(CredentialError):
    """No acceptable OS keyring: the message names the backend found and what to install."""


class PasswordNotFoundError(CredentialError):
    """No password is stored for the account."""


def backend_name(backend: KeyringBackend) -> str:
    """The backend's class as module.Class, such as keyring.backends.SecretService.Keyring."""
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def secure_backend() -> KeyringBackend:
    """The OS keyring backend to use, or `KeyringUnavailableError` saying why there is none."""
    chosen = _configured_backend()
    candidates = list(chosen.backends) if isinstance(chosen, ChainerBackend) else [chosen]
    unusable: list[str] = []
    for backend in candidates:
        if backend_name(backend) not in ACCEPTED:
            continue
        reason = _not_viable(backend)
        if reason is None:
            return backend
        unusable.append(f"{backend_name(backend)} is not usable: {reason}")
    raise KeyringUnavailableError(_refusal(chosen, candidates, unusable))


def _configured_backend() -> KeyringBackend:
    """keyring's backend; loading one named by PYTHON_KEYRING_BACKEND can fail in any way."""
    try:
        return keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - keyring passes on whatever a backend raises
        named = os.environ.get("PYTHON_KEYRING_BACKEND", "")
        selected = (
            f"{named}, the backend PYTHON_KEYRING_BACKEND selects"
            if named
            else "the backend selected in keyring's keyringrc.cfg"
        )
        refused = (
            f"; the softphone would refuse it anyway: {_WHY_REFUSED[named]}"
            if named in _WHY_REFUSED
            else ""
        )
        raise KeyringUnavailableError(
            "no secure OS keyring to store SIP passwords in: keyring cannot load "
            f"{selected} ({type(exc).__name__}: {exc}){refused}.\n{install_hint()}"
        ) from None


def _not_viable(backend: KeyringBackend) -> str | None:
    """Why a backend set explicitly (PYTHON_KEYRING_BACKEND) cannot work here, or None."""
    try:
        priority = type(backend).priority
    except Exception as exc:  # noqa: BLE001 - keyring reports non-viability by any exception
        return str(exc) or type(exc).__name__
    return None if priority > 0 else "keyring rates it unusable here"


def _refusal(chosen: KeyringBackend, candidates: list[KeyringBackend], unusable: list[str]) -> str:
    names = [backend_name(b) for b in candidates] or [backend_name(chosen)]
    found = ", ".join(
        f"{name} ({_WHY_REFUSED[name]})" if name in _WHY_REFUSED else name for name in names
    )
    if isinstance(chosen, ChainerBackend):
        found = f"a chain of {found or 'no backends'}"
    lines = [
        f"no secure OS keyring to store SIP passwords in: the keyring backend found is {found}, "
        "which the softphone refuses (passwords must never be stored in plaintext).",
        *unusable,
        install_hint(),
    ]
    return "\n".join(lines)


def install_hint(platform: str | None = None) -> str:
    """What to install or configure on `platform` (default: this one) for a secure keyring."""
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return (
            "On Windows the Credential Manager backend is built into keyring: make sure "
            "PYTHON_KEYRING_BACKEND and keyringrc.cfg do not select another backend, and "
            "uninstall keyrings.alt if it is installed."
        )
    if platform == "darwin":
        return (
            "On macOS the Keychain backend is built into keyring: make sure "
            "PYTHON_KEYRING_BACKEND and keyringrc.cfg do not select another backend, and "
            "uninstall keyrings.alt if it is installed."
        )
    bus = (
        "a D-Bus session bus is running"
        if os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        else "there is no D-Bus session bus here (DBUS_SESSION_BUS_ADDRESS is not set)"
    )
    return (
        "On Debian or Ubuntu install gnome-keyring (apt-get install gnome-keyring) and run the "
        "softphone in a desktop session whose login unlocks the keyring, or use KDE's KWallet; "
        f"both need a D-Bus session bus, and {bus}. Uninstall keyrings.alt if it is installed, "
        "or select the Secret Service with "
        "PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring."
    )


def store_password(account: str, password: str) -> None:
    """Store `password` for `account` in the OS keyring (replacing an older one)."""
    if not password:
        raise CredentialError(f"refusing to store an empty password for account {account}")
    backend = secure_backend()
    try:
        backend.set_password(SERVICE, account, password)
    except keyring.errors.KeyringError as exc:
        raise _failed("store the password of", account, backend, exc) from None


def load_password(account: str) -> str:
    """The password stored for `account`; `PasswordNotFoundError` when there is none."""
    backend = secure_backend()
    try:
        password = backend.get_password(SERVICE, account)
    except keyring.errors.KeyringError as exc:
        raise _failed("read the password of", account, backend, exc) from None
    if password is None:
        raise PasswordNotFoundError(
            f"no SIP password is stored for account {account} in the OS keyring "
            f"({backend_name(backend)}); store it with: softphone account set-password {account}"
        )
    return password


def delete_password(account: str) -> None:
    """Remove the password of `account`; `PasswordNotFoundError` when there is none."""
    backend = secure_backend()
    try:
        backend.delete_password(SERVICE, account)
    except keyring.errors.PasswordDeleteError:
        raise PasswordNotFoundError(
            f"no SIP password is stored for account {account} in the OS keyring "
            f"({backend_name(backend)})"
        ) from None
    except keyring.errors.KeyringError as exc:
        raise _failed("remove the password of", account, backend, exc) from None


def _failed(
    action: str, account: str, backend: KeyringBackend, exc: keyring.errors.KeyringError
) -> KeyringUnavailableError:
    locked = isinstance(exc, keyring.errors.KeyringLocked)
    advice = (
        "the keyring is locked: unlock it (log in to the desktop session) and try again"
        if locked
        else f"{type(exc).__name__}: {exc}"
    )
    return KeyringUnavailableError(
        f"could not {action} account {account} in the OS keyring ({backend_name(backend)}): "
        f"{advice}"
    )
