"""The admin policy loader: valid policies, and every kind of bad input named precisely."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pyrage import x25519

from softphone.config.checks import InvalidValueError
from softphone.config.policy import builtin_policy, load_policy
from softphone.config.problems import PolicyError
from softphone.config.schema import SETTINGS, lookup_setting
from tests.unit.test_config_support import (
    EXAMPLE,
    HEAD,
    MINIMAL,
    REPO,
    Files,
    example_policy,
    make_files,
    write_policy,
)


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return make_files(tmp_path)


def load(files: Files, text: str) -> object:
    return load_policy(write_policy(files, text), default_recordings=files.recordings)


def problems(files: Files, text: str) -> list[str]:
    """Every problem of the policy `text`, with its file shown as policy.toml."""
    path = write_policy(files, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path, default_recordings=files.recordings)
    shown = [str(p) for p in info.value.problems]
    assert all(s.startswith(f"{path}") for s in shown), shown  # every problem names the file
    return [s.replace(str(path), "policy.toml") for s in shown]


# --- valid policies -------------------------------------------------------------------------


def test_the_example_policy_is_valid_and_sets_every_key(files: Files) -> None:
    policy = load_policy(example_policy(files), default_recordings=files.recordings)
    assert [a.name for a in policy.accounts] == ["office", "lab"]
    office = policy.accounts[0]
    assert (office.transport, office.srtp, office.registrar) == (
        "tls",
        "mandatory",
        "sips:pbx.example.com:5061",
    )
    assert policy.accounts[1].domain == "lab-pbx.example.com"  # from the registrar
    assert policy.accounts[1].auth_user == "agent042"  # from user
    assert set(policy.disclosure.languages) == {"nl", "en"}
    assert policy.disclosure.for_language("en").audio == files.en
    assert policy.recording.directory == files.recordings
    assert policy.recording.pause_requires_reason is True
    assert policy.security.ca_file == files.ca
    assert policy.locked == {"recording.directory", "disclosure.language", "calls.auto_answer"}
    assert policy.preferences["recording.directory"] == files.recordings
    assert policy.preferences["disclosure.language"] == "nl"
    assert policy.preferences["calls.default_account"] == "office"
    assert policy.calls.allow_incoming_transfer is False
    assert "calls.allow_incoming_transfer" in policy.explicit
    assert policy.warnings == ()
    lockable = {k for k, s in SETTINGS.items() if s.lockable}
    assert policy.locked <= lockable


def test_a_minimal_policy_takes_safe_defaults(files: Files) -> None:
    policy = load_policy(write_policy(files, HEAD + MINIMAL), default_recordings=files.recordings)
    account = policy.accounts[0]
    assert (account.transport, account.srtp) == ("tls", "mandatory")
    assert account.domain == "pbx.example.com"
    assert account.address_of_record == "sip:agent042@pbx.example.com"
    assert policy.security.tls_verify_server is True
    assert policy.security.tls_min_version == "1.2"
    assert policy.recording.retention_days == 90
    assert policy.recording.pause_requires_reason is False
    assert policy.locked == frozenset()
    assert policy.allow_policy_override is False
    assert "accounts[0].transport" not in policy.explicit
    assert "accounts[0].name" in policy.explicit


def test_a_utf8_byte_order_mark_is_accepted(files: Files) -> None:
    path = files.root / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + write_policy(files, MINIMAL).read_bytes())
    assert load_policy(path, default_recordings=files.recordings).disclosure.default_language


def test_a_direct_ip_account_has_no_registrar_and_no_domain(files: Files) -> None:
    text = '[[accounts]]\nname = "direct"\nuser = "agent"\n' + MINIMAL
    account = load_policy(write_policy(files, text)).accounts[0]
    assert account.registrar is None and account.domain is None
    assert account.address_of_record is None


# --- types and values -----------------------------------------------------------------------


def test_a_wrong_choice_names_file_line_key_and_choices(files: Files) -> None:
    text = HEAD + 'transport = "sctp"\nsrtp = "off"\n' + MINIMAL
    assert problems(files, text) == [
        'policy.toml:5: accounts[0].transport: expected one of udp, tcp, tls, got "sctp"'
    ]


@pytest.mark.parametrize(
    ("value", "got"),
    [('"90"', '"90"'), ("0", "0"), ("true", "true"), ("9.5", "9.5"), ("[90]", "an array")],
)
def test_retention_days_must_be_a_whole_number_of_at_least_one(
    files: Files, value: str, got: str
) -> None:
    text = MINIMAL + f"\n[recording]\nretention_days = {value}\n"
    assert problems(files, text) == [
        f"policy.toml:10: recording.retention_days: expected a whole number of days "
        f"from 1 to 36500, got {got}"
    ]


def test_a_policy_may_require_a_reason_for_every_privacy_pause(files: Files) -> None:
    for value, expected in (("true", True), ("false", False)):
        text = MINIMAL + f"\n[recording]\npause_requires_reason = {value}\n"
        policy = load_policy(write_policy(files, text), default_recordings=files.recordings)
        assert policy.recording.pause_requires_reason is expected
        assert "recording.pause_requires_reason" in policy.explicit


@pytest.mark.parametrize(("value", "got"), [('"yes"', '"yes"'), ("1", "1"), ("[true]", "an array")])
def test_pause_requires_reason_must_be_true_or_false(files: Files, value: str, got: str) -> None:
    text = MINIMAL + f"\n[recording]\npause_requires_reason = {value}\n"
    assert problems(files, text) == [
        f"policy.toml:10: recording.pause_requires_reason: expected true or false, got {got}"
    ]


def test_recordings_may_be_encrypted_to_several_qa_keys(files: Files) -> None:
    old, new = (str(x25519.Identity.generate().to_public()) for _ in range(2))
    text = MINIMAL + f'\n[recording]\nencrypt_to = ["{old}", "{new}", "{old}"]\n'
    policy = load_policy(write_policy(files, text), default_recordings=files.recordings)
    assert policy.recording.encrypt_to == (old, new)  # in order, a repeat dropped
    assert "recording.encrypt_to" in policy.explicit
    plain = load_policy(write_policy(files, MINIMAL), default_recordings=files.recordings)
    assert plain.recording.encrypt_to == ()


def test_a_malformed_qa_key_is_a_policy_error_naming_it(files: Files) -> None:
    good = str(x25519.Identity.generate().to_public())
    bad = good[:-3] + "qqq"  # its checksum no longer fits
    text = MINIMAL + f'\n[recording]\nencrypt_to = ["{good}", "{bad}"]\n'
    (problem,) = problems(files, text)
    assert problem.startswith("policy.toml:10: recording.encrypt_to: ")
    assert f'"{bad}" is not an age X25519 public key' in problem


def test_a_secret_key_in_encrypt_to_is_refused_without_repeating_it(files: Files) -> None:
    secret = str(x25519.Identity.generate())
    (problem,) = problems(files, MINIMAL + f'\n[recording]\nencrypt_to = ["{secret}"]\n')
    assert "a secret key (AGE-SECRET-KEY-...)" in problem and secret not in problem
    (problem,) = problems(files, MINIMAL + '\n[recording]\nencrypt_to = "age1x"\n')
    assert "expected an array of age public keys" in problem


def test_a_wrong_type_for_a_table(files: Files) -> None:
    assert problems(files, 'security = "strict"\n' + MINIMAL) == [
        'policy.toml:1: security: expected a table, got "strict"'
    ]


def test_accounts_must_be_tables(files: Files) -> None:
    assert problems(files, 'accounts = "office"\n' + MINIMAL) == [
        'policy.toml:1: accounts: expected [[accounts]] tables, got "office"'
    ]


def test_a_required_key_missing_is_reported_at_its_table(files: Files) -> None:
    text = '[[accounts]]\nname = "office"\n' + MINIMAL
    assert problems(files, text) == [
        "policy.toml:1: accounts[0].user: missing: expected a SIP user name without spaces or "
        "'@' (the user part of the address of record)"
    ]


def test_a_sip_uri_must_be_one(files: Files) -> None:
    text = '[[accounts]]\nname = "o"\nuser = "a"\nregistrar = "pbx.example.com"\n' + MINIMAL
    assert problems(files, text) == [
        "policy.toml:4: accounts[0].registrar: expected a SIP URI such as sip:pbx.example.com "
        'or sips:pbx.example.com:5061, got "pbx.example.com"'
    ]


def test_an_account_name_must_be_usable_as_a_keyring_entry(files: Files) -> None:
    text = '[[accounts]]\nname = "my office"\nuser = "a"\n' + MINIMAL
    assert problems(files, text) == [
        "policy.toml:2: accounts[0].name: expected a name of letters, digits, '.', '_' or '-', "
        'starting with a letter or digit, got "my office"'
    ]


# --- unknown keys ----------------------------------------------------------------------------


def test_an_unknown_key_gets_a_did_you_mean(files: Files) -> None:
    text = HEAD + 'transprot = "tls"\n' + MINIMAL
    assert problems(files, text) == [
        'policy.toml:5: accounts[0].transprot: unknown key (did you mean "transport"?)'
    ]


def test_an_unknown_key_far_from_any_lists_the_known_ones(files: Files) -> None:
    text = MINIMAL + "colour = 3\n"
    assert problems(files, text) == [
        "policy.toml:8: disclosure.languages.nl.colour: unknown key "
        "(expected one of: audio, id, purpose)"
    ]


def test_unknown_top_level_keys_and_tables(files: Files) -> None:
    text = "alow_policy_override = true\n" + MINIMAL + "\n[recordings]\ndirectory = '/x'\n"
    assert problems(files, text) == [
        'policy.toml:1: alow_policy_override: unknown key (did you mean "allow_policy_override"?)',
        'policy.toml:10: recordings: unknown key (did you mean "recording"?)',
    ]


def test_a_password_is_refused_and_never_echoed(files: Files) -> None:
    secret = "Correct-Horse-42"
    text = HEAD + f'password = "{secret}"\n' + MINIMAL + f'\n[ui]\nsip_secret = "{secret}"\n'
    found = problems(files, text)
    assert found == [
        "policy.toml:5: accounts[0].password: passwords are never stored in configuration "
        "files; remove this key and store the password in the OS keyring with: softphone "
        "account set-password ACCOUNT",
        "policy.toml:15: ui.sip_secret: passwords are never stored in configuration files; "
        "remove this key and store the password in the OS keyring with: softphone account "
        "set-password ACCOUNT",
    ]
    with pytest.raises(PolicyError) as info:
        load(files, text)
    assert secret not in str(info.value)
    assert secret not in info.value.refusal()


def test_the_disclosure_language_preference_points_to_default_language(files: Files) -> None:
    text = MINIMAL.replace('default_language = "nl"', 'default_language = "nl"\nlanguage = "nl"')
    assert problems(files, text) == [
        "policy.toml:3: disclosure.language: is the agents' preference; in the policy set "
        'disclosure.default_language, and lock it with locked = ["disclosure.language"]'
    ]


def test_tls_min_version_is_fixed(files: Files) -> None:
    assert problems(files, MINIMAL + '\n[security]\ntls_min_version = "1.0"\n') == [
        "policy.toml:10: security.tls_min_version: is fixed at TLS 1.2 or newer and cannot be "
        "set: older versions are not safe; remove this key"
    ]


# --- paths and files -------------------------------------------------------------------------


def test_relative_paths_are_refused(files: Files) -> None:
    text = MINIMAL.replace("@NL@", "disclosure/nl.wav") + '\n[recording]\ndirectory = "rec"\n'
    assert problems(files, text) == [
        "policy.toml:6: disclosure.languages.nl.audio: expected an absolute path, got the "
        'relative path "disclosure/nl.wav" (it would depend on the directory the softphone is '
        "started from)",
        "policy.toml:10: recording.directory: expected an absolute path, got the relative path "
        '"rec" (it would depend on the directory the softphone is started from)',
    ]


def test_a_missing_disclosure_file_is_named(files: Files) -> None:
    missing = files.root / "gone.wav"
    assert problems(files, MINIMAL.replace("@NL@", str(missing))) == [
        f"policy.toml:6: disclosure.languages.nl.audio: {missing} does not exist"
    ]


def test_an_empty_or_unreadable_disclosure_file_is_named(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    files.nl.write_bytes(b"")
    assert problems(files, MINIMAL) == [
        f"policy.toml:6: disclosure.languages.nl.audio: {files.nl} is empty"
    ]
    write_policy(files, MINIMAL)
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == files.en:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
    found = problems(files, MINIMAL.replace("@NL@", "@EN@"))
    assert len(found) == 1
    assert found[0].startswith(
        f"policy.toml:6: disclosure.languages.nl.audio: {files.en} cannot be read by user "
    )
    assert found[0].endswith(": permission denied")
    assert user in found[0]


def test_the_ca_file_must_exist_and_hold_a_pem_certificate(files: Files) -> None:
    text = MINIMAL + '\n[security]\nca_file = "@CA@"\n'
    files.ca.write_bytes(b"\x30\x82\x01\x0a DER bytes")
    assert problems(files, text) == [
        f"policy.toml:10: security.ca_file: {files.ca} holds no PEM certificate (no "
        "'-----BEGIN CERTIFICATE-----' line); convert a DER file with: openssl x509 -inform der "
        "-in CA.der -out CA.pem"
    ]
    files.ca.unlink()
    assert problems(files, text) == [f"policy.toml:10: security.ca_file: {files.ca} does not exist"]


def test_the_recording_directory_must_exist_be_a_directory_and_be_writable(files: Files) -> None:
    text = MINIMAL + '\n[recording]\ndirectory = "@REC@"\n'
    files.recordings.rmdir()
    assert problems(files, text) == [
        f"policy.toml:10: recording.directory: {files.recordings} does not exist; create it, "
        "writable by the agents' accounts, or name a directory that exists"
    ]
    files.recordings.write_text("not a folder")
    assert problems(files, text) == [
        f"policy.toml:10: recording.directory: {files.recordings} is not a directory"
    ]
    # A folder no one can write to, root included: the check writes a file to find out.
    [found] = problems(files, MINIMAL + '\n[recording]\ndirectory = "/proc/self"\n')
    assert found.startswith("policy.toml:10: recording.directory: /proc/self is not writable by ")
    assert "(the account running the check)" in found


def test_without_a_recording_directory_the_default_must_be_creatable(files: Files) -> None:
    blocker = files.root / "file"
    blocker.write_text("x")
    path = write_policy(files, MINIMAL)
    with pytest.raises(PolicyError) as info:
        load_policy(path, default_recordings=blocker / "recordings")
    [problem] = info.value.problems
    assert str(problem).startswith(f"{path}: recording: directory (default): ")
    policy = load_policy(path, default_recordings=files.root / "new" / "recordings")
    assert policy.recording.directory == files.root / "new" / "recordings"
    assert "recording.directory" not in policy.preferences


# --- conflicting settings ---------------------------------------------------------------------


def test_mandatory_srtp_needs_tls(files: Files) -> None:
    text = HEAD + 'transport = "udp"\nsrtp = "mandatory"\n' + MINIMAL
    assert problems(files, text) == [
        'policy.toml:6: accounts[0].srtp: "mandatory" needs transport = "tls", got transport = '
        '"udp": SRTP keys are exchanged in the SDP (SDES), which travels in clear text over udp, '
        'so anyone who sees the signalling can decrypt the audio; set transport = "tls" (or, if '
        'this PBX cannot do TLS, choose srtp = "off" explicitly)'
    ]


def test_the_srtp_default_is_named_as_such_when_it_conflicts(files: Files) -> None:
    [found] = problems(files, HEAD + 'transport = "tcp"\n' + MINIMAL)
    assert found.startswith(
        'policy.toml:1: accounts[0].srtp: "mandatory" (the default) needs transport = "tls", '
        'got transport = "tcp"'
    )


def test_optional_srtp_without_tls_is_a_warning(files: Files) -> None:
    policy = load_policy(
        write_policy(files, HEAD + 'transport = "tcp"\nsrtp = "optional"\n' + MINIMAL)
    )
    [warning] = policy.warnings
    assert str(warning).startswith(
        f'{policy.source}:6: accounts[0].srtp: warning: "optional" over transport = "tcp": '
    )


def test_a_sips_registrar_needs_tls(files: Files) -> None:
    text = (
        '[[accounts]]\nname = "o"\nuser = "a"\nregistrar = "sips:pbx.example.com"\n'
        'transport = "tcp"\nsrtp = "off"\n' + MINIMAL
    )
    assert problems(files, text) == [
        'policy.toml:5: accounts[0].transport: expected "tls" because registrar is a sips: URI, '
        'got "tcp"'
    ]


def test_a_transport_parameter_must_agree_with_transport(files: Files) -> None:
    text = (
        '[[accounts]]\nname = "o"\nuser = "a"\n'
        'outbound_proxy = "sip:sbc.example.com;transport=udp"\n' + MINIMAL
    )
    assert problems(files, text) == [
        "policy.toml:4: accounts[0].outbound_proxy: the URI says transport=udp but the account "
        'has transport = "tls"; make them agree (or drop the URI parameter)'
    ]


def test_unverified_tls_needs_an_acknowledgement_and_still_warns(files: Files) -> None:
    text = MINIMAL + "\n[security]\ntls_verify_server = false\n"
    [found] = problems(files, text)
    assert found.startswith(
        "policy.toml:10: security.tls_verify_server: false is refused without an acknowledgement: "
    )
    assert "acknowledge_unverified_tls = true" in found
    policy = load_policy(
        write_policy(files, text + "acknowledge_unverified_tls = true\n"),
        default_recordings=files.recordings,
    )
    assert policy.security.tls_verify_server is False
    [warning] = policy.warnings
    assert f"{policy.source}:10: security.tls_verify_server: warning: false (acknowledged): " in (
        str(warning)
    )


def test_an_acknowledgement_without_unverified_tls_is_a_warning(files: Files) -> None:
    policy = load_policy(
        write_policy(files, MINIMAL + "\n[security]\nacknowledge_unverified_tls = true\n"),
        default_recordings=files.recordings,
    )
    assert [str(w) for w in policy.warnings] == [
        f"{policy.source}:10: security.acknowledge_unverified_tls: warning: has no effect while "
        "tls_verify_server is true; remove it"
    ]


def test_trusted_hosts_are_hosts_addresses_or_networks(files: Files) -> None:
    text = MINIMAL + '\n[security]\ntrusted_hosts = ["sbc.example.com", "10.20.0.0/16", "::1"]\n'
    policy = load_policy(write_policy(files, text), default_recordings=files.recordings)
    assert policy.security.trusted_hosts == ("sbc.example.com", "10.20.0.0/16", "::1")
    assert builtin_policy().security.trusted_hosts == ()


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "pbx example", "300.1.2.3", ""])
def test_a_bad_trusted_host_is_named(files: Files, entry: str) -> None:
    text = MINIMAL + f'\n[security]\ntrusted_hosts = ["ok.example", "{entry}"]\n'
    [found] = problems(files, text)
    assert found.startswith("policy.toml:10: security.trusted_hosts: expected an array of hosts")
    assert f'"{entry}" in it' in found


def test_the_rtp_timeout_is_seconds_and_zero_disables_it(files: Files) -> None:
    assert builtin_policy().media.rtp_timeout_s == 30
    for value in (0, 2, 3600):
        text = MINIMAL + f"\n[media]\nrtp_timeout_s = {value}\n"
        policy = load_policy(write_policy(files, text), default_recordings=files.recordings)
        assert policy.media.rtp_timeout_s == value


@pytest.mark.parametrize("value", ["-1", "3601", "2.5", '"30"', "true"])
def test_a_bad_rtp_timeout_is_refused(files: Files, value: str) -> None:
    assert problems(files, MINIMAL + f"\n[media]\nrtp_timeout_s = {value}\n") == [
        "policy.toml:10: media.rtp_timeout_s: expected a whole number of seconds (0: never) from "
        f"0 to 3600, got {value}"
    ]


def test_media_has_no_other_keys(files: Files) -> None:
    [found] = problems(files, MINIMAL + "\n[media]\nrtp_timeout = 5\n")
    assert found.startswith("policy.toml:10: media.rtp_timeout: unknown key")


def test_default_language_must_be_one_of_the_languages(files: Files) -> None:
    text = MINIMAL.replace('default_language = "nl"', 'default_language = "de"')
    assert problems(files, text) == [
        "policy.toml:2: disclosure.default_language: expected one of the languages under "
        '[disclosure.languages] (nl), got "de"'
    ]


def test_a_policy_without_disclosure_is_refused(files: Files) -> None:
    assert problems(files, HEAD) == [
        "policy.toml: disclosure: missing: expected a table [disclosure] (the recording "
        "disclosure played when a call starts)"
    ]


def test_disclosure_needs_at_least_one_language(files: Files) -> None:
    text = '[disclosure]\ndefault_language = "nl"\n[disclosure.languages]\n'
    assert problems(files, text) == [
        "policy.toml:3: disclosure.languages: expected at least one [disclosure.languages.XX] "
        "table, got none"
    ]


def test_a_language_table_name_must_be_a_language_tag(files: Files) -> None:
    text = MINIMAL.replace("languages.nl", 'languages."Dutch language"')
    assert problems(files, text) == [
        "policy.toml:2: disclosure.default_language: expected one of the languages under "
        '[disclosure.languages] (Dutch language), got "nl"',
        'policy.toml:4: disclosure.languages."Dutch language": table name: expected a language '
        'tag such as nl, en or pt-BR, got "Dutch language"',
    ]


def test_duplicate_account_names_are_refused_case_insensitively(files: Files) -> None:
    text = HEAD + HEAD.replace('"office"', '"Office"') + MINIMAL
    assert problems(files, text) == [
        'policy.toml:6: accounts[1].name: duplicate account name "Office": accounts[0] has it '
        "already; every account needs its own name (it also names its password in the keyring)"
    ]


def test_duplicate_disclosure_ids_are_refused(files: Files) -> None:
    text = MINIMAL + '\n[disclosure.languages.en]\nid = "test-nl"\naudio = "@EN@"\npurpose = "x"\n'
    assert problems(files, text) == [
        'policy.toml:10: disclosure.languages.en.id: duplicate disclosure id "test-nl": '
        "languages nl has it already; each recording's evidence must name exactly one disclosure"
    ]


# --- preferences and locks in the policy ------------------------------------------------------


def test_locked_names_must_be_lockable_preferences(files: Files) -> None:
    text = 'locked = ["recording.dir", "audio.input_device", 5, "ui.theme", "ui.theme"]\n' + MINIMAL
    path = write_policy(files, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path, default_recordings=files.recordings)
    assert [str(p).replace(str(path), "policy.toml") for p in info.value.problems] == [
        'policy.toml:1: locked[0]: unknown preference "recording.dir" (did you mean '
        '"recording.directory"?)',
        'policy.toml:1: locked[1]: "audio.input_device" cannot be locked: it differs per '
        "workstation; you may still set its default under [audio]",
        "policy.toml:1: locked[2]: expected a preference name, got 5",
        'policy.toml:1: locked[4]: warning: "ui.theme" is listed twice',
    ]


def test_admin_preference_values_are_typed(files: Files) -> None:
    text = (
        MINIMAL + '\n[ui]\ntheme = "blue"\n\n[calls]\nauto_answer = "yes"\ndefault_account = "x"\n'
    )
    assert problems(files, text) == [
        'policy.toml:10: ui.theme: expected one of system, light, dark, got "blue"',
        'policy.toml:13: calls.auto_answer: expected true or false, got "yes"',
        "policy.toml:14: calls.default_account: expected the name of one of the policy's "
        'accounts (none: the policy has no [[accounts]]), got "x"',
    ]


def test_incoming_transfers_are_declined_unless_the_admin_allows_them(files: Files) -> None:
    policy = load_policy(write_policy(files, MINIMAL), default_recordings=files.recordings)
    assert policy.calls.allow_incoming_transfer is False
    text = MINIMAL + "\n[calls]\nauto_answer = true\nallow_incoming_transfer = true\n"
    policy = load_policy(write_policy(files, text), default_recordings=files.recordings)
    assert policy.calls.allow_incoming_transfer is True
    assert "calls.allow_incoming_transfer" not in policy.preferences
    assert policy.preferences["calls.auto_answer"] is True
    # The admin's alone: it is not a preference, so an agent cannot set or lock it.
    with pytest.raises(InvalidValueError, match="unknown preference"):
        lookup_setting("calls.allow_incoming_transfer")


def test_allow_incoming_transfer_is_typed(files: Files) -> None:
    assert problems(files, MINIMAL + '\n[calls]\nallow_incoming_transfer = "yes"\n') == [
        'policy.toml:10: calls.allow_incoming_transfer: expected true or false, got "yes"'
    ]


def test_unknown_preference_in_a_policy_table(files: Files) -> None:
    assert problems(files, MINIMAL + '\n[audio]\nringer = "x"\n') == [
        'policy.toml:10: audio.ringer: unknown key (did you mean "ringer_device"?)'
    ]


# --- the file itself ---------------------------------------------------------------------------


def test_invalid_toml_gives_line_and_column(files: Files) -> None:
    assert problems(files, MINIMAL + "\nretention_days 90\n") == [
        "policy.toml:9:16: invalid TOML: Expected '=' after a key in a key/value pair"
    ]


def test_a_file_that_is_not_utf8_names_the_byte(files: Files) -> None:
    path = files.root / "latin1.toml"
    path.write_bytes(write_policy(files, MINIMAL).read_bytes().replace(b"wordt", b"w\xf6rdt"))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:7:25: is not UTF-8: byte 0xf6 cannot be decoded (was it saved as Latin-1 or "
        "Windows-1252?); save the file as UTF-8"
    ]


def test_a_utf16_file_is_named_as_such(files: Files) -> None:
    path = files.root / "utf16.toml"
    path.write_bytes(MINIMAL.encode("utf-16"))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(info.value.problems[0]).startswith(
        f"{path}:1: is encoded as UTF-16 (little-endian), not UTF-8: save it as UTF-8"
    )


def test_missing_directory_and_unreadable_files(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    def only(path: Path) -> str:
        with pytest.raises(PolicyError) as info:
            load_policy(path)
        [problem] = info.value.problems
        return str(problem)

    assert only(files.root / "nope.toml") == f"{files.root / 'nope.toml'}: does not exist"
    assert only(files.root) == f"{files.root}: is a directory, not a file"
    path = write_policy(files, MINIMAL)
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert only(path).startswith(f"{path}: cannot be read by user ")
    assert only(path).endswith(": permission denied")


def test_every_problem_is_listed_not_just_the_first(files: Files) -> None:
    text = (
        'locked = ["nope"]\n'
        '[[accounts]]\nname = "a"\nuser = "u"\ntransport = "x"\n'
        '[[accounts]]\nname = "b"\n'
        '[disclosure]\ndefault_language = "fr"\n'
        '[disclosure.languages.nl]\nid = ""\naudio = "rel.wav"\npurpose = " "\n'
        "[recording]\nretention_days = -1\ndirectory = 7\n"
        '[security]\ntls_verify_server = "no"\n'
    )
    found = problems(files, text)
    assert [f.split(": ")[1] for f in found] == [
        "locked[0]",
        "accounts[0].transport",
        "accounts[1].user",
        "disclosure.default_language",
        "disclosure.languages.nl.id",
        "disclosure.languages.nl.audio",
        "disclosure.languages.nl.purpose",
        "recording.retention_days",
        "recording.directory",
        "security.tls_verify_server",
    ]


def test_a_policy_others_can_write_is_a_warning(files: Files) -> None:
    path = write_policy(files, MINIMAL)
    path.chmod(0o666)
    policy = load_policy(path, default_recordings=files.recordings)
    [warning] = policy.warnings
    assert str(warning).startswith(
        f"{path}: warning: the policy file {path} is writable by users other than its owner "
        "(mode 0666)"
    )
    assert f"chmod go-w {path}" in str(warning)


def test_refusal_says_calls_are_refused_and_how_to_check(files: Files) -> None:
    path = write_policy(files, HEAD)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    refusal = info.value.refusal()
    assert refusal.startswith("calls are refused: the admin policy cannot be used")
    assert f"softphone config check {path}" in refusal
    assert f"{path}: disclosure: missing" in refusal


# --- the built-in policy -------------------------------------------------------------------------


def test_the_builtin_policy_has_dutch_and_english_and_no_accounts(files: Files) -> None:
    policy = builtin_policy(files.resources, files.root / "data" / "recordings")
    assert policy.source is None and policy.origin == "built-in"
    assert policy.accounts == ()
    assert policy.disclosure.default_language == "nl"
    assert list(policy.disclosure.languages) == ["nl", "en"]
    nl = policy.disclosure.for_language("nl")
    assert nl.audio == files.resources / "disclosure" / "nl.wav"
    assert nl.purpose == "Dit gesprek wordt opgenomen."
    assert policy.recording == type(policy.recording)(files.root / "data" / "recordings", 90)
    assert policy.locked == frozenset()


def test_the_builtin_policy_fails_closed_without_its_disclosure(files: Files) -> None:
    (files.resources / "disclosure" / "en.wav").unlink()
    (files.resources / "disclosure" / "nl.txt").write_text("  \n")
    with pytest.raises(PolicyError) as info:
        builtin_policy(files.resources, files.recordings)
    folder = files.resources / "disclosure"
    assert [str(p) for p in info.value.problems] == [
        f"built-in policy: disclosure.languages.nl.purpose: {folder / 'nl.txt'} holds only white "
        "space; the installation is incomplete: reinstall the softphone",
        f"built-in policy: disclosure.languages.en.audio: {folder / 'en.wav'} does not exist; "
        "the installation is incomplete: reinstall the softphone",
    ]


def test_the_repository_resources_make_a_valid_builtin_policy(tmp_path: Path) -> None:
    policy = builtin_policy(default_recordings=tmp_path / "recordings")
    for language in ("nl", "en"):
        assert policy.disclosure.for_language(language).audio.is_file()
        assert policy.disclosure.for_language(language).purpose


# --- the admin guide -----------------------------------------------------------------------------


def test_the_admin_guide_shows_the_example_and_documents_every_key() -> None:
    guide = (REPO / "docs" / "admin.md").read_text(encoding="utf-8")
    block = guide.split("```toml\n", 1)[1].split("```", 1)[0]
    assert tomllib.loads(block) == tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    policy_keys = [
        "locked", "allow_policy_override", "name", "registrar", "user", "auth_user", "domain",
        "transport", "srtp", "outbound_proxy", "default_language", "id", "audio", "purpose",
        "directory", "retention_days", "pause_requires_reason", "encrypt_to", "tls_verify_server",
        "ca_file",
        "acknowledge_unverified_tls", "tls_min_version", "trusted_hosts", "rtp_timeout_s",
        "allow_incoming_transfer",
    ]  # fmt: skip
    for key in [*policy_keys, *SETTINGS]:
        assert f"| `{key}` |" in guide, key


def test_qa_reviewers_are_logins(files: Files) -> None:
    policy = load_policy(write_policy(files, MINIMAL), default_recordings=files.recordings)
    assert policy.qa.reviewers == ()
    text = MINIMAL + '\n[qa]\nreviewers = ["anna", "bram", "anna"]\n'
    policy = load_policy(write_policy(files, text), default_recordings=files.recordings)
    assert policy.qa.reviewers == ("anna", "bram")
    assert problems(files, MINIMAL + '\n[qa]\nreviewers = ["anna", "no one"]\nwho = 1\n') == [
        'policy.toml:10: qa.reviewers: expected an array of logins such as ["anna", "bram"], '
        'got "no one" in it',
        "policy.toml:11: qa.who: unknown key (expected one of: reviewers)",
    ]
