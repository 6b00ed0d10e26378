"""QA's age secret keys, which open sealed recordings, in the OS keyring and nowhere else.

They are stored together (one per line, so an old recording stays readable with the key it was
sealed to after a rotation) under the service "softphone-qa", through the same secure-backend
guard as SIP passwords; a plaintext or failing keyring is refused. They are never printed or
logged: messages name a key by its public key's fingerprint.
"""

from __future__ import annotations

from typing import Final

import keyring.errors

from softphone.config.agekeys import fingerprint, parse_identity, public_key
from softphone.config.credentials import KeyringUnavailableError, backend_name, secure_backend

SERVICE: Final = "softphone-qa"
ENTRY: Final = "age-identities"


def load_identities() -> list[str]:
    """Every QA secret key in the OS keyring (none: an empty list)."""
    backend = secure_backend()
    try:
        stored = backend.get_password(SERVICE, ENTRY)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailableError(
            f"could not read the QA keys from the OS keyring ({backend_name(backend)}): "
            f"{type(exc).__name__}: {exc}"
        ) from None
    return [line for line in (stored or "").splitlines() if line.strip()]


def import_identity(text: str) -> tuple[str, bool]:
    """Add the secret key `text` to the keyring; its public key, and False if it was there."""
    identity = parse_identity(text)
    public = public_key(identity)
    held = load_identities()
    if public in {public_key(parse_identity(k)) for k in held}:
        return public, False
    backend = secure_backend()
    try:
        backend.set_password(SERVICE, ENTRY, "\n".join([*held, str(identity)]))
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailableError(
            f"could not store the QA key {fingerprint(public)} in the OS keyring "
            f"({backend_name(backend)}): {type(exc).__name__}: {exc}"
        ) from None
    return public, True


def public_keys() -> list[str]:
    """The public keys of the QA secret keys in the keyring (safe to show)."""
    return [public_key(parse_identity(k)) for k in load_identities()]
