"""The configuration schema: admin policy dataclasses and the registry of user preferences."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from softphone.config.checks import (
    DEVICE,
    LANGUAGE_TAG,
    OPTIONAL_LANGUAGE_TAG,
    AbsolutePath,
    Choice,
    Flag,
    InvalidValueError,
    Text,
    ValueType,
    did_you_mean,
)
from softphone.config.problems import Problem

Transport = Literal["udp", "tcp", "tls"]
Srtp = Literal["off", "optional", "mandatory"]
Theme = Literal["system", "light", "dark"]
PreferenceValue = str | bool | Path

TRANSPORTS: Final[tuple[Transport, ...]] = ("udp", "tcp", "tls")
SRTP_MODES: Final[tuple[Srtp, ...]] = ("off", "optional", "mandatory")
THEMES: Final[tuple[Theme, ...]] = ("system", "light", "dark")
REGISTER_RETRY_S: Final = 30  # a lost registration is tried again this often by default
TLS_MIN_VERSION: Final = "1.2"  # not configurable: nothing older is safe, see docs/admin.md


def _frozen_map() -> Mapping[Any, Any]:
    return MappingProxyType({})


# --- the admin policy ---------------------------------------------------------------------


@dataclass(frozen=True)
class AccountPolicy:
    """A SIP account: registered with digest auth, or direct IP calls when `registrar` is None.

    The password is not here: it lives in the OS keyring under the account's `name`.
    `register_retry_s` is how long after a failed or lost registration it is tried again.
    """

    name: str
    registrar: str | None
    user: str
    auth_user: str
    domain: str | None
    transport: Transport = "tls"
    srtp: Srtp = "mandatory"
    outbound_proxy: str | None = None
    register_retry_s: int = REGISTER_RETRY_S

    @property
    def address_of_record(self) -> str | None:
        """sip:user@domain, or None for a direct-IP account without a domain."""
        return None if self.domain is None else f"sip:{self.user}@{self.domain}"


@dataclass(frozen=True)
class DisclosureLanguage:
    """The recording disclosure in one language: its evidence id, audio and purpose text."""

    id: str
    language: str
    audio: Path
    purpose: str


@dataclass(frozen=True)
class DisclosurePolicy:
    """The disclosures an agent may play; `default_language` is one of `languages`."""

    default_language: str
    languages: Mapping[str, DisclosureLanguage]

    def for_language(self, language: str) -> DisclosureLanguage:
        """The disclosure in `language` (a KeyError names the ones there are)."""
        try:
            return self.languages[language]
        except KeyError:
            raise KeyError(
                f"no disclosure in {language!r}; the policy has {', '.join(self.languages)}"
            ) from None


@dataclass(frozen=True)
class RecordingPolicy:
    """Where recordings go by default, how long they are kept, and which group may read them.

    Without `group` recordings are private to the agent who made them (folders 0700, files
    0600); with it, that group may read them (0750 and 0640), and no one else. With
    `pause_requires_reason` every privacy pause of a recording must say why. With `encrypt_to`
    (age public keys of QA) every new recording is encrypted to all of them; empty: plain WAV.
    """

    directory: Path
    retention_days: int = 90
    group: str | None = None
    pause_requires_reason: bool = False
    encrypt_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecurityPolicy:
    """TLS settings for SIP, and who may call a registered account directly.

    TLS 1.2 is the fixed minimum (`tls_min_version`). While an account is registered, an
    incoming call is taken only from its registrar, its outbound proxy or `trusted_hosts`
    (host names, IP addresses or CIDR networks); anyone else gets 403 Forbidden.
    """

    tls_verify_server: bool = True
    ca_file: Path | None = None
    acknowledge_unverified_tls: bool = False
    tls_min_version: str = TLS_MIN_VERSION
    trusted_hosts: tuple[str, ...] = ()


RTP_TIMEOUT_S: Final = 30


@dataclass(frozen=True)
class MediaPolicy:
    """How the call's audio is watched.

    `rtp_timeout_s`: a call whose other side sends no RTP for this long, while its media says
    it should, is ended as dead (the recording is finished and says why); 0 never ends one.
    """

    rtp_timeout_s: int = RTP_TIMEOUT_S


@dataclass(frozen=True)
class CallsPolicy:
    """What the other side of a call may do with it.

    `allow_incoming_transfer`: follow the other side's transfer requests (a REFER, an INVITE with
    Replaces): the softphone then calls whoever the other side names. Off, they are declined.
    """

    allow_incoming_transfer: bool = False


@dataclass(frozen=True)
class QaPolicy:
    """Who reviews recordings: `reviewers` (logins) see the QA view in the agent's window.

    It only shows the way: reading the recordings takes the file permissions (recording.group)
    and, for sealed ones, a QA key in the reviewer's keyring.
    """

    reviewers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArchivePolicy:
    """The S3-compatible object store finished recordings are uploaded to (docs/admin.md).

    `endpoint` None means AWS S3 itself. The secret key is not here: it lives in the OS keyring
    (`softphone archive set-secret`) or comes from the standard AWS credential chain.
    `keep_local_days`: an archived recording's local copy is removed that many days after its
    call (None: kept until retention). `object_lock_days`: when above 0, each object is locked
    (COMPLIANCE mode) for that many days, on servers that support it.
    """

    bucket: str
    endpoint: str | None = None
    prefix: str = ""
    region: str | None = None
    access_key_id: str | None = None
    verify_tls: bool = True
    ca_file: Path | None = None
    keep_local_days: int | None = None
    object_lock_days: int = 0


@dataclass(frozen=True)
class Policy:
    """The admin policy in force: accounts, disclosure, recording, security, media, locks.

    `preferences` are the admin's values for user preferences (by key, such as "ui.theme");
    `locked` names the preferences users may not change. `source` is the file (None for the
    built-in policy), `origin` how it was found, `explicit` the keys the file set itself.
    """

    accounts: tuple[AccountPolicy, ...]
    disclosure: DisclosurePolicy
    recording: RecordingPolicy
    security: SecurityPolicy = SecurityPolicy()
    calls: CallsPolicy = CallsPolicy()
    media: MediaPolicy = MediaPolicy()
    qa: QaPolicy = QaPolicy()
    archive: ArchivePolicy | None = None
    preferences: Mapping[str, PreferenceValue] = field(default_factory=_frozen_map)
    locked: frozenset[str] = frozenset()
    allow_policy_override: bool = False
    source: Path | None = None
    origin: str = "built-in"
    explicit: frozenset[str] = frozenset()
    warnings: tuple[Problem, ...] = ()

    def account(self, name: str) -> AccountPolicy | None:
        """The account called `name`, or None."""
        return next((a for a in self.accounts if a.name == name), None)

    def describe(self) -> str:
        """'policy /etc/softphone/policy.toml' or 'the built-in policy', for messages."""
        return "the built-in policy" if self.source is None else f"policy {self.source}"


# --- the user preferences -----------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One user preference: its key, type, default and what an admin may do with it.

    A `default` of None means the default comes from the policy, set there at `policy_key`
    (for example the disclosure language comes from disclosure.default_language).
    """

    key: str
    type: ValueType[Any]
    default: PreferenceValue | None
    description: str
    lockable: bool = True
    restart_needed: bool = False
    policy_key: str | None = None

    @property
    def group(self) -> str:
        """The table it lives in: "audio" for "audio.input_device"."""
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The key inside its table: "input_device" for "audio.input_device"."""
        return self.key.split(".", 1)[1]

    @property
    def admin_key(self) -> str:
        """Where an admin sets this preference in the policy file."""
        return self.policy_key or self.key


_ACCOUNT_OR_NONE = Text(
    'the name of one of the policy\'s accounts, or "" for direct IP calls',
    pattern=re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*"),
)

_DEVICE_NOTE = "Device names differ per workstation, so admins cannot lock them."

SETTINGS: Final[Mapping[str, Setting]] = MappingProxyType(
    {
        s.key: s
        for s in (
            Setting(
                "audio.input_device",
                DEVICE,
                "",
                f'Microphone for calls ("" = the system default). {_DEVICE_NOTE}',
                lockable=False,
            ),
            Setting(
                "audio.output_device",
                DEVICE,
                "",
                f'Speaker or headset for calls ("" = the system default). {_DEVICE_NOTE}',
                lockable=False,
            ),
            Setting(
                "audio.ringer_device",
                DEVICE,
                "",
                f'Device that rings for incoming calls ("" = the system default). {_DEVICE_NOTE}',
                lockable=False,
            ),
            Setting("ui.theme", Choice(THEMES), "system", "Colour theme of the window."),
            Setting(
                "ui.language",
                OPTIONAL_LANGUAGE_TAG,
                "",
                'Language of the window ("" = the system language).',
                restart_needed=True,
            ),
            Setting(
                "calls.default_account",
                _ACCOUNT_OR_NONE,
                "",
                'Account used for outgoing calls ("" = the first account of the policy, or '
                "direct IP calls when it has none).",
            ),
            Setting(
                "calls.auto_answer",
                Flag(),
                False,
                "Answer incoming calls without a click (the disclosure still plays first).",
            ),
            Setting(
                "disclosure.language",
                LANGUAGE_TAG,
                None,
                "Language of the disclosure this agent plays by default; one of the policy's "
                "disclosure languages. Its default is the policy's disclosure.default_language.",
                policy_key="disclosure.default_language",
            ),
            Setting(
                "recording.directory",
                AbsolutePath(),
                None,
                "Directory recordings are written to; it must exist and be writable. Its default "
                "is the policy's [recording] directory; admins usually lock it.",
            ),
        )
    }
)


def lookup_setting(key: str) -> Setting:
    """The preference called `key`, or `InvalidValueError` with a suggestion."""
    try:
        return SETTINGS[key]
    except KeyError:
        raise InvalidValueError(
            f"{key}: unknown preference{did_you_mean(key, list(SETTINGS))}"
        ) from None
