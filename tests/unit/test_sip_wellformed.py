"""The two malformations pjsip lets through to the call layer, found in the raw INVITE."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.sip.wellformed import malformation

TORTURE = Path(__file__).resolve().parents[1] / "sip_torture"


def _invite(*headers: str, body: str = "v=0\r\n") -> str:
    head = ["INVITE sip:agent@127.0.0.1 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1",
            "To: <sip:agent@127.0.0.1>", "From: <sip:c@127.0.0.1>;tag=1", "Call-ID: 1@x",
            "CSeq: 1 INVITE", *headers]  # fmt: skip
    return "\r\n".join(head) + "\r\n\r\n" + body


def test_a_well_formed_invite_passes() -> None:
    assert malformation(_invite("Content-Length: 5")) == ""
    assert malformation(_invite("l: 2")) == ""  # shorter than the body: the rest is ignored
    assert malformation(_invite("Content-Length: 0", body="")) == ""


def test_a_content_length_beyond_the_body_is_named() -> None:
    assert malformation(_invite("Content-Length: 9999")) == (
        "the INVITE's Content-Length (9999) is larger than its body (5 bytes)"
    )
    assert "(7) is larger" in malformation(_invite("l: 7"))  # the compact form


def test_body_bytes_not_characters_are_counted() -> None:
    assert malformation(_invite("Content-Length: 2", body="é")) == ""


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("To: <sip:other@127.0.0.1>", "to"),
        ("f: <sip:d@127.0.0.1>;tag=2", "from"),
        ("i: 2@x", "call-id"),
        ("CSeq: 2 INVITE", "cseq"),
    ],
)
def test_a_single_value_header_given_twice_is_named(extra: str, named: str) -> None:
    found = malformation(_invite(extra))
    assert found == f"the INVITE repeats a header that takes one value: {named}"


def test_list_headers_and_folded_lines_may_repeat() -> None:
    assert malformation(_invite("Via: SIP/2.0/UDP b;branch=z9hG4bK2", "Allow: INVITE",
                                "Allow: BYE", "Subject: one", " To: folded, not a header",
                                "Content-Length: 5")) == ""  # fmt: skip


@pytest.mark.parametrize(
    ("name", "found"),
    [("clerr", "Content-Length (9999)"), ("multi01", "repeats"), ("wsinv", ""), ("esc01", "")],
)
def test_the_rfc4475_messages(name: str, found: str) -> None:
    text = (TORTURE / f"{name}.dat").read_bytes().decode("utf-8", "surrogateescape")
    assert (found in malformation(text)) if found else malformation(text) == ""
