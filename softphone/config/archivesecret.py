"""The archive's secret access key in the OS keyring (service "softphone-archive")."""

from __future__ import annotations

from typing import Final

import keyring.errors

from softphone.config.credentials import CredentialError, secure_backend

SERVICE: Final = "softphone-archive"


def store_secret(access_key_id: str, secret: str) -> None:
    """Store the secret key of `access_key_id` in the OS keyring (replacing an older one)."""
    if not secret.strip():
        raise CredentialError(f"refusing to store an empty secret key for {access_key_id}")
    backend = secure_backend()
    try:
        backend.set_password(SERVICE, access_key_id, secret)
    except keyring.errors.KeyringError as exc:
        raise CredentialError(
            f"the OS keyring could not store the archive secret key of {access_key_id}: {exc}"
        ) from None


def load_secret(access_key_id: str) -> str | None:
    """The stored secret key of `access_key_id`, or None (none stored, or no secure keyring)."""
    try:
        backend = secure_backend()
        secret = backend.get_password(SERVICE, access_key_id)
    except (CredentialError, keyring.errors.KeyringError):
        return None
    return None if secret is None else str(secret)
