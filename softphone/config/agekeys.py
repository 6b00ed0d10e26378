"""age X25519 keys: the policy's public keys (recipients) and QA's secret keys (identities)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import pyrage
from pyrage import x25519

from softphone.config.checks import InvalidValueError, ValueType, show


def parse_recipients(texts: Iterable[str]) -> list[Any]:
    """The age X25519 recipients `texts` name; ValueError naming the first one that is not one."""
    recipients = []
    for text in texts:
        if text.strip().upper().startswith("AGE-SECRET-KEY-"):
            raise ValueError(
                "a secret key (AGE-SECRET-KEY-...) is given where a public key belongs: remove "
                "it from the policy now and give its public key (age1..., `age-keygen -y`)"
            )
        try:
            recipients.append(x25519.Recipient.from_str(text))
        except (pyrage.RecipientError, ValueError) as exc:
            raise ValueError(
                f'"{text}" is not an age X25519 public key (age1... as `age-keygen -y` prints '
                f"it): {exc}"
            ) from None
    return recipients


def parse_identity(text: str) -> Any:
    """The age X25519 identity in `text` (AGE-SECRET-KEY-1...); ValueError that never quotes it."""
    try:
        return x25519.Identity.from_str(text.strip())
    except (pyrage.IdentityError, ValueError):
        raise ValueError(
            "that is not an age X25519 secret key (one line AGE-SECRET-KEY-1..., as "
            "`age-keygen` writes it)"
        ) from None


def public_key(identity: Any) -> str:
    """The age1... public key of an identity."""
    return str(identity.to_public())


def fingerprint(recipient: str) -> str:
    """A short, stable name of a public key for metadata and messages (not secret)."""
    return "sha256:" + hashlib.sha256(recipient.strip().encode()).hexdigest()[:16]


class AgeRecipients(ValueType[tuple[str, ...]]):
    """An array of age X25519 public keys (recording.encrypt_to); each must parse."""

    expected = 'an array of age public keys such as ["age1..."] (empty: no encryption)'

    def check(self, value: object) -> tuple[str, ...]:
        """The keys in order, without repeats; InvalidValueError naming the first bad one."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidValueError(f"expected {self.expected}, got {show(value)}")
        keys = tuple(dict.fromkeys(v.strip() for v in value))
        try:
            parse_recipients(keys)
        except ValueError as exc:
            raise InvalidValueError(str(exc)) from None
        return keys
