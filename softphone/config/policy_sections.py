"""Read each section of an admin policy into its dataclass, recording every problem."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from softphone.config.agekeys import AgeRecipients
from softphone.config.audiocheck import disclosure_audio_problem
from softphone.config.checks import (
    ACCOUNT_NAME,
    GROUP_NAME,
    HOST,
    LANGUAGE_TAG,
    NON_EMPTY,
    SIP_URI,
    SIP_USER,
    AbsolutePath,
    Choice,
    Flag,
    HostsOrNetworks,
    Integer,
    InvalidValueError,
    Logins,
    Prose,
    sip_uri_parts,
)
from softphone.config.filechecks import (
    ca_file_problem,
    group_problem,
    writable_directory_problem,
)
from softphone.config.reader import TableReader
from softphone.config.schema import (
    SRTP_MODES,
    TLS_MIN_VERSION,
    TRANSPORTS,
    AccountPolicy,
    CallsPolicy,
    DisclosureLanguage,
    DisclosurePolicy,
    MediaPolicy,
    QaPolicy,
    RecordingPolicy,
    SecurityPolicy,
    Srtp,
    Transport,
)

RETENTION_DAYS = Integer(1, 36500, " of days")
RTP_TIMEOUT = Integer(0, 3600, " of seconds (0: never)")

SDES_IN_CLEAR = (
    "SRTP keys are exchanged in the SDP (SDES), which travels in clear text over {transport}, "
    "so anyone who sees the signalling can decrypt the audio"
)


def read_accounts(root: TableReader) -> tuple[AccountPolicy, ...]:
    """All [[accounts]]; names must be unique (case-insensitively: they name keyring entries)."""
    accounts: list[AccountPolicy] = []
    first_seen: dict[str, int] = {}
    for table in root.array_of_tables("accounts"):
        index = cast(int, table.path[-1])
        name, account = _read_account(table)
        if name is not None:
            earlier = first_seen.setdefault(name.lower(), index)
            if earlier != index:
                table.out.error(
                    table.at("name"),
                    f'duplicate account name "{name}": accounts[{earlier}] has it already; '
                    "every account needs its own name (it also names its password in the keyring)",
                )
                continue
        if account is not None:
            accounts.append(account)
    return tuple(accounts)


def _read_account(t: TableReader) -> tuple[str | None, AccountPolicy | None]:
    errors_before = len(t.out.errors)
    name = t.value("name", ACCOUNT_NAME, required=True, what="it names the account everywhere")
    registrar = t.value("registrar", SIP_URI)
    user = t.value("user", SIP_USER, required=True, what="the user part of the address of record")
    auth_user = t.value("auth_user", SIP_USER)
    domain = t.value("domain", HOST)
    transport = cast(Transport | None, t.value("transport", Choice(TRANSPORTS)))
    srtp = cast(Srtp | None, t.value("srtp", Choice(SRTP_MODES)))
    proxy = t.value("outbound_proxy", SIP_URI)
    t.report_unknown()
    srtp_default = not t.has("srtp")
    transport = transport or "tls"
    srtp = srtp or "mandatory"
    _check_uri_transport(t, "registrar", registrar, transport)
    _check_uri_transport(t, "outbound_proxy", proxy, transport)
    if srtp == "mandatory" and transport != "tls":
        risk = SDES_IN_CLEAR.format(transport=transport)
        t.out.error(
            t.at("srtp"),
            f'"mandatory"{" (the default)" * srtp_default} needs transport = "tls", got '
            f'transport = "{transport}": {risk}; set transport = "tls" (or, if this PBX '
            'cannot do TLS, choose srtp = "off" explicitly)',
        )
    elif srtp == "optional" and transport != "tls":
        risk = SDES_IN_CLEAR.format(transport=transport)
        t.out.warning(t.at("srtp"), f'"optional" over transport = "{transport}": {risk}')
    if len(t.out.errors) > errors_before or name is None or user is None:
        return name, None
    if domain is None and registrar is not None:
        domain = sip_uri_parts(registrar)[1]
    account = AccountPolicy(
        name=name,
        registrar=registrar,
        user=user,
        auth_user=auth_user or user,
        domain=domain,
        transport=transport,
        srtp=srtp,
        outbound_proxy=proxy,
    )
    return name, account


def _check_uri_transport(t: TableReader, key: str, uri: str | None, transport: str) -> None:
    if uri is None:
        return
    try:
        scheme, _host, params = sip_uri_parts(uri)
    except InvalidValueError:  # pragma: no cover - the URI passed SIP_URI already
        return
    if scheme == "sips" and transport != "tls":
        t.out.error(
            t.at("transport"),
            f'expected "tls" because {key} is a sips: URI, got "{transport}"',
        )
    for param in params.lower().replace("?", ";").split(";"):
        name, _, value = param.partition("=")
        if name == "transport" and value and value != transport:
            t.out.error(
                t.at(key),
                f'the URI says transport={value} but the account has transport = "{transport}"; '
                "make them agree (or drop the URI parameter)",
            )


def read_disclosure(root: TableReader) -> DisclosurePolicy | None:
    """[disclosure]: the default language and one [disclosure.languages.X] table per language."""
    t = root.table_at(
        "disclosure", required=True, what="the recording disclosure played when a call starts"
    )
    if t is None:
        return None
    default = t.value(
        "default_language", LANGUAGE_TAG, required=True, what="one of [disclosure.languages]"
    )
    tables = t.table_at(
        "languages", required=True, what="one [disclosure.languages.XX] table per language"
    )
    t.report_unknown(
        {
            "language": "is the agents' preference; in the policy set "
            'disclosure.default_language, and lock it with locked = ["disclosure.language"]'
        }
    )
    if tables is None:
        return None
    languages: dict[str, DisclosureLanguage] = {}
    ids: dict[str, str] = {}
    for language in list(tables.table):
        entry = _read_language(tables, language)
        if entry is None:
            continue
        if entry.id in ids:
            tables.out.error(
                (*tables.at(language), "id"),
                f'duplicate disclosure id "{entry.id}": languages {ids[entry.id]} has it '
                "already; each recording's evidence must name exactly one disclosure",
            )
            continue
        ids[entry.id] = language
        languages[language] = entry
    if not tables.table:
        t.out.error(tables.path, "expected at least one [disclosure.languages.XX] table, got none")
    if default is not None and tables.table and default not in tables.table:
        t.out.error(
            t.at("default_language"),
            f"expected one of the languages under [disclosure.languages] "
            f'({", ".join(tables.table)}), got "{default}"',
        )
    if default is None or default not in languages or len(languages) != len(tables.table):
        return None
    return DisclosurePolicy(default_language=default, languages=languages)


def _read_language(tables: TableReader, language: str) -> DisclosureLanguage | None:
    t = tables.table_at(language)
    try:
        LANGUAGE_TAG.check(language)
    except InvalidValueError as exc:
        tables.out.error(tables.at(language), f"table name: {exc}")
        language_ok = False
    else:
        language_ok = True
    if t is None:
        return None
    errors_before = len(t.out.errors)
    ident = t.value("id", NON_EMPTY, required=True, what="named in every recording's evidence")
    audio = t.value("audio", AbsolutePath(), required=True, what="the disclosure's audio file")
    purpose = t.value(
        "purpose", Prose("the purpose of recording, as told to the customer"), required=True
    )
    t.report_unknown()
    if audio is not None and (problem := disclosure_audio_problem(audio)) is not None:
        t.out.error(t.at("audio"), problem)
    if not language_ok or len(t.out.errors) > errors_before:
        return None
    assert ident is not None and audio is not None and purpose is not None
    return DisclosureLanguage(id=ident, language=language, audio=audio, purpose=purpose)


def read_recording(root: TableReader, default_dir: Path) -> tuple[RecordingPolicy, bool]:
    """[recording]; also says whether the file named the directory itself."""
    t = root.table_at("recording")
    if t is None:
        problem = writable_directory_problem(default_dir, may_create=True)
        if problem is not None:
            root.out.error(root.at("recording"), f"directory (default): {problem}")
        return RecordingPolicy(directory=default_dir), False
    directory = t.value("directory", AbsolutePath())
    days = t.value("retention_days", RETENTION_DAYS)
    group = t.value("group", GROUP_NAME)
    requires_reason = t.value("pause_requires_reason", Flag())
    encrypt_to = t.value("encrypt_to", AgeRecipients())
    t.report_unknown()
    if group is not None and (problem := group_problem(group)) is not None:
        t.out.error(t.at("group"), problem)
    if directory is not None:
        problem = writable_directory_problem(directory, may_create=False)
        if problem is not None:
            t.out.error(t.at("directory"), problem)
    elif not t.has("directory"):
        problem = writable_directory_problem(default_dir, may_create=True)
        if problem is not None:
            t.out.error(t.at("directory"), f"(default) {problem}")
    return (
        RecordingPolicy(
            directory=directory or default_dir,
            retention_days=days or 90,
            group=group,
            pause_requires_reason=bool(requires_reason),
            encrypt_to=encrypt_to or (),
        ),
        directory is not None,
    )


def read_security(root: TableReader) -> SecurityPolicy:
    """[security]: TLS verification (off only with an acknowledgement) and the CA file."""
    t = root.table_at("security")
    if t is None:
        return SecurityPolicy()
    verify = t.value("tls_verify_server", Flag())
    ca_file = t.value("ca_file", AbsolutePath())
    acknowledged = t.value("acknowledge_unverified_tls", Flag())
    trusted = t.value("trusted_hosts", HostsOrNetworks())
    t.report_unknown(
        {
            "tls_min_version": f"is fixed at TLS {TLS_MIN_VERSION} or newer and cannot be "
            "set: older versions are not safe; remove this key"
        }
    )
    if ca_file is not None and (problem := ca_file_problem(ca_file)) is not None:
        t.out.error(t.at("ca_file"), problem)
    risk = (
        "the softphone will not check that the SIP server is who it claims to be, so anyone on "
        "the network path can intercept the calls and their SRTP keys"
    )
    if verify is False and not acknowledged:
        t.out.error(
            t.at("tls_verify_server"),
            f"false is refused without an acknowledgement: {risk}; to accept that, also set "
            "acknowledge_unverified_tls = true (better: give the server's CA in ca_file)",
        )
    elif verify is False:
        t.out.warning(t.at("tls_verify_server"), f"false (acknowledged): {risk}")
    elif acknowledged:
        t.out.warning(
            t.at("acknowledge_unverified_tls"),
            "has no effect while tls_verify_server is true; remove it",
        )
    if ca_file is not None and verify is False:
        t.out.warning(t.at("ca_file"), "is not used while tls_verify_server is false")
    return SecurityPolicy(
        tls_verify_server=verify is not False,
        ca_file=ca_file,
        acknowledge_unverified_tls=bool(acknowledged),
        trusted_hosts=trusted or (),
    )


def read_media(root: TableReader) -> MediaPolicy:
    """[media]: how long a call may go without RTP from its other side before it ends."""
    t = root.table_at("media")
    if t is None:
        return MediaPolicy()
    timeout = t.value("rtp_timeout_s", RTP_TIMEOUT)
    t.report_unknown()
    return MediaPolicy() if timeout is None else MediaPolicy(rtp_timeout_s=timeout)


CALLS_POLICY_KEYS = ("allow_incoming_transfer",)
"""Keys of [calls] that are the admin's alone, beside the preferences' workstation defaults."""


def read_calls(root: TableReader) -> CallsPolicy:
    """[calls]: the admin's own keys (its preference defaults are read with the preferences)."""
    t = root.table_at("calls")
    if t is None:
        return CallsPolicy()
    allow = t.value("allow_incoming_transfer", Flag())
    return CallsPolicy(allow_incoming_transfer=bool(allow))


def read_qa(root: TableReader) -> QaPolicy:
    """[qa]: the logins that review recordings (the QA view in their agent window)."""
    t = root.table_at("qa")
    if t is None:
        return QaPolicy()
    reviewers = t.value("reviewers", Logins())
    t.report_unknown()
    return QaPolicy(reviewers=reviewers or ())
