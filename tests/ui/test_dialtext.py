"""The dial field's text: typed and pasted numbers and addresses, cleaned or refused with a why."""

from __future__ import annotations

import pytest

from ui.dialtext import DialKind, dial_target, read_dial_text


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("020 123 4567", "0201234567"),
        ("  +31 20-123.45.67 ", "+31201234567"),
        ("(020) 123 4567", "0201234567"),
        ("+31 (0)20 123 4567", "+31201234567"),
        ("tel:+31-20-123-4567", "+31201234567"),
        ("TEL:+31201234567;phone-context=example.com", "+31201234567"),
        ("*98#", "*98#"),
        ("1234\u00a05678", "12345678"),
        ("<tel:0201234567>", "0201234567"),
    ],
)
def test_numbers_are_cleaned_to_digits(typed: str, number: str) -> None:
    entry = read_dial_text(typed)
    assert (entry.kind, entry.target, entry.problem) == (DialKind.NUMBER, number, "")
    assert entry.dialable


@pytest.mark.parametrize(
    ("typed", "uri"),
    [
        ("sip:alice@example.com", "sip:alice@example.com"),
        ("SIPS:alice@example.com:5061;transport=tls", "sips:alice@example.com:5061;transport=tls"),
        ('"Alice Jansen" <sip:alice@example.com>', "sip:alice@example.com"),
        ("Helpdesk <sip:+31201234567@pbx.example.com>", "sip:+31201234567@pbx.example.com"),
        ("alice@example.com", "sip:alice@example.com"),
        ("sip:[2001:db8::1]:5060", "sip:[2001:db8::1]:5060"),
        ("sip:127.0.0.1:5070", "sip:127.0.0.1:5070"),
    ],
)
def test_sip_addresses_are_kept_as_addresses(typed: str, uri: str) -> None:
    entry = read_dial_text(typed)
    assert (entry.kind, entry.target) == (DialKind.URI, uri)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("0800-FLOWERS", "“F” cannot be dialled"),
        ("12+34", "A + may only stand at the start"),
        ("--- ()", "There is no number in it"),
        ("1" * 33, "too long"),
        ("sip:alice @example.com", "no spaces"),
        ("sip:alice@", "not a SIP address"),
        ("sip:@@", "not a SIP address"),
        ("DROP TABLE calls;", "“D” cannot be dialled"),
    ],
)
def test_garbage_is_refused_with_a_reason(typed: str, why: str) -> None:
    entry = read_dial_text(typed)
    assert not entry.dialable
    assert entry.target == ""
    assert why in entry.problem


def test_nothing_typed_is_not_an_error() -> None:
    for text in ("", "   ", "<>"):
        entry = read_dial_text(text)
        assert (entry.kind, entry.problem, entry.dialable) == (DialKind.EMPTY, "", False)


def test_a_number_and_an_address_both_go_through_the_accounts_rule() -> None:
    def to_uri(typed: str) -> str:
        if typed.startswith("sip:"):
            return f"{typed};transport=tls"
        return f"sip:{typed}@pbx.example.com;transport=tls"

    assert (
        dial_target(read_dial_text("020 123"), to_uri) == "sip:020123@pbx.example.com;transport=tls"
    )
    assert dial_target(read_dial_text("sip:bob@x.org"), to_uri) == "sip:bob@x.org;transport=tls"
    with pytest.raises(ValueError, match="not dialable: “x”"):
        dial_target(read_dial_text("x"), to_uri)
